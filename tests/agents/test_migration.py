"""Random-utility migration of the two labour groups: choice probabilities, rest points, graded responses, kappa recovered."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from coopsim.agents.labour import new_labour_population
from coopsim.agents.migration import choice_probabilities, migration_choices, moving_cost_matrix, stationary_amenity
from coopsim.config import ConfigError, LabourGroupConfig
from coopsim.runner import build_model, compose_config


def group(**changes) -> LabourGroupConfig:
    values = dict(
        choice="logit",
        utility_wage="earned",
        migration_rate=0.25,
        migration_elasticity=1.5,
        gain_for_certain_move=0.1,
        moving_cost=2.0,
        moving_cost_per_hour=0.5,
        settlement_barrier=0.0,
    )
    values.update(changes)
    return LabourGroupConfig(**values)


MINUTES = np.array([[0.0, 60.0, 180.0], [60.0, 0.0, 120.0], [180.0, 120.0, 0.0]])


def test_moving_cost_has_a_settlement_barrier_off_the_diagonal_only():
    cost = moving_cost_matrix(MINUTES, group(settlement_barrier=0.5))
    assert np.all(np.diag(cost) == 0.0)
    assert cost[0, 2] == pytest.approx(2.0 + 0.5 + 0.5 * 3.0)
    assert cost[0, 2] - moving_cost_matrix(MINUTES, group())[0, 2] == pytest.approx(0.5)


def test_choice_probabilities_are_a_logit_over_utility_net_of_moving_costs():
    utility = np.array([0.0, 0.3, -0.2])
    cost = moving_cost_matrix(MINUTES, group())
    p = choice_probabilities(utility, cost, 1.5)
    assert p.sum(axis=1) == pytest.approx(np.ones(3))
    # log odds of j against staying are kappa (u_j - m_ij - u_i)
    assert np.log(p[0, 1] / p[0, 0]) == pytest.approx(1.5 * (0.3 - cost[0, 1] - 0.0))
    # a higher utility raises every origin's chance of choosing the city, smoothly
    higher = choice_probabilities(utility + np.array([0.0, 0.05, 0.0]), cost, 1.5)
    assert np.all(higher[:, 1] > p[:, 1])


@pytest.mark.parametrize("moving_cost", [0.0, 2.0])
def test_inverted_amenities_make_the_distribution_the_rest_point_of_the_flows(moving_cost):
    people = np.array([5.0e6, 1.0e6, 2.0e5])
    utility = np.array([0.4, -0.1, 0.2])
    config = group(moving_cost=moving_cost, moving_cost_per_hour=0.5 if moving_cost else 0.0)
    cost = moving_cost_matrix(MINUTES, config)
    amenity = stationary_amenity(utility, people, cost, config, "economy.talent")
    p = choice_probabilities(utility + amenity, cost, config.migration_elasticity)
    assert people @ p == pytest.approx(people, rel=1e-9)  # net flows zero
    assert np.all(np.diag(p) < 1.0)  # gross flows positive
    assert amenity.mean() == pytest.approx(0.0, abs=1e-12)
    if moving_cost == 0.0:  # without moving costs the stationary distribution is L_j ~ exp(kappa u_j)
        total = utility + amenity
        assert np.log(people / people[0]) == pytest.approx(1.5 * (total - total[0]), rel=1e-9)


def test_amenity_inversion_needs_people_everywhere():
    with pytest.raises(ConfigError, match="economy.workers"):
        stationary_amenity(np.zeros(3), np.array([1.0, 0.0, 2.0]), np.zeros((3, 3)), group(), "economy.workers")


def test_migration_choices_follow_the_logit_probabilities():
    """Simulated choices of many cohorts match the logit shares (a chi-square-like check on counts)."""
    pop = new_labour_population()
    n = 60_000
    origin = np.repeat(np.arange(3), n // 3)
    pop.add(city=origin, home_city=origin, size=np.ones(n), exchange_until=np.full(n, -1), exchange_origin=np.full(n, -1))
    utility = np.array([0.0, 0.5, -0.3])
    config = group(migration_rate=1.0, moving_cost=0.5)
    cost = moving_cost_matrix(MINUTES, config)
    rng = np.random.default_rng(5)
    draws = rng.random((n, 2))
    rows, destination = migration_choices(pop, np.ones(n, bool), utility, cost, config, lambda r, k, f: draws[r, f : f + k])
    chosen = origin.copy()
    chosen[rows] = destination
    counts = np.zeros((3, 3))
    np.add.at(counts, (origin, chosen), 1)
    expected = (n // 3) * choice_probabilities(utility, cost, 1.5)
    assert counts == pytest.approx(expected, abs=4 * np.sqrt(expected).max())


def choice_shares(value: np.ndarray, kappa: float, rate: float) -> np.ndarray:
    """Probabilities of each (origin, destination) in a quarter: P(j != i) = rate P_ij, P(stay) = 1 - rate + rate P_ii."""
    v = kappa * value
    v = v - v.max(axis=1, keepdims=True)
    p = np.exp(v) / np.exp(v).sum(axis=1, keepdims=True)
    pi = rate * p
    pi[np.diag_indices_from(pi)] += 1.0 - rate
    return pi


def flow_elasticity(quarters: list[tuple[np.ndarray, np.ndarray]], rate: float) -> float:
    """Maximum-likelihood kappa from bilateral cohort counts (stays included) and ``value[i, j] = u_j - m_ij`` per quarter.

    A cohort reconsiders with probability ``rate`` and then chooses by the logit (McFadden 1974).
    """

    def negative_log_likelihood(kappa: float) -> float:
        return -sum(float(np.sum(counts * np.log(choice_shares(value, kappa, rate)))) for counts, value in quarters)

    return minimize_scalar(negative_log_likelihood, bounds=(0.05, 20.0), method="bounded").x


@pytest.mark.parametrize("group_name", ["talent", "workers"])
def test_migration_elasticity_recovered_from_simulated_flows_matches_the_configured_kappa(group_name):
    """Guangdong, small cohorts: kappa estimated from the model's own bilateral flows is the configured one within 10%."""
    model = build_model(compose_config("steps=6", "region.data.people_per_talent_agent=100", "region.data.people_per_worker_agent=500"))
    try:
        pop = getattr(model, group_name)
        config = getattr(model.economy, group_name)
        K = model.region.size
        values = []
        migrate = model.labour_migrates

        def observed_migration():
            rows = pop.rows
            before = pop.city[rows].copy()
            value = model.utility(group_name)[None, :] - model.moving_cost(group_name)
            migrate()
            values.append((np.bincount(before * K + pop.city[rows], minlength=K * K).reshape(K, K), value))

        model.labour_migrates = observed_migration
        for _ in range(6):
            model.step()
        moves = sum(c.sum() - np.trace(c) for c, _ in values)
        assert moves > 1000  # enough moves to estimate from
        estimate = flow_elasticity(values, config.migration_rate)
        assert estimate == pytest.approx(config.migration_elasticity, rel=0.10)
        per_quarter = [flow_elasticity([quarter], config.migration_rate) for quarter in values]
        assert np.median(per_quarter) == pytest.approx(config.migration_elasticity, rel=0.25)
    finally:
        model.release()


# Workers respond to a productivity shock through the worker wage, which moves little (Shantou's workers earn mostly in the
# outside sector): a 10% shock raises it by about 0.4%, moving some hundreds of people a year, less than one default
# cohort of 2,500; cohorts of 250 resolve it.
FINE_WORKER_COHORTS = "region.data.people_per_worker_agent=250"


def shocked_shares(shock: float, seed: int = 0, steps: int = 20) -> tuple[float, float]:
    """Shantou's talent and worker shares after ``steps`` quarters with its productivity raised by ``shock`` at the start."""
    model = build_model(compose_config(f"seed={seed}", f"steps={steps}", FINE_WORKER_COHORTS))
    try:
        model.region.scheduled_links = []  # no other shock
        k = model.region.index("Shantou")
        factor = (1.0 + shock) ** (model.sectors.sigma - 1.0)
        model.base_location_mass[:, k] *= factor
        model.location_mass[:, k] *= factor
        for _ in range(steps):
            model.step()
        talent, workers = model.talent_per_city(), model.workers_per_city()
        return talent[k] / talent.sum(), workers[k] / workers.sum()
    finally:
        model.release()


def test_a_productivity_shock_raises_talent_share_gradually_with_its_size():
    """Paired seeds (common random numbers): +5% and +10% productivity in Shantou raise its talent share, the larger more;
    the response is graded (the smaller shock moves it by a comparable fraction), never all or nothing."""
    base = shocked_shares(0.0)
    small, large = shocked_shares(0.05), shocked_shares(0.10)
    effect_small, effect_large = small[0] / base[0] - 1.0, large[0] / base[0] - 1.0
    assert 0.0 < effect_small < effect_large
    assert 0.2 < effect_small / effect_large < 0.8
    assert effect_large < 0.2  # five years at an annual decision rate: no flood
    assert small[1] > base[1] and large[1] > small[1]  # workers follow too (more jobs at a higher worker wage)


def test_without_shocks_the_2020_distribution_is_a_rest_point():
    """No timetable change, no agreement: over 60 quarters each city's talent and worker shares stay within 10% of
    where they started (cohort noise and entry/exit around the calibrated start) while gross flows are positive.

    Cohorts of 100 talent: with the default 500, Shanwei's census talent is only about 280 cohorts, whose random walk
    over 15 years alone has a standard deviation of about 7%."""
    model = build_model(compose_config("steps=60", "seed=4", "region.data.people_per_talent_agent=100", "region.data.trend=false"))
    try:
        model.region.scheduled_links = []
        start = {"talent": model.talent_per_city(), "workers": model.workers_per_city()}
        gross = {"talent": 0.0, "workers": 0.0}
        for _ in range(60):
            model.step()
            gross["talent"] += model.flows["migration_out"].sum()
            gross["workers"] += model.flows["worker_migration_out"].sum()
        end = {"talent": model.talent_per_city(), "workers": model.workers_per_city()}
        for name in start:
            share_start = start[name] / start[name].sum()
            share_end = end[name] / end[name].sum()
            assert np.max(np.abs(share_end / share_start - 1.0)) < 0.10, name
            annual_rate = gross[name] / 15 / start[name].sum()
            assert 0.01 < annual_rate < 0.10, (name, annual_rate)
        gdp = model.recorder.frame().query("metric == 'gdp_share'").pivot(index="step", columns="city", values="value")
        assert (gdp.iloc[-1] - gdp.iloc[0]).abs().max() < 0.005  # less than half a point of provincial GDP
    finally:
        model.release()
