"""The second statistical audit of the verdicts (issue 29): each of its nine findings as the audit's case
or simulation, seeded, which the judging before this change got wrong. The error rates of every kind
over thousands of studies are in test_calibration.py."""
import json
import math
import re

import numpy as np
import pytest
import yaml
from scipy import stats

import dcnn
from dcnn import analysis as A
from dcnn.analysis.numbers import Num
from dcnn.analysis.synthetic import add_run, results_from
from conftest import minimal_study, write_study
from test_claims import results_from as from_histories

X, Y, Z = "x@0.1", "y@0.1", "z@0.1"
COLLAPSED = [1.62, 1.61]           # a curve at chance (with the collapse flags set below)


def _collapse(r: dict, group: str) -> dict:
    """Every seed of ``group`` collapsed (its outputs stopped depending on the input)."""
    for i in A.group_by_name(r, group)["runs"]:
        for row in r["runs"][i]["history"]:
            row.update(val_top_share=1.0, val_logit_range=0.0)
        r["runs"][i]["metrics"] = A.compute_metrics(r["runs"][i]["history"], 5)
    g = A.group_by_name(r, group)
    g.update(A.summarise_group([r["runs"][i] for i in g["runs"]]))
    return r


def study(r: dict, checks: list[dict], alpha: float = 0.05, cap=None, correction: str = "holm", **kw) -> list[dict]:
    """The claims judged together, as a study with max_seeds ``cap`` judges them."""
    return A.judge_claims(r, [{"check": c} for c in checks], A.Judging(alpha=alpha), correction=correction,
                          max_seeds=cap, **kw)


def words(sentence) -> str:
    return "".join(p.text if isinstance(p, Num) else p for p in sentence)


def _overfitting(*margins):
    return [{"overfit_gap": 1.0, "final_rise": 0.05 + m, "best_val_loss": 0.5, "overfits": m > 0} for m in margins]


def _open_claims(k: int) -> tuple[dict, list[dict]]:
    """A group and k claims about it that no seeds decide (their margins average about zero)."""
    return {Z: _overfitting(0.2, -0.21, 0.01)}, [{"overfits": Z}] * k


# 1. A group that diverged in every seed decided claims with certainty (p = 0).
def test_1_a_diverged_group_is_the_worst_outcome_of_an_exact_rank_test_not_a_certainty():
    # §3.1: VGG16 diverged in 3 of 3 seeds, the scratch CNN stayed at chance (collapsed) in 4 of 4.
    r = _collapse(from_histories({X: [[], [], []], Y: [COLLAPSED] * 4}), Y)
    c = A.compare(r, X, Y)
    assert c["p_value"] == pytest.approx(2 / 35) and c["test"] == "rank" and c["side"] == "higher"
    e = study(r, [{"higher": "best_val_loss", "a": X, "b": Y}])[0]
    assert (e["candidate"], e["verdict"]) == ("supported", "inconclusive")     # the old rule: supported, p = 0
    # two collapsed groups still cannot speak to the setting
    both = _collapse(_collapse(from_histories({X: [COLLAPSED] * 3, Y: [COLLAPSED] * 4}), X), Y)
    assert A.compare(both, X, Y)["verdict"] == "both_collapsed"
    # seven seeds a side would pass Holm's first step over the study's 15 claims (0.05 / 2 / 15), six would not
    for n, decided in ((6, False), (7, True)):
        r = from_histories({X: [[]] * n, Y: [[1.0, 0.3 + 0.01 * k] for k in range(n)]})
        assert A.compare(r, X, Y)["p_value"] == pytest.approx(2 / math.comb(2 * n, n))
        e = study(r, [{"higher": "best_val_loss", "a": X, "b": Y}], alpha=0.05 / 30)[0]
        assert (e["verdict"] == "supported") == decided


def test_1_where_both_groups_diverge_alike_no_verdict_is_certain():
    """Nothing differs, every seed of either group diverges with probability 1/2: the old rule said
    "higher" whenever one group lost every seed and the other none (1 in 32 studies), at any level."""
    rng, alpha, n = np.random.default_rng(1), 0.0125, 1000
    check = {"higher": "best_val_loss", "a": X, "b": Y}
    false = 0
    for _ in range(n):
        seeds = {g: [[] if rng.random() < 0.5 else [1.0, float(rng.normal(0.5, 0.1))] for _ in range(3)]
                 for g in (X, Y)}
        false += study(from_histories(seeds), [check], alpha=alpha)[0]["verdict"] != "inconclusive"
    assert false / n <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / n), false


# 2. Welch's test at three seeds was anti-conservative at the small levels Holm and the looks use.
def test_2_welchs_statistic_is_judged_at_hsus_degrees_of_freedom_and_keeps_its_level():
    rng, n = np.random.default_rng(29), 20_000
    x, y = rng.normal(0, 10, (n, 3)), rng.normal(0, 1, (n, 3))     # one group ten times noisier (10.6 in the study)
    welch = stats.ttest_ind(x, y, axis=1, equal_var=False)
    p = np.array([A.welch(list(a), list(b))[0] for a, b in zip(x, y)])
    alpha = 0.0125                                                 # one look of the study's four
    bound = alpha + 3 * math.sqrt(alpha * (1 - alpha) / n)
    assert (welch.pvalue < alpha).mean() > bound                   # Welch–Satterthwaite: 1.5 × alpha
    assert (p < alpha).mean() <= bound
    assert p[:50] == pytest.approx(2 * stats.t.sf(np.abs(welch.statistic[:50]), 2), rel=1e-9)   # t at min(n) − 1
    # Mickey & Brown's bound at every ratio of the spreads and every level the study uses (400,000 draws each)
    from dcnn.analysis.inference import guarded_p
    for ratio in (1, 3, 10, 30, 300):
        x, y = rng.normal(0, ratio, (400_000, 3)), rng.normal(0, 1, (400_000, 6))
        t = stats.ttest_ind(x, y, axis=1, equal_var=False).statistic
        for alpha in (0.05, 0.0125, 0.05 / 4 / 15):
            rate = (guarded_p(t, 3, 6) < alpha).mean()
            assert rate <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / 400_000), (ratio, alpha, rate / alpha)


# 3. calibrate did not simulate this study.
def _study_like() -> tuple[dict, list[dict]]:
    """Groups as the shipped study has them: one that diverged in every seed, one that collapsed, one with
    one diverged seed, and spreads that differ; a similar, a best and an overfits claim."""
    W = "w@0.1"
    r = from_histories({X: [[1.0, 0.30, 0.35], [1.0, 0.42, 0.50], [1.0, 0.36, 0.41]],
                        Y: [[1.0, 0.33, 0.36], [1.0, 0.31, 0.33], [], [1.0, 0.32, 0.36]],
                        Z: [[], [], []], W: [COLLAPSED + [1.61]] * 3})
    return _collapse(r, W), [{"similar": "best_val_loss", "a": X, "b": Y},
                             {"best": "best_val_loss", "a": X, "among": [Y, Z, W]}, {"overfits": X}]


def test_3_calibrate_draws_the_studys_divergence_collapse_spreads_and_correlations():
    from dcnn.analysis.world import study_world

    r, checks = _study_like()
    w = study_world(r, checks)
    assert (w.p_lost, w.p_collapsed) == (pytest.approx(4 / 13), pytest.approx(3 / 13))   # as the study's seeds
    own = [A.group_by_name(r, g)["metrics"]["best_val_loss"]["std"] for g in (X, Y)]
    assert w.spread(Z, "best_val_loss") == pytest.approx(float(np.median(own)))           # not 1: the others'
    rng = np.random.default_rng(3)
    draws = [w.draw(rng, X) for _ in range(4000)]
    healthy = [d["metrics"] for d in draws if d["status"] == "complete" and not d["metrics"]["collapsed"]]
    assert sum(d["status"] == "diverged" for d in draws) / 4000 == pytest.approx(4 / 13, abs=0.03)
    # the best validation loss and the overfits margin of one seed stay coupled as in the study
    tol = 0.01
    margin = [A.claim_kind and A.claims.CLAIM_KINDS["overfits"].margin(m, {}, tol) for m in healthy]
    assert abs(np.corrcoef([m["best_val_loss"] for m in healthy], margin)[0, 1]) > 0.3


def test_3_calibrate_counts_false_similar_and_best_where_they_are_least_favoured():
    """Where nothing differs a false "best" needs every comparison to come out a's way and a false
    "similar" cannot happen at all; a tied rival and a difference at the margin are where they can."""
    from dcnn.analysis.calibration import calibrate

    groups = (X, Y, Z)
    skeleton = {"groups": [{"group": g, "variant": g[0], "lr": 0.1, "sweep": None, "declared_seeds": 8} for g in groups]}
    how, n = A.Judging(alpha=0.05), 400
    best = calibrate(skeleton, [{"check": {"best": "best_val_loss", "a": X, "among": [Y, Z]}}], how, cap=None, n=n)
    names = [w["world"] for w in best["worlds"]]
    assert names == ["nothing differs", "least favourable to claim 1 (best)"]
    bound = 0.05 + 3 * math.sqrt(0.05 * 0.95 / n)
    assert best["worlds"][1]["family_rate"] > 0.005 and best["family_rate"] <= bound, best["worlds"]
    similar = calibrate(skeleton, [{"check": {"similar": "best_val_loss", "a": X, "b": Y, "margin": 1.0}}], how,
                        cap=None, n=n)
    assert similar["worlds"][1]["world"] == "least favourable to claim 1 (similar)"
    assert similar["worlds"][1]["per_kind"]["similar"]["rate"] > similar["worlds"][0]["per_kind"]["similar"]["rate"]
    assert similar["family_rate"] <= bound


# 4. The looks' union bound failed when groups grew out of step.
def test_4_a_decided_claim_keeps_its_verdict_when_its_groups_grow_for_another():
    low, high = [{"best_val_loss": v} for v in (0.30, 0.31, 0.32)], [{"best_val_loss": v} for v in (0.60, 0.61, 0.62)]
    r = results_from({X: low, Y: high, Z: high})
    checks = [{"lower": "best_val_loss", "a": X, "b": Y}, {"lower": "best_val_loss", "a": Y, "b": Z}]
    first = study(r, checks, cap=6)
    assert first[0]["verdict"] == "supported" and first[1]["verdict"] == "inconclusive"
    for v in (0.10, 0.05, 0.02):                     # y grows for the second claim, with seeds that would overturn the first
        add_run(r, Y, {"best_val_loss": v})
        add_run(r, Z, {"best_val_loss": 0.61})
    later = study(r, checks, cap=6)
    assert later[0]["verdict"] == "supported" and later[0]["look"] == 1 and later[0]["seeds"] == {X: 3, Y: 3}
    assert later[1]["look"] == 4 and later[1]["seeds"] == {Y: 6, Z: 6}


def test_4_every_claim_is_tested_at_no_more_looks_than_planned_whichever_groups_grow():
    """300 null studies of three claims sharing groups, grown as --decide grows them: each claim is judged
    on at most K = 4 sets of seeds, and no verdict ever changes once given."""
    from dcnn.analysis.world import World

    checks = [{"lower": "best_val_loss", "a": X, "b": Y}, {"lower": "best_val_loss", "a": Y, "b": Z},
              {"similar": "best_val_loss", "a": X, "b": Z, "margin": 0.5}]
    world, rng = World(checks, sd={(X, "best_val_loss"): 0.2}), np.random.default_rng(4)
    for _ in range(300):
        r = results_from({g: [world.draw(rng, g) for _ in range(3)] for g in (X, Y, Z)}, {X: 3, Y: 3, Z: 3})
        seen, given = [set() for _ in checks], [None] * len(checks)
        while True:
            r["claims"] = study(r, checks, cap=6, uncertainty=False)
            for i, c in enumerate(r["claims"]):
                seen[i].add(tuple(sorted(c["seeds"].items())))
                if given[i] is not None:
                    assert c["verdict"] == given[i]
                elif c["verdict"] != "inconclusive":
                    given[i] = c["verdict"]
            grow = A.groups_to_grow(r, 6)
            if not grow:
                break
            for g in grow:
                add_run(r, g, world.draw(rng, g))
        assert max(len(s) for s in seen) <= 4, seen


# 5. "Seeds needed" and the futility rule used one look's alpha before Holm.
def test_5_seeds_needed_and_futility_are_at_the_claims_level():
    # §5.1: the scratch CNN still improving at 0.002, among the study's 15 claims, 4 looks up to 6 seeds
    margins = [0.2689986515234874, 0.25187688910970757, 0.4357082469231103]
    z, others = _open_claims(14)
    r = results_from({X: [{"last_gain": 0.01 + m, "last_epoch": 20} for m in margins], **z}, {X: 3, Z: 3})
    e = study(r, [{"still_improving": X}] + others, cap=6)[0]
    assert e["verdict"] == "inconclusive" and e["level"] == pytest.approx(0.05 * 3 / 6 / 15)
    assert e["futile"] and e["final"]                                  # power at 6 seeds below 0.2: not grown
    n, g = e["margin"]["needed_seeds"], e["margin"]["hedges_g"]
    rng = np.random.default_rng(5)
    power = lambda k: (stats.ttest_1samp(rng.normal(g, 1, (20_000, k)), 0, axis=1).pvalue < e["level"]).mean()  # noqa
    assert power(n) >= 0.78 and power(n - 1) < 0.82, (n, power(n), power(n - 1))
    # §6.3: freezing all features against the second 15, decided with how many seeds at its level?
    a, b = [1.05569287109375, 1.150345458984375, 0.9155401000976563], [0.45910540771484376, 0.21794976806640626,
                                                                        0.3441388244628906]
    r = results_from({X: [{"best_val_loss": v} for v in a], Y: [{"best_val_loss": v} for v in b], **z})
    e = study(r, [{"lower": "best_val_loss", "a": X, "b": Y}] + others, cap=6)[0]
    n, c = e["comparison"]["needed_seeds"], e["comparison"]
    shrunk = abs(c["hedges_g"]) * math.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
    sims = lambda k: (2 * stats.t.sf(np.abs(stats.ttest_ind(rng.normal(shrunk, np.std(a, ddof=1), (20_000, k)),  # noqa
                      rng.normal(0, np.std(b, ddof=1), (20_000, k)), axis=1, equal_var=False).statistic), k - 1)
                      < e["level"]).mean()
    assert n > 4 and sims(n) >= 0.78 and sims(n - 1) < 0.82, (n, sims(n), sims(n - 1))


# 6. Words that disagreed with their numbers.
def test_6_an_exploratory_comparison_says_lower_only_when_its_q_value_is_below_alpha():
    rng = np.random.default_rng(6)
    groups = {f"g{k}@0.1": [{"best_val_loss": v} for v in rng.normal(1.0, 0.05, 3)] for k in range(9)}
    groups["base@0.1"] = [{"best_val_loss": v} for v in (1.00, 1.01, 0.99)]
    groups["g0@0.1"] = [{"best_val_loss": v} for v in (0.92, 0.93, 0.94)]     # p = 0.013, alone among nine
    r = results_from(groups)
    r["comparisons"] = [A.compare(r, g, "base@0.1", uncertainty=False) for g in groups if g != "base@0.1"]
    raw = [c["verdict"] for c in r["comparisons"]]
    A.settle_family(r["comparisons"], 0.05)
    c = r["comparisons"][0]
    assert raw[0] == "lower" and c["p_value"] < 0.05 <= c["q_value"] and c["verdict"] == "within_noise"
    assert all((c["verdict"] in ("lower", "higher")) == (c["q_value"] < 0.05) for c in r["comparisons"])
    r["study"]["analysis"]["alpha"] = 0.05
    for c in r["comparisons"]:
        c["magnitude"] = abs(c["difference"])
    assert "is not significant once corrected for the report's comparisons (p = " in words(
        A.comparison_sentence(r, 0, "x", "base", "2.1"))


def test_6_a_claims_words_and_intervals_are_at_its_level():
    # §6.3 again: p = 0.002 by Welch's degrees of freedom, 0.019 by Hsu's; inconclusive among 15 claims
    a, b = [1.0557, 1.1503, 0.9155], [0.4591, 0.2179, 0.3441]
    z, others = _open_claims(14)
    r = results_from({X: [{"best_val_loss": v} for v in a], Y: [{"best_val_loss": v} for v in b], **z})
    r["claims"] = study(r, [{"lower": "best_val_loss", "a": X, "b": Y}] + others, cap=6)
    e = r["claims"][0]
    assert e["verdict"] == "inconclusive" and e["comparison"]["verdict"] == "within_noise"   # it said "higher"
    c = e["comparison"]
    assert c["decision_low"] < 0 < c["decision_high"] and c["ci_low"] > 0        # the 95 % one excludes 0
    assert c["decision_confidence"] == pytest.approx(1 - e["level"])
    text = words(A.claim_evidence(r, 0))
    assert "interval at the verdict's level (alpha 0.00167) " in text and "descriptive 95 % CI " in text


def test_6_learning_rate_counts_are_at_the_claims_level_and_say_what_they_rest_on():
    good = [[1.0, 0.30], [1.0, 0.32], [1.0, 0.31]]
    r = from_histories({f"v{k}@0.002": good for k in range(3)} | {f"v{k}@0.2": [[], [], []] for k in range(3)})
    e = study(r, [{"lr_beats": "best_val_loss", "better": 0.002, "worse": 0.2}])[0]
    assert e["n_better"] == 0 and e["n_one_diverged"] == 3 and e["verdict"] == "inconclusive"   # it said 3 of 3
    r["claims"] = [e]
    assert "In 3 of them one rate diverged in every seed" in words(A.claim_evidence(r, 0))


def test_6_a_group_that_diverged_in_every_seed_ranks_tied_with_the_others_that_did():
    good = [[1.0, 0.30], [1.0, 0.32], [1.0, 0.31]]
    r = from_histories({"a@0.2": [[], [], []], "b@0.2": good, "c@0.2": [[], [], []], "d@0.2": [[], [], []]})
    e = study(r, [{"best": "best_val_loss", "a": "a@0.2", "among": ["b@0.2", "c@0.2", "d@0.2"]}])[0]
    assert (e["rank"], e["rank_tied"]) == (2, 3)
    r["claims"] = [e]
    assert "tied with 3 groups in all (ranks 2–4 of 4)" in words(A.claim_evidence(r, 0))


# 7. dcnn judge disagreed with the study on the same numbers.
def test_7_judge_judges_as_the_study_does_with_its_family_and_look(tmp_path):
    a, b = [1.0557, 1.1503, 0.9155], [0.4591, 0.2179, 0.3441]
    z, others = _open_claims(14)
    r = results_from({X: [{"best_val_loss": v} for v in a], Y: [{"best_val_loss": v} for v in b], **z})
    e = study(r, [{"lower": "best_val_loss", "a": X, "b": Y}] + others, cap=6)[0]
    j = dcnn.judge("lower", a, b, family=15, looks=4)
    assert (j["verdict"], j["p_value"], j["p_adjusted"], j["level"]) == (
        e["verdict"], e["p_value"], pytest.approx(e["p_adjusted"], rel=1e-12), pytest.approx(e["level"], rel=1e-12))
    assert j["ci"] == pytest.approx([e["comparison"]["decision_low"], e["comparison"]["decision_high"]])
    alone = dcnn.judge("lower", a, b)
    assert alone["verdict"] == "contradicted" and alone["level"] == 0.05       # what the judge said for the study
    # a later look spends less of alpha: look 2 of 4 judges the same values at 0.05 / 6 (declared 2 of max 5)
    assert dcnn.judge("lower", a, b, looks=4, look=2)["alpha_per_look"] == pytest.approx(0.05 / 5)
    from conftest import dcnn_here
    out = dcnn_here("judge", "lower", "--a", ",".join(map(str, a)), "--b", ",".join(map(str, b)), "--family", "15",
                    "--looks", "4", "--json", check=True)
    assert json.loads(out.stdout)["verdict"] == "inconclusive"


# 8. The plan was locked only partly, and the default margin moved with b's observed mean.
def test_8_a_recorded_plan_holds_the_margin_the_claims_and_the_declared_seeds(tmp_path):
    from dcnn.study.looks import current_plan, record_plan
    from dcnn.study.resolve import StudyError, load_study

    d = minimal_study()
    d["defaults"]["seeds"] = 2
    d["analysis"] = {"max_seeds": 4}
    d["claims"] = [{"section": "3", "says": "freezing lowers the loss",
                    "check": {"lower": "best_val_loss", "a": "vgg16-freeze-all@0.01", "b": "vgg16-train-all@0.01"}}]
    path, build = write_study(tmp_path / "study.yaml", d), tmp_path / "build"
    record_plan(load_study(path), build)
    assert current_plan(load_study(path), build)["recorded"]
    for change, named in ((lambda d: d["analysis"].update(similar_margin=0.2), "similar_margin 0.2"),
                          (lambda d: d["claims"][0]["check"].update(a="scratch@0.01"), "1 claims (claim 1 differ"),
                          (lambda d: d["variants"]["scratch"]["runs"][0].update(seeds=3), None),
                          (lambda d: d["defaults"].update(seeds=3), "declared seeds vgg16-freeze-all@0.01 2 → 3")):
        changed = yaml.safe_load(yaml.safe_dump(d))
        change(changed)
        study_file = load_study(write_study(tmp_path / "edited.yaml", changed))
        if named is None:                                  # a group no claim rests on: nothing the plan holds
            current_plan(study_file, build)
            continue
        with pytest.raises(StudyError, match=re.escape(named)):
            current_plan(study_file, build)


def test_8_similar_with_a_relative_margin_holds_its_level_where_the_difference_is_at_the_margin():
    """a's mean 10 % above b's, the default relative margin: the old test took b's observed mean times 10 %
    as the margin (and put "similar" and "different" each at the level): 8.7 % false verdicts at 5 %."""
    rng, n = np.random.default_rng(8), 2000
    check = {"similar": "best_val_loss", "a": X, "b": Y}
    false = 0
    for _ in range(n):
        r = results_from({X: [{"best_val_loss": v} for v in rng.normal(1.1, 0.05, 5)],
                          Y: [{"best_val_loss": v} for v in rng.normal(1.0, 0.05, 5)]})
        false += study(r, [check], correction="none", uncertainty=False)[0]["verdict"] != "inconclusive"
    assert false / n <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / n), false / n


# 9. "For every seed" was tested as "the mean margin is positive".
def test_9_a_flag_says_it_holds_on_average_and_how_many_seeds_show_it():
    margins = [0.30, 0.32, 0.31, 0.29, -0.01, -0.02]                 # 4 of 6 seeds overfit, p = 0.032
    r = results_from({X: _overfitting(*margins)})
    r["claims"] = study(r, [{"overfits": X}])
    e = r["claims"][0]
    assert e["verdict"] == "supported" and e["count"] == 4 and e["margin"]["p_value"] == pytest.approx(0.0325, abs=1e-3)
    ci = stats.binomtest(4, 6).proportion_ci(method="exact")
    assert e["share"] == {"value": pytest.approx(4 / 6), "ci_low": pytest.approx(ci.low), "ci_high": pytest.approx(ci.high),
                          "confidence": 0.95}
    text = words(A.claim_evidence(r, 0))
    assert "4 of 6 seeds of x@0.1 with a finished epoch overfit (a share of 66.7 %, exact 95 % interval 22.3 % to 95.7 %)" \
        in text and "whether the group does so on average over its seeds, not whether every seed does" in text
