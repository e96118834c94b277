"""Which unknowns of a linear system are pinned down by it — the core of a differencing attack.

Published sums give equations ``Σ coefficient × cell = 0`` over cells; the suppressed cells are
the unknowns. An unknown is determined exactly when its unit vector lies in the row space of the
unknowns' coefficient matrix (every solution of the system agrees on it), i.e. when its
leverage — the squared length of its column in an orthonormal basis of the row space — is 1.
"""

from __future__ import annotations

import numpy as np

RANK_TOLERANCE = 1e-9
LEVERAGE_TOLERANCE = 1e-9


def determined_unknowns(matrix: np.ndarray) -> np.ndarray:
    """Boolean mask over the columns of ``matrix``: True where that unknown is determined."""
    rows, columns = matrix.shape
    if columns == 0 or rows == 0:
        return np.zeros(columns, dtype=bool)
    # An orthonormal basis of the row space from the small Gram matrix (rows × rows): much cheaper
    # than an SVD of the wide matrix, and exact enough for the small integer coefficients here.
    eigenvalues, eigenvectors = np.linalg.eigh(matrix @ matrix.T)
    keep = eigenvalues > RANK_TOLERANCE * max(1.0, eigenvalues.max(initial=0.0))
    basis = (eigenvectors[:, keep] / np.sqrt(eigenvalues[keep])).T @ matrix
    leverage = (basis**2).sum(axis=0)
    return leverage > 1 - LEVERAGE_TOLERANCE
