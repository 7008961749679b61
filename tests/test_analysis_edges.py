"""The analysis code at its edges: thresholds met exactly, one seed, one collapsed side, options that
differ from their defaults. Written for the mutants `make mutation` found surviving (MUTATION.md)."""
import math

import pytest
from statsmodels.stats.power import TTestPower

from dcnn import analysis as A
from dcnn.analysis import claims, metrics, numbers, sequential, uncertainty
from dcnn.analysis.kinds import CLAIM_KINDS
from test_claims import HIGH, LOW, hist, results_from


def test_aggregate_of_nothing_and_of_one_value():
    assert A.aggregate([None, None]) == {"mean": None, "std": None, "min": None, "max": None, "n": 0,
                                         "values": [None, None]}
    assert A.aggregate([0.4, None]) == {"mean": 0.4, "std": 0.0, "min": 0.4, "max": 0.4, "n": 1,
                                        "values": [0.4, None]}


def test_welch_of_two_groups_without_spread_has_no_p_and_no_error():
    assert A.welch([0.3, 0.3], [0.5, 0.5]) == (None, pytest.approx(-0.2), 0.0)


def test_welch_of_a_value_that_is_not_a_number_has_no_p():
    p, _, se = A.welch([float("nan"), 1.0], [1.0, 2.0])
    assert p is None and math.isnan(se)


def test_a_difference_without_spread_is_tested_by_ranks():
    # No spread in either group: Welch's test has nothing to work with; the exact rank (permutation) test
    # says how sure the ranks are (two against two can at best give p = 1/3).
    one = results_from({"x@0.1": [[1.0, 0.3], [1.0, 0.3]], "y@0.1": [[1.0, 0.5], [1.0, 0.5]]})
    c = A.compare(one, "x@0.1", "y@0.1")
    assert c["verdict"] == "within_noise" and c["test"] == "rank" and c["p_value"] == pytest.approx(1 / 3)
    five = results_from({"x@0.1": [[1.0, 0.3]] * 5, "y@0.1": [[1.0, 0.5]] * 5})
    assert A.compare(five, "x@0.1", "y@0.1")["verdict"] == "lower"
    assert A.compare(five, "y@0.1", "x@0.1")["verdict"] == "higher"
    same = results_from({"x@0.1": [[1.0, 0.3], [1.0, 0.3]], "y@0.1": [[1.0, 0.3], [1.0, 0.3]]})
    assert A.compare(same, "x@0.1", "y@0.1")["verdict"] == "identical"


def test_a_significantly_higher_group_is_not_told_how_many_seeds_it_needs():
    r = results_from({"x@0.1": [[1.0, 0.60], [1.0, 0.62], [1.0, 0.59]],
                      "y@0.1": [[1.0, 0.30], [1.0, 0.32], [1.0, 0.31]]})
    c = A.compare(r, "x@0.1", "y@0.1")
    assert c["verdict"] == "higher" and c["needed_seeds"] is None and c["mde"] > 0
    c = A.compare(r, "x@0.1", "y@0.1", uncertainty=False)
    assert c["ci_low"] is None and c["mde"] is None


def test_only_both_sides_collapsed_makes_a_comparison_inconclusive():
    r = results_from({"x@0.1": [[1.0, 0.60], [1.0, 0.62], [1.0, 0.59]],
                      "y@0.1": [[1.0, 0.30], [1.0, 0.32], [1.0, 0.31]]})
    r["groups"][0]["n_collapsed"] = 3
    assert A.compare(r, "x@0.1", "y@0.1")["verdict"] == "higher"
    r["groups"][1]["n_collapsed"] = 3
    assert A.compare(r, "x@0.1", "y@0.1")["verdict"] == "both_collapsed"


def test_an_unknown_group_is_named_in_the_error():
    with pytest.raises(KeyError, match="nope"):
        A.group_by_name(results_from({"x@0.1": [[1.0, 0.3]]}), "nope")


def test_collapse_thresholds_are_inclusive_of_the_share_and_exclusive_of_the_range():
    assert metrics.collapsed_at({"val_logit_range": metrics.COLLAPSE_RANGE / 2})
    assert not metrics.collapsed_at({"val_logit_range": metrics.COLLAPSE_RANGE})
    assert metrics.collapsed_at({"val_top_share": metrics.COLLAPSE_SHARE})
    assert not metrics.collapsed_at({"val_top_share": 0.97})
    assert not metrics.collapsed_at({})


def test_metrics_of_an_empty_history_claim_nothing():
    m = A.compute_metrics([], 10)
    assert m["overfits"] is False and m["collapsed"] is False and m["learned"] is False


def test_an_upturn_needs_a_rise_of_more_than_ten_percent():
    assert 0.1 * 10.0 == 1.0                                                     # exact in binary
    assert A.compute_metrics(hist([20.0, 10.0, 11.0]), 5)["upturn_epoch"] is None    # exactly 10 %
    assert A.compute_metrics(hist([20.0, 10.0, 11.5]), 5)["upturn_epoch"] == 3


def test_overfitting_needs_a_positive_gap():
    h = [{"epoch": e + 1, "train_loss": v, "val_loss": v, "val_acc": 0.5} for e, v in enumerate([1.0, 0.5, 0.7])]
    m = A.compute_metrics(h, 5)
    assert m["upturn_epoch"] == 3 and m["overfit_gap"] == 0 and m["overfits"] is False


def test_the_plateau_tolerance_is_relative_and_the_floor_inclusive():
    assert metrics.plateau_epoch([2.0, 1.0, 0.95], tol=0.05) == 2       # 0.95 is the floor exactly
    assert metrics.plateau_epoch([2.0, 1.0, 0.94], tol=0.05) is None
    assert metrics.plateau_epoch([4.0, 2.0, 1.9], tol=0.05) == 2        # tol · |best| = 0.1, not tol / |best|
    assert A.compute_metrics(hist([2.0, 1.0, 0.95]), 5, tol=0.05)["plateau_epoch"] == 2


def test_the_last_epochs_gain_is_relative_to_the_best_before_it():
    assert metrics.last_gain([2.0, 1.0, 1.5, 0.5]) == pytest.approx((1.0 - 0.5) / 1.0)
    assert metrics.last_gain([1.0, 2.0]) == pytest.approx(-1.0)
    assert metrics.last_gain([1.0]) is None
    m = A.compute_metrics(hist([1.0]), 5)
    assert CLAIM_KINDS["still_improving"].margin(m, {}, 0.05) == pytest.approx(-0.05)   # one epoch: no gain yet


def test_a_flag_claim_uses_the_studys_plateau_tolerance():
    # Each seed's last epoch gains 4 % on its best before: still learning at tol 0.01, not at tol 0.05.
    r = results_from({"x@0.1": [[1.0, 0.5, 0.48], [1.0, 0.5, 0.48], [1.0, 0.5, 0.48]]})
    check = {"still_improving": "x@0.1"}
    r["study"]["analysis"]["plateau_tol"] = 0.01
    loose = A.evaluate_claim(r, check)
    r["study"]["analysis"]["plateau_tol"] = 0.05
    tight = A.evaluate_claim(r, check)
    assert loose["margin"]["mean"] == pytest.approx(0.03) and tight["margin"]["mean"] == pytest.approx(-0.01)


def test_a_margin_needs_at_least_two_values():
    u = uncertainty.one_group([0.1, 0.3], alpha=0.05, decided=False)
    d_min = TTestPower().solve_power(effect_size=None, nobs=2, alpha=0.05, power=uncertainty.POWER)
    assert u["mde"] == pytest.approx(d_min * math.sqrt(0.02), rel=1e-6) and u["confidence"] == 0.95
    assert u["needed_practical"] is False and u["needed_seeds"] is None     # two values: no g to project
    assert uncertainty.one_group([0.1], alpha=0.05, decided=False) == {}


def test_needed_seeds_of_no_difference():
    u = uncertainty.two_groups([0.5, 0.6, 0.7], [0.5, 0.6, 0.7], alpha=0.05, decided=False)
    assert u["needed_seeds"] is None and u["needed_practical"] is False
    assert uncertainty.power_with([0.5, 0.6, 0.7], [0.5, 0.6, 0.7], 0.05, 10) < 0.06   # no difference: ≈ alpha


def test_two_groups_with_spread_on_one_side_only():
    u = uncertainty.two_groups([0.3, 0.3, 0.3], [0.5, 0.6, 0.4], alpha=0.05, decided=False)
    assert u["ci_low"] < -0.2 < u["ci_high"] and u["needed_seeds"] is not None


def test_number_formats():
    assert numbers.format_number(12345, "count") == "12,345"
    assert numbers.format_number(12.34, "s") == "12.3"
    assert numbers.format_number(0.001, "p") == "p = 0.001"
    assert numbers.format_number(0.0009, "p") == "p < 0.001"
    assert numbers.get({"a": {"b": [1, 2]}}, "/a/b/1/") == 2
    assert numbers.get({"XA": {"BX": 3}}, "/XA/BX") == 3          # only slashes are trimmed from a pointer


def test_the_seeds_and_the_share_of_alpha_of_each_look_of_a_claim():
    r = results_from({"x@0.1": [[1.0, 0.3], [1.0, 0.4], [1.0, 0.5]], "y@0.1": [[1.0, 0.3], [1.0, 0.4]]})
    looks = sequential.ClaimLooks(r, ["x@0.1", "y@0.1"], 5)
    assert looks.looks == 4 and looks.seeds(1) == {"x@0.1": 3, "y@0.1": 2} and looks.seeds(4) == {"x@0.1": 5, "y@0.1": 5}
    assert [looks.share(j) for j in (1, 2, 3, 4)] == [pytest.approx(v) for v in (2 / 5, 1 / 5, 1 / 5, 1 / 5)]
    assert looks.available(r) == 1                        # look 2 needs a third seed of y and a fourth of x
    r["groups"][1]["declared_seeds"] = 1                  # one seed of y added by a look
    assert sequential.ClaimLooks(r, ["y@0.1"], 5).available(r) == 2
    assert sequential.ClaimLooks(r, ["x@0.1"], None).seeds(1) == {"x@0.1": 3}   # no looks planned: every seed
    assert sequential.ClaimLooks(r, ["x@0.1"], 3).share(1) == 1.0


def test_an_undecided_claim_names_its_looks():
    from test_claims import judged

    check = {"lower": "best_val_loss", "a": "x@0.1", "b": "y@0.1"}
    e = judged({"x@0.1": LOW, "y@0.1": [[1.0, 0.36], [1.0, 0.44], [1.0, 0.40]]}, check, max_seeds=4)
    assert (e["verdict"], e["look"], e["looks"], e["final"]) == ("inconclusive", 1, 2, False)
    assert e["alpha_per_look"] == pytest.approx(0.05 * 3 / 4) and e["level"] == e["alpha_per_look"]
    # A difference that even four seeds a side would show with power under FUTILE_BELOW: not grown.
    e = judged({"x@0.1": LOW, "y@0.1": [[1.0, 0.33], [1.0, 0.45], [1.0, 0.37]]}, check, max_seeds=4)
    assert e["verdict"] == "inconclusive" and e["futile"] and e["final"]


def test_sentences_for_the_rarer_cases():
    from test_sentences import STEPS, one, results, run, seeds, text

    r = results({"x@0.1": [dict(run(status="failed"), error=None)]})
    assert text(A.run_observations(r, 0)) == ["This run failed: unknown error."]
    minus = dict(STEPS, step=1, global_step=1, step_losses=[None], non_finite="-inf")
    r = results({"x@0.2": [run(status="diverged", divergence=minus)]})
    assert "the batch loss was minus infinity at once" in one(A.run_observations(r, 0)[0])
    r = results({"e@1": seeds(0.30, 0.32), "e@2": seeds(0.10, 0.11)})
    r["sweeps"] = [{"vary": "epochs", "vary_words": "epochs", "reference": None, **A.sweep_summary(r, ["e@1", "e@2"], [1, 2], 1, 0.05)}]
    assert text(A.sweep_observations(r, 0))[0] == (
        "The lowest mean best validation loss, 0.105 ± 0.007, comes with 2 epochs.")


def test_the_groups_a_claim_rests_on():
    r = results_from({"x@0.2": LOW, "x@0.002": HIGH, "y@0.2": LOW, "y@0.002": HIGH, "z@0.2": LOW})
    r["groups"].append(dict(r["groups"][0], group="x@0.2 (sweep)", sweep="lr"))
    assert A.claim_groups(r, {"lower": "m", "a": "x@0.2", "b": "y@0.2"}) == ["x@0.2", "y@0.2"]
    assert A.claim_groups(r, {"best": "m", "a": "x@0.2", "among": ["y@0.2", "x@0.2", "z@0.2"]}) == [
        "x@0.2", "y@0.2", "z@0.2"]
    assert A.claim_groups(r, {"overfits": "z@0.2"}) == ["z@0.2"]
    assert A.claim_groups(r, {"lr_beats": "m", "better": 0.002, "worse": 0.2}) == [
        "x@0.002", "y@0.002", "x@0.2", "y@0.2"]       # z has no run at 0.002; a sweep's group is not a variant's
    assert A.group_index(r, "y@0.2") == 2


def test_a_ranking_puts_groups_without_a_value_at_the_worst_end_of_the_metric():
    # A group that diverged in every seed is the worst outcome: the last for "best" (1 = lowest loss), the first
    # for "worst" (1 = highest), as the rank test that compares it counts it.
    r = results_from({"x@0.1": LOW, "y@0.1": HIGH, "z@0.1": [[], []]})
    best = A.evaluate_claim(r, {"best": "best_val_loss", "a": "y@0.1", "among": ["x@0.1", "z@0.1"]})
    worst = A.evaluate_claim(r, {"worst": "best_val_loss", "a": "x@0.1", "among": ["y@0.1", "z@0.1"]})
    assert best["ranking"] == ["x@0.1", "y@0.1", "z@0.1"] and (best["rank"], best["rank_tied"]) == (2, 1)
    assert worst["ranking"] == ["z@0.1", "y@0.1", "x@0.1"] and worst["rank"] == 3


def test_a_learning_rate_claim_pairs_variants_not_sweep_points():
    r = results_from({"x@0.002": LOW, "x@0.2": HIGH})
    sweep = dict(r["groups"][1], group="x@0.2 (sweep)", lr=0.002, sweep="lr")
    r["groups"].append(sweep)
    entry = A.evaluate_claim(r, {"lr_beats": "best_val_loss", "better": 0.002, "worse": 0.2})
    assert entry["n"] == 1 and entry["deciding"]["a"] == "x@0.002" and entry["deciding"]["b"] == "x@0.2"


def test_a_sweep_is_worse_from_the_first_value_that_is_worse():
    r = results_from({"s@0.2": HIGH, "s@0.06": HIGH, "s@0.002": LOW})
    summary = A.sweep_summary(r, ["s@0.2", "s@0.06", "s@0.002"], [0.2, 0.06, 0.002], 0.002, 0.05)
    assert summary["worse_from"] == 0.2


def test_learning_rate_evidence_keeps_small_rates_and_counts_whole():
    from test_sentences import one, results, seeds, with_claim

    r = with_claim(results({"a@0.0005": seeds(0.6, 0.61, 0.62), "a@0.2": seeds(0.3, 0.31, 0.32)}),
                   {"lr_beats": "best_val_loss", "better": 0.0005, "worse": 0.2})
    assert r["claims"][0]["verdict"] == "contradicted"
    assert one(A.claim_evidence(r, 0)).startswith(
        "At the claim's level, lr 0.0005 has a significantly lower best validation loss than lr 0.2 in 0 of 1 "
        "variants and a significantly higher one in 1. ")


def test_leaving_out_runs_leaves_the_results_alone():
    r = results_from({"x@0.1": LOW, "y@0.1": HIGH})
    cut = claims.without_runs(r, {"x@0.1": [2]})
    assert cut["groups"][0]["runs"] == [0, 1] and cut["groups"][0]["n_seeds"] == 2 and cut["groups"][0]["variant"] == "x"
    assert len(r["groups"]) == 2 and r["groups"][0]["runs"] == [0, 1, 2] and cut["groups"][1] is r["groups"][1]


def test_seeds_that_diverge_at_their_second_step_have_a_last_finite_loss():
    from test_sentences import STEPS, results, run, text

    second = dict(STEPS, step=2, global_step=2, step_losses=[1.6, None])
    r = results({"x@0.2": [run(status="diverged", divergence=second, seed=k) for k in range(2)]})
    assert text(A.group_observations(r, 0))[0] == (
        "Every seed diverged in epoch 1, at step 2 and 2 (the last finite batch losses: 1.6 and 1.6); the figure "
        "shows each seed's batch loss step by step up to there.")


def test_a_collapse_is_told_by_its_spread_only_below_the_threshold():
    from test_sentences import results, run, text

    at = run([1.61, 1.609], share=[0.4, 1.0], spread=[0.3, metrics.COLLAPSE_RANGE])
    r = results({"x@0.2": [at]})
    assert text(A.run_observations(r, 0))[0] == (
        "It collapsed in epoch 2: from then on it gives one class to 100.0 % of the validation images.")
    r["runs"][0]["metrics"]["final_logit_range"] = None
    assert text(A.run_observations(r, 0))[0].endswith("it gives one class to 100.0 % of the validation images.")


def test_two_hundred_seeds_are_still_practical():
    # A difference that needs at most the last practical number of seeds is still told as a number.
    power = lambda n: uncertainty.welch_power(0.3, 1.0, n, 1.0, n, 0.05)  # noqa: E731
    n = next(n for n in range(2, 1000) if power(n) >= uncertainty.POWER)
    assert uncertainty._smallest_n(power, 2) == n <= uncertainty.PRACTICAL_SEEDS
    assert uncertainty._smallest_n(lambda ns: uncertainty.welch_power(0.2, 1.0, ns, 1.0, ns, 0.05), 2) is None


def test_every_number_format_is_named():
    assert [numbers.format_number(0.1234, f) for f in ("loss", "pct", "g", "s", "d2", "e3")] == [
        "0.123", "12.3 %", "0.1234", "0.1", "0.12", "0.123"]
    assert numbers.Num(0.5, "/x").text == "0.500" and numbers.num({"x": 2.0}, "/x").text == "2.000"
    with pytest.raises(ValueError, match="unknown number format 'f2'; known: loss, int, count"):
        numbers.format_number(0.5, "f2")


def test_groups_without_any_spread_cannot_be_shown_similar():
    from test_claims import judged

    e = judged({"x@0.1": [[1.0, 0.3], [1.0, 0.3]], "y@0.1": [[1.0, 0.3], [1.0, 0.3]]},
               {"similar": "best_val_loss", "a": "x@0.1", "b": "y@0.1"})
    assert e["verdict"] == "inconclusive" and e["reason"] == "no_spread"
    e = judged({"x@0.1": [[1.0, 0.3], [1.0, 0.3]], "y@0.1": [[1.0, 0.31], [1.0, 0.31]]},
               {"similar": "best_val_loss", "a": "x@0.1", "b": "y@0.1"})
    assert e["verdict"] == "inconclusive" and e["reason"] == "no_spread"


def test_claims_and_sweeps_pass_on_their_alpha_and_uncertainty():
    from test_claims import judged

    r = results_from({"x@0.1": LOW, "y@0.1": HIGH})
    e = A.judge_claims(r, [{"check": {"lower": "best_val_loss", "a": "x@0.1", "b": "y@0.1"}}], A.Judging(),
                       uncertainty=False)[0]
    assert e["comparison"]["ci_low"] is None
    e = judged({"x@0.1": LOW, "y@0.1": HIGH}, {"lower": "best_val_loss", "a": "x@0.1", "b": "y@0.1"})
    assert e["comparison"]["ci_low"] is not None
    summary = A.sweep_summary(r, ["x@0.1", "y@0.1"], [1, 2], 1, 1e-9)
    assert summary["comparisons_to_baseline"][0]["verdict"] == "within_noise" and summary["worse_from"] is None


def test_a_flag_claims_margin_states_its_uncertainty_at_the_claims_alpha():
    from test_claims import judged

    up = [[1.0, 0.3, 0.6], [1.0, 0.3, 0.7], [1.0, 0.3, 0.8]]
    e = judged({"x@0.1": up}, {"overfits": "x@0.1"}, alpha=0.1)
    values = e["margin"]["values"]
    assert e["verdict"] == "supported" and "needed_seeds" not in e["margin"]
    assert e["margin"]["mde"] == pytest.approx(uncertainty.one_group(values, 0.1, True)["mde"])
    e = judged({"x@0.1": up}, {"still_improving": "x@0.1"})
    assert e["verdict"] == "contradicted" and e["margin"]["values"] == pytest.approx(
        [-0.3 / 0.3 - 0.01, -0.4 / 0.3 - 0.01, -0.5 / 0.3 - 0.01])
    e = judged({"x@0.1": [[1.0, 0.3, 0.6], [1.0, 0.5, 0.4], [1.0, 0.3, 0.7]]}, {"overfits": "x@0.1"})
    assert e["verdict"] == "inconclusive" and "needed_seeds" in e["margin"]
    one = judged({"x@0.1": up[:1]}, {"overfits": "x@0.1"})
    assert one["verdict"] == "inconclusive" and one["reason"] == "single_seed"
    assert one["margin"]["measures"].startswith("the smaller of")


def test_the_deciding_comparison_without_p_values_or_without_comparisons():
    single = results_from({"x@0.002": [[1.0, 0.3]], "x@0.2": [[1.0, 0.5]]})
    e = A.evaluate_claim(single, {"lr_beats": "best_val_loss", "better": 0.002, "worse": 0.2})
    assert e["deciding"]["a"] == "x@0.002" and e["deciding"]["verdict"] == "single_seed"
    none = results_from({"x@0.002": [[1.0, 0.3]]})
    e = A.evaluate_claim(none, {"lr_beats": "best_val_loss", "better": 0.002, "worse": 0.2})
    assert e["deciding"] == {} and e["reason"] == "nothing_to_compare"


def test_no_practical_number_of_seeds_is_said_in_words():
    from test_sentences import comparison, run

    words, c = comparison([run([1.0, v], seed=k) for k, v in enumerate([0.30, 0.50, 0.40])],
                          [run([1.0, v], seed=k) for k, v in enumerate([0.301, 0.501, 0.401])])
    assert c["needed_practical"] is False
    assert words.endswith("with power 0.8, and no practical number of seeds (under 200) would detect the "
                          "observed one).")


def test_sentences_end_where_they_should():
    from test_sentences import one, results, run, seeds, text, with_claim

    r = results({"x@0.1": [run([1.2, 0.5, 0.9], train=[1.3, 1.0, 1.2])]})
    assert text(A.run_observations(r, 0))[-1] == (
        "After its best epoch it turns upward from epoch 3 and ends 0.400 higher, at 0.900; the final gap to the "
        "training loss is -0.300.")
    r = with_claim(results({"a@0.1": seeds(0.30, 0.32, 0.31), "b@0.1": seeds(0.60, 0.62, 0.59),
                            "c@0.1": seeds(0.9, 0.95, 0.92)}),
                   {"best": "best_val_loss", "a": "a@0.1", "among": ["b@0.1", "c@0.1"]})
    words = one(A.claim_evidence(r, 0))
    assert "against b@0.1: difference -0.293 (p = 0.001; interval at the verdict's level (alpha 0.05) " in words and words.endswith(
        " with power 0.8). The claim's own test: p = 0.001; the claim's level 0.05.")
    r = with_claim(results({"a@0.1": seeds(0.30, 0.32, 0.31), "b@0.1": seeds(0.60, 0.62, 0.59)}),
                   {"lower": "best_val_loss", "a": "a@0.1", "b": "b@0.1"})
    assert one(A.claim_evidence(r, 0)).endswith(" with power 0.8).")
    up = [1.0, 0.2, 0.1]
    r = with_claim(results({"a@0.1": [run([1.0, 0.3, v], train=up, seed=k) for k, v in enumerate([0.6, 0.7, 0.8])]}),
                   {"overfits": "a@0.1"})
    assert one(A.claim_evidence(r, 0)).endswith(" with power 0.8.")


def test_seeds_that_diverge_or_collapse_in_different_epochs_name_each_epoch():
    from test_sentences import STEPS, results, run, text

    r = results({"x@0.2": [run([1.0], status="diverged", divergence=dict(STEPS, epoch=e), seed=e) for e in (2, 3)]})
    assert text(A.group_observations(r, 0))[0] == "Every seed diverged (in epoch 2 and 3): the loss became NaN or infinite."
    flat = lambda k, share: run([1.61, 1.609, 1.609], share=share, spread=[0.3, 0.3, 1e-8], seed=k)  # noqa: E731
    r = results({"x@0.2": [flat(0, [0.4, 1.0, 1.0]), flat(1, [0.4, 0.5, 1.0])]})
    assert text(A.group_observations(r, 0))[0].startswith("2 of 2 seeds collapsed (from epoch 2 and 3)")


def test_a_sweep_where_only_higher_values_differ():
    from test_sentences import results, seeds, text

    r = results({"s@0.2": seeds(0.60, 0.62, 0.61), "s@0.02": seeds(0.30, 0.32, 0.31), "s@0.002": seeds(0.30, 0.33)})
    r["sweeps"] = [{"vary": "lr", "vary_words": "learning rate", "reference": None,
                    **A.sweep_summary(r, ["s@0.2", "s@0.02", "s@0.002"], [0.2, 0.02, 0.002], 0.002, 0.05)}]
    assert text(A.sweep_observations(r, 0))[1].endswith(
        "the best validation loss is significantly higher at 0.2 (at the level of the report's comparisons; a seed "
        "that diverged is the worst outcome of an exact rank test); the other values do not differ significantly.")
