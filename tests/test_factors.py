"""What matters most (``factors:``): a type-II ANOVA of the per-seed values on a study's factors and their
two-way interactions, each effect's partial η² with an interval from resampling the seeds within cells,
and the claim kind matters_more — on numbers with known effects, through calibrate where nothing
differs, and end to end on a tiny study whose results.json is checked against statsmodels."""
import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from conftest import TINY_PROFILE, dcnn_here, write_study
from dcnn import analysis as A
from dcnn.analysis import anova
from dcnn.analysis.calibration import calibrate
from dcnn.analysis.synthetic import results_from

OVER = {"strong": ["s0", "s1", "s2"], "null": ["n0", "n1"], "mod": ["m0", "m1"]}


def known_effects(seed: int = 0, sd: float = 0.5) -> tuple[dict, dict]:
    """Per-seed values with a strong factor, a null factor and a strong×mod interaction; 2 to 5 seeds per
    cell (unbalanced): (results, the analysis' design)."""
    rng = np.random.default_rng(seed)
    groups, cells = {}, []
    for s, n, m in itertools.product(*OVER.values()):
        name = f"{s}-{n}-{m}@0.1"
        mu = {"s0": 0.0, "s1": 1.5, "s2": 3.0}[s] + (1.2 if (s, m) == ("s2", "m1") else 0.0)
        groups[name] = [{"best_val_loss": mu + rng.normal(0, sd)} for _ in range(int(rng.integers(2, 6)))]
        cells.append({"levels": {"strong": s, "null": n, "mod": m}, "group": name})
    return results_from(groups), {"name": "known", "metric": "best_val_loss", "over": OVER, "cells": cells}


def statsmodels_shares(results: dict, design: dict) -> dict[str, float]:
    """Partial η² recomputed independently: the cells' values from the runs, sum-to-zero coding, anova_lm."""
    rows = []
    for c in design["cells"]:
        g = A.group_by_name(results, c["group"])
        for i in g["runs"]:
            v = results["runs"][i]["metrics"][design["metric"]]
            if v is not None:
                rows.append({**{f"x{k}": str(c["levels"][f]) for k, f in enumerate(design["over"])}, "y": v})
    frame = pd.DataFrame(rows)
    xs = [f"C(x{k}, Sum)" for k in range(len(design["over"]))]
    fit = smf.ols("y ~ (" + " + ".join(xs) + ")**2", frame).fit()
    table = anova_lm(fit, typ=2)
    names = {x: f for x, f in zip(xs, design["over"])}
    res = table.loc["Residual", "sum_sq"]
    out = {"Residual": res / table["sum_sq"].sum()}
    for key in table.index[:-1]:
        out["×".join(names[p] for p in key.split(":"))] = table.loc[key, "sum_sq"] / (table.loc[key, "sum_sq"] + res)
    return out


def test_known_effects_come_out_in_order_the_null_factors_interval_at_0_and_equal_to_anova_lm():
    results, design = known_effects()
    entry = A.factor_entries(results, [design])[0]
    shares = {e["effect"]: e for e in entry["effects"]}
    want = statsmodels_shares(results, design)
    assert set(shares) == set(want) - {"Residual"}
    for name, e in shares.items():
        assert e["share"] == pytest.approx(want[name], abs=1e-9), name
    assert entry["residual_share"] == pytest.approx(want["Residual"], abs=1e-9)
    # The strong factor first, then its interaction, the null factor at the bottom with its interval at 0.
    assert shares["strong"]["share"] > shares["strong×mod"]["share"] > shares["null"]["share"]
    assert shares["strong"]["ci_low"] > 0.8 and shares["strong×mod"]["ci_low"] > 0.1
    assert shares["null"]["ci_low"] < 0.01 and shares["null"]["p_value"] > 0.05
    assert shares["null"]["ci_high"] < shares["strong"]["ci_low"]
    assert entry["largest_interaction"] == "strong×mod" and entry["refused"] is None


def test_the_refits_type_two_sums_of_squares_are_anova_lms_on_an_unbalanced_design():
    results, design = known_effects(seed=3)
    fit = A.factors.observations(results, design)
    effects, residual = fit.engine.sums(fit.y)
    table = anova.anova_table(fit.codes, fit.y, fit.factors, fit.terms)
    for k, name in enumerate(fit.names):
        assert effects[k, 0] == pytest.approx(table[name]["sum_sq"], abs=1e-9)
        assert fit.engine.df[k] == table[name]["df"]
    assert residual[0] == pytest.approx(table["Residual"]["sum_sq"], abs=1e-9)


def test_the_resample_keeps_each_cells_seeds_mean_and_variance():
    y = np.array([1.0, 2.0, 4.0, 10.0, 12.0, 7.0])
    cell = np.array([0, 0, 0, 1, 1, 2])
    draws = anova.resample(y, cell, n=20000, seed=1)
    assert np.allclose(draws[:, 5], 7.0)                                # one seed: nothing to resample
    assert draws[:, :3].mean() == pytest.approx(y[:3].mean(), abs=0.02)
    # Modified residuals: the resampled seeds' variance is, on average, the cell's own.
    assert draws[:, :3].var(axis=1, ddof=1).mean() == pytest.approx(np.var(y[:3], ddof=1), rel=0.03)
    assert np.array_equal(draws, anova.resample(y, cell, n=20000, seed=1))     # seeded


def test_what_an_empty_cell_and_missing_seeds_drop_and_a_design_too_empty_is_refused_in_one_line():
    results, design = known_effects()
    for c in design["cells"][:2]:                 # strong s0 with null n0: no seed of either cell has a value
        for i in A.group_by_name(results, c["group"])["runs"]:
            results["runs"][i]["metrics"]["best_val_loss"] = None
            results["runs"][i]["status"] = "diverged"
    results["groups"] = [dict(x, **A.summarise_group([results["runs"][i] for i in x["runs"]])) for x in results["groups"]]
    entry = A.factor_entries(results, [design])[0]
    assert entry["dropped"][0]["group"] == design["cells"][0]["group"] and "diverged" in entry["dropped"][0]["why"]
    assert entry["cells"][0]["n"] == entry["cells"][1]["n"] == 0
    assert [d["effect"] for d in entry["dropped_effects"]] == ["strong×null"]     # that combination has no value
    assert {e["effect"] for e in entry["effects"]} == {"strong", "null", "mod", "strong×mod", "null×mod"}
    assert entry["refused"] is None
    one_seed = results_from({c["group"]: [{"best_val_loss": float(k)}] for k, c in enumerate(design["cells"])})
    refused = A.factor_entries(one_seed, [design])[0]
    assert refused["refused"].startswith("too empty to fit: 12 values") and "\n" not in refused["refused"]
    assert refused["effects"] == [] and refused["residual_share"] is None


def test_matters_more_follows_the_shares_and_is_judged_with_the_family():
    results, design = known_effects()
    results["factors"] = A.factor_entries(results, [design])
    claims = [{"check": {"matters_more": "known", "factor": f, "than": t}} for f, t in
              (("strong", "null"), ("null", "strong"), ("null", "null×mod"))]
    judged = A.judge_claims(results, claims, A.Judging())
    assert [c["verdict"] for c in judged] == ["supported", "contradicted", "inconclusive"]
    imp = judged[0]["importance"]
    assert imp["ci_low"] > 0 and imp["difference"] == pytest.approx(imp["factor_share"] - imp["than_share"])
    assert judged[0]["family"] == 3 and judged[0]["p_adjusted"] >= judged[0]["p_value"]
    assert sorted(A.claim_groups(results, claims[0]["check"])) == sorted(c["group"] for c in design["cells"])


N = 600


def test_matters_more_gives_false_verdicts_at_most_at_alpha_where_nothing_differs(factor="a", than="b"):
    """calibrate's null world (every cell drawn from one distribution) at caps of 3, 5 and 8 seeds, with
    the looks of --decide; a three-level factor against a two-level one: the shares' different degrees of
    freedom must not tilt the verdicts."""
    over = {"a": ["x", "y", "z"], "b": [False, True]}
    cells = [{"levels": {"a": x, "b": y}, "group": f"{x}-{int(y)}@0.1"} for x, y in itertools.product(*over.values())]
    skeleton = {"groups": [{"group": c["group"], "variant": c["group"].split("@")[0], "lr": 0.1, "sweep": None,
                            "declared_seeds": 3} for c in cells],
                "factors": [{"name": "d", "metric": "best_val_loss", "over": over, "cells": cells}]}
    claim = [{"check": {"matters_more": "d", "factor": factor, "than": than}}]
    for cap in (3, 5, 8):
        out = calibrate(skeleton, claim, A.Judging(alpha=0.05), cap=cap if cap > 3 else None, n=N, seed=cap)
        assert out["family_rate"] <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / N), (cap, out)
        assert set(out["per_kind"]) == {"matters_more"}


def tiny_factorial_study() -> dict:
    """Dropout × learning rate on the scratch CNN, two seeds a cell: a factorial analysis that fits."""
    return {
        "title": "tiny factorial", "defaults": {"epochs": 2, "batch_size": 4, "seeds": 2},
        "profiles": {"demo": dict(TINY_PROFILE, test_per_class=4)},
        "sections": {"2": "Runs", "3": {"heading": "Which matters", "shows": ["factors", "claims"]}},
        "variants": {"plain": {"title": "Plain", "model": "scratch_cnn",
                               "runs": [{"lr": 0.05, "section": "2.1"}, {"lr": 0.01, "section": "2.2"}]},
                     "drop": {"title": "Dropout", "extends": "plain", "dropout": 0.5,
                              "runs": [{"lr": 0.05, "section": "2.3"}, {"lr": 0.01, "section": "2.4"}]}},
        "factors": [{"name": "drop-rate", "metric": "best_val_loss", "over": {"dropout": [0.0, 0.5], "lr": [0.05, 0.01]}}],
        "claims": [{"section": "3", "says": "The rate matters more than dropout.",
                    "check": {"matters_more": {"analysis": "drop-rate", "factor": "lr", "than": "dropout"}}}]}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("factors")
    study = write_study(tmp / "study.yaml", tiny_factorial_study())
    build = tmp / "build"
    dcnn_here("report", "--run-missing", "--no-pdf", "--study", str(study), "--build", str(build), "-j", "1", check=True)
    return study, build, json.loads((build / "results.json").read_text())


def test_results_json_holds_each_analysis_in_the_issues_shape_and_its_shares_are_anova_lms(tiny):
    _, _, r = tiny
    f = r["factors"][0]
    assert {"name", "metric", "over", "cells", "effects", "residual_share"} <= set(f)
    assert f["over"] == {"dropout": [0.0, 0.5], "lr": [0.05, 0.01]}
    assert [c["group"] for c in f["cells"]] == ["plain@0.05", "drop@0.05", "plain@0.01", "drop@0.01"] or \
        sorted(c["group"] for c in f["cells"]) == ["drop@0.01", "drop@0.05", "plain@0.01", "plain@0.05"]
    assert all(set(e) >= {"effect", "share", "ci_low", "ci_high", "p_value"} for e in f["effects"])
    assert f["refused"] is None and f["n"] == 8
    want = statsmodels_shares(r, f)
    for e in f["effects"]:
        assert e["share"] == pytest.approx(want[e["effect"]], abs=1e-9), e["effect"]
    assert f["residual_share"] == pytest.approx(want["Residual"], abs=1e-9)
    claim = r["claims"][0]
    assert claim["kind"] == "matters_more" and claim["check"] == {"matters_more": "drop-rate", "factor": "lr",
                                                                  "than": "dropout"}
    assert claim["importance"]["factor_share"] == pytest.approx(next(e["share"] for e in f["effects"]
                                                                     if e["effect"] == "lr"), abs=1e-9)


def test_the_report_shows_what_matters_most_and_latex_names_every_share(tiny):
    _, build, r = tiny
    html = (build / "report.html").read_text()
    assert "Which matters" in html and "</span> dropout × lr</h3>" in html    # the study's heading, the analysis'
    assert 'id="effects-drop-rate"' in html and "share (partial η²)" in html
    for k in range(len(r["factors"][0]["effects"])):
        assert f'data-ref="/factors/0/effects/{k}/share"' in html
    assert "each effect&#39;s share of the variance" in html and "The largest interaction, dropout×lr" in html
    numbers = (build / "latex" / "numbers.tex").read_text()
    assert "\\dcnndef{/factors/0/effects/0/share}" in numbers
    assert "\\dcnndef{/factors/drop-rate/effects/dropout/share}" in numbers
    assert "\\dcnndef{/factors/drop-rate/effects/dropout:lr/share}" in numbers
    assert (build / "latex" / "tables" / "effects-drop-rate.tex").exists()


def test_every_series_of_the_figures_differs_by_more_than_its_colour():
    from dcnn.report import factor_figures as ff

    points = [{"x": i, "line": j, "mean": i + j, "se": 0.1} for i in range(3) for j in range(4)]
    fig = ff.interaction_figure(points, "a", "b", ["0", "1", "2"], list("wxyz"), "loss")
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() != "None"]
    assert len({ln.get_marker() for ln in lines}) == 4 and len({str(ln.get_linestyle()) for ln in lines}) == 4
    assert {ln.get_color() for ln in lines} <= set(ff.OKABE_ITO)
    effects = [{"effect": "a", "share": 0.5, "ci_low": 0.4, "ci_high": 0.6, "interaction": False},
               {"effect": "a×b", "share": 0.2, "ci_low": 0.1, "ci_high": 0.3, "interaction": True}]
    fig = ff.shares_figure(effects, {"share": 0.1, "ci_low": 0.05, "ci_high": 0.15})
    markers = {ln.get_marker() for ln in fig.axes[0].get_lines() if ln.get_marker() not in ("None", None, "")}
    assert {"o", "s"} <= markers


def load(tmp_path, d):
    from dcnn.study.resolve import load_study

    return load_study(write_study(tmp_path / "study.yaml", d))


def bad(tmp_path, d) -> str:
    from dcnn.study.schema import StudyError

    with pytest.raises(StudyError) as err:
        load(tmp_path, d)
    assert "\n" not in str(err.value)
    return str(err.value).split(": ", 1)[1]


def test_the_cells_come_from_the_groups_settings_and_a_check_may_be_one_mapping(tmp_path):
    study = load(tmp_path, tiny_factorial_study())
    (design,) = study.factors
    assert {(c["levels"]["dropout"], c["levels"]["lr"]): c["group"] for c in design["cells"]} == {
        (0.0, 0.05): "plain@0.05", (0.5, 0.05): "drop@0.05", (0.0, 0.01): "plain@0.01", (0.5, 0.01): "drop@0.01"}
    assert study.file.claims[0].check.model_dump(exclude_none=True) == {"matters_more": "drop-rate", "factor": "lr",
                                                                         "than": "dropout"}


def test_a_design_that_cannot_be_derived_or_names_what_is_not_there_is_one_line(tmp_path):
    d = tiny_factorial_study()
    d["factors"][0]["over"]["lr"] = [0.05, 0.02]
    assert bad(tmp_path, d) == ("factors[0].over: no group with dropout 0, lr 0.02 agrees with the others in every "
                                "other setting, so the cells cannot be derived (add that run, or give cells:)")
    d = tiny_factorial_study()
    d["variants"]["wide"] = {"title": "Wider batches", "extends": "plain", "batch_size": 8,
                             "runs": [{"lr": 0.05, "section": "2.5"}, {"lr": 0.01, "section": "2.6"}]}
    d["variants"]["wide-drop"] = {"title": "Wider, dropout", "extends": "wide", "dropout": 0.5,
                                  "runs": [{"lr": 0.05, "section": "2.7"}, {"lr": 0.01, "section": "2.8"}]}
    assert bad(tmp_path, d).startswith("factors[0].over: the groups give more than one complete design")
    d["factors"][0]["cells"] = {"0/0.05": "wide@0.05", "0.5/0.05": "wide-drop@0.05", "0/0.01": "wide@0.01",
                                "0.5/0.01": "wide-drop@0.01"}
    assert [c["group"] for c in load(tmp_path, d).factors[0]["cells"]][:2] == ["wide@0.05", "wide-drop@0.05"]
    d["factors"][0]["cells"]["0.5/0.02"] = "wide@0.01"
    assert bad(tmp_path, d) == "factors[0].cells.0.5/0.02: '0.02' is not a level of lr (allowed: 0.05, 0.01)"
    d = tiny_factorial_study()
    d["factors"][0]["over"]["colour"] = ["red", "blue"]
    assert bad(tmp_path, d).startswith("factors[0].over.colour: 'colour' is not a setting the groups have")
    d = tiny_factorial_study()
    d["claims"][0]["check"] = {"matters_more": "drop-rate", "factor": "lr", "than": "momentum"}
    assert bad(tmp_path, d) == ("claims[0].check: than: 'momentum' is not an effect of drop-rate (allowed: dropout, "
                                "lr, dropout×lr)")
    d["claims"][0]["check"] = {"matters_more": "rates", "factor": "lr", "than": "dropout"}
    assert bad(tmp_path, d) == "claims[0].check: no factorial analysis 'rates' (allowed: drop-rate)"
    d["claims"][0]["check"] = {"matters_more": {"analysis": "drop-rate", "factor": "lr", "than": "lr", "by": 1}}
    assert bad(tmp_path, d) == ("claims[0].check: 'matters_more' as a mapping takes analysis, factor, than "
                                "(got analysis, factor, than, by)")


def test_the_shipped_studies_declare_their_analyses_and_the_default_its_section_7_claim():
    from conftest import ROOT
    from dcnn.study.resolve import load_study

    default = load_study(ROOT / "study.yaml")
    (rates,) = default.factors
    assert rates["over"] == {"lr": [0.02, 0.002], "frozen_conv_layers": [4, 7, 10, 13]}
    assert {c["group"] for c in rates["cells"]} == {f"freeze-depth{s}-k{k}@{lr}" for s, lr in (("", 0.02), ("-slow", 0.002))
                                                    for k in (4, 7, 10, 13)}
    claim = next(c for c in default.file.claims if c.check.matters_more)
    assert claim.section == "7" and (claim.check.factor, claim.check.than) == ("lr", "frozen_conv_layers")
    small = load_study(ROOT / "studies" / "small-models.yaml", "digits10")
    assert len(small.factors[0]["cells"]) == 12 and list(small.factors[0]["over"]) == ["model", "augment", "lr"]
    fine = load_study(ROOT / "studies" / "fine-tuning.yaml")
    assert sorted(c["group"] for c in fine.factors[0]["cells"]) == sorted(
        f"{v}@{lr:g}" for v in ("baseline", "freeze-first15", "freeze-all") for lr in (0.001, 0.0001))


def test_the_fine_tuning_study_shows_what_matters_most_before_anything_is_trained(tmp_path):
    """Rendered from an empty cache: the section is there, and says in one line why nothing was fitted."""
    from conftest import ROOT

    build = tmp_path / "build"
    dcnn_here("report", "--no-pdf", "--study", str(ROOT / "studies" / "fine-tuning.yaml"), "--build", str(build),
              check=True)
    html = (build / "report.html").read_text()
    assert '<span class="num">6</span> What matters most</h2>' in html
    assert "The learning rate against the layers frozen" in html
    assert "Not fitted: no seed of any cell has a value yet." in html
    assert "Fine-tuning the learning rate matters more than which layers are frozen" in html


def test_the_default_report_states_the_verdict_of_section_7s_claim_and_its_shares_are_anova_lms(paper_shaped):
    import re

    _, build = paper_shaped
    r = json.loads((build / "results.json").read_text())
    html = (build / "report.html").read_text()
    ci = next(i for i, c in enumerate(r["claims"]) if c["kind"] == "matters_more")
    claim = r["claims"][ci]
    said = re.search(rf'id="claim-{ci + 1}">\s*<p class="says">.*?<span class="verdict (\w+)">(\w+)</span> '
                     r'<a href="#s7">§7</a>: Tuning the learning rate matters more than choosing which layers to freeze.',
                     html)
    assert said and said.group(1) == said.group(2) == claim["verdict"]
    assert "In the analysis rate-and-freezing of the test loss at the best epoch" in html
    (f,) = r["factors"]
    assert f["over"] == {"lr": [0.02, 0.002], "frozen_conv_layers": [4, 13]}        # (the toy study's depths)
    assert "The learning rate against the layers frozen" in html
    if f["refused"] is None:
        want = statsmodels_shares(r, f)
        assert all(e["share"] == pytest.approx(want[e["effect"]], abs=1e-9) for e in f["effects"])
    else:
        assert claim["reason"] == "not_fitted" and f"Not fitted: {f['refused']}." in html
