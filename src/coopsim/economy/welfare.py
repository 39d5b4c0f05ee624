"""Where people are better off: a labour group's log real wage net of housing congestion.

One home for the utility term that both the model (each quarter, for migration and the
real-wage metrics) and the calibration (at step 0, to invert amenities) use.
"""

from __future__ import annotations

import numpy as np

from coopsim.economy.market import MarketSolution, SectorParameters

MIN_DENSITY = 1e-12  # residents per km2 below which density counts as this (an empty city has no housing cost)


def log_real_wage(wage, market: MarketSolution, sectors: SectorParameters, residents, land_km2, congestion_elasticity: float) -> np.ndarray:
    """``ln w - ln P - eta ln density``: a group's wage over the cost of living, less housing congestion (K,).

    The cost of living is the Cobb-Douglas price index (FKV 1999, eq. 4.4); congestion
    enters as a constant-elasticity housing cost of residents per km2 (Helpman 1998 in
    reduced form). Used by the model each quarter and by the calibration at step 0.
    """
    density = np.maximum(residents / land_km2, MIN_DENSITY)
    with np.errstate(divide="ignore"):
        log_wage = np.log(wage)
    return log_wage - np.log(market.cost_of_living(sectors.expenditure_share)) - congestion_elasticity * np.log(density)


def group_wage(market: MarketSolution, group: str, utility_wage: str) -> np.ndarray:
    """The wage a labour group weighs when it chooses a city (K,).

    Workers weigh the worker wage. Talent weighs the wage it is paid (``utility_wage: earned``) or, in the textbook
    limit, the free-entry wage at which a mean entrant breaks even (``free_entry``: Krugman 1991 assumes entry at
    every instant).
    """
    if group == "workers":
        return market.worker_wage
    if utility_wage == "free_entry":
        return market.entrant_wage
    return market.wage
