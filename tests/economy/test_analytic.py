"""The reference formulas themselves: known values and defining equations."""

import numpy as np
import pytest

from coopsim.economy import analytic


def test_break_point_textbook_value():
    # sigma = 5, mu = 0.4: rho = 0.8, T_B^4 = (1.2 * 1.4) / (0.4 * 0.6) = 7 (FKV 1999, eq. 5.28)
    assert analytic.break_point(5.0, 0.4) == pytest.approx(7.0**0.25, rel=1e-12)


def test_sustain_point_solves_its_condition_and_lies_above_break_point():
    sigma, mu = 5.0, 0.4
    t_s = analytic.sustain_point(sigma, mu)
    assert abs(analytic.sustain_condition(t_s, sigma, mu)) < 1e-10
    assert t_s > analytic.break_point(sigma, mu)
    # just below the sustain point agglomeration is sustainable (condition negative), just above it is not
    assert analytic.sustain_condition(t_s * 0.99, sigma, mu) < 0 < analytic.sustain_condition(t_s * 1.01, sigma, mu)


def test_no_black_hole_condition_rejected():
    with pytest.raises(ValueError, match="no-black-hole"):
        analytic.break_point(2.0, 0.6)


def test_reference_real_wages_equal_at_symmetry_and_sustain_point():
    sigma, mu = 5.0, 0.4
    omega = analytic.core_periphery_real_wages(0.5, 1.7, sigma, mu)
    assert omega[0] == pytest.approx(omega[1], rel=1e-12)
    t_s = analytic.sustain_point(sigma, mu)
    omega = analytic.core_periphery_real_wages(1.0, t_s, sigma, mu)
    assert omega[1] / omega[0] == pytest.approx(1.0, abs=1e-8)


def test_home_market_effect_magnifies_expenditure_share():
    assert analytic.home_market_share(0.5, 0.3) == pytest.approx(0.5)
    s_n = analytic.home_market_share(0.55, 0.3)
    assert s_n - 0.5 == pytest.approx((1.3 / 0.7) * 0.05)
    assert np.isclose(analytic.home_market_share(0.55, 0.0), 0.55)
