"""The enterprise decision functions called directly (coopsim.agents.enterprise), against their stated rules."""

from types import SimpleNamespace

import numpy as np
import pytest

from coopsim.agents.enterprise import (
    entry_decisions,
    exit_decisions,
    net_profit,
    new_enterprise_population,
    quarterly_hazard,
    relocation_annuity,
    relocation_choices,
    shock_exits,
    zero_profit_gap,
)
from coopsim.economy.market import SectorParameters

SIGMA = 5.0


def population(n: int):
    pop = new_enterprise_population()
    zeros, ones = np.zeros(n, dtype=np.int64), np.ones(n)
    pop.add(
        city=zeros, sector=zeros, owner_city=zeros, productivity=ones, loss_streak=zeros, overhead=ones, association=zeros - 1, key=zeros
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


# ----- entry_decisions: Poisson entry around where profits are high ------------------------------------------------------


def entry_setup(operating: np.ndarray, fixed: float = 1.0):
    """One sector (sigma 5), unit costs and wages 1: a mean entrant's operating profit is ``operating`` (K,), its fixed
    cost ``fixed`` talent, so its margin is ``1 - fixed / operating``."""
    sectors = SectorParameters(np.array([SIGMA]), np.array([0.4]), np.array([1.0]), np.array([fixed]))
    operating = np.atleast_2d(operating).astype(float)
    K = operating.shape[1]
    market = SimpleNamespace(unit_cost=np.ones((1, K)), market_access=SIGMA * operating, wage=np.ones(K))
    return sectors, market


ENTRY = SimpleNamespace(entry_rate=0.1, entry_pool_share=0.2, exit_hazard=0.0)  # no exit shocks: free entry alone


def mean_entrants(operating, count, talent, params=ENTRY, calls: int = 1, seed: int = 0) -> np.ndarray:
    """Average entrants per cell over ``calls`` quarters (one generator, as the model draws a quarter at a time)."""
    sectors, market = entry_setup(operating)
    rng = np.random.default_rng(seed)
    total = sum(entry_decisions(sectors, market, count, talent, np.ones_like(count, dtype=float), params, rng) for _ in range(calls))
    return total / calls


def test_no_entry_where_a_mean_entrant_would_not_make_a_profit():
    """Free entry (FKV 1999 eq. 4.16): at zero profit or below, no entrant, in any draw."""
    K = 500
    operating = np.r_[np.full(K, 1.0), np.full(K, 0.7), np.full(K, 1e-9)]
    count, talent = np.full((1, 3 * K), 40.0), np.ones(3 * K)
    assert mean_entrants(operating, count, talent, calls=20).max() == 0.0


def test_entrants_are_poisson_around_rate_times_gap_times_stock_and_scale_with_each():
    """Expected entrants entry_rate * m / (1 - m) * n: the mean of many cells is that within 4 standard errors, the
    variance equals the mean (Poisson), and doubling the stock or the rate doubles it; a higher margin brings more."""
    K = 4000
    talent = np.ones(K)

    def check(margin: float, stock: float, rate: float) -> float:
        params = SimpleNamespace(entry_rate=rate, entry_pool_share=0.2, exit_hazard=0.0)
        draws = mean_entrants(np.full(K, 1.0 / (1.0 - margin)), np.full((1, K), stock), talent, params, seed=int(1000 * margin + stock))
        expected = rate * margin / (1.0 - margin) * stock
        assert draws.mean() == pytest.approx(expected, abs=4 * np.sqrt(expected / K)), (margin, stock, rate)
        assert draws.var() / draws.mean() == pytest.approx(1.0, abs=0.1)  # the Poisson dispersion
        return draws.mean()

    base = check(0.2, 50.0, 0.1)  # 1.25 a cell
    assert check(0.2, 100.0, 0.1) == pytest.approx(2 * base, rel=0.08)
    assert check(0.2, 50.0, 0.2) == pytest.approx(2 * base, rel=0.08)
    assert check(0.1, 50.0, 0.1) < base < check(0.3, 50.0, 0.1)  # higher profit, more entry


def test_a_thin_or_absent_sector_draws_entrants_from_its_talent_share_of_founders():
    """Where a city has fewer enterprises than its pool, entry_pool_share * (L_i / L) * n_s, the pool sets the scale,
    so entry starts in an empty city; a city without talent gets no founders; the pool is scale-free in talent."""
    margin = 0.2
    operating = np.full(3, 1.0 / (1.0 - margin))
    count = np.array([[1000.0, 0.0, 0.0]])
    talent = np.array([500.0, 500.0, 0.0])
    gap = margin / (1.0 - margin)
    pool = ENTRY.entry_pool_share * 0.5 * 1000.0  # 100 would-be founders in city 1
    calls = 400
    got = mean_entrants(operating, count, talent, calls=calls, seed=3)[0]
    expected = ENTRY.entry_rate * gap * np.array([1000.0, pool, 0.0])
    assert got[:2] == pytest.approx(expected[:2], abs=4 * np.sqrt(expected[:2] / calls).max())
    assert got[2] == 0.0
    assert np.array_equal(mean_entrants(operating, count, 10.0 * talent, calls=calls, seed=3)[0], got)  # same draws, same pool


def test_entry_is_reproducible_and_needs_no_talent():
    sectors, market = entry_setup(np.full(3, 2.0))
    count = np.array([[10.0, 0.0, 5.0]])
    args = (sectors, market, count, np.array([1.0, 2.0, 3.0]), np.ones((1, 3)), ENTRY)
    first = entry_decisions(*args, np.random.default_rng(5))
    assert np.array_equal(first, entry_decisions(*args, np.random.default_rng(5)))
    assert first.shape == (1, 3) and np.issubdtype(first.dtype, np.integer)
    nobody = entry_decisions(sectors, market, count, np.zeros(3), np.ones((1, 3)), ENTRY, np.random.default_rng(5))
    assert nobody[0, 1] == 0  # no talent anywhere: no founders in the empty city, and no division by zero


# ----- exit shocks and the entry that replaces them ----------------------------------------------------------------------


def test_the_quarterly_hazard_compounds_to_the_annual_one():
    assert (1.0 - quarterly_hazard(0.08)) ** 4 == pytest.approx(0.92, rel=1e-12)
    assert quarterly_hazard(0.0) == 0.0 and quarterly_hazard(0.08) > 0.25 * 0.08  # compounding: a little above a quarter


def test_exit_shocks_strike_at_the_quarterly_hazard_whatever_the_profit():
    """Each row with a draw below h = 1 - (1 - exit_hazard) ** (1/4) closes: the share recovered from 200,000 draws is h
    within 4 standard errors; the rows are exactly those draws; a hazard of 0 closes nobody."""
    n = 200_000
    uniform = np.random.default_rng(11).random(n)
    rows = np.arange(n)
    params = SimpleNamespace(exit_hazard=0.08)
    closed = shock_exits(rows, uniform, params)
    h = quarterly_hazard(0.08)
    assert len(closed) / n == pytest.approx(h, abs=4 * np.sqrt(h * (1 - h) / n))
    assert np.array_equal(closed, rows[uniform < h])
    assert len(shock_exits(rows, uniform, SimpleNamespace(exit_hazard=0.0))) == 0


def test_entry_replaces_the_exit_shocks_at_zero_profit_and_moves_smoothly_with_the_gap():
    """At zero profit expected entrants are h * n (the exit shocks' expectation, so the stock is at rest in expectation);
    a small loss or profit lowers or raises them in proportion to the gap (1 + gap), with no jump at zero."""
    K, stock = 4000, 50.0
    params = SimpleNamespace(entry_rate=0.1, entry_pool_share=0.2, exit_hazard=0.08)
    h = quarterly_hazard(0.08)
    count = np.full((1, K), stock)

    def mean_at(margin: float) -> float:
        return mean_entrants(np.full(K, 1.0 / (1.0 - margin)), count, np.ones(K), params, seed=17).mean()

    at_rest = mean_at(0.0)
    assert at_rest == pytest.approx(h * stock, abs=4 * np.sqrt(h * stock / K))
    gap = -0.02 / 1.02
    assert mean_at(-0.02) == pytest.approx(h * stock * (1 + gap), abs=4 * np.sqrt(h * stock / K))
    assert mean_at(-0.02) < at_rest < mean_at(0.02)
    assert mean_at(-1e-9) == pytest.approx(at_rest, rel=0.02) == mean_at(1e-9)  # continuous at zero profit


def test_entry_replaces_fixed_cost_slots_not_plants_whose_fixed_input_is_capital():
    """The replacement base is the stock in fixed-cost units: plants placed with their own capital (overhead 0) are not
    replaced by local entrants when they close."""
    K = 4000
    params = SimpleNamespace(entry_rate=0.1, entry_pool_share=0.2, exit_hazard=0.08)
    sectors, market = entry_setup(np.full(K, 1.0))  # zero profit
    count, overhead = np.full((1, K), 60.0), np.full((1, K), 40.0)  # 20 capital-funded plants in each cell
    rng = np.random.default_rng(19)
    drawn = entry_decisions(sectors, market, count, np.ones(K), np.ones((1, K)), params, rng, overhead)
    expected = quarterly_hazard(0.08) * 40.0
    assert drawn.mean() == pytest.approx(expected, abs=4 * np.sqrt(expected / K))


def test_entry_from_one_uniform_per_cell_is_its_poisson_quantile_and_refuses_a_nan():
    """Keyed entry: each cell's uniform is inverted through its own Poisson distribution (mean and variance h * n over
    many cells), a cell's count does not depend on the other cells, and a NaN expectation raises instead of drawing."""
    K = 20_000
    params = SimpleNamespace(entry_rate=0.1, entry_pool_share=0.2, exit_hazard=0.08)
    sectors, market = entry_setup(np.full(K, 1.0))  # zero profit: h * n expected
    count = np.full((1, K), 50.0)
    uniform = np.random.default_rng(23).random((1, K))
    drawn = entry_decisions(sectors, market, count, np.ones(K), np.ones((1, K)), params, uniform)
    expected = quarterly_hazard(0.08) * 50.0
    assert drawn.mean() == pytest.approx(expected, abs=4 * np.sqrt(expected / K))
    assert drawn.var() / drawn.mean() == pytest.approx(1.0, abs=0.05)
    richer = count.copy()
    richer[0, :10] = 80.0  # other cells' expectations change: the rest draw the same entrants
    again = entry_decisions(sectors, market, richer, np.ones(K), np.ones((1, K)), params, uniform)
    assert np.array_equal(again[0, 10:], drawn[0, 10:]) and again[0, :10].sum() >= drawn[0, :10].sum()
    count[0, 0] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        entry_decisions(sectors, market, count, np.ones(K), np.ones((1, K)), params, uniform)


# ----- relocation_choices: a binary logit on the present value of a move -------------------------------------------------

FIXED_TALENT = 0.5


def relocation_setup(cities: np.ndarray, location_mass, association: np.ndarray | None = None):
    """Enterprises of one sector (sigma 5, productivity 1, overhead 1) in ``cities``; revenue per unit of productivity
    mass 5 and wages 1, so an enterprise's operating profit is its city's ``location_mass`` and its revenue five times it."""
    pop = population(len(cities))
    pop.column("city")[:] = cities
    pop.column("owner_city")[:] = cities
    if association is not None:
        pop.column("association")[:] = association
    sectors = SectorParameters(np.array([SIGMA]), np.array([0.4]), np.array([1.0]), np.array([FIXED_TALENT]))
    K = len(location_mass)
    market = SimpleNamespace(revenue_per_mass=lambda s: np.full((1, K), SIGMA), wage=np.ones(K))
    return pop, sectors, market, np.atleast_2d(np.asarray(location_mass, dtype=float))


def relocate(cities, location_mass, cost, uniforms, rate=1.0, scale=1.5, annuity=10.0, association=None, multiplier=None, rows=None):
    pop, sectors, market, mass = relocation_setup(cities, location_mass, association)
    params = SimpleNamespace(relocation_rate=rate, relocation_logit_scale=scale)
    K = mass.shape[1]
    moving_cost = np.where(np.eye(K) > 0, 0.0, cost)
    rows = pop.rows if rows is None else rows
    return relocation_choices(
        pop, rows, sectors, market, moving_cost, params, annuity, lambda r, k, f: uniforms[r, f : f + k], mass, multiplier
    )


def logistic(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


def test_a_binary_logit_move_probability_is_recovered_from_many_draws():
    """Two cities of equal size: an enterprise meets the other city half the time and moves with probability
    1 / (1 + exp(-scale * (annuity * (pi_j - pi_i) / r_i - cost))); recovered within a binomial tolerance, both ways."""
    n, cost, scale, annuity = 80_000, 0.5, 1.5, 10.0
    mass = np.array([1.0, 1.1])
    cities = np.repeat([0, 1], n)
    uniforms = np.random.default_rng(30).random((2 * n, 3))
    rows, destination = relocate(cities, mass, cost, uniforms, scale=scale, annuity=annuity)
    assert np.all(destination != cities[rows]) and len(np.unique(rows)) == len(rows)
    for i, j in ((0, 1), (1, 0)):
        value = annuity * (mass[j] - mass[i]) / (SIGMA * mass[i]) - cost
        p = 0.5 * logistic(scale * value)
        share = np.count_nonzero(cities[rows] == i) / n
        assert share == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n)), (i, j, p)


def test_with_no_moving_cost_and_equal_profits_flows_balance_between_cities_of_any_size():
    """Detailed balance: a firm meets j with probability n_j / n and moves half the time (logit of 0), so the flows
    n_i n_j / (2 n) are equal both ways whatever the sizes: no drift at the equilibrium."""
    n0, n1 = 90_000, 30_000
    cities = np.r_[np.zeros(n0, dtype=np.int64), np.ones(n1, dtype=np.int64)]
    rows, _ = relocate(cities, [1.0, 1.0], 0.0, np.random.default_rng(31).random((n0 + n1, 3)))
    expected = n0 * n1 / (n0 + n1) / 2
    flows = [np.count_nonzero(cities[rows] == i) for i in (0, 1)]
    assert flows == pytest.approx([expected, expected], abs=4 * np.sqrt(expected))


def test_moves_fall_with_the_moving_cost_and_rise_with_the_destinations_profit_and_the_firms_horizon():
    """Same draws: a dearer move keeps a subset of the movers; a more profitable destination, or a longer horizon
    (annuity) over the same profit gap, draws a superset of the movers towards it."""
    n = 40_000
    cities = np.repeat([0, 1], n)
    uniforms = np.random.default_rng(32).random((2 * n, 3))

    def movers(**changes) -> set:
        settings = dict(location_mass=[1.0, 1.1], cost=1.0) | changes
        rows, destination = relocate(cities, settings.pop("location_mass"), settings.pop("cost"), uniforms, **settings)
        return set(rows[destination == 1].tolist())

    base = movers()
    assert movers(cost=2.0) < base < movers(cost=0.5)
    assert base < movers(location_mass=[1.0, 1.3])
    assert base < movers(annuity=30.0)
    assert len(movers(cost=2.0)) < 0.5 * len(base)


def test_only_a_share_relocation_rate_reconsiders_and_the_order_of_rows_does_not_matter():
    """Column 0 of each enterprise's draws decides who reconsiders; decisions follow each enterprise's own draws, so
    passing the rows in another order gives the same moves."""
    n = 30_000
    cities = np.tile([0, 1, 2], n // 3)
    uniforms = np.random.default_rng(33).random((n, 3))
    rows, destination = relocate(cities, [1.0, 1.2, 0.9], 0.2, uniforms, rate=0.05)
    assert np.all(uniforms[rows, 0] < 0.05)
    assert 0 < len(rows) < 0.05 * n
    shuffled = np.random.default_rng(34).permutation(n)
    rows_2, destination_2 = relocate(cities, [1.0, 1.2, 0.9], 0.2, uniforms, rate=0.05, rows=shuffled)
    assert dict(zip(rows.tolist(), destination.tolist(), strict=True)) == dict(zip(rows_2.tolist(), destination_2.tolist(), strict=True))


def test_association_members_see_a_cheaper_move_towards_partner_cities():
    """The multiplier row of an enterprise's association scales its moving cost: members (row 0, cost x 0.2 towards
    city 1) move there more than non-members (last row, x 1) with the same draws, and never fewer."""
    n = 40_000
    cities = np.zeros(n, dtype=np.int64)
    cities[: n // 2] = 1  # city 1 has enterprises to be met
    uniforms = np.random.default_rng(35).random((n, 3))
    multiplier = np.array([[1.0, 0.2], [1.0, 1.0]])
    members, _ = relocate(cities, [1.0, 1.0], 1.0, uniforms, association=np.zeros(n, dtype=np.int64), multiplier=multiplier)
    others, _ = relocate(cities, [1.0, 1.0], 1.0, uniforms, association=np.full(n, -1), multiplier=multiplier)
    members, others = set(members[cities[members] == 0].tolist()), set(others[cities[others] == 0].tolist())
    assert others < members and len(members) > 2 * len(others)


def test_no_relocation_with_a_single_city_or_nobody_reconsidering():
    uniforms = np.random.default_rng(36).random((100, 3))
    rows, destination = relocate(np.zeros(100, dtype=np.int64), [1.0], 0.0, uniforms)
    assert len(rows) == len(destination) == 0
    rows, _ = relocate(np.arange(100) % 2, [1.0, 5.0], 0.0, uniforms, rate=0.0)
    assert len(rows) == 0


def test_codes_outside_the_tables_are_refused_not_read_past_their_end():
    """The compiled loops index flat tables without numba's checks: an association, city or sector code outside them
    raises IndexError instead of reading other memory."""
    n = 2000
    cities = np.arange(n) % 2
    uniforms = np.random.default_rng(37).random((n, 3))
    multiplier = np.array([[1.0, 0.2], [1.0, 1.0]])  # one association (row 0) and the non-members' row
    with pytest.raises(IndexError, match="association"):
        relocate(cities, [1.0, 1.0], 0.0, uniforms, association=np.full(n, 7), multiplier=multiplier)
    with pytest.raises(IndexError, match="city"):
        relocate(np.full(n, 5), [1.0, 1.0], 0.0, uniforms)  # city 5 of a two-city table
    pop, sectors, market, mass = relocation_setup(cities, [1.0, 1.0])
    pop.column("sector")[:3] = -1
    with pytest.raises(IndexError, match="sector"):
        net_profit(pop, pop.rows, sectors, market, mass)


def test_an_enterprise_without_revenue_has_the_largest_exit_hazard_not_none():
    """Zero revenue and a loss: the margin is -inf and the gap its limit, -1 (numpy's -inf / inf alone would be NaN,
    a hazard of NaN and never an exit)."""
    assert zero_profit_gap(np.array([-np.inf]))[0] == -1.0
    params = SimpleNamespace(exit_patience=1, exit_rate=0.5)
    pop = population(1)
    hazard_draw = np.array([0.49])  # below exit_rate * 1
    leaving = exit_decisions(pop, pop.rows, np.zeros(1), np.full(1, -5e8), SimpleNamespace(sigma=np.array([SIGMA])), params, hazard_draw)
    assert leaving.tolist() == [0]
