"""The sequential procedure's bookkeeping, on hand-made looks (the simulation is in test_decide.py)."""
import pytest

from dcnn import analysis as A


def looks(verdicts):
    """evaluate(extra, alpha) that returns the given verdict at each look and records the alphas."""
    seen = []

    def evaluate(extra, alpha):
        seen.append((extra, alpha))
        return {"verdict": verdicts[extra]}
    return evaluate, seen


def test_planned_looks():
    assert A.planned_looks(3, None) == 1
    assert A.planned_looks(3, 3) == 1 and A.planned_looks(3, 5) == 3 and A.planned_looks(4, 5) == 2
    assert A.planned_looks(5, 3) == 1


def test_the_first_look_with_a_verdict_decides_each_at_alpha_over_the_looks():
    evaluate, seen = looks(["inconclusive", "supported", "contradicted"])
    v = A.sequential_verdict(evaluate, 3, 2, 0.06)
    assert v == {"verdict": "supported", "look": 2, "looks": 3, "alpha_per_look": pytest.approx(0.02), "final": True}
    assert seen == [(0, pytest.approx(0.02)), (1, pytest.approx(0.02))]     # the third look is never taken


def test_undecided_while_a_planned_look_is_left():
    evaluate, seen = looks(["inconclusive", "inconclusive", "inconclusive"])
    v = A.sequential_verdict(evaluate, 3, 1, 0.05)
    assert v["verdict"] == "inconclusive" and v["look"] == 2 and v["final"] is False and len(seen) == 2
    evaluate, _ = looks(["inconclusive"] * 3)
    assert A.sequential_verdict(evaluate, 3, 5, 0.05)["final"] is True      # all planned looks used
    evaluate, seen = looks(["supported"])
    assert A.sequential_verdict(evaluate, 1, 0, 0.05)["look"] == 1 and seen == [(0, 0.05)]


def test_a_look_keeps_the_seeds_a_group_had_then():
    from test_decide import synthetic

    r = synthetic({"x@0.1": [0.1, 0.2, 0.3, 0.4, 0.5], "y@0.1": [1.0, 2.0, 3.0, 4.0]})
    at = A.at_look(r, 1, {"x@0.1": 3, "y@0.1": 2})
    x, y = at["groups"]
    assert x["metrics"]["best_val_loss"]["values"] == [0.1, 0.2, 0.3, 0.4] and x["n_seeds"] == 4
    assert y["metrics"]["best_val_loss"]["values"] == [1.0, 2.0, 3.0] and y["metrics"]["best_val_loss"]["mean"] == 2.0
    assert r["groups"][0]["n_seeds"] == 5                                  # the results themselves are untouched
