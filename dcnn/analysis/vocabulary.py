"""The words shared by study.yaml, the analysis and the report: metrics, claim kinds, verdicts.

One table each, imported by the schema (which keys a claim takes), the analysis (how a claim is
judged) and the report (what a verdict is called). Nothing here imports torch.
"""
from __future__ import annotations

from dataclasses import dataclass

# Metrics a claim or comparison may name (numbers per run; lower is better for the losses).
METRIC_WORDS = {
    "best_val_loss": "best validation loss",
    "final_val_loss": "final validation loss",
    "final_train_loss": "final training loss",
    "overfit_gap": "final gap (validation − training loss)",
    "gap_at_best": "gap at the best epoch",
    "best_epoch": "best epoch",
    "plateau_epoch": "plateau epoch",
    "val_acc_at_best": "accuracy at the best epoch",
    "final_rise": "rise after the best epoch",
    "test_loss_at_best": "test loss at the best epoch",
    "test_acc_at_best": "test accuracy at the best epoch",
    "selection_gap": "selection gap (test loss at the best epoch − best validation loss)",
}
METRICS = tuple(METRIC_WORDS)

@dataclass(frozen=True)
class ClaimKind:
    """One kind of check a claim can state in study.yaml."""

    name: str
    shape: str                      # compare (a vs b) | rank (a among others) | flag (every seed of a group) | lr
    params: tuple[str, ...] = ()    # the other keys it takes
    words: str = ""                 # flags: what every seed must have done, as a verb phrase

    def names(self, check: dict) -> list[str]:
        """The ``variant@lr`` groups a check of this kind names (an lr_beats claim names none: its groups
        are every variant run at both rates, analysis.claim_groups)."""
        if self.shape == "compare":
            return [check["a"], check["b"]]
        if self.shape == "rank":
            return list(dict.fromkeys([check["a"], *check["among"]]))
        return [check[self.name]] if self.shape == "flag" else []


CLAIM_KINDS: dict[str, ClaimKind] = {k.name: k for k in (
    ClaimKind("lower", "compare", ("a", "b")),
    ClaimKind("higher", "compare", ("a", "b")),
    ClaimKind("similar", "compare", ("a", "b")),
    ClaimKind("best", "rank", ("a", "among")),
    ClaimKind("worst", "rank", ("a", "among")),
    ClaimKind("overfits", "flag", (), "overfit"),
    ClaimKind("never_learns", "flag", (), "never learned"),
    ClaimKind("learns", "flag", (), "learned"),
    ClaimKind("still_improving", "flag", (), "are still improving at the last epoch"),
    ClaimKind("plateaus_by", "flag", ("epoch",), "level off by the given epoch"),
    ClaimKind("lr_beats", "lr", ("better", "worse")),
)}
CLAIM_PARAMS = ("a", "b", "among", "epoch", "better", "worse")

# A claim's verdict.
SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
CLAIM_VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE)

# A comparison's verdict (group a against group b), and how a table cell names it. {a} and {b} are
# what the table calls the two sides ("this one" / "the other", "the lower rate" / "the higher rate").
VERDICT_WORDS = {
    "lower": "lower",                       # significantly, at the study's alpha
    "higher": "higher",
    "within_noise": "within noise",         # no significant difference
    "single_seed": "single seed",           # a side has one value: no noise estimate
    "identical": "identical",               # no spread and no difference
    "a_diverged": "only {a} diverged",      # no value on side a (every seed diverged)
    "b_diverged": "only {b} diverged",
    "both_diverged": "both diverged",
    "both_collapsed": "both collapsed",     # every seed's outputs stopped depending on the input
    "not_run": "not run yet",
}


def verdict_words(verdict: str, a: str = "this one", b: str = "the other") -> str:
    return VERDICT_WORDS[verdict].format(a=a, b=b)
