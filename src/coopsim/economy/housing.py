"""A housing market per city: floor space with a supply elasticity, a price that clears, rents paid to local owners.

The housing block of quantitative spatial models (Helpman 1998; Redding & Rossi-Hansberg 2017, Annual Review of
Economics, section 3), vectorised over cities:

* residents spend the Cobb-Douglas share ``delta`` of their income on floor space and the rest on goods;
* each city's floor space ``H_i(p) = H0_i p_i ** epsilon`` responds to its price with the supply elasticity ``epsilon``
  (the stock is on its supply curve every quarter);
* the price clears the market, ``delta Y_i = p_i H_i(p_i)``, so ``p_i = (delta Y_i / H0_i) ** (1 / (1 + epsilon))``;
* rents are paid to the city's own residents (local ownership). Residents' income is then their market income (wages,
  land rent, profits, capital income owned here) plus rents, and rents are the share ``delta`` of it: rents are
  ``delta / (1 - delta)`` of market income, and spending on goods is the market income, exactly as in the market core.
  GDP by place and the goods market are untouched; housing services are not counted in GDP.

No 2020 housing prices by city were found (``src/coopsim/data/guangdong_pre2021_SOURCES.md``), so ``H0_i`` is set at
step 0 to make every city's price index 1 in 2020; then ``p_i = (Y_i / Y0_i) ** (1 / (1 + epsilon))`` whatever
``delta``. A city whose residents' income grows pays more for floor space: the dispersion force that replaces the ad
hoc congestion elasticity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def housing_spending(income: np.ndarray, share: float) -> np.ndarray:
    """Residents' spending on floor space (K,): the share ``delta`` of income including rents, i.e. ``delta / (1 - delta)``
    of market income, since rents received by local owners come on top of it (spending on goods stays market income)."""
    return share / (1.0 - share) * np.maximum(np.asarray(income, dtype=float), 0.0)


def clearing_price(spending: np.ndarray, base_floor_space: np.ndarray, elasticity: float) -> np.ndarray:
    """The price that clears each city's housing market, ``p = (S / H0) ** (1 / (1 + epsilon))`` (K,).

    Solves ``S = p H0 p ** epsilon``. A city without floor space (no housing market, ``delta = 0``) has price 1.
    """
    has_space = base_floor_space > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        price = (spending / np.where(has_space, base_floor_space, 1.0)) ** (1.0 / (1.0 + elasticity))
    return np.where(has_space, price, 1.0)


def floor_space(price: np.ndarray, base_floor_space: np.ndarray, elasticity: float) -> np.ndarray:
    """Floor space supplied at each city's price, ``H = H0 p ** epsilon`` (K,)."""
    return base_floor_space * price**elasticity


@dataclass(frozen=True)
class HousingMarket:
    """Each city's cleared housing market in one quarter (arrays of length K).

    ``price`` is an index (1 in each city at step 0, 2020), ``floor_space`` in units of the 2020 stock's spending value,
    ``rent`` the rents residents pay, all received by owners in the same city (``rent == price * floor_space``).
    """

    price: np.ndarray
    floor_space: np.ndarray
    rent: np.ndarray


def base_floor_space(income: np.ndarray, share: float) -> np.ndarray:
    """``H0_i``: the floor space at which every city's price is 1 given its step-0 income (no price data: stated)."""
    return housing_spending(income, share)


def clear_housing(income: np.ndarray, base: np.ndarray, share: float, elasticity: float) -> HousingMarket:
    """Clear every city's housing market given its residents' market income (K,) and ``H0`` (:func:`base_floor_space`)."""
    spending = housing_spending(income, share)
    price = clearing_price(spending, base, elasticity)
    space = floor_space(price, base, elasticity)
    return HousingMarket(price=price, floor_space=space, rent=price * space)
