"""The metric definitions of docs/metrics.md on hand-made histories, edge cases included."""
import math

import pytest
from scipy import stats

from dcnn import analysis as A


def hist(val, train=None, acc=None):
    train = train or [v + 0.1 for v in val]
    return [{"epoch": i + 1, "train_loss": t, "val_loss": v, "val_acc": (acc or [0.5] * len(val))[i], "seconds": 1.0}
            for i, (t, v) in enumerate(zip(train, val))]


def test_best_epoch_is_the_first_of_tied_minima():
    m = A.compute_metrics(hist([1.0, 0.5, 0.7, 0.5, 0.9]), 5)
    assert m["best_val_loss"] == 0.5
    assert m["best_epoch"] == 2


def test_final_losses_and_gaps():
    m = A.compute_metrics(hist([1.0, 0.4, 0.8], train=[0.9, 0.3, 0.1]), 5)
    assert m["final_train_loss"] == 0.1 and m["final_val_loss"] == 0.8
    assert m["overfit_gap"] == pytest.approx(0.7)
    assert m["gap_at_best"] == pytest.approx(0.1)
    assert m["final_rise"] == pytest.approx(0.4)
    assert m["upturn_epoch"] == 3          # the epoch after the best one
    assert m["overfits"] is True


def test_no_plateau_while_still_improving():
    assert A.plateau_epoch([1.0, 0.9, 0.8, 0.7, 0.6]) is None
    assert A.compute_metrics(hist([1.0, 0.9, 0.8]), 5)["plateau_epoch"] is None


def test_plateau_at_epoch_one():
    assert A.plateau_epoch([0.5, 0.6, 0.55, 0.7]) == 1


def test_plateau_tolerance_is_relative():
    # Later epochs improve on 1.0 by 0.5 % only: within tol = 1 %, so it plateaued at epoch 1 ...
    assert A.plateau_epoch([1.0, 0.995, 0.996, 0.995], tol=0.01) == 1
    # ... but not with tol = 0.1 %: the best-so-far at epoch 2 (0.995) is then the plateau.
    assert A.plateau_epoch([1.0, 0.995, 0.996, 0.995], tol=0.001) == 2


def test_plateau_needs_an_epoch_before_the_last():
    assert A.plateau_epoch([1.0]) is None
    assert A.plateau_epoch([1.0, 2.0]) == 1


def test_diverged_in_first_epoch_has_no_metrics():
    m = A.compute_metrics([], 5)
    assert m["best_val_loss"] is None and m["best_epoch"] is None and m["plateau_epoch"] is None
    assert m["chance_loss"] == pytest.approx(math.log(5))
    assert m["learned"] is False


def test_diverged_run_keeps_the_epochs_before_it():
    m = A.compute_metrics(hist([1.2, 0.9, 0.8]), 5)   # diverged in epoch 4: three epochs kept
    assert m["best_epoch"] == 3 and m["final_val_loss"] == 0.8


def test_never_learned_is_measured_against_chance():
    chance = math.log(5)
    assert A.compute_metrics(hist([1.62, 1.61, 1.609]), 5)["learned"] is False
    assert A.compute_metrics(hist([0.9 * chance]), 5)["learned"] is False           # strictly below 0.9·ln C
    assert A.compute_metrics(hist([0.9 * chance - 1e-9]), 5)["learned"] is True


def test_no_upturn_when_it_ends_near_its_best():
    m = A.compute_metrics(hist([1.0, 0.5, 0.54]), 5)
    assert m["upturn_epoch"] is None and m["overfits"] is False


def test_aggregate_uses_sample_std_and_keeps_missing_seeds():
    agg = A.aggregate([1.0, 2.0, None, 3.0])
    assert agg["mean"] == 2.0 and agg["std"] == pytest.approx(1.0) and agg["n"] == 3
    assert agg["values"] == [1.0, 2.0, None, 3.0]
    assert A.aggregate([None])["mean"] is None


def test_welch_matches_the_textbook_formulas():
    a, b = [0.31, 0.35, 0.29], [0.52, 0.44, 0.61, 0.58]
    p, diff, se = A.welch(a, b)
    ma, mb = sum(a) / 3, sum(b) / 4
    va = sum((x - ma) ** 2 for x in a) / 2 / 3          # variance of the mean, n - 1 in the variance
    vb = sum((x - mb) ** 2 for x in b) / 3 / 4
    t = (ma - mb) / math.sqrt(va + vb)
    df = min(3, 4) - 1                                  # Hsu's: the smaller group's seeds less one
    assert diff == pytest.approx(ma - mb) and se == pytest.approx(math.sqrt(va + vb))
    assert p == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-9)
    # Five seeds a side: p is Student's at 4 degrees of freedom, from the t table: t = 2.776 is the two-sided
    # 5 % point there (at Welch–Satterthwaite's 8 it would be 2.306).
    a = [1.0, 2.0, 3.0, 4.0, 5.0]
    shift = 2.776 * math.sqrt(2 * 2.5 / 5)               # var = 2.5 on each side
    p, _, _ = A.welch(a, [x + shift for x in a])
    assert p == pytest.approx(0.05, abs=2e-4)


def test_welch_with_one_seed_has_no_p_value():
    assert A.welch([0.3], [0.5, 0.6])[0] is None


@pytest.mark.parametrize("fmt,value,text", [("loss", 0.12345, "0.123"), ("int", 7, "7"), ("pct", 0.9312, "93.1 %"),
                                            ("p", 0.0004, "p < 0.001"), ("p", 0.04567, "p = 0.046"), ("g", 0.002, "0.002")])
def test_number_formats(fmt, value, text):
    assert A.format_number(value, fmt) == text
