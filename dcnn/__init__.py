"""dcnn: a deep-learning ablation study, declared in study.yaml, trained once, reported as a paper.

``dcnn.judge(kind, a, b, ...)`` judges one claim on two lists of per-seed numbers, as the report does;
``dcnn.load(build)`` reads a build's results back as objects, and with pandas ``.runs()`` / ``.epochs()``.
"""

__version__ = "0.1.0"


def judge(kind, a, b, *, margin=None, alpha=0.05, looks=1, look=1, family=1, decided=0, correction="holm"):
    """See dcnn.analysis.judge.judge (imported here on first use: no torch, no report dependencies)."""
    from .analysis.judge import judge as _judge

    return _judge(kind, a, b, margin=margin, alpha=alpha, looks=looks, look=look, family=family, decided=decided,
                  correction=correction)


def load(build="build"):
    """A build's study as objects (dcnn.results.tables.Build): its typed results.json, and with pandas
    installed ``.runs()`` and ``.epochs()`` as DataFrames (docs/tables.md)."""
    from .results.tables import load as _load

    return _load(build)
