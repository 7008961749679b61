"""Pure functions: history → metrics → statistics → claims → observation sentences.

The metric definitions are docs/metrics.md's; results.json and every sentence of the report use
these functions and nothing else. Nothing here needs a model or torch.

    metrics.py    one run's history → its metrics
    numbers.py    Num: a printed number with the results.json pointer it came from
    stats.py      seeds: aggregates, Welch's t-test, comparison verdicts
    claims.py     a declared claim → its evidence and verdict; the freeze-depth sweep
    sentences.py  the words under figures, in comparisons and for claims
"""
from .claims import claim_groups, evaluate_claim, sweep_summary
from .metrics import LEARNED_FRACTION, RISE_TOL, chance_loss, compute_metrics, plateau_epoch
from .numbers import Num, Sentence, format_number, get, num
from .evidence import claim_evidence
from .sentences import comparison_sentence, group_observations, pm, run_observations, sweep_observations
from .sequential import at_look, planned_looks, sequential_verdict
from .stats import aggregate, compare, direction, group_by_name, group_index, summarise_group, welch

__all__ = ["LEARNED_FRACTION", "RISE_TOL", "Num", "Sentence", "aggregate", "chance_loss", "claim_evidence",
           "compare", "comparison_sentence", "compute_metrics", "direction", "evaluate_claim", "format_number",
           "get", "group_by_name", "group_index", "group_observations", "num", "plateau_epoch", "pm",
           "run_observations", "summarise_group", "sweep_observations", "sweep_summary", "welch",
           "at_look", "planned_looks", "sequential_verdict", "claim_groups"]
