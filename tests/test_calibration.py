"""The verdicts hold their error rate: thousands of synthetic studies go through the code that judges a
real one (synthetic results → claims → verdicts, and --decide's choice of groups to grow), for every
claim kind at caps of 3, 5 and 8 seeds, where nothing differs and where the claim is least favourably
placed (analysis/calibration.py, world.py)."""
import math

import numpy as np
import pytest

from dcnn import analysis as A
from dcnn.analysis.calibration import calibrate, simulate_one
from dcnn.analysis.vocabulary import METRICS
from dcnn.analysis.world import World

N = 400                      # synthetic studies per kind, cap and world: simulation SE ≈ 0.011 at a rate of 0.05
ALPHA = 0.05
X, Y, Z, W = "x@0.1", "y@0.1", "z@0.1", "w@0.1"


def skeleton(*groups, seeds=3):
    return {"groups": [{"group": g, "variant": g.split("@")[0], "lr": float(g.split("@")[1]), "sweep": None,
                        "declared_seeds": seeds} for g in groups]}


CASES = {   # kind → (groups, check)
    "lower": ((X, Y), {"lower": "best_val_loss", "a": X, "b": Y}),
    "higher": ((X, Y), {"higher": "overfit_gap", "a": X, "b": Y}),
    "similar": ((X, Y), {"similar": "best_val_loss", "a": X, "b": Y, "margin": 1.0}),
    "not_worse": ((X, Y), {"not_worse": "best_val_loss", "a": X, "b": Y, "margin": 1.0}),
    "best": ((X, Y, Z, W), {"best": "best_val_loss", "a": X, "among": [Y, Z, W]}),
    "worst": ((X, Y, Z), {"worst": "final_val_loss", "a": X, "among": [Y, Z]}),
    "lr_beats": (("x@0.1", "x@0.2", "y@0.1", "y@0.2", "z@0.1", "z@0.2"),
                 {"lr_beats": "best_val_loss", "better": 0.1, "worse": 0.2}),
    "overfits": ((X,), {"overfits": X}),
    "never_learns": ((X,), {"never_learns": X}),
    "learns": ((X,), {"learns": X}),
    "still_improving": ((X,), {"still_improving": X}),
    "plateaus_by": ((X,), {"plateaus_by": X, "epoch": 5}),
}


def noisy(groups, check, p_lost=0.0):
    """A world where the first group is ten times noisier than the others (where Welch's degrees of freedom
    were least favourable), and seeds diverge before they have a value with probability ``p_lost``."""
    sd = {(groups[0], k): 10.0 for k in [*METRICS, f"margin:{A.claim_kind(check)}"]}
    return World([check], sd=sd, p_lost=p_lost)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_no_kind_of_claim_gives_false_verdicts_beyond_alpha_at_caps_3_5_and_8(kind):
    groups, check = CASES[kind]
    for cap in (3, 5, 8):
        out = calibrate(skeleton(*groups), [{"check": check}], A.Judging(alpha=ALPHA), cap=cap if cap > 3 else None,
                        n=N, seed=cap, world=noisy(groups, check, p_lost=0.2 if cap == 5 else 0.0))
        assert out["family_rate"] <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / N), (kind, cap, out["worlds"])


def verdicts(check, shift, cap, n, sd=1.0, seeds=3, seed=0):
    rng = np.random.default_rng(seed)
    world = World([check], centre={m: 10.0 for m in METRICS}, fallback={"best_val_loss": sd},
                  shifts={(X, "best_val_loss"): shift})
    return [simulate_one(rng, world, skeleton(X, Y, seeds=seeds), [{"check": check}], A.Judging(alpha=ALPHA),
                         cap=cap if cap > seeds else None)[0]["verdict"] for _ in range(n)]


def share(vs, verdict):
    return sum(v == verdict for v in vs) / len(vs)


def test_similar_is_rarely_supported_when_the_difference_is_at_the_margin_or_beyond():
    check = {"similar": "best_val_loss", "a": X, "b": Y, "margin": 1.0}
    bound = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / N)
    for cap in (3, 5, 8):
        vs = verdicts(check, 1.0, cap, N, seed=cap)                       # exactly at the margin: both are false
        assert share(vs, "supported") + share(vs, "contradicted") <= bound, cap
    assert share(verdicts(check, 1.5, 5, N), "supported") <= 0.05                           # 1.5 × the margin


def test_similar_is_supported_when_nothing_differs_and_the_seeds_are_enough():
    check = {"similar": "best_val_loss", "a": X, "b": Y, "margin": 0.3}
    assert share(verdicts(check, 0.0, 10, 300, sd=0.1, seeds=10), "supported") >= 0.8      # SD = margin / 3


def test_adding_seeds_gains_power_on_a_real_difference():
    check = {"lower": "best_val_loss", "a": X, "b": Y}
    power = {cap: share(verdicts(check, -2.0, cap, 300, seed=cap), "supported") for cap in (3, 5, 8, 12)}
    assert power[3] < power[5] < power[8] <= power[12] and power[12] > 0.5, power


def test_testing_at_alpha_at_every_look_would_not_hold_the_rate():
    """What dcnn does not do: add a seed after every undecided look and test each look at the full alpha
    (where one group is ten times noisier, so that the guarded test is exact at each look)."""
    from dcnn.analysis.synthetic import add_run, results_from

    check = {"lower": "best_val_loss", "a": X, "b": Y}
    rng, world = np.random.default_rng(5), noisy((X, Y), check)
    decided = 0
    for _ in range(N):
        r = results_from({g: [world.draw(rng, g) for _ in range(3)] for g in (X, Y)})
        for n in range(3, 9):
            if n > 3:
                for g in (X, Y):
                    add_run(r, g, world.draw(rng, g))
            if A.judge_claims(r, [{"check": check}], A.Judging(alpha=ALPHA), uncertainty=False)[0]["verdict"] != \
                    "inconclusive":
                decided += 1
                break
    assert decided / N > ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / N), decided / N


def test_the_family_of_a_studys_claims_is_corrected_together():
    """Twelve groups where nothing differs, every other one ten times noisier: "best of 12" and eleven
    pairwise claims. Without a correction some claim is false far more often than alpha; with Holm's it is not."""
    groups = [f"g{k}@0.1" for k in range(12)]
    claims = [{"check": {"best": "best_val_loss", "a": groups[0], "among": groups[1:]}}] + [
        {"check": {"lower": "best_val_loss", "a": groups[k], "b": groups[k + 1]}} for k in range(11)]
    world = World([c["check"] for c in claims], sd={(g, "best_val_loss"): 10.0 for g in groups[::2]})
    kw = dict(cap=None, n=300, world=world, least_favourable=False)
    holm = calibrate(skeleton(*groups), claims, A.Judging(alpha=ALPHA, correction="holm"), **kw)
    none = calibrate(skeleton(*groups), claims, A.Judging(alpha=ALPHA, correction="none"), **kw)
    assert holm["family_rate"] <= ALPHA + 3 * holm["family_se"] and none["family_rate"] > 0.12, (holm, none)


def test_a_kinds_false_verdicts_follow_the_worlds_truth():
    """Where nothing differs the kinds' own ``false_when``; in a shifted world their ``truth``: at the
    boundary both verdicts are false, beyond it one."""
    from dcnn.analysis.world import study_world

    for kind, (groups, check) in CASES.items():
        k = A.claims.CLAIM_KINDS[kind]
        assert k.false_in(check, study_world(None, [check]).mean, list(groups)) == k.false_when, kind
    check = CASES["similar"][1]
    at, inside = World([check], shifts={(X, "best_val_loss"): 1.0}), World([check], shifts={(X, "best_val_loss"): 0.5})
    kind = A.claims.CLAIM_KINDS["similar"]
    assert kind.false_in(check, at.mean, []) == ("supported", "contradicted")
    assert kind.false_in(check, inside.mean, []) == ("contradicted",) == kind.false_when
