"""The report's sentences on hand-made results: exact words for each case, every number a pointer.

Histories are small and chosen so the numbers can be checked by eye; the sentences must say what
the metrics say (and nothing when there is nothing to say)."""
import pytest

from dcnn import analysis as A
from dcnn.analysis.sentences import uncertainty_words


def hist(val, train=None, acc=None, share=None, spread=None):
    train = train or [v + 0.1 for v in val]
    rows = []
    for i, (t, v) in enumerate(zip(train, val)):
        row = {"epoch": i + 1, "train_loss": t, "val_loss": v, "val_acc": (acc or [0.5] * len(val))[i], "seconds": 1.0}
        if share is not None:
            row.update(val_top_share=share[i], val_logit_range=spread[i])
        rows.append(row)
    return rows


def run(val=None, status="complete", divergence=None, seed=0, **kw):
    h = hist(val, **kw) if val else []
    return {"variant": "v", "lr": 0.1, "seed": seed, "status": status, "history": h, "num_classes": 5,
            "metrics": A.compute_metrics(h, 5, 0.01), "diverged_epoch": divergence["epoch"] if divergence else None,
            "divergence": divergence}


def results(groups: dict[str, list[dict]]) -> dict:
    runs, out = [], []
    for name, rs in groups.items():
        idx = list(range(len(runs), len(runs) + len(rs)))
        runs += rs
        variant, lr = name.split("@")
        out.append({"group": name, "variant": variant, "lr": float(lr), "runs": idx, "sweep": None,
                    "title": name, "section": "2", "declared_seeds": len(rs), **A.summarise_group(rs)})
    return {"runs": runs, "groups": out, "comparisons": [], "claims": [], "sweeps": [],
            "study": {"analysis": {"plateau_tol": 0.01, "alpha": 0.05, "correction": "holm", "similar_margin": 0.1,
                                   "max_seeds": None},
                      "plan": {"looks": 1, "alpha_per_look": 0.05, "restarts": []},
                      "methods": {"n_claims": 0, "n_comparisons": 0}}}


def text(sentences) -> list[str]:
    return ["".join(p if isinstance(p, str) else p.text for p in s) for s in sentences]


def one(sentence) -> str:
    return text([sentence])[0]


def refs_resolve(r, sentences):
    for s in sentences:
        for p in s:
            if isinstance(p, A.Num):
                assert A.get(r, p.ref) == p.value


# ---- one run --------------------------------------------------------------------------------------

def test_a_run_that_learns_levels_off_and_turns_upward():
    r = results({"x@0.1": [run([1.2, 0.5, 0.52, 0.9], train=[1.3, 0.4, 0.2, 0.1], acc=[0.3, 0.875, 0.86, 0.8])]})
    s = A.run_observations(r, 0)
    assert text(s) == [
        "Validation loss is lowest at epoch 2 (0.500, accuracy 87.5 %).",
        "It levels off by epoch 2: no later epoch improves on the best so far by more than 1.0 %.",
        "After its best epoch it turns upward from epoch 3 and ends 0.400 higher, at 0.900; the final gap to "
        "the training loss is 0.800, a sign of overfitting."]
    refs_resolve(r, s)


def test_a_run_that_never_learns_and_is_still_improving():
    r = results({"x@0.1": [run([1.62, 1.55, 1.45])]})
    assert text(A.run_observations(r, 0)) == [
        "It never learned: its best validation loss, 1.450 (epoch 3), is not 10 % below the chance level "
        "ln 5 = 1.609.",
        "It is still improving at the last epoch.",
        "It ends at 1.450, within 10 % of its best; the final gap to the training loss is -0.100."]


def test_missing_and_failed_runs_say_so():
    r = results({"x@0.1": [run(status="missing"), dict(run(status="failed"), error="RuntimeError: boom")]})
    assert text(A.run_observations(r, 0)) == ["This run has not been trained yet."]
    assert text(A.run_observations(r, 1)) == ["This run failed: RuntimeError: boom."]


STEPS = {"epoch": 1, "step": 4, "global_step": 4, "steps_before": 0, "step_losses": [1.6, 3.0, 4.5e4, None],
         "non_finite": "nan"}


def test_a_run_that_diverged_before_an_epoch_ended_names_the_step():
    r = results({"x@0.2": [run(status="diverged", divergence=STEPS)]})
    assert text(A.run_observations(r, 0)) == [
        "Training diverged in epoch 1, at its step 4: the batch loss went from 1.6 at the first step to 4.5e+04 "
        "at step 3, its last finite value, and was then NaN. The figure shows its batch loss step by step up to there."]
    first = dict(STEPS, step=1, global_step=1, step_losses=[None], non_finite="inf")
    r = results({"x@0.2": [run(status="diverged", divergence=first)]})
    assert one(A.run_observations(r, 0)[0]).startswith(
        "Training diverged in epoch 1, at its first step: the batch loss was infinite at once.")


def test_a_collapsed_run_is_named_with_its_epoch_and_how():
    flat = run([1.61, 1.609, 1.609], share=[0.4, 1.0, 1.0], spread=[0.3, 2e-8, 3e-8])
    one_class = run([1.61, 1.609, 1.609], share=[0.4, 0.99, 0.99], spread=[0.3, 0.2, 0.2])
    r = results({"x@0.2": [flat, one_class]})
    assert r["runs"][0]["metrics"]["collapse_epoch"] == 2 and r["runs"][1]["metrics"]["collapsed"]
    assert text(A.run_observations(r, 0))[0] == (
        "It collapsed in epoch 2: from then on its outputs no longer depend on the input (each logit varies by "
        "3e-08 across the validation images at the end), so it cannot tell the images apart.")
    assert text(A.run_observations(r, 1))[0] == (
        "It collapsed in epoch 2: from then on it gives one class to 99.0 % of the validation images.")
    dead = results({"x@0.2": [run([1.61, 1.609], share=[0.4, 1.0], spread=[0.3, 0.0])]})
    assert text(A.run_observations(dead, 0))[0] == (
        "It collapsed in epoch 2: from then on its outputs no longer depend on the input (each logit is the "
        "same for every validation image at the end), so it cannot tell the images apart.")
    assert text(A.group_observations(r, 0))[0] == (
        "2 of 2 seeds collapsed (from epoch 2): their outputs stopped depending on the input, or one class "
        "took nearly every prediction.")


# ---- groups ---------------------------------------------------------------------------------------

def test_a_group_of_seeds():
    rs = [run([1.0, 0.4, 0.41], acc=[0.5, 0.9, 0.9], seed=0), run([1.0, 0.6, 0.5], acc=[0.5, 0.8, 0.85], seed=1),
          run([1.0, 0.5, 0.8], train=[1.0, 0.3, 0.2], acc=[0.5, 0.86, 0.7], seed=2)]
    r = results({"x@0.1": rs})
    assert text(A.group_observations(r, 0)) == [
        "Across 3 seeds the best validation loss is 0.467 ± 0.058 (range 0.400 to 0.500), reached at epoch 2, 3 "
        "and 2, with accuracy 87.0 % ± 2.6 %.",
        "It levels off by epoch 2 and 2 in 2 of 3 seeds; the rest are still improving at the last epoch.",
        "1 of 3 seeds turn upward after their best epoch (1 with training loss below validation loss, i.e. "
        "overfitting); the final gap to the training loss is 0.133 ± 0.404."]


def test_a_group_where_some_seeds_diverged_or_are_missing():
    rs = [run([1.0, 0.5], seed=0), run(status="diverged", divergence=dict(STEPS, epoch=2, steps_before=10), val=[1.6]),
          run(status="missing")]
    r = results({"x@0.2": rs})
    s = text(A.group_observations(r, 0))
    assert s[0] == "Only 2 of 3 seeds have finished; the rest are not run yet or failed."
    assert s[1] == "1 of 2 seeds diverged (in epoch 2); their curves stop there."
    assert "Only 1 of 2 seeds learned; the others stayed near chance." in s
    all_div = results({"x@0.2": [run(status="diverged", divergence=STEPS, seed=k) for k in range(2)]})
    assert text(A.group_observations(all_div, 0)) == [
        "Every seed diverged in epoch 1, at step 4 and 4 (the last finite batch losses: 4.5e+04 and 4.5e+04); "
        "the figure shows each seed's batch loss step by step up to there."]
    assert text(A.group_observations(results({"x@0.2": [run(status="missing")]}), 0)) == [
        "No seed of this configuration has been trained yet."]


# ---- comparisons ----------------------------------------------------------------------------------

def comparison(a_runs, b_runs):
    r = results({"a@0.1": a_runs, "b@0.1": b_runs})
    c = A.compare(r, "a@0.1", "b@0.1")
    c["magnitude"] = abs(c["difference"]) if c["difference"] is not None else None
    r["comparisons"] = [c]
    return one(A.comparison_sentence(r, 0, "A", "B", "2.1")), c


LEAD = "Against B (§2.1, same learning rate), "


@pytest.mark.parametrize("a,b,expected", [
    ([], [[1.0, 0.5]], "no comparison yet: one of the two has not been trained."),
    ("diverged", [[1.0, 0.5], [1.0, 0.45]], "A diverged in every seed while the other did not; at these seeds that is "
     "not a significant difference (an exact rank test in which the seeds that diverged before they had a value (2 of "
     "a@0.1) rank as the highest, the worst outcome: p = 0.333)."),
    ([[1.0, 0.5], [1.0, 0.45]], "diverged", "the other diverged in every seed while this one did not; at these seeds "
     "that is not a significant difference (an exact rank test in which the seeds that diverged before they had a value "
     "(2 of b@0.1) rank as the highest, the worst outcome: p = 0.333)."),
    ("diverged", [[1.0, 0.5]], "a side has a single seed: no noise estimate."),
    ("diverged", "diverged", "both diverged in every seed."),
    ([[1.0, 0.5]], [[1.0, 0.4]], "the best validation loss differs by 0.100 (single seed, no noise estimate)."),
    ([[1.0, 0.5]] * 2, [[1.0, 0.5]] * 2, "the best validation loss is identical in every seed."),
    ([[1.0, 0.5]] * 2, [[1.0, 0.4]] * 2, "the difference in best validation loss, 0.100, is not significant (an "
                                         "exact rank test, no spread within either group: p = 0.333)."),
    ([[1.0, 0.5]] * 5, [[1.0, 0.4]] * 5, "the best validation loss is higher by 0.100 ± 0.000 (an exact rank test, "
                                         "no spread within either group: p = 0.008)."),
])
def test_comparison_verdicts_in_words(a, b, expected):
    mk = lambda spec: ([run(status="diverged", divergence=STEPS, seed=k) for k in range(2)] if spec == "diverged"  # noqa
                       else [run(v, seed=k) for k, v in enumerate(spec)] or [run(status="missing")])
    words, _ = comparison(mk(a), mk(b))
    assert words == LEAD + expected


def test_a_comparison_of_two_collapsed_groups_cannot_speak_to_the_setting():
    flat = lambda k, v: run([1.61, v], share=[0.5, 1.0], spread=[0.3, 1e-8], seed=k)  # noqa: E731
    words, c = comparison([flat(0, 1.609), flat(1, 1.6091)], [flat(0, 1.6085), flat(1, 1.6095)])
    assert c["verdict"] == "both_collapsed" and A.direction(c) is None
    assert words == LEAD + ("both collapsed in every seed: their outputs no longer depend on the input (or one class "
                            "takes nearly every prediction), so the difference cannot speak to the setting.")


def test_the_uncertainty_of_a_comparison_in_words():
    words, c = comparison([run([1.0, v], seed=k) for k, v in enumerate([0.30, 0.32, 0.31])],
                          [run([1.0, v], seed=k) for k, v in enumerate([0.60, 0.62, 0.59])])
    assert words == LEAD + (f"the best validation loss is lower by 0.293 ± 0.011 (p = 0.001; interval at the verdict's "
                            f"level (alpha 0.05) {c['decision_low']:.3f} to {c['decision_high']:.3f}; descriptive "
                            f"95 % CI {c['ci_low']:.3f} to {c['ci_high']:.3f}, Hedges' g {c['hedges_g']:.2f}; at that "
                            f"level these seeds would detect a difference of {c['mde']:.3f} with power 0.8).")
    words, c = comparison([run([1.0, v], seed=k) for k, v in enumerate([0.25, 0.65, 0.45])],
                          [run([1.0, v], seed=k) for k, v in enumerate([0.60, 0.62, 0.59])])
    assert words.endswith(f"with power 0.8, and the observed one with {c['needed_seeds']} seeds per group).")


# ---- claims and sweeps ----------------------------------------------------------------------------

def with_claim(r, check, alpha=0.05):
    r["claims"] = A.judge_claims(r, [{"check": check}], A.Judging(alpha=alpha))
    return r


def seeds(*values, **kw):
    return [run([1.0, v], seed=k, **kw) for k, v in enumerate(values)]


def test_claim_evidence_for_each_kind():
    r = with_claim(results({"a@0.1": seeds(0.30, 0.32, 0.31), "b@0.1": seeds(0.60, 0.62, 0.59)}),
                   {"lower": "best_val_loss", "a": "a@0.1", "b": "b@0.1"})
    assert r["claims"][0]["verdict"] == "supported"
    assert one(A.claim_evidence(r, 0)).startswith(
        "best validation loss: a@0.1 0.310 ± 0.010 vs b@0.1 0.603 ± 0.015 (Welch's t-test at Hsu's degrees of freedom, "
        "p = 0.001; the claim's level 0.05; interval at the verdict's level (alpha 0.05) ")
    r = with_claim(results({"a@0.1": seeds(0.30, 0.32, 0.31), "b@0.1": seeds(0.60, 0.62, 0.59),
                            "c@0.1": seeds(0.9, 0.95, 0.92)}),
                   {"best": "best_val_loss", "a": "a@0.1", "among": ["b@0.1", "c@0.1"]})
    words = one(A.claim_evidence(r, 0))
    assert words.startswith("a@0.1 ranks 1 of 3 by mean best validation loss (1 = lowest; a group that diverged in "
                            "every seed ranks at the highest end); at the claim's level it is significantly lower than 2 "
                            "of 2 others and, after Holm's method over those 2, significantly higher than 0. The least "
                            "clear comparison, a@0.1 against b@0.1: difference -0.293")
    up = [1.0, 0.2, 0.1]
    r = with_claim(results({"a@0.1": [run([1.0, 0.3, 0.6], train=up, seed=0), run([1.0, 0.3, 0.7], train=up, seed=1),
                                      run([1.0, 0.3, 0.8], train=up, seed=2)]}), {"overfits": "a@0.1"})
    words = one(A.claim_evidence(r, 0))
    assert r["claims"][0]["verdict"] == "supported" and r["claims"][0]["margin"]["values"] == pytest.approx(
        [0.27, 0.37, 0.47])                                      # min(rise - 0.03, gap): the rise decides here
    assert words.startswith("3 of 3 seeds of a@0.1 with a finished epoch overfit (a share of 100.0 %, exact 95 % "
                            "interval 29.2 % to 100.0 %). What is tested is whether the group does so on average over "
                            "its seeds, not whether every seed does: the mean of each seed's margin (the smaller of the "
                            "final rise above the best validation loss less 10 % of it, and the final gap; positive when "
                            "it holds), 0.370 ± 0.100 (one-sample t-test against 0, p = 0.023; the claim's level 0.05); "
                            "interval at the verdict's level (alpha 0.05) ")
    r = with_claim(results({"a@0.2": [run(status="diverged", divergence=STEPS)]}), {"overfits": "a@0.2"})
    assert one(A.claim_evidence(r, 0)) == ("Every seed of a@0.2 diverged before finishing an epoch: there is no "
                                           "curve to judge.")
    r = with_claim(results({"a@0.002": seeds(0.3, 0.31), "a@0.2": seeds(0.6, 0.61)}),
                   {"lr_beats": "best_val_loss", "better": 0.002, "worse": 0.2})
    assert one(A.claim_evidence(r, 0)).startswith(
        "At the claim's level, lr 0.002 has a significantly lower best validation loss than lr 0.2 in 1 of 1 variants "
        "and a significantly higher one in 0.")


def test_sweep_observations_say_where_seeds_diverge_and_what_differs_from_the_baseline():
    r = results({"s@0.2": [run(status="diverged", divergence=STEPS, seed=k) for k in range(4)],
                 "s@0.02": seeds(0.10, 0.12), "s@0.002": seeds(0.40, 0.42, 0.41, 0.43)})
    summary = A.sweep_summary(r, ["s@0.2", "s@0.02", "s@0.002"], [0.2, 0.02, 0.002], 0.002, 0.05)
    r["sweeps"] = [{"vary": "lr", "vary_words": "learning rate", "reference": None, **summary}]
    assert text(A.sweep_observations(r, 0))[:2] == [
        "The lowest mean best validation loss, 0.110 ± 0.014, comes with learning rate 0.02.",
        "Every seed diverges at learning rate 0.2; at the other values no seed diverges."]
    assert text(A.sweep_observations(r, 0))[2].startswith(
        "Compared with learning rate 0.002 (0.415 ± 0.013), the best validation loss is significantly higher at 0.2 "
        "and significantly lower at 0.02 (at the level of the report's comparisons; a seed that diverged is the worst "
        "outcome of an exact rank test)")


def test_sweep_observations_every_branch():
    half = [run(status="diverged", divergence=STEPS, seed=0), run([1.0, 0.3], seed=1)]
    r = results({"s@0.2": [run(status="diverged", divergence=STEPS, seed=k) for k in range(4)], "s@0.06": half,
                 "s@0.02": seeds(0.10, 0.12), "s@0.002": seeds(0.40, 0.42, 0.41, 0.43), "ref@0.1": seeds(0.2, 0.3)})
    r["groups"][-1]["title"] = "The reference"
    summary = A.sweep_summary(r, ["s@0.2", "s@0.06", "s@0.02", "s@0.002"], [0.2, 0.06, 0.02, 0.002], 0.002, 0.05)
    assert summary["all_diverged"] == [0.2] and summary["some_diverged"] == [0.06] and summary["worse_from"] == 0.2
    ref = {"group": "ref@0.1", "lr": 0.1, "best_val_loss": r["groups"][-1]["metrics"]["best_val_loss"]}
    r["sweeps"] = [{"vary": "lr", "vary_words": "learning rate", "reference": ref, **summary}]
    s = text(A.sweep_observations(r, 0))
    assert s[0] == "The lowest mean best validation loss, 0.110 ± 0.014, comes with learning rate 0.02."
    assert s[1] == "Every seed diverges at learning rate 0.2; some seeds diverge at 0.06; at the other values no seed diverges."
    assert s[2] == ("Compared with learning rate 0.002 (0.415 ± 0.013), the best validation loss is significantly "
                    "higher at 0.2 and significantly lower at 0.02 (at the level of the report's comparisons; a seed "
                    "that diverged is the worst outcome of an exact rank test); the other values do not differ "
                    "significantly.")
    assert s[3] == ("These are means over the sweep's own seeds at each value (4 at the baseline); a section that "
                    "shows the same configuration may average more seeds.")
    assert s[4] == "For reference, The reference at learning rate 0.1 reaches 0.250 ± 0.071."
    refs_resolve(r, A.sweep_observations(r, 0))
    # Only some seeds diverge, and nothing differs: other words for a sweep over another setting.
    r2 = results({"k@0": half, "k@1": seeds(0.31, 0.35), "k@2": seeds(0.30, 0.36)})
    r2["sweeps"] = [{"vary": "frozen_conv_layers", "vary_words": "frozen conv layers", "reference": None,
                     **A.sweep_summary(r2, ["k@0", "k@1", "k@2"], [0, 1, 2], 0, 0.05)}]
    s = text(A.sweep_observations(r2, 0))
    assert s[0] == "The lowest mean best validation loss, 0.300, comes with k = 0 frozen conv layers."
    assert s[1] == "Some seeds diverge at frozen conv layers 0; at the other values no seed diverges."
    assert s[2] == ("Compared with k = 0 frozen conv layers (0.300), the best validation loss is not significantly "
                    "different at any other value (at the level of the report's comparisons).")
    r3 = results({"e@1": [run(status="missing")], "e@2": [run(status="missing")]})
    r3["sweeps"] = [{"vary": "epochs", "vary_words": "epochs", "reference": None, **A.sweep_summary(r3, ["e@1", "e@2"], [1, 2], 1, 0.05)}]
    assert text(A.sweep_observations(r3, 0)) == ["No run of this sweep has been trained yet."]
    r4 = results({"e@1": [run(status="diverged", divergence=STEPS)], "e@2": [run(status="diverged", divergence=STEPS)]})
    r4["sweeps"] = [{"vary": "epochs", "vary_words": "epochs", "reference": None, **A.sweep_summary(r4, ["e@1", "e@2"], [1, 2], 1, 0.05)}]
    assert text(A.sweep_observations(r4, 0)) == ["Every seed of every value diverged before finishing an epoch."]


def test_the_results_json_entries_have_the_documented_keys():
    """docs/results-json.md names these keys; renaming one breaks every reader of results.json."""
    m = A.compute_metrics(hist([1.0, 0.5, 0.6]), 5)
    assert set(m) == {"best_val_loss", "best_epoch", "final_train_loss", "final_val_loss", "overfit_gap",
                      "gap_at_best", "plateau_epoch", "chance_loss", "learned", "val_acc_at_best", "final_rise",
                      "upturn_epoch", "overfits", "collapse_epoch", "collapsed", "final_logit_range", "final_top_share",
                      "last_epoch", "last_gain", "test_loss_at_best", "test_acc_at_best", "selection_gap",
                      "gap_train_loss"}
    assert set(A.compute_metrics([], 5)) == set(m)
    r = results({"a@0.1": seeds(0.25, 0.65, 0.45), "b@0.1": seeds(0.60, 0.62, 0.59)})
    g = r["groups"][0]
    assert set(g) >= {"n_seeds", "n_done", "n_diverged", "n_learned", "n_overfit", "n_upturn", "n_plateaued",
                      "n_collapsed", "n_degenerate", "metrics"}
    assert set(g["metrics"]["best_val_loss"]) == {"mean", "std", "min", "max", "n", "values"}
    c = A.compare(r, "a@0.1", "b@0.1")
    assert set(c) == {"a", "b", "metric", "a_values", "b_values", "difference", "difference_se", "p_value", "alpha",
                      "verdict", "ci_low", "ci_high", "hedges_g", "mde", "power", "confidence", "needed_seeds",
                      "needed_practical", "a_degenerate", "b_degenerate", "test", "side", "a_lost", "b_lost",
                      "decision_low", "decision_high", "decision_confidence"}
    assert (c["a"], c["b"], c["metric"], c["alpha"], c["a_values"]) == ("a@0.1", "b@0.1", "best_val_loss", 0.05,
                                                                        [0.25, 0.65, 0.45])
    judged = {"kind", "candidate", "p_value", "reason", "check", "verdict", "p_adjusted", "correction", "family", "look",
              "looks", "alpha_per_look", "seeds", "futile", "final", "alpha", "level"}
    keys = {"lower": {"metric", "comparison", "a_stats", "b_stats", "deciding"},
            "similar": {"metric", "comparison", "a_stats", "b_stats", "deciding", "similar_margin", "equivalence"},
            "best": {"metric", "comparisons", "ranking", "rank", "rank_tied", "n_beaten", "n_beating", "deciding",
                     "deciding_index"},
            "overfits": {"group", "count", "n", "epoch", "margin", "share"},
            "lr_beats": {"metric", "better", "worse", "comparisons", "n", "n_better", "n_worse", "deciding",
                         "deciding_index", "n_one_diverged", "n_neither_learned"}}
    r = results({"a@0.1": seeds(0.25, 0.65, 0.45), "b@0.1": seeds(0.60, 0.62, 0.59), "a@0.2": seeds(0.9, 0.8)})
    for kind, check in (("lower", {"lower": "best_val_loss", "a": "a@0.1", "b": "b@0.1"}),
                        ("similar", {"similar": "best_val_loss", "a": "a@0.1", "b": "b@0.1"}),
                        ("best", {"best": "best_val_loss", "a": "a@0.1", "among": ["b@0.1"]}),
                        ("overfits", {"overfits": "a@0.1"}),
                        ("lr_beats", {"lr_beats": "best_val_loss", "better": 0.1, "worse": 0.2})):
        entry = with_claim(r, check)["claims"][0]
        assert set(entry) == keys[kind] | judged, kind
        assert entry["kind"] == kind
    s = A.sweep_summary(r, ["a@0.1", "b@0.1"], [1, 2], 1, 0.05)
    assert set(s) == {"points", "baseline", "comparisons_to_baseline", "worse_from", "all_diverged", "some_diverged"}
    assert set(s["points"][0]) == {"value", "group", "best_val_loss", "val_acc_at_best", "n_done", "n_diverged"}
    assert s["comparisons_to_baseline"][0]["value"] == 2 and s["baseline"] == 1


def test_group_shapes_every_branch():
    up = [1.0, 0.2, 0.1]
    every = results({"x@0.1": [run([1.0, 0.3, 0.6], train=up, seed=0), run([1.0, 0.3, 0.7], train=up, seed=1)]})
    assert text(A.group_observations(every, 0))[1:] == [
        "It levels off by epoch 2 and 2 (one per seed; no later epoch improves by more than 1.0 %).",
        "Every seed overfits: after its best epoch the validation loss turns upward, ending 0.350 ± 0.071 above "
        "its best, with a final gap of 0.550 ± 0.071 to the training loss."]
    flat = results({"x@0.1": [run([1.0, 0.8, 0.6], seed=0), run([1.0, 0.9, 0.7], seed=1)]})
    assert text(A.group_observations(flat, 0))[1:] == [
        "No seed has levelled off: each is still improving at the last epoch.",
        "No seed turns upward: each ends within 10 % of its best, with a final gap of -0.100 ± 0.000 to the "
        "training loss."]
    stuck = results({"x@0.2": [run([1.62, 1.61], seed=0), run([1.615, 1.612], seed=1)]})
    assert text(A.group_observations(stuck, 0))[0] == (
        "No seed learned: the best validation loss, 1.611 ± 0.001, is not 10 % below the chance level ln 5 = 1.609.")
    refs_resolve(stuck, A.group_observations(stuck, 0))


def test_divergence_words_without_steps_and_in_a_later_epoch():
    r = results({"x@0.2": [run([1.0, 0.9], status="diverged", divergence={"epoch": 3, "step": None, "global_step": None,
                                                                          "steps_before": 20, "step_losses": [0.5]})]})
    assert text(A.run_observations(r, 0))[0] == (
        "Training diverged in epoch 3: its loss became NaN or infinite. The curve shows the epochs before it.")
    r = results({"x@0.2": [dict(run([1.0], status="diverged"), divergence=None, diverged_epoch=2)]})
    assert text(A.run_observations(r, 0))[0] == (
        "Training diverged in epoch 2: its loss became NaN or infinite. The curve shows the epochs before it.")
    both = results({"x@0.2": [run(status="diverged", divergence=STEPS, seed=0),
                              run(status="diverged", divergence=dict(STEPS, step=1, global_step=1, step_losses=[None]),
                                  seed=1)]})
    assert text(A.group_observations(both, 0)) == [
        "Every seed diverged in epoch 1, at step 4 and 1 (the last finite batch losses: 4.5e+04); the figure shows "
        "each seed's batch loss step by step up to there."]
    later = results({"x@0.2": [run([1.0], status="diverged", divergence=dict(STEPS, epoch=2), seed=0)] * 2})
    assert text(A.group_observations(later, 0))[0] == "Every seed diverged (in epoch 2): the loss became NaN or infinite."


def test_claim_evidence_words_for_every_case():
    flat = lambda k, v: run([1.61, v], share=[0.5, 1.0], spread=[0.3, 1e-8], seed=k)  # noqa: E731
    r = with_claim(results({"a@0.2": [flat(0, 1.609), flat(1, 1.6091)], "b@0.2": [flat(0, 1.6085), flat(1, 1.6095)]}),
                   {"similar": "best_val_loss", "a": "a@0.2", "b": "b@0.2"})
    assert r["claims"][0]["verdict"] == "inconclusive" and r["claims"][0]["reason"] == "both_collapsed"
    assert one(A.claim_evidence(r, 0)) == (
        "best validation loss: a@0.2 1.609 ± 0.000 vs b@0.2 1.609 ± 0.001. Inconclusive: both groups collapsed in every "
        "seed: their outputs no longer depend on the input, so the claim cannot be judged by them.")
    r = with_claim(results({"a@0.1": seeds(0.3), "b@0.1": seeds(0.4)}), {"lower": "best_val_loss", "a": "a@0.1",
                                                                        "b": "b@0.1"})
    assert one(A.claim_evidence(r, 0)) == ("best validation loss: a@0.1 0.300 vs b@0.1 0.400. Inconclusive: a group it "
                                           "rests on has a single seed, so there is no noise estimate.")
    r = with_claim(results({"a@0.2": [run(status="diverged", divergence=STEPS, seed=k) for k in range(2)],
                            "b@0.2": seeds(0.4, 0.5)}), {"higher": "best_val_loss", "a": "a@0.2", "b": "b@0.2"})
    assert one(A.claim_evidence(r, 0)) == (
        "best validation loss: a@0.2 diverged vs b@0.2 0.450 ± 0.071 (an exact rank test in which the seeds that "
        "diverged before they had a value (2 of a@0.2) rank as the highest, the worst outcome, p = 0.333; the claim's "
        "level 0.05). Inconclusive: its p-value is not below alpha 0.05 (its own p is not below its level, 0.05).")
    r = with_claim(results({"a@0.1": seeds(0.9, 0.95), "b@0.1": seeds(0.3, 0.31)}),
                   {"worst": "best_val_loss", "a": "a@0.1", "among": ["b@0.1"]})
    assert one(A.claim_evidence(r, 0)).startswith(
        "a@0.1 ranks 1 of 2 by mean best validation loss (1 = highest; a group that diverged in every seed ranks at "
        "the highest end); at the claim's level it is significantly higher than 1 of 1 others and significantly lower "
        "than 0. The least clear comparison, a@0.1 against b@0.1: difference 0.620 (p = ")
    r = with_claim(results({"a@0.2": [run(status="diverged", divergence=STEPS)] * 2, "b@0.2": seeds(0.3, 0.31)}),
                   {"best": "best_val_loss", "a": "a@0.2", "among": ["b@0.2"]})
    assert one(A.claim_evidence(r, 0)).startswith(
        "a@0.2 diverged in every seed before it had a value: it ranks at the highest end of the best validation loss; "
        "at the claim's level it is significantly lower than 0 of 1")
    r = with_claim(results({"a@0.1": [run([1.0, 0.5, 0.5], seed=0), run([1.0, 0.5, 0.5], seed=1)]}),
                   {"plateaus_by": "a@0.1", "epoch": 2})
    assert one(A.claim_evidence(r, 0)) == (
        "2 of 2 seeds of a@0.1 level off by epoch 2 (a share of 100.0 %, exact 95 % interval 15.8 % to 100.0 %). What "
        "is tested is whether the group does so on average over its seeds, not whether every seed does: the mean of "
        "each seed's margin (the given epoch minus the plateau epoch, plus half an epoch; positive when it holds), "
        "0.500 ± 0.000 (the same in every seed, so an exact sign test, p = 0.500; the claim's level 0.05). "
        "Inconclusive: its p-value is not below alpha 0.05 (its own p is not below its level, 0.05).")


def test_claims_use_the_alpha_they_are_given():
    """At alpha 0.05 the difference is significant; at alpha 0.001 it is not (p = 0.0097 at Hsu's df)."""
    r = results({"a@0.1": seeds(0.30, 0.31, 0.32), "b@0.1": seeds(0.40, 0.41, 0.42), "a@0.2": seeds(0.40, 0.41, 0.42)})
    for check in ({"lower": "best_val_loss", "a": "a@0.1", "b": "b@0.1"},
                  {"best": "best_val_loss", "a": "a@0.1", "among": ["b@0.1"]},
                  {"lr_beats": "best_val_loss", "better": 0.1, "worse": 0.2}):
        assert with_claim(r, check, alpha=0.05)["claims"][0]["verdict"] == "supported", check
        assert with_claim(r, check, alpha=0.001)["claims"][0]["verdict"] == "inconclusive", check
    c = A.compare(r, "a@0.1", "b@0.1", alpha=0.001)
    assert c["alpha"] == 0.001 and c["verdict"] == "within_noise" and c["needed_seeds"] > 3


def test_one_seed_that_learns_nothing_is_told_against_its_own_chance_level():
    stuck = results({"x@0.2": [run([1.62, 1.61], seed=0)]})
    assert text(A.group_observations(stuck, 0))[0] == (
        "No seed learned: the best validation loss, 1.610, is not 10 % below the chance level ln 5 = 1.609.")
    refs_resolve(stuck, A.group_observations(stuck, 0))


def test_uncertainty_words_leave_out_a_g_that_cannot_be_stated():
    r = {"m": {"ci_low": -0.5, "ci_high": 1.5, "hedges_g": None, "mde": 0.25, "power": 0.8,
               "needed_seeds": 2, "needed_practical": True}}
    assert one(uncertainty_words(r, "/m")) == (
        "descriptive 95 % CI -0.500 to 1.500; at that level these seeds would detect a difference of 0.250 with "
        "power 0.8, and the observed one with 2 seeds per group")
    r["m"]["hedges_g"] = 1.234
    assert one(uncertainty_words(r, "/m")).startswith("descriptive 95 % CI -0.500 to 1.500, Hedges' g 1.23; ")
