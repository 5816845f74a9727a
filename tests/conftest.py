import numpy as np
import pytest


def rel_error(a, b):
    """||a - b|| / (||a|| + ||b||): 0 when equal, 1 when unrelated; robust to tiny gradients."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


try:  # property-based tests: the same examples on every CI run, fresh ones on a developer's machine
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, database=None)
    import os as _os
    if _os.environ.get("CI"):
        _hypothesis_settings.load_profile("ci")
except ImportError:
    pass
