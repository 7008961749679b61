"""The planned looks and which groups a look grows, on hand-made results (the simulations are in
test_calibration.py)."""
from dcnn import analysis as A
from test_claims import HIGH, LOW, results_from


def test_planned_looks():
    assert A.planned_looks(3, None) == 1
    assert A.planned_looks(3, 3) == 1 and A.planned_looks(3, 5) == 3 and A.planned_looks(4, 5) == 2
    assert A.planned_looks(5, 3) == 1


def test_a_studys_looks_come_from_the_fewest_seeds_any_claims_group_declares():
    r = results_from({"x@0.1": LOW, "y@0.1": HIGH, "z@0.1": LOW[:2]})
    lower = {"lower": "best_val_loss", "a": "x@0.1", "b": "y@0.1"}
    assert A.study_looks(r, [lower], 5) == 3
    assert A.study_looks(r, [lower, {"overfits": "z@0.1"}], 5) == 4      # z declares 2 seeds
    assert A.study_looks(r, [], 5) == 1 and A.study_looks(r, [lower], None) == 1


def test_only_the_groups_of_undecided_claims_that_may_still_be_decided_grow():
    r = results_from({"x@0.1": LOW, "y@0.1": HIGH, "z@0.1": LOW, "w@0.1": HIGH})
    r["claims"] = [
        {"check": {"lower": "m", "a": "x@0.1", "b": "y@0.1"}, "verdict": "inconclusive", "final": False, "look": 1},
        {"check": {"lower": "m", "a": "z@0.1", "b": "w@0.1"}, "verdict": "supported", "final": True, "look": 1},
        {"check": {"overfits": "w@0.1"}, "verdict": "inconclusive", "final": True, "look": 1}]
    assert A.groups_to_grow(r, 5) == ["x@0.1", "y@0.1"]
    assert A.groups_to_grow(r, 3) == []                                   # every group is at the cap


def test_a_look_grows_only_the_groups_that_lack_its_seeds():
    # x is ahead (it grew for another claim): the claim's next look needs a fourth seed of y alone
    r = results_from({"x@0.1": LOW + LOW[:1], "y@0.1": HIGH})
    r["groups"][0]["declared_seeds"] = 3
    r["claims"] = [{"check": {"lower": "m", "a": "x@0.1", "b": "y@0.1"}, "verdict": "inconclusive", "final": False,
                    "look": 1}]
    assert A.groups_to_grow(r, 5) == ["y@0.1"]
