"""not_worse (analysis/kinds/not_worse.py): a claim kind added in one file — its schema keys, its
one-sided Welch test against the margin (TOST's one half, as similar's, at Hsu's degrees of freedom),
its words, and its error rate where it is false."""
import math

import numpy as np
import pytest
import yaml
from statsmodels.stats.weightstats import ttest_ind

from dcnn import analysis as A
from dcnn import judge
from dcnn.analysis.calibration import calibrate, simulate_one
from dcnn.analysis.world import World
from dcnn.analysis.kinds import CLAIM_KINDS
from dcnn.analysis.numbers import Num
from dcnn.analysis.synthetic import results_from
from dcnn.analysis.vocabulary import METRICS
from dcnn.study.resolve import load_study
from dcnn.study.schema import StudyError
from conftest import STUDY, write_study

X, Y = "x@0.1", "y@0.1"
ALPHA = 0.05


def _judged(a, b, metric="best_val_loss", **margin):
    r = results_from({X: [{metric: v} for v in a], Y: [{metric: v} for v in b]})
    r["claims"] = A.judge_claims(r, [{"check": {"not_worse": metric, "a": X, "b": Y, **margin}}], A.Judging(),
                                 correction="none")
    return r, r["claims"][0]


def test_supported_when_a_is_shown_within_the_margin_and_contradicted_when_beyond():
    b = [1.00, 1.02, 0.98, 1.01]
    assert _judged([1.01, 1.03, 0.99, 1.00], b, margin=0.1)[1]["verdict"] == "supported"
    assert _judged([1.31, 1.33, 1.29, 1.30], b, margin=0.1)[1]["verdict"] == "contradicted"
    assert _judged([0.70, 1.40, 0.90, 1.30], b, margin=0.1)[1]["verdict"] == "inconclusive"   # too noisy to tell
    # a far better than b is not worse at all
    assert _judged([0.51, 0.53, 0.49, 0.50], b, margin=0.01)[1]["verdict"] == "supported"


def test_its_p_value_is_statsmodels_one_sided_welch_statistic_against_the_margin_at_hsus_df():
    from scipy import stats

    a, b = [1.05, 1.08, 1.02], [1.00, 1.03, 0.97]
    _, c = _judged(a, b, margin=0.2)
    t = ttest_ind(a, b, alternative="smaller", usevar="unequal", value=0.2)[0]
    expected = stats.t.cdf(t, 2)                    # min(3, 3) − 1 degrees of freedom
    assert c["non_inferiority"]["p_not_worse"] == pytest.approx(expected, rel=1e-9)
    # the claim's p is twice the one-sided one: "not worse" and "worse" each at half the level
    assert c["p_value"] == pytest.approx(2 * expected, rel=1e-9) and c["candidate"] == "supported"


def test_for_an_accuracy_worse_means_lower():
    b = [0.90, 0.91, 0.89, 0.90]
    _, c = _judged([0.60, 0.61, 0.59, 0.60], b, metric="test_acc_at_best", margin=0.05)
    assert c["verdict"] == "contradicted" and c["non_inferiority"]["worse_is"] == "lower"
    _, c = _judged([0.95, 0.96, 0.94, 0.95], b, metric="test_acc_at_best", margin=0.05)
    assert c["verdict"] == "supported"


def test_the_default_margin_is_a_share_of_bs_mean():
    _, c = _judged([1.0, 1.02, 0.98], [2.0, 2.02, 1.98])
    assert c["worse_margin"] == {"value": pytest.approx(0.2), "relative": 0.1}


def test_its_words_name_the_margin_and_the_direction_of_worse():
    r, _ = _judged([1.01, 1.03, 0.99, 1.00], [1.00, 1.02, 0.98, 1.01], margin=0.1)
    text = "".join(p.text if isinstance(p, Num) else p for p in A.claim_evidence(r, 0))
    assert "worse meaning higher by more than 0.1" in text and "One-sided Welch tests against the margin" in text


def test_judge_takes_it_as_the_study_does():
    j = judge("not_worse", [1.01, 1.03, 0.99, 1.00], [1.00, 1.02, 0.98, 1.01], margin=0.1)
    assert j["verdict"] == "supported" and j["margin"] == pytest.approx(0.1)


def test_a_study_declares_it_and_its_keys_are_checked(tmp_path):
    d = yaml.safe_load(STUDY.read_text())
    d["claims"] = [{"section": "3.1", "says": "freezing the first layers costs little",
                    "check": {"not_worse": "test_loss_at_best", "a": "vgg16-freeze-first15@0.002",
                              "b": "vgg16-train-all@0.002", "margin": 0.05}}]
    study = load_study(write_study(tmp_path / "ok.yaml", d))
    assert study.file.claims[0].check.kind == "not_worse"
    d["claims"][0]["check"].pop("b")
    with pytest.raises(StudyError, match=r"'not_worse' takes a, b \(got a\)"):
        load_study(write_study(tmp_path / "bad.yaml", d))


def test_its_false_verdicts_stay_at_alpha_where_it_is_false_and_where_it_is_true():
    n = 1000
    bound = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / n)
    check = {"not_worse": "best_val_loss", "a": X, "b": Y, "margin": 1.0}
    skeleton = {"groups": [{"group": g, "variant": g[0], "lr": 0.1, "sweep": None, "declared_seeds": 4}
                           for g in (X, Y)]}
    rng = np.random.default_rng(1)
    # x worse than y by exactly the margin, y ten times noisier: the least favourable case, both verdicts false
    world = World([check], centre={m: 10.0 for m in METRICS}, sd={(Y, "best_val_loss"): 10.0},
                  shifts={(X, "best_val_loss"): 1.0})
    false = sum(simulate_one(rng, world, skeleton, [{"check": check}], A.Judging(alpha=ALPHA),
                             cap=None)[0]["verdict"] != "inconclusive" for _ in range(n))
    assert false / n <= bound
    # where nothing differs it is true: calibrate counts its contradictions there, and both verdicts at the margin
    assert CLAIM_KINDS["not_worse"].false_when == ("contradicted",)
    out = calibrate(skeleton, [{"check": check}], A.Judging(alpha=ALPHA), cap=None, n=n, seed=2)
    assert [w["world"] for w in out["worlds"]] == ["nothing differs", "least favourable to claim 1 (not_worse)"]
    assert out["family_rate"] <= bound, out
