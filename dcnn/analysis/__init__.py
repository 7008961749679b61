"""Pure functions: history → metrics → statistics → claims → verdicts → observation sentences.

The metric definitions are docs/metrics.md's; results.json and every sentence of the report use
these functions and nothing else. Nothing here needs a model or torch.

    metrics.py      one run's history → its metrics
    numbers.py      Num: a printed number with the results.json pointer it came from
    moments.py      mean, variance, pooled SD, Hsu's degrees of freedom
    inference.py    the tests: Welch at Hsu's df, the exact rank test, tests against a margin, corrections
    power.py        the power of those tests, simulated; seeds that reach a power
    uncertainty.py  intervals at the verdict's level and descriptive ones, effect sizes, seeds needed
    stats.py        seeds: aggregates, comparison verdicts
    claims.py       a declared claim → its evidence and the verdict it points to
    verdicts.py     the study's claims as one family: corrected, at the planned look
    sequential.py   each claim's planned looks (seeds, alpha spent) for dcnn run --decide; which groups grow
    methods.py      the report's statistical-methods paragraph, from the study's settings
    judge.py        dcnn.judge: one claim on two lists of numbers
    calibration.py  the study's claims simulated where nothing differs: the false-verdict rate
    sentences.py    the words under figures and in comparisons
    sweeps.py       a sweep's statistics and words
    variance.py     how much of a group's spread the backbone contributes
    anova.py        type-II ANOVA, partial η² and the resample of seeds within cells
    factors.py      a factorial analysis: the cells' seeds → each effect's share, and its words
    selection.py    what choosing the best epoch on validation flatters (the test split)
"""
from .claims import Judging, claim_groups, claim_kind, evaluate_claim
from .metrics import (COLLAPSE_RANGE, COLLAPSE_SHARE, LEARNED_FRACTION, RISE_TOL, chance_loss, compute_metrics, plateau_epoch)
from .numbers import Num, Sentence, format_number, get, num, percent
from .evidence import claim_evidence
from .findings import claims_metric, discussion_sentences, summary_sentences
from .methods import methods_sentences
from .inference import CORRECTIONS, q_values, welch
from .selection import selection_summary, selection_words
from .sentences import comparison_sentence, group_observations, pm, run_observations
from .sweeps import sweep_observations, sweep_summary, worse_from
from .sequential import groups_to_grow, planned_looks, study_looks
from .stats import aggregate, compare, direction, group_by_name, group_index, settle, settle_family, summarise_group
from .variance import variance_entries, variance_words
from .factors import factor_entries, factor_words, interaction_axes, interaction_means, level_label
from .verdicts import judge_claims

__all__ = ["claims_metric", "discussion_sentences", "summary_sentences", "COLLAPSE_RANGE", "COLLAPSE_SHARE", "CORRECTIONS", "Judging", "LEARNED_FRACTION", "RISE_TOL", "Num", "Sentence", "aggregate", "chance_loss",
           "claim_evidence", "claim_groups", "claim_kind", "compare", "comparison_sentence", "compute_metrics",
           "direction", "evaluate_claim", "factor_entries", "factor_words", "format_number", "get", "group_by_name",
           "group_index", "group_observations", "groups_to_grow", "interaction_axes", "interaction_means", "judge_claims",
           "level_label", "methods_sentences", "num", "planned_looks", "percent", "plateau_epoch", "pm", "q_values",
           "run_observations", "selection_summary", "selection_words", "settle", "settle_family", "study_looks",
           "summarise_group", "sweep_observations", "sweep_summary", "variance_entries", "variance_words", "welch",
           "worse_from"]
