"""The registry of claim kinds: one typed ``ClaimKind`` entry per kind a study's ``check`` may state,
holding everything the rest of dcnn asks of it — the keys it takes (the schema is built from them),
how it is judged, its per-seed margin (flags), its words in the report and how ``dcnn calibrate``
draws it where nothing differs. A kind is one module in this package that registers its entries;
nothing outside the package tests a kind's name."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..vocabulary import CONTRADICTED, SUPPORTED

# The keys a check may take besides its kind's own, and their types in study.yaml.
PARAM_TYPES: dict[str, Any] = {"a": str, "b": str, "among": list[str], "epoch": int, "better": float, "worse": float,
                               "factor": str, "than": str}
MARGIN_KEYS = ("margin", "relative_margin")   # for kinds judged against a margin (``margins=True``)


@dataclass(frozen=True)
class ClaimKind:
    """One kind of check a claim can state in study.yaml (``lower: best_val_loss``, ``overfits: g@0.2``)."""

    name: str
    shape: str                          # compare (a vs b) | rank (a among others) | flag (every seed of a group) | lr
                                        # | factors (effects of a factorial analysis)
    judge: Callable[..., dict]          # (results, check, how: Judging) → evidence, candidate, p_value, reason
    evidence: Callable[..., list]       # (results, claim index) → the words under the claim (a Sentence)
    params: tuple[str, ...] = ()        # the other keys it takes (PARAM_TYPES)
    order: int = 100                    # where it is listed (schema errors, docs)
    names_metric: bool = True           # its own key names a metric (else a group: overfits: scratch@0.2)
    margins: bool = False               # it takes margin / relative_margin
    words: str = ""                     # flags: what every seed must have done, as a verb phrase
    holds: Optional[Callable[[dict, dict], bool]] = None            # flags: (run metrics, check) → it shows it (counted)
    margin: Optional[Callable[[dict, dict, float], float]] = None   # flags: (run metrics, check, tol) → per-seed margin
    margin_words: str = ""              # flags: what that margin measures
    # After the claims are corrected together: (results at the claim's look, entry, level, uncertainty) →
    # its comparisons' verdicts, counts and intervals at ``level``, the alpha its own p is compared with.
    settle: Optional[Callable[[dict, dict, float, bool], None]] = None
    # (results at the claim's look, entry, level, seeds) → the power with which that many seeds per group
    # would show what its evidence shows at ``level`` (None where its seeds cannot tell): futility, seeds.
    reach: Optional[Callable[[dict, dict, float, int], Optional[float]]] = None
    # calibrate: the verdicts that are false where nothing differs; by how much the claim holds in a world
    # whose true means are mean(group, key) (key: a metric, or "margin:<kind>" for a flag's per-seed
    # margin): positive when it holds, negative when its opposite does, 0 on the boundary; the shifts of the true means that make it least favourable to this claim, {(group, key): shift}
    # (results: the study's own, for its spreads); the metrics' centre it needs where nothing differs,
    # and how it sets a drawn run's metrics so that its margin is centred on 0 (m, check, noise(key)).
    false_when: tuple[str, ...] = (SUPPORTED, CONTRADICTED)
    truth: Optional[Callable[[dict, Callable[[str, str], float], list[str]], float]] = None
    least_favourable: Optional[Callable[[dict, Callable, Callable, list[str]], dict]] = None
    null_centre: dict[str, Callable[[float], float]] = field(default_factory=dict)   # metric → chance loss → value
    null: Optional[Callable[[dict, dict, Callable[[str], float]], None]] = None
    # A kind whose groups and metric are not its check's own (matters_more: an analysis' cells): the
    # groups its verdict rests on and the metric it reads, (results, check) → ...; the parts of results
    # besides runs and groups its judge reads, which synthetic studies carry over (calibrate); what its
    # check names that the study lacks, (check, {analysis: its factors}) → one line or None; and the
    # name of its own key's value where the check may be written as one mapping ({matters_more:
    # {analysis: ..., factor: ..., than: ...}}).
    groups: Optional[Callable[[dict, dict], list[str]]] = None
    metric_of: Optional[Callable[[dict, dict], str]] = None
    context: tuple[str, ...] = ()
    refs: Optional[Callable[[dict, dict[str, list[str]]], Optional[str]]] = None
    key_name: str = ""
    # calibrate: (check, the study's skeleton) → the check with what its ``truth`` needs to know of the study
    # (matters_more: its analysis' cells and their levels).
    for_calibration: Optional[Callable[[dict, dict], dict]] = None

    def false_in(self, check: dict, mean: Callable[[str, str], float], groups: list[str]) -> tuple[str, ...]:
        """The verdicts that are false in a world whose true means are ``mean(group, key)``: supported
        unless the claim holds there, contradicted unless its opposite does."""
        x = self.truth(check, mean, groups)
        return tuple(v for v, false in ((SUPPORTED, x <= 0), (CONTRADICTED, x >= 0)) if false)

    def names(self, check: dict) -> list[str]:
        """The ``variant@lr`` groups a check of this kind names (an lr_beats claim names none: its groups
        are every variant run at both rates, claims.claim_groups)."""
        if self.shape == "compare":
            return [check["a"], check["b"]]
        if self.shape == "rank":
            return list(dict.fromkeys([check["a"], *check["among"]]))
        return [check[self.name]] if self.shape == "flag" else []

    def metric(self, results: dict, check: dict) -> str:
        """The metric the values of its groups are read on."""
        return self.metric_of(results, check) if self.metric_of is not None else check[self.name]


CLAIM_KINDS: dict[str, ClaimKind] = {}


def register(*kinds: ClaimKind) -> None:
    for kind in kinds:
        if kind.name in CLAIM_KINDS:
            raise RuntimeError(f"claim kind '{kind.name}' is registered twice")
        unknown = [p for p in kind.params if p not in PARAM_TYPES]
        if unknown:
            raise RuntimeError(f"claim kind '{kind.name}': unknown parameter {unknown[0]} (known: {', '.join(PARAM_TYPES)})")
        CLAIM_KINDS[kind.name] = kind
    ordered = sorted(CLAIM_KINDS.values(), key=lambda k: k.order)
    CLAIM_KINDS.clear()
    CLAIM_KINDS.update((k.name, k) for k in ordered)


def claim_kind(check: dict) -> str:
    """The kind of a check (the one kind key it sets)."""
    return next(k for k in CLAIM_KINDS if check.get(k) is not None)


def kind_of(check: dict) -> ClaimKind:
    return CLAIM_KINDS[claim_kind(check)]
