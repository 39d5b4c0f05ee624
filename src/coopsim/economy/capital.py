"""Productive capital built by agreements: how much a city has, and what more of it does to production.

Investment under an agreement is spent once, as construction demand in the host city while it
is built (a spending transfer in :class:`coopsim.economy.market.MarketInputs`), and builds a
capital stock ``K_i`` that depreciates (``economy.capital_depreciation_rate``; 9.6% a year for
China's provinces, Zhang, Wu & Zhang 2004) and enters production: with a Cobb-Douglas
technology ``Y = A K^theta L^(1-theta)`` (Solow 1957), adding ``K_i`` to a city's initial stock
``K0_i`` raises output at given labour by ``(1 + K_i / K0_i) ** theta``, which the model applies
to the productivity of every enterprise producing there.
"""

from __future__ import annotations

import numpy as np

from coopsim.region import QUARTERS_PER_YEAR


def initial_capital_stock(quarterly_gdp: np.ndarray, capital_output_ratio: float, numeraire_per_budget_unit: float) -> np.ndarray:
    """Each city's capital stock at step 0 in budget units (亿元 for data regions): ``ratio * annual GDP`` (K,)."""
    return capital_output_ratio * QUARTERS_PER_YEAR * np.asarray(quarterly_gdp, dtype=float) / numeraire_per_budget_unit


def capital_productivity(built: np.ndarray, initial: np.ndarray, output_elasticity: float) -> np.ndarray:
    """Productivity factor ``(1 + K / K0) ** theta`` of the capital built by agreements (K,); exactly 1 where none is built."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(built > 0, built / initial, 0.0)
    return (1.0 + ratio) ** output_elasticity
