"""Seed comparisons and claim verdicts on hand-made histories."""

from dcnn import analysis as A


def hist(val):
    return [{"epoch": i + 1, "train_loss": v * 0.5, "val_loss": v, "val_acc": 0.5, "seconds": 0.0}
            for i, v in enumerate(val)]


def results_from(groups: dict[str, list[list[float]]]) -> dict:
    """A results dict with one group per name (variant@lr) and one run per list of val losses."""
    runs, out = [], []
    for name, seeds in groups.items():
        variant, lr = name.split("@")
        idx = []
        for s, val in enumerate(seeds):
            h = hist(val) if val else []
            runs.append({"variant": variant, "lr": float(lr), "seed": s, "status": "complete" if val else "diverged",
                         "history": h, "metrics": A.compute_metrics(h, 5), "num_classes": 5,
                         "diverged_epoch": None if val else 1})
            idx.append(len(runs) - 1)
        out.append({"group": name, "variant": variant, "lr": float(lr), "runs": idx, "sweep": None,
                    "declared_seeds": len(idx), **A.summarise_group([runs[i] for i in idx])})
    return {"runs": runs, "groups": out, "study": {"analysis": {"plateau_tol": 0.01}}}


LOW = [[1.0, 0.30], [1.0, 0.32], [1.0, 0.31]]
HIGH = [[1.0, 0.60], [1.0, 0.62], [1.0, 0.59]]
MIXED = [[1.0, 0.25], [1.0, 0.65], [1.0, 0.45]]


def judged(groups, check, alpha=0.05, **kw) -> dict:
    """The claim judged as a study of one claim judges it (verdicts.judge_claims)."""
    return A.judge_claims(results_from(groups), [{"check": check}], A.Judging(alpha=alpha), **kw)[0]


def verdict(groups, check, **kw):
    return judged(groups, check, **kw)["verdict"]


def test_lower_claim_flips_when_the_histories_are_swapped():
    check = {"lower": "best_val_loss", "a": "x@0.1", "b": "y@0.1"}
    assert verdict({"x@0.1": LOW, "y@0.1": HIGH}, check) == "supported"
    assert verdict({"x@0.1": HIGH, "y@0.1": LOW}, check) == "contradicted"


def test_overlapping_seeds_are_inconclusive():
    check = {"lower": "best_val_loss", "a": "x@0.1", "b": "y@0.1"}
    assert verdict({"x@0.1": MIXED, "y@0.1": HIGH}, check) == "inconclusive"


def test_similar_needs_the_difference_shown_inside_the_margin():
    check = {"similar": "best_val_loss", "a": "x@0.1", "b": "y@0.1"}
    assert verdict({"x@0.1": LOW, "y@0.1": [[1.0, 0.31], [1.0, 0.311], [1.0, 0.309]]}, check) == "supported"
    assert verdict({"x@0.1": LOW, "y@0.1": HIGH}, check) == "contradicted"
    assert verdict({"x@0.1": MIXED, "y@0.1": HIGH}, check) == "inconclusive"


def test_a_diverged_run_is_the_worst_outcome_of_a_rank_test():
    check = {"higher": "best_val_loss", "a": "x@0.2", "b": "y@0.2"}
    # three seeds a side: the exact rank test's smallest p is 0.1, so no verdict, but it points the right way
    e = judged({"x@0.2": [[], [], []], "y@0.2": LOW}, check)
    assert (e["candidate"], e["verdict"], e["p_value"]) == ("supported", "inconclusive", 0.1)
    assert judged({"x@0.2": LOW, "y@0.2": [[], [], []]}, check)["candidate"] == "contradicted"
    five = [[1.0, 0.30 + 0.01 * k] for k in range(5)]
    assert verdict({"x@0.2": [[]] * 5, "y@0.2": five}, check) == "supported"          # 2 / 252
    assert verdict({"x@0.2": five, "y@0.2": [[]] * 5}, check) == "contradicted"


def test_single_seed_is_never_significant():
    r = results_from({"x@0.1": [[1.0, 0.3]], "y@0.1": [[1.0, 0.6]]})
    c = A.compare(r, "x@0.1", "y@0.1")
    assert c["verdict"] == "single_seed" and c["p_value"] is None
    assert verdict({"x@0.1": [[1.0, 0.3]], "y@0.1": [[1.0, 0.6]]},
                   {"lower": "best_val_loss", "a": "x@0.1", "b": "y@0.1"}) == "inconclusive"


def test_per_seed_flags_are_tests_of_their_margin():
    up = [[1.0, 0.3, 0.6], [1.0, 0.3, 0.7], [1.0, 0.3, 0.65]]     # each ends far above its best
    flat = [[1.0, 0.3, 0.3], [1.0, 0.3, 0.31], [1.0, 0.3, 0.3]]
    assert verdict({"x@0.1": up}, {"overfits": "x@0.1"}) == "supported"
    assert verdict({"x@0.1": flat}, {"overfits": "x@0.1"}) == "contradicted"
    assert verdict({"x@0.1": up[:2] + flat[:1]}, {"overfits": "x@0.1"}) == "inconclusive"
    stuck = [[1.62, 1.61], [1.61, 1.615], [1.63, 1.62]]
    assert verdict({"x@0.1": stuck}, {"never_learns": "x@0.1"}) == "supported"
    assert verdict({"x@0.1": LOW}, {"never_learns": "x@0.1"}) == "contradicted"
    improving = [[1.0, 0.8, 0.6], [1.0, 0.7, 0.5], [1.0, 0.9, 0.7]]
    assert verdict({"x@0.1": improving}, {"still_improving": "x@0.1"}) == "supported"
    # Every seed levels off at epoch 2: no spread for a t-test, and a sign test on three seeds gives 0.25.
    assert verdict({"x@0.1": flat}, {"plateaus_by": "x@0.1", "epoch": 2}) == "inconclusive"
    early = [[1.0, 0.3, 0.3, 0.3, 0.3, 0.3], [1.0, 0.8, 0.3, 0.3, 0.3, 0.3], [1.0, 0.3, 0.3, 0.3, 0.3, 0.3],
             [1.0, 0.8, 0.3, 0.3, 0.3, 0.3]]
    assert verdict({"x@0.1": early}, {"plateaus_by": "x@0.1", "epoch": 5}) == "supported"   # at epoch 2 or 3


def test_best_of_and_learning_rate_claims():
    groups = {"a@0.002": LOW, "b@0.002": HIGH, "a@0.2": HIGH, "b@0.2": [[1.0, 0.9], [1.0, 0.92], [1.0, 0.91]]}
    assert verdict(groups, {"best": "best_val_loss", "a": "a@0.002", "among": ["b@0.002"]}) == "supported"
    assert verdict(groups, {"worst": "best_val_loss", "a": "a@0.002", "among": ["b@0.002"]}) == "contradicted"
    assert verdict(groups, {"lr_beats": "best_val_loss", "better": 0.002, "worse": 0.2}) == "supported"
    assert verdict(groups, {"lr_beats": "best_val_loss", "better": 0.2, "worse": 0.002}) == "contradicted"


def _welch_by_hand(a, b):
    """(difference, standard error, two-sided p) of Welch's statistic at Hsu's degrees of freedom
    (min(na, nb) − 1), from its textbook formulas."""
    import math

    from scipy.stats import t as student_t

    ma, mb = sum(a) / len(a), sum(b) / len(b)
    va = sum((x - ma) ** 2 for x in a) / (len(a) - 1) / len(a)
    vb = sum((x - mb) ** 2 for x in b) / (len(b) - 1) / len(b)
    t = (ma - mb) / math.sqrt(va + vb)
    return ma - mb, math.sqrt(va + vb), 2 * student_t.sf(abs(t), min(len(a), len(b)) - 1)


def test_comparison_words_follow_the_evidence():
    r = results_from({"x@0.1": LOW, "y@0.1": HIGH, "z@0.1": MIXED})
    r["comparisons"] = [A.compare(r, "x@0.1", "y@0.1"), A.compare(r, "z@0.1", "y@0.1")]
    for c in r["comparisons"]:
        c["magnitude"] = abs(c["difference"])      # as results.collect adds it
    text = lambda ci: "".join(p if isinstance(p, str) else p.text for p in A.comparison_sentence(r, ci, "x", "y", "2.1"))
    best = lambda runs: [min(v) for v in runs]
    diff, se, p = _welch_by_hand(best(LOW), best(HIGH))
    assert 0.001 <= p < 0.05 and r["comparisons"][0]["p_value"] == __import__("pytest").approx(p, rel=1e-9)
    assert f"the best validation loss is lower by {abs(diff):.3f} ± {se:.3f} (p = {p:.3f}; interval at the verdict's " \
           "level (alpha 0.05) " in text(0)
    assert f"{abs(diff):.3f}" == "0.293" and text(0).endswith(")." ) and "with power 0.8" in text(0)
    assert "; descriptive 95 % CI " in text(0) and "seeds per group" not in text(0)   # decided: no seed count needed
    diff, se, p = _welch_by_hand(best(MIXED), best(HIGH))
    assert 0.05 < p
    assert f"the difference in best validation loss, {diff:.3f}, is not significant (p = {p:.3f}; interval at " in text(1)
    assert text(1).endswith(" seeds per group).")                  # undecided: how many would decide it
