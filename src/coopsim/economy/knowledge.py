"""Knowledge spillovers: productivity grows with talent within reach, discounted by travel time."""

from __future__ import annotations

import numpy as np


def spillover_access(talent: np.ndarray, travel_minutes: np.ndarray, half_life_minutes: float) -> np.ndarray:
    """Share of the region's talent within reach of each city, ``sum_j L_j 2^(-t_ij / h) / sum_j L_j``.

    Spillovers halve every ``h`` minutes of travel (Ahlfeldt & Feddersen 2018, JEG: about
    every 30 minutes, about 1% left at 200 minutes); own talent counts fully (t_ii = 0).
    """
    total = talent.sum()
    if total <= 0:
        return np.zeros_like(talent)
    return (2.0 ** (-travel_minutes / half_life_minutes)) @ talent / total


def productivity_growth(access: np.ndarray, strength: float) -> np.ndarray:
    """Quarterly productivity growth factor per city, ``1 + strength * access`` (strength 0: no spillovers)."""
    return 1.0 + strength * access
