"""scikit-learn, imported where the analysis first uses it rather than when the analysis is imported.

Its import (scipy.stats with it) takes about 0.6 s. ``analyze_file`` spends it while its forked processes read
the texts (``import_now``), not before it forks them; a web process starts without it and imports it with its
first live look-up of similar ideas; a Celery worker imports it before it forks its pool (``portal.celery``).
"""

from __future__ import annotations

__all__ = ["import_now", "l2_normalize"]


def l2_normalize(rows, *, copy: bool = True):
    """Rows scaled to unit length, sparse or dense; rows of zeros stay zeros (scikit-learn's ``normalize``)."""
    from sklearn.preprocessing import normalize

    return normalize(rows, copy=copy)


def import_now() -> None:
    """Import what the analysis uses of scikit-learn now, while this process has nothing else to do."""
    import sklearn.cluster  # noqa: F401
    import sklearn.decomposition  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.preprocessing  # noqa: F401
