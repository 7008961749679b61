"""Claims about one group's seeds — overfits, never_learns, learns, still_improving, plateaus_by: each
seed's margin (positive exactly when the flag holds, the further from zero the clearer), its mean tested
against 0 with a two-sided one-sample t-test (the exact sign test where every seed's margin is the same).
What is tested is the mean over seeds — the group does it on average — not that every seed does: the
words say so, and give the share of seeds that show it with its exact (Clopper–Pearson) interval.
Epochs are whole numbers: a plateau at the given epoch is half an epoch early; none at all, one epoch
past the last."""
from __future__ import annotations

from functools import lru_cache

from ..claim_words import test_words
from ..inference import margin_test
from ..judging import Judging, flag_runs
from ..metrics import LEARNED_FRACTION, RISE_TOL
from ..numbers import Sentence, num, percent
from ..sentences import pm, uncertainty_words
from ..stats import aggregate
from ..uncertainty import one_group, power_with
from ..vocabulary import CONTRADICTED, INCONCLUSIVE, METRICS, SUPPORTED
from .base import CLAIM_KINDS, ClaimKind, register

BIG = 1e3     # calibrate: a final gap so large that the overfits margin is its rise part alone


def judge(results: dict, kind: str, check: dict, how: Judging) -> dict:
    k = CLAIM_KINDS[kind]
    runs = [results["runs"][i]["metrics"] for i in flag_runs(results, check[kind])]
    tol = results["study"]["analysis"].get("plateau_tol", 0.01)
    values = [k.margin(m, check, tol) for m in runs]
    p, side = margin_test(values)
    count = sum(k.holds(m, check) for m in runs)
    entry = {"group": check[kind], "count": count, "n": len(runs), "epoch": check.get("epoch"),
             "share": dict(_share(count, len(runs)) or {}) or None, "margin": {**aggregate(values), "measures": k.margin_words}}
    if side is None:
        reason = "no_epoch" if not runs else ("single_seed" if len(runs) == 1 else "no_margin")
        return {**entry, "candidate": None, "p_value": None, "reason": reason}
    entry["margin"]["p_value"] = p
    return {**entry, "candidate": SUPPORTED if side == "holds" else CONTRADICTED, "p_value": p, "reason": None}


@lru_cache(maxsize=1024)
def _share(count: int, n: int):
    """The share of seeds that show it, with its exact 95 % (Clopper–Pearson) interval (scipy's binomtest)."""
    from scipy import stats

    if n == 0:
        return None
    ci = stats.binomtest(count, n).proportion_ci(0.95, method="exact")
    return {"value": count / n, "ci_low": float(ci.low), "ci_high": float(ci.high), "confidence": 0.95}


def settle(results: dict, entry: dict, level: float, uncertainty: bool) -> None:
    """The mean margin's intervals, detectable margin and needed seeds at the claim's level."""
    if uncertainty:
        entry["margin"].update(one_group(entry["margin"]["values"], level, entry["verdict"] != INCONCLUSIVE))


def reach(results: dict, entry: dict, level: float, seeds: int):
    return power_with(entry["margin"]["values"], None, level, seeds)


def evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    if c["n"] == 0:
        return [f"Every seed of {c['group']} diverged before finishing an epoch: there is no curve to judge."]
    if c["kind"] == "plateaus_by":
        s = [num(results, f"{C}/count", "int"), " of ", num(results, f"{C}/n", "int"),
             f" seeds of {c['group']} level off by epoch ", num(results, f"{C}/epoch", "int")]
    else:
        s = [num(results, f"{C}/count", "int"), " of ", num(results, f"{C}/n", "int"),
             f" seeds of {c['group']} with a finished epoch {CLAIM_KINDS[c['kind']].words}"]
    s += [" (a share of ", num(results, f"{C}/share/value", "pct"), ", exact 95 % interval ",
          num(results, f"{C}/share/ci_low", "pct"), " to ", num(results, f"{C}/share/ci_high", "pct"), ")."]
    s += [" What is tested is whether the group does so on average over its seeds, not whether every seed does: "
          f"the mean of each seed's margin ({c['margin']['measures']}; positive when it holds), ",
          *pm(results, f"{C}/margin")]
    test = test_words(results, ci)
    if test:
        name = "one-sample t-test against 0" if c["margin"]["std"] else "the same in every seed, so an exact sign test"
        s += [f" ({name}, ", *test, ")"]
    more = uncertainty_words(results, f"{C}/margin")
    return s + (["; ", *more] if more else []) + ["."]


def _flag(name: str, order: int, words: str, holds, margin, margin_words: str, params: tuple[str, ...] = (),
          **more) -> ClaimKind:
    return ClaimKind(name, "flag", lambda r, check, how: judge(r, name, check, how), evidence, params, order=order,
                     names_metric=False, words=words, holds=holds, margin=margin, margin_words=margin_words,
                     settle=settle, reach=reach, truth=lambda check, mean, groups: truth(name, check, mean), **more)


def truth(name: str, check: dict, mean) -> float:
    """The true mean margin: the world's own where the kind draws it (``null``), else its margin of the
    true metrics (learns, never_learns: of the best validation loss and chance)."""
    kind = CLAIM_KINDS[name]
    if kind.null is not None:
        return mean(check[name], f"margin:{name}")
    true = {m: mean(check[name], m) for m in METRICS} | {"chance_loss": mean(check[name], "chance_loss")}
    return kind.margin(true, check, 0.0)


register(
    _flag("overfits", 30, "overfit", lambda m, check: bool(m["overfits"]),
          lambda m, check, tol: min(m["final_rise"] - RISE_TOL * abs(m["best_val_loss"]), m["overfit_gap"]),
          f"the smaller of the final rise above the best validation loss less {percent(RISE_TOL)} of it, and "
          "the final gap",
          null=lambda m, world, noise: m.update(overfit_gap=BIG + noise("overfit_gap"),
                                                final_rise=RISE_TOL * abs(m["best_val_loss"]) + noise("margin:overfits"))),
    _flag("never_learns", 31, "never learned", lambda m, check: not m["learned"],
          lambda m, check, tol: m["best_val_loss"] - LEARNED_FRACTION * m["chance_loss"],
          f"the best validation loss minus {percent(LEARNED_FRACTION)} of chance",
          null_centre={"best_val_loss": lambda chance: LEARNED_FRACTION * chance}),
    _flag("learns", 32, "learned", lambda m, check: bool(m["learned"]),
          lambda m, check, tol: LEARNED_FRACTION * m["chance_loss"] - m["best_val_loss"],
          f"{percent(LEARNED_FRACTION)} of chance minus the best validation loss",
          null_centre={"best_val_loss": lambda chance: LEARNED_FRACTION * chance}),
    _flag("still_improving", 33, "are still improving at the last epoch",
          lambda m, check: m["plateau_epoch"] is None,
          lambda m, check, tol: (m["last_gain"] or 0.0) - tol,
          "the last epoch's gain on the best before it, relative, minus the plateau tolerance",
          null=lambda m, world, noise: m.update(last_gain=world.tol + noise("margin:still_improving"))),
    _flag("plateaus_by", 34, "level off by the given epoch",
          lambda m, check: m["plateau_epoch"] is not None and m["plateau_epoch"] <= check["epoch"],
          lambda m, check, tol: check["epoch"] + 0.5 - (m["last_epoch"] + 1 if m["plateau_epoch"] is None
                                                        else m["plateau_epoch"]),
          "the given epoch minus the plateau epoch, plus half an epoch", ("epoch",),
          null=lambda m, world, noise: m.update(
              plateau_epoch=next((c["epoch"] for c in world.checks if c.get("plateaus_by")), 10) + 0.5
              + noise("margin:plateaus_by"))),
)
