"""dcnn: a deep-learning ablation study, declared in study.yaml, trained once, reported as a paper.

``dcnn.judge(kind, a, b, ...)`` judges one claim on two lists of per-seed numbers, as the report does.
"""

__version__ = "0.1.0"


def judge(kind, a, b, *, margin=None, alpha=0.05, looks=1, look=1, family=1, decided=0, correction="holm"):
    """See dcnn.analysis.judge.judge (imported here on first use: no torch, no report dependencies)."""
    from .analysis.judge import judge as _judge

    return _judge(kind, a, b, margin=margin, alpha=alpha, looks=looks, look=look, family=family, decided=decided,
                  correction=correction)
