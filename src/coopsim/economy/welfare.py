"""Where people are better off: a labour group's log real wage, goods and housing priced.

One home for the utility term that both the model (each quarter, for migration and the
real-wage metrics) and the calibration (at step 0, to invert amenities) use.
"""

from __future__ import annotations

import numpy as np

from coopsim.economy.market import MarketSolution, SectorParameters

MIN_DENSITY = 1e-12  # residents per km2 below which density counts as this (an empty city has no housing cost)


def log_real_wage(
    wage,
    market: MarketSolution,
    sectors: SectorParameters,
    residents,
    land_km2,
    congestion_elasticity: float,
    housing_share: float = 0.0,
    housing_price=None,
) -> np.ndarray:
    """``ln w - (1 - delta) ln P - delta ln p_H - eta ln density``: a group's wage over its cost of living (K,).

    The Cobb-Douglas indirect utility of a resident spending the share ``delta`` (``housing_share``) of income on floor
    space at the price index ``p_H`` (:mod:`coopsim.economy.housing`; 1 everywhere at step 0, the default) and the rest on
    goods at the price index ``P`` (FKV 1999, eq. 4.4), up to a constant common to all cities (rents received in
    proportion to income scale every city's income alike). ``eta`` (``congestion_elasticity``, 0 by default: the
    housing market replaces it) is an optional constant-elasticity cost of residents per km2 (Helpman 1998 in reduced
    form), kept for the theory regions and sensitivity. Used by the model each quarter and by the calibration at step 0.
    """
    with np.errstate(divide="ignore"):
        log_wage = np.log(wage)
    utility = log_wage - (1.0 - housing_share) * np.log(market.cost_of_living(sectors.expenditure_share))
    if housing_price is not None and housing_share > 0.0:
        utility = utility - housing_share * np.log(housing_price)
    if congestion_elasticity != 0.0:
        density = np.maximum(residents / land_km2, MIN_DENSITY)
        utility = utility - congestion_elasticity * np.log(density)
    return utility


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
