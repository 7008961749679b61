"""The numerics: a run's model (models.py, and the architectures of registry/architectures.py), its
epoch loop (fit.py) and its optimizer steps (steps.py), with the data's transforms (data/).

``NUMERICS`` names the version of all of them that a run's numbers depend on; it is part of every
run's cache key. Bump it with any change that can change an existing run's numbers — even in its last
bits — and only then: tests/test_golden.py trains a set of tiny runs covering every setting and
compares their histories with the ones recorded under this version (tests/golden/), so a change that
moves a number without a bump fails there (``python tools/golden.py`` records them anew). A change
that only adds a setting, at its neutral value, keeps the version and every cached run.
"""

NUMERICS = "39b941b76fcc2e51"   # = dcnn 0.1's hash of its training code, so that its caches stay valid
