"""Verdicts that hold: each finding of the statistical audit of the claims, as a case that the old code
got wrong (the numbers are the audit's). Error rates over thousands of studies are in
test_calibration.py; the locked plan of looks end to end in test_decide.py; the bounds of the
analysis block in test_schema.py."""
import math

import numpy as np
import pytest
from scipy import stats

import dcnn
from dcnn import analysis as A
from dcnn.analysis.synthetic import add_run, results_from
from conftest import dcnn as run_dcnn, dcnn_here
from test_claims import hist, judged

X, Y = "x@0.1", "y@0.1"


def values(**groups):
    """A results dict whose groups hold these best validation losses, one seed each."""
    return results_from({g.replace("_", "@0."): [{"best_val_loss": v} for v in vs] for g, vs in groups.items()})


def overfitting(*margins):
    """Runs whose overfits margin (its kind's margin) is each of ``margins``: the final rise beyond 10 % of the best."""
    return [{"overfit_gap": 1.0, "final_rise": 0.05 + m, "best_val_loss": 0.5, "overfits": m > 0} for m in margins]


def claim(r, check, **kw):
    return A.judge_claims(r, [{"check": check}], A.Judging(**{k: kw.pop(k) for k in ("alpha",) if k in kw}), **kw)[0]


# 1. "Similar" was supported by the absence of evidence.
def test_similar_is_not_supported_by_a_non_significant_difference():
    j = dcnn.judge("similar", [1.0, 1.1, 0.9], [1.05, 1.25, 0.95], margin=0.108)
    assert j["verdict"] == "inconclusive"                    # the old rule: p = 0.50 and means within 10 %: supported
    assert j["ci"][0] < -0.108 and j["ci"][1] > 0.108 and j["confidence"] == pytest.approx(0.95)   # 1 − the level
    shown = dcnn.judge("similar", [1.00, 1.01, 0.99, 1.00], [1.02, 1.01, 1.03, 1.02], margin="10%")
    assert shown["verdict"] == "supported" and shown["scale"] == "ratio" and 0.9 < shown["ci"][0] < shown["ci"][1] < 1.1
    far = dcnn.judge("similar", [1.00, 1.01, 0.99], [1.50, 1.52, 1.49])
    assert far["verdict"] == "contradicted"


# 2. --decide made "similar" easier to support: testing at alpha / 3 made "no significant difference" likelier.
def test_a_smaller_alpha_never_makes_similar_easier_to_support():
    a, b = [1.00, 1.01, 0.99], [1.05, 1.06, 1.04]               # p = 0.026 for a difference
    assert dcnn.judge("lower", a, b)["verdict"] == "supported"
    at_alpha, per_look = dcnn.judge("similar", a, b), dcnn.judge("similar", a, b, looks=3)
    assert at_alpha["verdict"] == "supported"                  # inside ±10 % of b's mean, shown
    assert per_look["verdict"] in ("supported", "inconclusive") and per_look["ci"][0] < at_alpha["ci"][0]
    rng = np.random.default_rng(0)
    check = {"similar": "best_val_loss", "a": X, "b": Y}
    decided = 0
    for _ in range(300):                                       # monotone: decided at alpha/3 ⇒ the same at alpha
        r = results_from({X: [{"best_val_loss": v} for v in rng.normal(1.0, 0.02, 3)],
                          Y: [{"best_val_loss": v} for v in rng.normal(1.0 + rng.uniform(-0.2, 0.2), 0.02, 3)]})
        per_look, at_alpha = (A.judge_claims(r, [{"check": check}], A.Judging(), max_seeds=2 + k,
                                             uncertainty=False)[0]["verdict"] for k in (3, 1))
        if per_look != "inconclusive":
            assert at_alpha == per_look
            decided += 1
    assert decided > 50


# 3. Every-seed claims were counts, not tests.
def test_an_every_seed_claim_is_a_test_of_its_margin_not_a_count():
    e = claim(results_from({X: overfitting(0.001, 0.45, 0.002)}), {"overfits": X})
    assert e["count"] == 3 and e["margin"]["values"] == pytest.approx([0.001, 0.45, 0.002], abs=1e-9)
    assert e["verdict"] == "inconclusive"                      # the old count said supported


def test_an_undecided_claim_is_judged_on_every_seed_its_later_look_adds():
    r = results_from({X: overfitting(0.30, 0.10, 0.31)}, {X: 3})
    first = A.judge_claims(r, [{"check": {"overfits": X}}], A.Judging(), max_seeds=5)[0]
    assert first["verdict"] == "inconclusive" and first["look"] == 1 and first["looks"] == 3
    for run in overfitting(0.30, 0.31):                        # two more seeds that overfit
        add_run(r, X, run)
    e = A.judge_claims(r, [{"check": {"overfits": X}}], A.Judging(), max_seeds=5)[0]
    assert e["verdict"] == "supported" and e["look"] == 3 and e["count"] == 5 and e["n"] == 5
    assert e["alpha_per_look"] == pytest.approx(0.05 / 5)      # a later look spends one seed's share of alpha


def test_a_mixed_group_can_be_decided():
    e = claim(results_from({X: overfitting(0.50, 0.60, -0.01, 0.55, 0.58, 0.52)}), {"overfits": X})
    assert e["count"] == 5 and e["n"] == 6 and e["verdict"] == "supported"   # the count could never decide it


# 4. No multiplicity control.
def test_the_claims_of_a_study_are_corrected_together():
    r = values(a_1=[0.30, 0.315, 0.33], b_1=[0.40, 0.415, 0.43], c_1=[0.31, 0.325, 0.34], d_1=[0.41, 0.425, 0.44])
    checks = [{"check": {"lower": "best_val_loss", "a": "a@0.1", "b": "b@0.1"}},
              {"check": {"lower": "best_val_loss", "a": "c@0.1", "b": "d@0.1"}}]
    alone = [A.judge_claims(r, [c], A.Judging(alpha=0.02))[0] for c in checks]
    assert [e["verdict"] for e in alone] == ["supported", "supported"]          # p = 0.015 each, alpha 0.02
    together = A.judge_claims(r, checks, A.Judging(alpha=0.02), correction="holm")
    assert [e["p_adjusted"] for e in together] == pytest.approx([2 * e["p_value"] for e in alone])
    assert [e["verdict"] for e in together] == ["inconclusive", "inconclusive"]   # Holm: 0.028 is not below 0.02
    assert [e["verdict"] for e in A.judge_claims(r, checks, A.Judging(alpha=0.02), correction="none")] == [
        "supported", "supported"]
    bonf = A.judge_claims(r, checks, A.Judging(), correction="bonferroni")
    assert bonf[0]["p_adjusted"] == pytest.approx(2 * alone[0]["p_value"]) and bonf[0]["family"] == 2


def test_one_counter_example_among_many_contradicts_only_after_correction():
    rng = np.random.default_rng(3)
    groups = {f"g{k}_1": list(rng.normal(1.0, 0.1, 3)) for k in range(12)}
    groups["g0_1"] = [0.95, 1.00, 1.05]
    groups["g5_1"] = [0.80, 0.82, 0.81]                          # lower than g0: p ≈ 0.02, one of 11
    r = values(**groups)
    check = {"best": "best_val_loss", "a": "g0@0.1", "among": [f"g{k}@0.1" for k in range(1, 12)]}
    raw = A.compare(r, "g0@0.1", "g5@0.1")["p_value"]
    assert raw < 0.05
    e = claim(r, check)
    assert e["verdict"] == "inconclusive" and e["n_beating"] == 0   # 11 × p is not below alpha


def test_comparisons_carry_benjamini_hochberg_q_values(paper_shaped):
    from conftest import load_results

    r = load_results(paper_shaped[1])
    with_p = [c for c in r["comparisons"] if c["p_value"] is not None]
    from statsmodels.stats.multitest import multipletests
    q = multipletests([c["p_value"] for c in with_p], method="fdr_bh")[1]
    assert [c["q_value"] for c in with_p] == pytest.approx(list(q))
    assert r["study"]["methods"]["n_comparisons"] == len(with_p)


# 5. Power assumed Student's equal-variance test while the verdicts use Welch's.
def test_seeds_needed_are_never_the_seeds_already_there():
    j = dcnn.judge("lower", [.500, .501, .502], [.70, .85, 1.00])   # p = 0.056: undecided
    assert j["verdict"] == "inconclusive" and j["seeds_needed"] > 3    # Student's power said 3 would do
    rng = np.random.default_rng(0)
    x = rng.normal(0, np.std([.500, .501, .502], ddof=1), (20_000, 3))
    y = rng.normal(j["detectable_difference"], np.std([.70, .85, 1.00], ddof=1), (20_000, 3))
    power = (stats.ttest_ind(x, y, axis=1, equal_var=False).pvalue < 0.05).mean()
    assert power == pytest.approx(0.8, abs=0.015)                      # Student's figure had real power 0.52


# 7. Degenerate seeds decided claims.
def test_a_claim_on_a_group_with_collapsed_seeds_holds_only_with_and_without_them():
    def run(val, collapsed=False):
        h = hist(val)
        if collapsed:
            for row in h:
                row.update(val_top_share=1.0, val_logit_range=0.0)
        return h
    from test_claims import results_from as from_histories
    r = from_histories({X: [[1.61, 1.61], [1.61, 1.609], [1.6, 1.5]], Y: [[1.0, 0.3], [1.0, 0.31], [1.0, 0.32]]})
    for i, h in ((0, run([1.61, 1.61], True)), (1, run([1.61, 1.609], True))):
        r["runs"][i].update(history=h, metrics=A.compute_metrics(h, 5))
    r["groups"][0].update(A.summarise_group([r["runs"][i] for i in r["groups"][0]["runs"]]))
    assert r["groups"][0]["n_collapsed"] == 2
    e = claim(r, {"higher": "best_val_loss", "a": X, "b": Y})
    assert e["verdict"] == "inconclusive" and e["reason"] == "degenerate"      # the old code: supported
    assert e["degenerate"] == {"groups": {X: 2}, "candidate_with": "supported", "candidate_without": None,
                               "p_value_without": None}
    assert e["comparison"]["a_degenerate"] == 2 and e["comparison"]["b_degenerate"] == 0


def test_chance_and_collapse_follow_the_validation_classes():
    # A network right on a 98.5 % majority class is not collapsed; one that names only it is.
    accurate = [{"epoch": 1, "train_loss": 0.1, "val_loss": 0.05, "val_acc": 0.995, "val_top_share": 0.985,
                 "val_logit_range": 3.0}]
    counts = [197, 3]
    assert A.compute_metrics(accurate, 2)["collapsed"] is True                 # as if balanced: misfires
    assert A.compute_metrics(accurate, 2, class_counts=counts)["collapsed"] is False
    blind = [dict(accurate[0], val_top_share=1.0)]
    assert A.compute_metrics(blind, 2, class_counts=counts)["collapsed"] is True
    # A predictor that knows only the 80/20 prior: its loss is the prior's entropy, not a lesson learned.
    prior = [{"epoch": 1, "train_loss": 0.5, "val_loss": -(0.8 * math.log(0.8) + 0.2 * math.log(0.2)),
              "val_acc": 0.8, "val_top_share": 1.0, "val_logit_range": 0.0}]
    balanced = A.compute_metrics(prior, 2)
    assert balanced["learned"] and balanced["collapsed"]                       # both at once: the finding
    m = A.compute_metrics(prior, 2, class_counts=[80, 20])
    assert m["chance_loss"] == pytest.approx(stats.entropy([0.8, 0.2])) and not m["learned"] and m["collapsed"]
    assert A.compute_metrics(prior, 2, class_counts=[50, 50])["chance_loss"] == math.log(2)   # exactly ln C


# 8. The "deciding" comparison of a contradicted rank claim was the largest-p one.
def test_a_contradicted_claim_names_the_counter_example():
    r = values(a_1=[0.50, 0.52, 0.51], b_1=[0.20, 0.21, 0.22], c_1=[0.55, 0.65, 0.45])
    e = claim(r, {"best": "best_val_loss", "a": "a@0.1", "among": ["b@0.1", "c@0.1"]})
    assert e["verdict"] == "contradicted"
    assert (e["deciding"]["a"], e["deciding"]["b"]) == ("a@0.1", "b@0.1")      # not c, whose p is the largest
    assert e["deciding_corrected_p"] == pytest.approx(min(1, 2 * e["deciding"]["p_value"]))


# 7 (the public judge) and its command line.
def test_the_public_judge_and_its_command_line():
    j = dcnn.judge("lower", [0.30, 0.32, 0.31], [0.60, 0.62, 0.59])
    assert {"verdict", "p_value", "ci", "hedges_g", "detectable_difference", "seeds_needed"} <= set(j)
    assert j["verdict"] == "supported" and len(j["ci"]) == 2 and j["seeds_needed"] is None
    assert dcnn.judge("higher", [0.30, 0.32, 0.31], [0.60, 0.62, 0.59])["verdict"] == "contradicted"
    out = run_dcnn("judge", "similar", "--a", "1.0,1.1,0.9", "--b", "1.05,1.25,0.95", "--margin", "0.1", check=True)
    assert out.stdout.startswith("similar: inconclusive\n") and "margin ±0.1" in out.stdout
    js = run_dcnn("judge", "lower", "--a", "1,2", "--b", "3,4", "--alpha", "0.1", "--json", check=True)
    import json
    assert json.loads(js.stdout)["alpha"] == 0.1
    for args, message in ((["--a", "1", "--b", "1,2"], "error: a: needs at least two values, one per seed (got 1)"),
                          (["--a", "1,nan", "--b", "1,2"], "error: a: 'nan' is not a finite number"),
                          (["--a", "1,x", "--b", "1,2"], "error: a: 'x' is not a number"),
                          (["--a", "1,2", "--b", "1,2", "--margin", "0"],
                           "error: margin: '0' must be positive (and a percentage below 100 %)"),
                          (["--a", "1,2", "--b", "1,2", "--margin=-5%"],
                           "error: margin: '-5%' must be positive (and a percentage below 100 %)"),
                          (["--a", "1,2", "--b", "1,2", "--alpha", "2"], "error: alpha: 2.0 must be in (0, 0.5]")):
        bad = run_dcnn("judge", "similar", *args)
        assert bad.returncode == 2 and bad.stderr.strip() == message and bad.stdout == "", (args, bad.stderr)


def test_judge_needs_no_torch():
    import subprocess
    import sys
    code = "import sys, dcnn; dcnn.judge('lower', [1, 2, 3], [2, 3, 4]); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


# 9 (calibration) end to end: the command, what it keeps, and the report citing it.
def test_calibrate_prints_the_false_verdict_rate_and_the_report_cites_it(paper_shaped, tmp_path):
    import json
    import shutil

    from conftest import load_results

    study, built = paper_shaped
    build = tmp_path / "build"
    shutil.copytree(built, build)
    out = dcnn_here("calibrate", "--n", "20", "--json", "--study", str(study), "--build", str(build), check=True)
    cal = json.loads(out.stdout)
    assert cal["n"] == 20 and 0 <= cal["family_rate"] <= 1 and cal["decide"] is not None
    assert set(cal["per_kind"]) == {c["check"] and next(k for k in c["check"] if k in A.claims.CLAIM_KINDS)
                                    for c in load_results(built)["claims"]}
    text = dcnn_here("calibrate", "--n", "10", "--study", str(study), "--build", str(build), check=True).stdout
    assert "synthetic studies per world" in text and "any false verdict, seeds as declared: " in text
    assert "  nothing differs " in text and "least favourable to claim" in text
    dcnn_here("report", "--no-pdf", "--study", str(study), "--build", str(build), check=True)
    r = load_results(build)
    assert r["study"]["calibration"]["n"] == 10
    import re
    import html
    words = html.unescape(re.sub(r"<[^>]+>", "", (build / "report.html").read_text()))
    assert "Simulated in worlds built on this study's own seeds (python -m dcnn calibrate: 10 studies" in words
    none = dcnn_here("calibrate", "--n", "10", "--correction", "none", "--study", str(study), "--build", str(build),
                    check=True)
    assert "correction none" in none.stdout
    dcnn_here("report", "--no-pdf", "--study", str(study), "--build", str(build), check=True)
    assert load_results(build)["study"]["calibration"]["correction"] == "holm"         # an override is not kept
    bad = dcnn_here("calibrate", "--n", "3", "--study", str(study), "--build", str(build))
    assert bad.returncode == 2 and bad.stderr.strip() == ("dcnn calibrate: error: argument --n: 3 is out of range for "
                                                          "the synthetic studies (allowed: 10 to 100000) (see --help)")
