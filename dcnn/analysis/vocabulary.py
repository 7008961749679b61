"""The words shared by study.yaml, the analysis and the report: metrics and verdicts (the claim
kinds are registered entries: kinds/). Nothing here imports torch.
"""
from __future__ import annotations


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


def worse_sign(metric: str) -> float:
    """+1 where a higher value is worse (losses, gaps, epochs), −1 where a lower one is (accuracies): the end
    a seed that diverged before it had a value ranks at."""
    return -1.0 if "accuracy" in METRIC_WORDS[metric] else 1.0

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
