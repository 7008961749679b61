"""What matters most, as statistics: a type-II ANOVA of per-seed values on a study's factors and their
two-way interactions, each effect's partial η² (its share of the variance it and the residual
explain), and a seeded resample of the seeds within cells for their intervals.

- The table (sums of squares, degrees of freedom, F, p) is statsmodels' ``ols`` + ``anova_lm(typ=2)``.
- An effect's share is partial η² = SS_effect / (SS_effect + SS_residual); the residual's share is
  SS_residual / (the effects' type-II sums of squares + SS_residual): how much of the variance is
  seed noise.
- The intervals come from thousands of refits, one per resample. Each would be an ``anova_lm`` call
  of ~20 ms, so the refits use the same type-II sums of squares computed directly: for an effect, the
  residual sum of squares of the model of every term that does not contain it, less that of the same
  model with it (least squares on the treatment-coded design, numpy). A resample keeps every cell's
  number of seeds, so each design matrix is the same in every refit and is decomposed once;
  tests/test_factors.py holds these sums of squares to ``anova_lm``'s within 1e-9.
- The resample: within each cell, its seeds drawn with replacement — of their deviations from the
  cell's mean, scaled by √(n / (n − 1)) so that the resampled noise has the seeds' own variance
  (Davison & Hinkley's modified residuals; a plain resample of three seeds shrinks it by a third),
  added back to the cell's mean. numpy's Generator with a fixed seed: every interval is reproducible.
"""
from __future__ import annotations

import functools
import itertools
import warnings
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

RESAMPLES = 4999          # resamples of the seeds within cells (p-values in steps of 1 / 5000)
RESAMPLE_SEED = 0         # the Generator's seed: the same intervals on every render
CONFIDENCE = 0.95         # of the shares' intervals
TIMES = "×"               # an interaction's name: "model×lr"

Term = tuple[int, ...]    # the factors (indices into the design's factors) an effect is made of


def term_name(factors: Sequence[str], term: Term) -> str:
    return TIMES.join(factors[i] for i in term)


def two_way_terms(k: int) -> list[Term]:
    """Every main effect, then every two-way interaction, in the order the factors are declared."""
    return [(i,) for i in range(k)] + list(itertools.combinations(range(k), 2))


def _columns(codes: np.ndarray, term: Term, n_levels: Sequence[int]) -> np.ndarray:
    """A term's treatment-coded columns (the first level of each factor is the reference)."""
    out = np.ones((len(codes), 1))
    for f in term:
        dummies = np.stack([(codes[:, f] == j).astype(float) for j in range(1, n_levels[f])], 1)
        out = np.einsum("ni,nj->nij", out, dummies).reshape(len(codes), -1)
    return out


@functools.lru_cache(maxsize=1)
def _blas():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()          # found once: limiting it per refit is then cheap


def _one_blas_thread():
    return _blas().limit(limits=1, user_api="blas")


def _basis(x: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the column space of ``x`` (its rank decides its size)."""
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, : int((s > s[0] * 1e-10).sum())]


@dataclass
class TypeTwo:
    """The type-II sums of squares of ``terms`` for any number of response vectors on one design."""

    codes: np.ndarray               # observations × factors: each one's level index
    n_levels: tuple[int, ...]
    terms: list[Term]
    bases: list = field(default_factory=list, repr=False)   # the full model's, then per term: without, with it
    stacked: np.ndarray = field(default=None, repr=False)   # every basis side by side: one product per refit

    def __post_init__(self):
        cols = {t: _columns(self.codes, t, self.n_levels) for t in self.terms}
        design = lambda ts: np.hstack([np.ones((len(self.codes), 1))] + [cols[t] for t in ts])  # noqa: E731
        self.bases = [_basis(design(self.terms))]
        for t in self.terms:
            others = [u for u in self.terms if u != t and not set(t) < set(u)]
            self.bases += [_basis(design(others)), _basis(design(others + [t]))]
        self.stacked = np.hstack(self.bases)

    @property
    def rank(self) -> int:
        return self.bases[0].shape[1]

    @property
    def columns(self) -> int:
        return 1 + sum(int(np.prod([self.n_levels[f] - 1 for f in t])) for t in self.terms)

    @property
    def df(self) -> list[int]:
        return [self.bases[2 + 2 * k].shape[1] - self.bases[1 + 2 * k].shape[1] for k in range(len(self.terms))]

    def sums(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(terms × resamples sums of squares, resamples residual sums of squares) of ``y``
        (resamples × observations, or one vector): each model's residual sum of squares is |y|² less
        the squared length of y's projection on its basis."""
        y = np.atleast_2d(y)
        with _one_blas_thread():            # small products: BLAS threads only contend (3× slower on 2 cores)
            projected = (y @ self.stacked) ** 2
        starts = np.cumsum([0] + [b.shape[1] for b in self.bases[:-1]])
        rss = (y * y).sum(-1) - np.add.reduceat(projected, starts, axis=1).T
        residual = np.maximum(rss[0], 0.0)
        effects = np.stack([np.maximum(rss[1 + 2 * k] - rss[2 + 2 * k], 0.0) for k in range(len(self.terms))])
        return effects, residual


def shares(effects: np.ndarray, residual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each effect's partial η², the residual's share of all the type-II sums of squares)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        partial = np.where(effects + residual > 0, effects / (effects + residual), 0.0)
        total = effects.sum(0) + residual
        noise = np.where(total > 0, residual / total, 0.0)
    return partial, noise


def resample(y: np.ndarray, cell: np.ndarray, n: int = RESAMPLES, seed: int = RESAMPLE_SEED) -> np.ndarray:
    """``n`` resamples (n × observations) of the seeds within each cell: modified residuals (above)."""
    order = np.argsort(cell, kind="stable")           # each cell's seeds side by side
    counts = np.bincount(cell)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    centre = np.bincount(cell, weights=y) / np.maximum(counts, 1)
    scale = np.sqrt(counts / np.maximum(counts - 1, 1)) * (counts > 1)
    deviations = ((y - centre[cell]) * scale[cell])[order]
    u = np.random.default_rng(seed).random((n, len(y)))
    picked = starts[cell] + (u * counts[cell]).astype(int)      # a seed of the observation's own cell
    return centre[cell] + deviations[picked]


def interval(draws: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The percentile interval of a share over the resamples. A share is never below 0, and noise alone
    gives it some: a null effect's interval starts at about 0 and ends where the seeds' noise could
    carry it."""
    lo, hi = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(lo), float(hi)


def paired_difference(draws_a: np.ndarray, draws_b: np.ndarray, confidence: float) -> dict:
    """The percentile interval of share a − share b over the same resamples (paired), and the
    two-sided p-value of "it lies above 0 / below 0" that inverts it (with the resamples' +1)."""
    d = draws_a - draws_b
    lo, hi = np.quantile(d, [(1 - confidence) / 2, (1 + confidence) / 2])
    n = len(d)
    p_above = (int((d <= 0).sum()) + 1) / (n + 1)     # small when nearly every resample has a above b
    p_below = (int((d >= 0).sum()) + 1) / (n + 1)
    return {"ci_low": float(lo), "ci_high": float(hi), "confidence": confidence, "p_above": p_above,
            "p_below": p_below, "p_value": min(1.0, 2 * min(p_above, p_below)), "above": p_above < p_below}


def anova_table(codes: np.ndarray, y: np.ndarray, factors: Sequence[str], terms: list[Term]) -> dict[str, dict]:
    """statsmodels' type-II ANOVA: {effect name or "Residual": {sum_sq, df, F, p_value}}."""
    import pandas as pd
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    frame = pd.DataFrame({f"f{i}": [f"L{c}" for c in codes[:, i]] for i in range(codes.shape[1])})
    frame["y"] = y
    formula = lambda t: ":".join(f"C(f{i})" for i in t)  # noqa: E731
    fit = smf.ols("y ~ " + " + ".join(formula(t) for t in terms), frame).fit()
    with warnings.catch_warnings():          # an effect with no spread at all gives F = 0/0: p is null
        warnings.simplefilter("ignore")
        table = anova_lm(fit, typ=2)
    out = {}
    for key, t in [(formula(t), t) for t in terms] + [("Residual", None)]:
        row = table.loc[key]
        value = lambda v: None if v is None or not np.isfinite(v) else float(v)  # noqa: E731
        out[term_name(factors, t) if t else "Residual"] = {
            "sum_sq": float(row["sum_sq"]), "df": int(round(row["df"])), "F": value(row.get("F")),
            "p_value": value(row.get("PR(>F)"))}
    return out


def estimable(codes: np.ndarray, n_levels: Sequence[int]) -> tuple[list[Term], list[tuple[Term, str]]]:
    """The two-way model's terms that the observations can estimate, and those left out with why: an
    interaction needs a value at every combination of its two factors' levels."""
    keep, dropped = [], []
    for t in two_way_terms(codes.shape[1]):
        if len(t) == 2:
            seen = {tuple(row) for row in codes[:, list(t)]}
            if len(seen) < n_levels[t[0]] * n_levels[t[1]]:
                dropped.append((t, "not every combination of the two factors' levels has a value"))
                continue
        keep.append(t)
    return keep, dropped


def refusal(codes: np.ndarray, y: np.ndarray, cell: np.ndarray, engine: Optional[TypeTwo]) -> Optional[str]:
    """Why the model cannot be fitted on these observations (one line), or None."""
    if engine is None:
        return None
    counts = np.bincount(cell)
    residual_df = len(y) - engine.rank
    if engine.rank < engine.columns:
        return "the cells that have values confound the factors: some effects cannot be told apart"
    if residual_df < 1 or counts.max(initial=0) < 2:
        return (f"too empty to fit: {len(y)} values for the {engine.rank} parameters of the model, with "
                f"{'no cell holding two seeds' if counts.max(initial=0) < 2 else 'no degree of freedom left'}"
                " to measure the seeds' noise")
    if float(np.var(y)) == 0.0:
        return "every value is the same: there is no variance to share"
    return None
