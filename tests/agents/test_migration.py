"""Random-utility migration of the two labour groups: choice probabilities, rest points, graded responses, kappa recovered."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from coopsim.agents.labour import new_labour_population
from coopsim.agents.migration import choice_probabilities, migration_choices, moving_cost_matrix, stationary_amenity
from coopsim.config import ConfigError, LabourGroupConfig


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
def test_migration_elasticity_recovered_from_simulated_flows_matches_the_configured_kappa(group_name, make_model):
    """Guangdong, small cohorts: kappa estimated from the model's own bilateral flows is the configured one within 10%."""
    model = make_model(  # closed: every cohort stays a row (the open province's flows: tests/agents/test_outside_option.py)
        "steps=6", "region.data.people_per_talent_agent=100", "region.data.people_per_worker_agent=500", "region.data.open_province=false"
    )
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


# Workers respond to a productivity shock through the worker wage, which moves little (Shantou's workers earn mostly in the
# outside sector): a 10% shock raises it by about 0.4%, moving some hundreds of people a year, less than one default
# cohort of 2,500; cohorts of 250 resolve it.
FINE_WORKER_COHORTS = "region.data.people_per_worker_agent=250"


def shocked_shares(make_model, shock: float, seed: int = 0, steps: int = 20) -> tuple[float, float]:
    """Shantou's talent and worker shares after ``steps`` quarters with its productivity raised by ``shock`` at the start."""
    model = make_model(f"seed={seed}", f"steps={steps}", FINE_WORKER_COHORTS)
    model.region.scheduled_links = []  # no other shock
    k = model.region.index("Shantou")
    factor = (1.0 + shock) ** (model.sectors.sigma - 1.0)
    model.base_location_mass[:, k] *= factor
    model.location_mass[:, k] *= factor
    for _ in range(steps):
        model.step()
    talent, workers = model.talent_per_city(), model.workers_per_city()
    return talent[k] / talent.sum(), workers[k] / workers.sum()


def test_a_productivity_shock_raises_talent_share_gradually_with_its_size(make_model):
    """Paired seeds (common random numbers): +5% and +10% productivity in Shantou raise its talent share, the larger more;
    the response is graded (the smaller shock moves it by a comparable fraction), never all or nothing."""
    base = shocked_shares(make_model, 0.0)
    small, large = shocked_shares(make_model, 0.05), shocked_shares(make_model, 0.10)
    effect_small, effect_large = small[0] / base[0] - 1.0, large[0] / base[0] - 1.0
    assert 0.0 < effect_small < effect_large
    assert 0.2 < effect_small / effect_large < 0.8
    # five years at an annual decision rate: no flood. The talent wage's elasticity to location productivity is
    # (sigma - 1) / (1 + alpha (1 - theta)(sigma - 1)), about 2 with Shantou's calibrated talent intensity and capital
    # share (it was about 1 before capital income), so +10% productivity is about +20% on the talent wage
    assert effect_large < 0.3
    assert small[1] > base[1] and large[1] > small[1]  # workers follow too (more jobs at a higher worker wage)


def test_without_shocks_the_2020_distribution_is_a_rest_point(make_model):
    """No timetable change, no agreement: over 60 quarters each city's talent and worker shares stay within 10% of
    where they started (cohort noise and entry/exit around the calibrated start) while gross flows are positive.

    Cohorts of 100 talent: with the default 500, Shanwei's census talent is only about 280 cohorts, whose random walk
    over 15 years alone has a standard deviation of about 7%."""
    model = make_model("steps=60", "seed=4", "region.data.people_per_talent_agent=100", "region.data.productivity_trend=false")
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


# ----- migration_choices called directly: analytic limits, direction of effects, determinism, conservation -------------


def cohorts(origin: np.ndarray, size: float | np.ndarray = 1.0):
    """A labour population with one cohort per entry of ``origin`` (``size`` people each), nobody seconded."""
    pop = new_labour_population()
    n = len(origin)
    pop.add(city=origin, home_city=origin, size=np.broadcast_to(size, n), exchange_until=np.full(n, -1), exchange_origin=np.full(n, -1))
    return pop


def table_draws(uniforms: np.ndarray):
    """``draws(rows, k, first)`` reading each row's own columns of a fixed table of uniforms."""
    return lambda rows, k, first: uniforms[rows, first : first + k]


def binomial_bound(p: float, n: int) -> float:
    """Four standard errors of a share with probability ``p`` among ``n`` independent trials."""
    return 4.0 * np.sqrt(p * (1.0 - p) / n)


def test_with_no_moving_cost_and_equal_utility_reconsidering_cohorts_spread_evenly_over_all_cities():
    """The logit limit: P_ij = 1/K for every j (staying included), so a share rate (K - 1) / K of cohorts moves and the
    movers from each city split evenly over the others."""
    K, per_city, rate = 4, 25_000, 0.4
    origin = np.repeat(np.arange(K), per_city)
    pop = cohorts(origin)
    n = len(origin)
    draws = np.random.default_rng(11).random((n, 2))
    config = group(migration_rate=rate, moving_cost=0.0, moving_cost_per_hour=0.0)
    rows, destination = migration_choices(pop, np.ones(n, bool), np.zeros(K), np.zeros((K, K)), config, table_draws(draws))
    p_move = rate * (K - 1) / K
    assert len(rows) / n == pytest.approx(p_move, abs=binomial_bound(p_move, n))
    assert np.all(destination != origin[rows])
    flows = np.zeros((K, K))
    np.add.at(flows, (origin[rows], destination), 1)
    off_diagonal = flows[~np.eye(K, dtype=bool)]
    expected = per_city * rate / K
    assert off_diagonal == pytest.approx(np.full(K * (K - 1), expected), abs=4 * np.sqrt(expected))
    # only cohorts whose first draw is below the rate reconsider: the others never move
    assert np.all(draws[rows, 0] < rate)


def test_a_binary_logit_choice_probability_is_recovered_from_many_draws():
    """Two cities: P(i -> j) = rate / (1 + exp(-kappa (u_j - u_i - m_ij))), within a binomial tolerance, both ways."""
    n, rate, kappa, cost = 100_000, 0.8, 1.5, 0.25
    utility = np.array([0.0, 0.4])
    origin = np.repeat([0, 1], n)
    pop = cohorts(origin)
    draws = np.random.default_rng(12).random((2 * n, 2))
    config = group(migration_rate=rate, migration_elasticity=kappa)
    moving_cost = np.array([[0.0, cost], [cost, 0.0]])
    rows, _ = migration_choices(pop, np.ones(2 * n, bool), utility, moving_cost, config, table_draws(draws))
    for i, j in ((0, 1), (1, 0)):
        p = rate / (1.0 + np.exp(-kappa * (utility[j] - utility[i] - cost)))
        share = np.count_nonzero(origin[rows] == i) / n
        assert share == pytest.approx(p, abs=binomial_bound(p, n)), (i, j)


@pytest.mark.parametrize("kappa", [0.5, 1.5, 4.0])
def test_the_migration_elasticity_is_recovered_from_simulated_choices(kappa):
    """Maximum likelihood on the bilateral counts of ten simulated quarters, with utilities that change each quarter,
    returns the configured kappa within 5% (the estimator of the model-level test above, fed by migration_choices)."""
    K, per_city, rate = 5, 8_000, 0.25
    minutes = np.abs(np.subtract.outer(np.arange(K), np.arange(K))) * 45.0
    config = group(migration_rate=rate, migration_elasticity=kappa, moving_cost=1.0, moving_cost_per_hour=0.5)
    cost = moving_cost_matrix(minutes, config)
    rng = np.random.default_rng(int(10 * kappa))
    quarters = []
    for _ in range(10):
        origin = np.repeat(np.arange(K), per_city)
        pop = cohorts(origin)
        utility = rng.normal(0.0, 0.5, K)
        draws = rng.random((len(origin), 2))
        rows, destination = migration_choices(pop, np.ones(len(origin), bool), utility, cost, config, table_draws(draws))
        chosen = origin.copy()
        chosen[rows] = destination
        counts = np.bincount(origin * K + chosen, minlength=K * K).reshape(K, K)
        quarters.append((counts, utility[None, :] - cost))
    assert flow_elasticity(quarters, rate) == pytest.approx(kappa, rel=0.05)


def test_a_larger_moving_cost_moves_fewer_cohorts_with_the_same_draws():
    """Same draws, higher cost: the movers are a subset of those who moved at the lower cost (two cities), and fewer."""
    n = 50_000
    origin = np.repeat([0, 1], n)
    draws = table_draws(np.random.default_rng(13).random((2 * n, 2)))
    utility = np.array([0.1, 0.0])
    movers = {}
    for cost in (0.5, 1.0, 2.0):
        pop = cohorts(origin)
        rows, _ = migration_choices(pop, np.ones(2 * n, bool), utility, np.array([[0.0, cost], [cost, 0.0]]), group(), draws)
        movers[cost] = set(rows.tolist())
    assert movers[2.0] < movers[1.0] < movers[0.5]
    assert len(movers[2.0]) < 0.25 * len(movers[0.5])  # odds of moving x exp(-kappa * 1.5): about 15% as many movers


def test_secondees_never_move_and_only_reconsidering_cohorts_draw_beyond_their_first_column():
    n = 20_000
    origin = np.tile(np.arange(3), n // 3 + 1)[:n]
    pop = cohorts(origin)
    eligible = np.arange(n) % 2 == 0
    uniforms = np.random.default_rng(14).random((n, 2))
    asked = []

    def draws(rows, k, first):
        asked.append((rows.copy(), k, first))
        return uniforms[rows, first : first + k]

    config = group(migration_rate=0.3, moving_cost=0.0, moving_cost_per_hour=0.0)
    rows, _ = migration_choices(pop, eligible, np.zeros(3), np.zeros((3, 3)), config, draws)
    assert eligible[rows].all()
    (first_rows, first_k, first_col), (second_rows, second_k, second_col) = asked
    assert np.array_equal(first_rows, np.flatnonzero(eligible)) and (first_k, first_col) == (1, 0)
    assert np.array_equal(second_rows, first_rows[uniforms[first_rows, 0] < 0.3]) and (second_k, second_col) == (1, 1)


def test_a_cohorts_choice_depends_only_on_its_own_draws():
    """Common random numbers: with counter-based draws keyed by id, a cohort decides the same whether the others are
    eligible or not, so scenarios that differ elsewhere give it the same choice."""
    from coopsim.random_streams import RandomStreams

    streams = RandomStreams(21)
    n, K = 30_000, 4
    origin = np.random.default_rng(15).integers(0, K, n)
    utility = np.array([0.2, -0.1, 0.0, 0.3])
    cost = moving_cost_matrix(np.full((K, K), 60.0), group())
    decisions = []
    for eligible in (np.ones(n, bool), np.random.default_rng(16).random(n) < 0.3):
        pop = cohorts(origin)
        rows, destination = migration_choices(
            pop,
            eligible,
            utility,
            cost,
            group(migration_rate=0.5),
            lambda r, k, f, pop=pop: streams.agent_uniforms("m", 1, pop.uid[r], k, f),
        )
        chosen = origin.copy()
        chosen[rows] = destination
        decisions.append((eligible, chosen))
    (_, everyone), (some, subset) = decisions
    assert np.array_equal(subset[some], everyone[some]) and np.array_equal(subset[~some], origin[~some])
    assert np.count_nonzero(subset != origin) > 100


def test_migration_conserves_people_and_each_city_changes_by_its_net_flow():
    from coopsim.agents.migration import people_by_city

    rng = np.random.default_rng(17)
    n, K = 10_000, 3
    origin = rng.integers(0, K, n)
    pop = cohorts(origin, rng.uniform(100.0, 900.0, n))
    before = people_by_city(pop, K)
    rows, destination = migration_choices(
        pop, np.ones(n, bool), np.array([0.0, 0.5, -0.5]), moving_cost_matrix(MINUTES, group()), group(), table_draws(rng.random((n, 2)))
    )
    out_flow = np.bincount(pop.city[rows], weights=pop.size[rows], minlength=K)
    in_flow = np.bincount(destination, weights=pop.size[rows], minlength=K)
    pop.column("city")[rows] = destination
    after = people_by_city(pop, K)
    assert after.sum() == pytest.approx(before.sum(), rel=1e-12)
    assert after - before == pytest.approx(in_flow - out_flow, abs=1e-6)
    assert len(np.unique(rows)) == len(rows) and out_flow.sum() > 0


def test_the_pairwise_protocol_moves_only_towards_a_gain_in_proportion_to_it():
    """choice: pairwise (the textbook limit): nobody moves without a gain; with two cities a reconsidering cohort moves
    to the better one with probability gain / gain_for_certain_move (below 1), never the other way."""
    n = 60_000
    origin = np.repeat([0, 1], n // 2)
    config = group(choice="pairwise", migration_rate=0.5, gain_for_certain_move=0.1, moving_cost=0.0, moving_cost_per_hour=0.0)
    draws = table_draws(np.random.default_rng(18).random((n, 3)))
    rows, _ = migration_choices(cohorts(origin), np.ones(n, bool), np.zeros(2), np.zeros((2, 2)), config, draws)
    assert len(rows) == 0
    rows, destination = migration_choices(cohorts(origin), np.ones(n, bool), np.array([0.0, 0.04]), np.zeros((2, 2)), config, draws)
    assert np.all(origin[rows] == 0) and np.all(destination == 1)
    p = 0.5 * 0.04 / 0.1
    assert len(rows) / (n // 2) == pytest.approx(p, abs=binomial_bound(p, n // 2))


def test_no_migration_without_reconsidering_cohorts_or_a_second_city():
    origin = np.zeros(100, dtype=np.int64)
    draws = table_draws(np.random.default_rng(19).random((100, 2)))
    rows, destination = migration_choices(cohorts(origin), np.ones(100, bool), np.zeros(1), np.zeros((1, 1)), group(), draws)
    assert len(rows) == len(destination) == 0
    none_reconsider = group(migration_rate=0.0)
    rows, _ = migration_choices(cohorts(origin % 2), np.ones(100, bool), np.array([0.0, 5.0]), np.zeros((2, 2)), none_reconsider, draws)
    assert len(rows) == 0
