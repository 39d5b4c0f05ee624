"""Enterprise decisions in isolation: staffing closures, the zero-profit gap, exit hazard."""

import numpy as np
import pytest

from coopsim.agents.enterprise import new_enterprise_population, understaffed_closures, zero_profit_gap
from coopsim.economy.market import SectorParameters

SECTORS = SectorParameters(np.array([5.0]), np.array([0.4]), np.array([1.0]), np.array([2.0]))


def population(cities):
    pop = new_enterprise_population()
    n = len(cities)
    pop.add(
        city=np.asarray(cities),
        sector=np.zeros(n, dtype=np.int64),
        owner_city=np.asarray(cities),
        productivity=np.ones(n),
        age=np.zeros(n, dtype=np.int64),
        loss_streak=np.zeros(n, dtype=np.int64),
        overhead=np.ones(n),
        association=np.full(n, -1),
    )
    return pop


def test_staffing_closes_just_enough_enterprises_in_understaffed_cities_only():
    pop = population([0] * 10 + [1] * 10)
    talent = np.array([12.0, 100.0])  # city 0 staffs (1 - 0.0) * 12 / 2 = 6 enterprises of 2 talent each
    rng = np.random.default_rng(0)
    closed = understaffed_closures(pop, SECTORS, talent, 0.0, lambda rows: rng.random(len(rows)))
    assert len(closed) == 4 and np.all(pop.city[closed] == 0)


def test_nothing_closes_when_every_city_can_staff():
    pop = population([0, 0, 1])
    closed = understaffed_closures(pop, SECTORS, np.array([10.0, 10.0]), 0.05, lambda rows: np.zeros(len(rows)))
    assert len(closed) == 0


def test_zero_profit_gap_is_bounded_and_signed():
    gap = zero_profit_gap(np.array([-10.0, -0.5, 0.0, 0.2, 0.5, 0.9]))
    assert gap[2] == 0 and np.all(np.diff(gap) >= 0)
    assert -1.0 <= gap[0] == pytest.approx(-10.0 / 11.0) and gap[-1] == pytest.approx(1.0)  # entry at most doubles a market
    assert gap[3] == pytest.approx(0.2 / 0.8)
