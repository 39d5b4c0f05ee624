"""Closed-form and textbook results the market core must reproduce in its limits.

These are reference implementations, written independently of :mod:`coopsim.economy.market`,
used by the tests and drawn on the tomahawk figure.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq


def check_no_black_hole(sigma: float, mu: float) -> None:
    """Raise unless ``(sigma - 1) / sigma > mu`` (FKV 1999, eq. 5.26, the no-black-hole condition)."""
    if not (sigma - 1.0) / sigma > mu:
        raise ValueError(f"no-black-hole condition (sigma-1)/sigma > mu fails for sigma={sigma}, mu={mu}")


def break_point(sigma: float, mu: float) -> float:
    """Trade cost ``T_B`` below which the symmetric split is unstable (Krugman 1991; FKV 1999, eq. 5.28).

    ``T_B ** (sigma - 1) = (rho + mu)(1 + mu) / ((rho - mu)(1 - mu))`` with ``rho = (sigma - 1) / sigma``.
    """
    check_no_black_hole(sigma, mu)
    rho = (sigma - 1.0) / sigma
    return float(((rho + mu) * (1.0 + mu) / ((rho - mu) * (1.0 - mu))) ** (1.0 / (sigma - 1.0)))


def sustain_condition(trade_cost: float, sigma: float, mu: float) -> float:
    """Periphery-to-core real wage ratio ``omega_2 / omega_1`` at full agglomeration, minus 1 (FKV eq. 5.20).

    ``(omega_2/omega_1)^sigma = (1+mu)/2 T^(1-sigma(1+mu)) + ... `` written as in docs/design.md section 3.13:
    ``(1+mu)/2 * T^(1 - sigma(1+mu)) + (1-mu)/2 * T^(sigma(1-mu) - 1) - 1``; agglomeration is sustainable
    where this is negative.
    """
    return (1.0 + mu) / 2.0 * trade_cost ** (1.0 - sigma * (1.0 + mu)) + (1.0 - mu) / 2.0 * trade_cost ** (sigma * (1.0 - mu) - 1.0) - 1.0


def sustain_point(sigma: float, mu: float) -> float:
    """Trade cost ``T_S`` above which full agglomeration is no longer an equilibrium (FKV 1999, eq. 5.20).

    The root of :func:`sustain_condition` above 1, found by Brent's method.
    """
    check_no_black_hole(sigma, mu)
    upper = 1.0 + 1e-9
    while sustain_condition(upper, sigma, mu) <= 0.0:
        upper *= 1.5
        if upper > 1e6:
            raise ValueError("no sustain point found")
    lower = break_point(sigma, mu)
    return float(brentq(sustain_condition, lower, upper, args=(sigma, mu), xtol=1e-12))


def core_periphery_real_wages(share: float, trade_cost: float, sigma: float, mu: float, tol: float = 1e-13) -> np.ndarray:
    """Real wages ``(omega_1, omega_2)`` of Krugman's two-region model at mobile share ``share`` in region 1.

    FKV (1999) eqs. 5.1-5.4 with their normalisation: ``Y_r = mu lambda_r w_r + (1-mu)/2``,
    ``G_r^(1-sigma) = sum_s lambda_s (w_s T_sr)^(1-sigma)``, ``w_r^sigma = sum_s Y_s T_rs^(1-sigma) G_s^(sigma-1)``,
    ``omega_r = w_r G_r^(-mu)``. Solved by a damped iteration on wages.
    """
    lam = np.array([share, 1.0 - share])
    T = np.array([[1.0, trade_cost], [trade_cost, 1.0]])
    w = np.ones(2)
    for _ in range(100_000):
        Y = mu * lam * w + (1.0 - mu) / 2.0
        G = (lam * w ** (1.0 - sigma) @ T ** (1.0 - sigma)) ** (1.0 / (1.0 - sigma))
        w_new = (T ** (1.0 - sigma) @ (Y * G ** (sigma - 1.0))) ** (1.0 / sigma)
        if np.max(np.abs(w_new - w)) < tol:
            w = w_new
            break
        w = 0.5 * w + 0.5 * w_new
    G = (lam * w ** (1.0 - sigma) @ T ** (1.0 - sigma)) ** (1.0 / (1.0 - sigma))
    return w * G ** (-mu)


def home_market_share(expenditure_share: float, freeness: float) -> float:
    """Footloose-capital equilibrium share of firms in region 1 (Martin & Rogers 1995; Baldwin et al. 2003, eq. 3.12).

    ``s_n = 1/2 + (1 + phi) / (1 - phi) * (s_E - 1/2)`` with freeness of trade ``phi = T^(1 - sigma)``,
    valid while the result lies in [0, 1].
    """
    return 0.5 + (1.0 + freeness) / (1.0 - freeness) * (expenditure_share - 0.5)
