"""Splitting a whole number of agents in proportion to weights."""

from __future__ import annotations

import numpy as np


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` in proportion to ``weights`` (any shape), rounding by largest remainders (Hamilton's method).

    The result has the shape of ``weights``, sums to ``total`` exactly, and each part is the
    floor or the ceiling of its exact share; ties go to the earlier element.
    """
    weights = np.asarray(weights, dtype=float)
    exact = (total * weights / weights.sum()).ravel()
    counts = np.floor(exact).astype(np.int64)
    counts[np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts.reshape(weights.shape)
