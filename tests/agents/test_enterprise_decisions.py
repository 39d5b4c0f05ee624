"""The enterprise decision functions called directly (coopsim.agents.enterprise), against their stated rules."""

from types import SimpleNamespace

import numpy as np
import pytest

from coopsim.agents.enterprise import exit_decisions, new_enterprise_population, relocation_annuity, zero_profit_gap

SIGMA = 5.0


def population(n: int):
    pop = new_enterprise_population()
    zeros, ones = np.zeros(n, dtype=np.int64), np.ones(n)
    pop.add(
        city=zeros, sector=zeros, owner_city=zeros, productivity=ones, age=zeros, loss_streak=zeros, overhead=ones, association=zeros - 1
    )
    return pop


def test_zero_profit_gap_is_the_free_entry_count_gap_clipped_to_the_whole_stock():
    """n*/n - 1 = m / (1 - m) (FKV 1999 eq. 4.16), at most the whole stock either way."""
    margin = np.array([-3.0, -1.0, -0.25, 0.0, 0.2, 0.5, 0.9])
    assert zero_profit_gap(margin) == pytest.approx([-0.75, -0.5, -0.2, 0.0, 0.25, 1.0, 1.0])
    assert np.all(np.diff(zero_profit_gap(np.linspace(-5, 5, 101))) >= 0)  # graded: never a jump


def test_exit_needs_sustained_losses_and_its_hazard_grows_with_them():
    """No exit before exit_patience quarters of losses; then exit_rate * gap; a profit resets the streak."""
    params = SimpleNamespace(exit_patience=2, exit_rate=0.5)
    sectors = SimpleNamespace(sigma=np.array([SIGMA]))
    n = 4000
    pop = population(n)
    rows = np.arange(n)
    revenue = np.full(n, SIGMA)  # operating profit 1
    profit = np.full(n, -0.25)  # margin -0.25: gap -0.2, hazard 0.5 * 0.2 = 0.1
    uniform = np.random.default_rng(7).random(n)
    assert len(exit_decisions(pop, rows, revenue, profit, sectors, params, uniform)) == 0  # first loss: streak 1
    leaving = exit_decisions(pop, rows, revenue, profit, sectors, params, uniform)  # streak 2: may exit
    assert len(leaving) / n == pytest.approx(0.1, abs=0.015)
    assert set(leaving) == set(rows[uniform < 0.1])
    deeper = exit_decisions(pop, rows, revenue, np.full(n, -1.0), sectors, params, uniform)  # margin -1: hazard 0.25
    assert len(deeper) > len(leaving)
    exit_decisions(pop, rows, revenue, np.full(n, 0.1), sectors, params, uniform)  # a profitable quarter
    assert (pop.column("loss_streak") == 0).all()
    assert len(exit_decisions(pop, rows, revenue, profit, sectors, params, uniform)) == 0  # the streak starts again


def test_relocation_annuity_is_the_discounted_sum_of_a_gain_that_survives():
    """(1 + r) / (r + h) equals sum_t ((1 - h)/(1 + r))^t with quarterly r and h from the annual rates."""
    annual_discount, annual_hazard = 0.05, 0.08
    r = (1 + annual_discount) ** 0.25 - 1
    h = 1 - (1 - annual_hazard) ** 0.25
    series = sum(((1 - h) / (1 + r)) ** t for t in range(20_000))
    assert relocation_annuity(annual_discount, annual_hazard) == pytest.approx(series, rel=1e-9)
    assert relocation_annuity(annual_discount, annual_hazard) == pytest.approx(30.8, abs=0.1)
    assert relocation_annuity(0.05, 0.2) < relocation_annuity(0.05, 0.08)  # a likelier closure is worth less
