"""dcnn: a deep-learning ablation study, declared in study.yaml, trained once, reported as a paper."""

__version__ = "0.1.0"
