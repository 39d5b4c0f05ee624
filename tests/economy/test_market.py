"""The market core against its textbook limits, solved directly (no agents)."""

import numpy as np
import pytest
from scipy.optimize import brentq

from coopsim.economy.analytic import core_periphery_real_wages, home_market_share
from coopsim.economy.market import (
    MarketInputs,
    SectorParameters,
    clearing_worker_wage,
    outside_employment,
    solve_market,
    value_added,
)

SIGMA, MU = 5.0, 0.4
SOLVER = dict(damping=0.9, tolerance=1e-12, max_iterations=500)


def two_city_inputs(firms, talent, workers, trade_cost, owners=None):
    """One sector, identical enterprises (phi = 1); ``owners[i]`` = share of city i's firms owned in city 0."""
    firms = np.asarray(firms, dtype=float)
    owned = np.zeros((1, 2, 2))
    if owners is None:
        owned[0, 0, 0], owned[0, 1, 1] = firms
    else:
        for i in range(2):
            owned[0, i, 0] = firms[i] * owners[i]
            owned[0, i, 1] = firms[i] * (1 - owners[i])
    tau = np.array([[[1.0, trade_cost], [trade_cost, 1.0]]])
    return MarketInputs(
        firms[None, :], firms[None, :].copy(), owned, owned.copy(), np.asarray(talent, float), np.asarray(workers, float), tau
    )


@pytest.mark.parametrize("trade_cost", [1.3, 1.6, 1.8, 2.5])
@pytest.mark.parametrize("share", [0.5, 0.6, 0.85, 0.99])
def test_core_periphery_short_run_equals_krugman(trade_cost, share):
    """At the zero-profit number of enterprises, real wages are FKV (1999) eqs. 5.1-5.4 to solver precision."""
    fixed = 0.25
    sectors = SectorParameters(np.array([SIGMA]), np.array([MU]), np.array([1.0]), np.array([fixed]))
    talent = np.array([share, 1 - share]) * 4000.0
    firms = talent / (SIGMA * fixed)
    solution = solve_market(sectors, two_city_inputs(firms, talent, [3000.0, 3000.0], trade_cost), **SOLVER)
    assert solution.converged
    ours = np.log(solution.wage / solution.cost_of_living(sectors.expenditure_share))
    reference = np.log(core_periphery_real_wages(share, trade_cost, SIGMA, MU))
    assert ours[0] - ours[1] == pytest.approx(reference[0] - reference[1], abs=1e-9)
    # free entry: at the zero-profit count, the labour-clearing wage is the entrant's break-even wage
    assert solution.wage == pytest.approx(solution.entrant_wage, rel=1e-8)


def test_break_point_invariant_to_population_scale():
    """Scaling talent and (immobile) workers changes wage levels, not the real-wage gap (FKV normalisation)."""
    sectors = SectorParameters(np.array([SIGMA]), np.array([MU]), np.array([1.0]), np.array([1.0]))
    gaps = []
    for talent_total, immobile_total in [(4000.0, 6000.0), (1000.0, 9000.0)]:
        talent = np.array([0.7, 0.3]) * talent_total
        sol = solve_market(sectors, two_city_inputs(talent / SIGMA, talent, [immobile_total / 2] * 2, 1.6), **SOLVER)
        omega = np.log(sol.wage / sol.cost_of_living(sectors.expenditure_share))
        gaps.append(omega[0] - omega[1])
    assert gaps[0] == pytest.approx(gaps[1], abs=1e-9)


@pytest.mark.parametrize("expenditure_target, trade_cost", [(0.55, 1.5), (0.6, 2.0), (0.52, 1.2)])
def test_footloose_capital_home_market_effect(expenditure_target, trade_cost):
    """With mobile capital and immobile owners, profits equalise at s_n = 1/2 + (1+phi)/(1-phi)(s_E - 1/2)."""
    sectors = SectorParameters(np.array([SIGMA]), np.array([MU]), np.array([0.0]), np.array([0.0]))
    firms_total = 1000.0
    # owners split evenly; immobile labour chosen so that s_E hits the target:
    # Y_1 = L_1 + Pi / 2 with Pi = mu * Y / sigma and Y = L / (1 - mu / sigma)
    labour = 10000.0
    profits = MU / SIGMA * labour / (1 - MU / SIGMA)
    labour_1 = expenditure_target * (labour + profits) - profits / 2

    def profit_gap(s_n):
        firms = np.array([s_n, 1 - s_n]) * firms_total
        inputs = two_city_inputs(firms, [0.0, 0.0], [labour_1, labour - labour_1], trade_cost, owners=[0.5, 0.5])
        sol = solve_market(sectors, inputs, **SOLVER)
        assert sol.converged
        assert sol.income[0] / sol.income.sum() == pytest.approx(expenditure_target, abs=1e-10)
        return sol.market_access[0, 0] - sol.market_access[0, 1]

    s_n = brentq(profit_gap, 0.01, 0.99, xtol=1e-12)
    assert s_n == pytest.approx(home_market_share(expenditure_target, trade_cost ** (1 - SIGMA)), abs=1e-8)


@pytest.mark.parametrize("land_share", [0.0, 0.2])
def test_walras_law_income_equals_spending_on_production(land_share):
    """Incomes add up to value added (outside output plus sector revenues), and both labour markets clear (Walras' law)."""
    rng = np.random.default_rng(3)
    K, S = 4, 3
    sectors = SectorParameters(np.full(S, 4.0), np.array([0.2, 0.15, 0.1]), np.array([0.3, 0.7, 1.0]), np.array([1.0, 2.0, 0.5]))
    counts = rng.integers(50, 200, size=(S, K)).astype(float)
    mass = counts * rng.uniform(0.8, 1.2, size=(S, K))
    owners = rng.dirichlet(np.ones(K), size=(S, K))
    owned_mass, owned_count = mass[:, :, None] * owners, counts[:, :, None] * owners
    talent = (sectors.fixed_talent @ counts) * 3.0
    minutes = rng.uniform(30, 300, size=(K, K))
    minutes = (minutes + minutes.T) / 2
    np.fill_diagonal(minutes, 0.0)
    tau = np.broadcast_to((1 + minutes / 60.0) ** (1.0 / 3.0), (S, K, K)).copy()
    workers = rng.uniform(1000, 5000, K)
    productivity = rng.uniform(0.5, 2.0, K)
    inputs = MarketInputs(mass, counts, owned_mass, owned_count, talent, workers, tau, productivity, outside_land_share=land_share)
    sol = solve_market(sectors, inputs, **SOLVER)
    assert sol.converged
    spending = sectors.expenditure_share.sum() * sol.income.sum()
    assert sol.revenue.sum() == pytest.approx(spending, rel=1e-9)
    assert sol.income.sum() == pytest.approx(value_added(sectors, sol, inputs).sum(), rel=1e-9)
    # worker market: the sectors' worker bill plus the outside sector's workers use every worker
    bill = ((1 - sectors.talent_input_share) * sectors.rho) @ sol.revenue
    outside_workers = sol.outside_output * (1 - land_share) / sol.worker_wage
    assert bill / sol.worker_wage + outside_workers == pytest.approx(workers, rel=1e-9)
    if land_share > 0:  # outside workers earn their marginal product
        assert sol.worker_wage == pytest.approx((1 - land_share) * productivity * outside_workers ** (-land_share), rel=1e-9)
        assert outside_employment(sol.worker_wage, productivity, land_share) == pytest.approx(outside_workers, rel=1e-9)
    else:
        assert sol.worker_wage == pytest.approx(productivity, rel=1e-12)


def random_region(land_share, capital_share=None, ownership=1.0, seed=3):
    """A random 4-city, 3-sector market (as in the Walras test) with capital shares and their local ownership."""
    rng = np.random.default_rng(seed)
    K, S = 4, 3
    sectors = SectorParameters(np.full(S, 4.0), np.array([0.2, 0.15, 0.1]), np.array([0.3, 0.7, 1.0]), np.array([1.0, 2.0, 0.5]))
    counts = rng.integers(50, 200, size=(S, K)).astype(float)
    mass = counts * rng.uniform(0.8, 1.2, size=(S, K))
    owners = rng.dirichlet(np.ones(K), size=(S, K))
    minutes = rng.uniform(30, 300, size=(K, K))
    minutes = (minutes + minutes.T) / 2
    np.fill_diagonal(minutes, 0.0)
    tau = np.broadcast_to((1 + minutes / 60.0) ** (1.0 / 3.0), (S, K, K)).copy()
    inputs = MarketInputs(
        mass,
        counts,
        mass[:, :, None] * owners,
        counts[:, :, None] * owners,
        (sectors.fixed_talent @ counts) * 3.0,
        rng.uniform(1000, 5000, K),
        tau,
        rng.uniform(0.5, 2.0, K),
        outside_land_share=land_share,
        capital_share=capital_share,
        local_capital_ownership=ownership,
    )
    return sectors, inputs


@pytest.mark.parametrize("land_share", [0.0, 0.2])
@pytest.mark.parametrize("ownership", [1.0, 0.4])
def test_gdp_by_place_is_paid_out_as_wages_rent_capital_income_and_profits(land_share, ownership):
    """With capital, GDP by place = wages + land rent + capital income + producers' net profits in every city, and
    residents' income falls short of GDP by the capital income owned outside the region (national accounts identity)."""
    theta = np.array([0.6, 0.3, 0.1, 0.0])
    sectors, inputs = random_region(land_share, theta, ownership)
    sol = solve_market(sectors, inputs, **SOLVER)
    assert sol.converged
    gdp = value_added(sectors, sol, inputs)
    fixed = sectors.fixed_talent @ inputs.overhead
    employed = inputs.talent  # every city is staffed
    outside_workers = sol.outside_output * (1 - theta) * (1 - land_share) / sol.worker_wage
    rent = land_share * (1 - theta) * sol.outside_output
    capital = theta * (sectors.rho @ sol.revenue + sol.outside_output)
    net_profit_by_place = (sol.revenue / sectors.sigma[:, None]).sum(axis=0) - sol.wage * fixed
    paid = sol.wage * employed + sol.worker_wage * inputs.workers + rent + capital + net_profit_by_place
    assert paid == pytest.approx(gdp, rel=1e-9)
    assert sol.capital_income == pytest.approx(capital, rel=1e-9)
    assert sol.income.sum() == pytest.approx(gdp.sum() - (1 - ownership) * capital.sum(), rel=1e-9)
    # both labour markets clear, with workers earning the share (1 - theta) of the outside sector's labour product
    talent_bill = ((sectors.talent_input_share * sectors.rho)[:, None] * sol.revenue).sum(axis=0) * (1 - theta)
    assert talent_bill / sol.wage + fixed == pytest.approx(inputs.talent, rel=1e-9)
    worker_bill = (((1 - sectors.talent_input_share) * sectors.rho)[:, None] * sol.revenue).sum(axis=0) * (1 - theta)
    assert worker_bill / sol.worker_wage + outside_workers == pytest.approx(inputs.workers, rel=1e-9)


def test_no_capital_is_the_labour_and_land_market():
    """Capital shares of zero reproduce the market without capital bit for bit, whatever its ownership."""
    sectors, without = random_region(0.2)
    _, with_zero = random_region(0.2, np.zeros(4), ownership=0.3)
    a, b = solve_market(sectors, without, **SOLVER), solve_market(sectors, with_zero, **SOLVER)
    np.testing.assert_array_equal(a.wage, b.wage)
    np.testing.assert_array_equal(a.worker_wage, b.worker_wage)
    np.testing.assert_array_equal(a.income, b.income)
    np.testing.assert_array_equal(b.capital_income, 0.0)


def test_capital_owned_elsewhere_makes_income_fall_below_gdp_and_keeps_free_entry():
    """With half of a city's capital income owned outside the region, its residents' income falls below its GDP; the
    entrant's break-even wage with capital is the solver's free-entry wage. (Whether workers' pay falls relative to
    talent's depends on general equilibrium: cheaper production raises the city's revenue, so it is not asserted.)"""
    sectors, plain = random_region(0.1)
    _, capitalised = random_region(0.1, np.array([0.5, 0.0, 0.0, 0.0]), ownership=0.5)
    a, b = solve_market(sectors, plain, **SOLVER), solve_market(sectors, capitalised, **SOLVER)
    gdp_b = value_added(sectors, b, capitalised)
    assert b.income[0] / gdp_b[0] < 0.9 * a.income[0] / value_added(sectors, a, plain)[0]
    # free entry still holds: break-even wage with capital equals the solver's entrant wage
    from coopsim.economy.market import break_even_wage

    assert break_even_wage(sectors, b.market_access, 1.0, b.worker_wage, capitalised.capital_share) == pytest.approx(b.entrant_wage)


def test_worker_wage_falls_as_workers_arrive_with_land_and_not_without():
    """Decreasing returns in the outside sector make the worker wage fall with more workers; constant returns pin it."""
    bill, productivity = np.array([50.0, 50.0]), np.array([1.0, 1.0])
    workers = np.array([100.0, 200.0])
    with_land = clearing_worker_wage(bill, workers, productivity, 0.2)
    assert with_land[1] < with_land[0]
    assert with_land * (workers - outside_employment(with_land, productivity, 0.2)) == pytest.approx(bill, rel=1e-10)
    assert clearing_worker_wage(bill, workers, productivity, 0.0) == pytest.approx(productivity)
    assert clearing_worker_wage(np.array([300.0]), np.array([100.0]), np.array([1.0]), 0.0) == pytest.approx(3.0)  # no outside sector left


def test_non_convergence_is_reported():
    sectors = SectorParameters(np.array([SIGMA]), np.array([MU]), np.array([1.0]), np.array([1.0]))
    talent = np.array([3000.0, 1000.0])
    sol = solve_market(
        sectors, two_city_inputs(talent / SIGMA, talent, [3000.0, 3000.0], 1.6), damping=0.9, tolerance=1e-14, max_iterations=1
    )
    assert not sol.converged
    assert sol.iterations == 1
    assert sol.residual > 1e-14


def test_infeasible_talent_market_is_refused():
    sectors = SectorParameters(np.array([SIGMA]), np.array([MU]), np.array([1.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="talent market infeasible"):
        solve_market(sectors, two_city_inputs([100.0, 100.0], [50.0, 500.0], [3000.0, 3000.0], 1.6), **SOLVER)


def test_anderson_acceleration_reaches_a_linear_fixed_point_faster_than_damped_iteration():
    """x = A x + b: with memory 0 it is the damped iteration exactly; with memory it converges in far fewer steps
    (Walker & Ni 2011)."""
    from coopsim.economy.market import AndersonAccelerator

    rng = np.random.default_rng(3)
    a = rng.random((6, 6))
    a *= 0.95 / np.max(np.abs(np.linalg.eigvals(a)))  # a contraction, slowly
    b = rng.random(6)
    fixed = np.linalg.solve(np.eye(6) - a, b)

    def steps_to_converge(memory: int) -> int:
        accelerator, x = AndersonAccelerator(memory, 0.9), np.zeros(6)
        for step in range(1, 2000):
            x = accelerator.next(x, a @ x + b)
            if np.max(np.abs(x - fixed)) < 1e-10:
                return step
        return 2000

    plain = AndersonAccelerator(0, 0.9)
    x = np.ones(6)
    assert plain.next(x, a @ x + b) == pytest.approx(x + 0.9 * (a @ x + b - x))
    assert steps_to_converge(5) < steps_to_converge(0) / 5
