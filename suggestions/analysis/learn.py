"""scikit-learn, imported where the analysis first uses it rather than when the analysis is imported.

Its import (scipy.stats with it) takes about 0.6 s. ``analyze_file`` spends it while its forked processes read
the texts (``import_now``), not before it forks them; a web process starts without it and imports it with its
first live look-up of similar ideas; a Celery worker imports it before it forks its pool (``portal.celery``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["import_now", "l2_normalize"]


def l2_normalize(rows, *, copy: bool = True):
    """Rows scaled to unit length, sparse or dense; rows of zeros stay zeros (scikit-learn's ``normalize``).

    A 2-D float array is scaled here, with the same figures (the row norms by ``einsum``, a norm under ten
    machine epsilons taken as one): scikit-learn's checks of its input took 0.1 ms for one row, each time a
    worker placed a suggestion in a theme."""
    if type(rows) is np.ndarray and rows.ndim == 2 and rows.dtype in (np.float32, np.float64):
        scaled = rows.copy() if copy else rows
        norms = np.sqrt(np.einsum("ij,ij->i", scaled, scaled))
        norms[norms < 10 * np.finfo(norms.dtype).eps] = 1.0
        scaled /= norms[:, np.newaxis]
        return scaled
    from sklearn.preprocessing import normalize

    return normalize(rows, copy=copy)


def import_now() -> None:
    """Import what the analysis uses of scikit-learn now, while this process has nothing else to do."""
    import sklearn.cluster  # noqa: F401
    import sklearn.decomposition  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.preprocessing  # noqa: F401
