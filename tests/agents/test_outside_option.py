"""An open province (coopsim.agents.outside_option): the rest of China in the choice set, its inverted barrier and
amenity, the reservoir, conservation, the rest point, kappa from the flows across the border, responses."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from test_migration import MINUTES
from test_migration import group as migration_group

from coopsim.agents.migration import choice_probabilities, moving_cost_matrix, stationary_amenity
from coopsim.agents.outside_option import (
    arrivals,
    calibrate_open_province,
    leaving_per_quarter,
    open_moving_cost,
    quarterly_leaving_target,
)
from coopsim.config import ConfigError, LabourGroupConfig


def group(**changes) -> LabourGroupConfig:
    """The migration tests' labour group (three cities, ``MINUTES`` apart) with workers' settlement barrier of 0.5."""
    return migration_group(**{"settlement_barrier": 0.5, **changes})


PEOPLE = np.array([5.0e6, 1.0e6, 2.0e5])
UTILITY = np.array([0.4, -0.1, 0.2])
RESERVOIR = 6.0e7


def test_the_rest_of_china_costs_the_fixed_part_the_settlement_barrier_and_the_inter_provincial_barrier():
    config = group()
    inner = moving_cost_matrix(MINUTES, config)
    cost = open_moving_cost(inner, config, 0.7)
    assert cost.shape == (4, 4) and np.array_equal(cost[:3, :3], inner)
    assert np.allclose(cost[:3, 3], 2.0 + 0.5 + 0.7) and np.allclose(cost[3, :3], 2.0 + 0.5 + 0.7) and cost[3, 3] == 0.0


def test_the_census_stock_over_the_stay_sets_the_flows_guangdong_numbers():
    """29.6221 million inter-provincial migrants among 126.01 million residents, five years' stay: 4.7% of residents a
    year leave for the rest of China (as many arrive), 1.18% a quarter; a group leaves at the same share."""
    residents = 12601.2510e4
    quarter = quarterly_leaving_target(residents, 2962.21e4, residents, 5.0)
    assert 4 * quarter / residents == pytest.approx(0.047014, abs=1e-6)
    assert 4 * quarter == pytest.approx(5.92442e6, rel=1e-5)
    talent = 1978.29e4
    assert quarterly_leaving_target(talent, 2962.21e4, residents, 5.0) / talent == pytest.approx(quarter / residents)


@pytest.mark.parametrize("with_trend", [False, True])
def test_the_inversion_makes_cities_and_reservoir_a_rest_point_with_the_target_leaving(with_trend):
    config = group()
    inner = moving_cost_matrix(MINUTES, config)
    target = 0.01 * PEOPLE.sum()
    arriving = PEOPLE * np.array([1.004, 0.99, 0.98]) if with_trend else None
    if with_trend:
        arriving = arriving * PEOPLE.sum() / arriving.sum()
    amenity, trend, outside = calibrate_open_province(UTILITY, PEOPLE, inner, config, RESERVOIR, target, "economy.workers", arriving)
    assert outside.log_real_wage == pytest.approx(np.sum(PEOPLE * UTILITY) / PEOPLE.sum())
    cost = open_moving_cost(inner, config, outside.barrier)
    utility = np.append(UTILITY + amenity, outside.log_real_wage + outside.amenity)
    everyone = np.append(PEOPLE, RESERVOIR)
    p = choice_probabilities(utility, cost, config.migration_elasticity)
    assert everyone @ p == pytest.approx(everyone, rel=1e-9)  # net flows zero, reservoir included
    assert leaving_per_quarter(PEOPLE, utility, cost, config) == pytest.approx(target, rel=1e-8)
    arriving_from_outside = config.migration_rate * RESERVOIR * p[3, :3].sum()
    assert arriving_from_outside == pytest.approx(target, rel=1e-8)  # gross in = gross out
    assert amenity.mean() == pytest.approx(0.0, abs=1e-12)
    if with_trend:  # one round of decisions brings each city its trend, the reservoir keeps its people
        drifted = np.append(UTILITY + amenity + trend, outside.log_real_wage + outside.amenity + outside.amenity_trend)
        received = everyone @ choice_probabilities(drifted, cost, config.migration_elasticity)
        assert received[:3] == pytest.approx(arriving, rel=1e-8) and received[3] == pytest.approx(RESERVOIR, rel=1e-8)
    else:
        assert np.all(trend == 0.0) and outside.amenity_trend == 0.0


def test_the_barrier_is_recovered_when_the_flows_come_from_a_known_one():
    """Flows generated with an inter-provincial barrier of 0.8 (amenities at rest): the inversion returns 0.8."""
    config = group()
    inner = moving_cost_matrix(MINUTES, config)
    cost = open_moving_cost(inner, config, 0.8)
    utility = np.append(UTILITY, np.sum(PEOPLE * UTILITY) / PEOPLE.sum())
    amenity = stationary_amenity(utility, np.append(PEOPLE, RESERVOIR), cost, config, "x")
    leaving = leaving_per_quarter(PEOPLE, utility + amenity, cost, config)
    _, _, outside = calibrate_open_province(UTILITY, PEOPLE, inner, config, RESERVOIR, leaving, "x")
    assert outside.barrier == pytest.approx(0.8, abs=1e-8)
    # more churn across the border means a lower barrier, graded
    _, _, more = calibrate_open_province(UTILITY, PEOPLE, inner, config, RESERVOIR, 2.0 * leaving, "x")
    assert more.barrier < outside.barrier
    assert outside.barrier - more.barrier == pytest.approx(np.log(2.0) / 1.5, rel=0.2)  # leaving ~ exp(-kappa b)


def test_an_open_province_needs_a_logit_choice_and_a_reservoir():
    inner = moving_cost_matrix(MINUTES, group())
    with pytest.raises(ConfigError, match="economy.talent"):
        calibrate_open_province(UTILITY, PEOPLE, inner, group(choice="pairwise"), RESERVOIR, 1e4, "economy.talent")
    with pytest.raises(ConfigError, match="economy.workers"):
        calibrate_open_province(UTILITY, PEOPLE, inner, group(), 0.0, 1e4, "economy.workers")


def test_reservoir_cohorts_arrive_by_the_logit_row_of_the_rest_of_china():
    """500,000 reservoir cohorts, a quarter reconsidering: arrivals per city are rate x count x P_Rj within four
    standard errors; a cohort's decision depends only on its own draws (its id)."""
    probability = np.array([0.02, 0.01, 0.005, 0.965])  # the cities, then staying in the rest of China
    uniforms = np.random.default_rng(3).random((500_000, 2))

    def draws(ids, k, first):
        return uniforms[ids, first : first + k]

    ids, city = arrivals(500_000 * 100.0, 100.0, probability, 0.25, draws)
    counts = np.bincount(city, minlength=3)
    expected = 500_000 * 0.25 * probability[:3]
    assert counts == pytest.approx(expected, abs=4 * np.sqrt(expected).max())
    assert np.all(uniforms[ids, 0] < 0.25)  # only reconsidering cohorts arrive
    # common random numbers: with half the reservoir, its cohorts (the lower ids) decide exactly as they did
    fewer_ids, fewer_city = arrivals(250_000 * 100.0, 100.0, probability, 0.25, draws)
    assert np.array_equal(fewer_ids, ids[ids < 250_000]) and np.array_equal(fewer_city, city[ids < 250_000])
    assert arrivals(0.0, 100.0, probability, 0.25, draws)[0].size == 0


def test_the_reservoir_is_drawn_in_chunks_with_the_same_decisions(monkeypatch):
    """Chunks bound memory at any cohort size and change nobody's decision (each cohort's draws are its own)."""
    from coopsim.agents import outside_option

    probability = np.array([0.3, 0.2, 0.5])
    uniforms = np.random.default_rng(4).random((10_000, 2))

    def draws(ids, k, first):
        return uniforms[ids, first : first + k]

    whole = arrivals(10_000.0, 1.0, probability, 0.5, draws)
    monkeypatch.setattr(outside_option, "RESERVOIR_CHUNK", 777)
    chunked = arrivals(10_000.0, 1.0, probability, 0.5, draws)
    assert np.array_equal(whole[0], chunked[0]) and np.array_equal(whole[1], chunked[1]) and len(whole[0]) > 1000


# ----- the model: Guangdong with the rest of China (the default region) ----------------------------------------------


def totals(model) -> tuple[float, float]:
    return float(model.residents_per_city().sum()), model.residents_outside()


def test_people_in_guangdong_and_the_reservoir_are_conserved_and_cities_change_by_their_flows(make_model):
    model = make_model("steps=4", "seed=3")
    assert set(model.outside) == {"talent", "workers"}
    start = sum(totals(model))
    for _ in range(4):
        talent, workers = model.talent_per_city(), model.workers_per_city()
        reservoir = dict(model.reservoir)
        model.step()
        f = model.flows
        assert sum(totals(model)) == pytest.approx(start, rel=1e-13)
        for before, after, flow, group_name in (
            (talent, model.talent_per_city(), "migration", "talent"),
            (workers, model.workers_per_city(), "worker_migration", "workers"),
        ):
            net = f[f"{flow}_in"] - f[f"{flow}_out"] + f[f"{flow}_from_outside"] - f[f"{flow}_to_outside"]
            assert after - before == pytest.approx(net, abs=1e-6)
            assert f[f"{flow}_from_outside"].sum() > 0 and f[f"{flow}_to_outside"].sum() > 0
            crossed = f[f"{flow}_to_outside"].sum() - f[f"{flow}_from_outside"].sum()
            assert model.reservoir[group_name] - reservoir[group_name] == pytest.approx(crossed, abs=1e-6)
    frame = model.recorder.frame().query("city == 'region'").pivot(index="step", columns="metric", values="value")
    assert np.allclose(frame["residents_total"] + frame["residents_outside"], start, rtol=1e-13)


def test_the_barrier_is_inverted_positive_and_the_census_reservoirs_are_the_country_less_guangdong(make_model):
    """Inter-provincial moves cost more than a move within the province (a positive barrier: the border effect of Su,
    Tesfazion & Zhao 2018) once the flows sustain the census stock; the reservoirs are the country's less Guangdong's."""
    model = make_model("steps=1")
    talent, workers = model.outside["talent"], model.outside["workers"]
    assert talent.barrier > 0 and workers.barrier > 0
    assert talent.reservoir == pytest.approx(21836e4 - model.region.talent.sum())
    assert workers.reservoir == pytest.approx((141178e4 - 21836e4) - model.region.workers.sum())
    assert talent.reservoir + workers.reservoir == pytest.approx(141178e4 - 12601.2510e4, rel=1e-6)
    from coopsim.calibration import calibration_report, calibration_summary, format_report

    report = calibration_report(model)
    summary = calibration_summary(report, model.calibration)
    assert summary["inter_provincial_barrier"] == {"talent": round(talent.barrier, 6), "workers": round(workers.barrier, 6)}
    assert "talent: inter-provincial barrier" in format_report(report, model.calibration, {})


@pytest.mark.slow
def test_at_rest_net_flows_across_the_border_are_near_zero_and_gross_flows_are_the_census_rate(make_model):
    """No trend, no timetable change, ten years: the region's residents stay within 0.5% of the start (net flows across
    the border about zero) while 4.7% of residents a year leave for the rest of China and as many arrive (within 3%).

    Smaller cohorts (100 talent, 500 workers): with the default ones the net flow's random walk alone has a standard
    deviation of about 0.4% of residents over ten years (some 1,000 cohorts crossing each way a quarter)."""
    model = make_model(
        "steps=40",
        "seed=5",
        "region.data.trend=false",
        "region.data.productivity_trend=false",
        "region.data.people_per_talent_agent=100",
        "region.data.people_per_worker_agent=500",
    )
    model.region.scheduled_links = []
    residents = model.residents_per_city().sum()
    gross_in = gross_out = 0.0
    path = []
    for _ in range(40):
        model.step()
        f = model.flows
        gross_in += f["migration_from_outside"].sum() + f["worker_migration_from_outside"].sum()
        gross_out += f["migration_to_outside"].sum() + f["worker_migration_to_outside"].sum()
        path.append(model.residents_per_city().sum())
    annual_in, annual_out = gross_in / 10 / residents, gross_out / 10 / residents
    target = 2962.21e4 / 12601.2510e4 / 5.0
    assert annual_in == pytest.approx(target, rel=0.03) and annual_out == pytest.approx(target, rel=0.03)
    assert np.max(np.abs(np.array(path) / residents - 1.0)) < 0.005
    assert abs(gross_in - gross_out) < 0.01 * gross_out


def flow_elasticity(quarters, rate: float) -> float:
    """Maximum-likelihood kappa from (counts, value, origins) per quarter: ``counts[r, j]`` of cohorts whose origin is
    location ``origins[r]`` ending in ``j`` (stays included), ``value[r, j] = u_j - m_ij``; a cohort reconsiders with
    probability ``rate`` (as tests/agents/test_migration.py, for any set of origin rows)."""

    def shares(value, origins, kappa):
        v = kappa * value
        v = v - v.max(axis=1, keepdims=True)
        p = rate * np.exp(v) / np.exp(v).sum(axis=1, keepdims=True)
        p[np.arange(len(origins)), origins] += 1.0 - rate
        return p

    def negative_log_likelihood(kappa):
        return -sum(float(np.sum(counts * np.log(shares(value, origins, kappa)))) for counts, value, origins in quarters)

    return minimize_scalar(negative_log_likelihood, bounds=(0.05, 20.0), method="bounded").x


@pytest.mark.slow
def test_kappa_is_recovered_from_the_flows_to_and_from_the_rest_of_china(make_model):
    """Cohorts of 100 talent, six quarters: kappa estimated from the (K+1) x (K+1) counts of cohorts, the reservoir's
    cohorts as the last origin (arrivals by city, the others staying), is the configured 1.5 within 10%; so is kappa
    estimated from the flows across the border alone (the reservoir's row)."""
    model = make_model("steps=6", "seed=2", "region.data.people_per_talent_agent=100")
    pop, config, K = model.talent, model.economy.talent, model.region.size
    size = model.region.cohort_size
    quarters, border = [], []
    migrate = model.labour_migrates

    def observed_migration():
        rows = pop.rows
        uid, before = pop.uid[rows].copy(), pop.city[rows].copy()
        last_uid = pop.uid[rows[-1]] if len(rows) else -1
        reservoir_cohorts = int(np.floor(model.reservoir["talent"] / size + 1e-9))
        utility, cost = model.choice_set("talent")
        value = utility[None, :] - cost
        migrate()
        where = np.searchsorted(pop.uid, uid)
        where = np.minimum(where, len(pop.uid) - 1)
        alive = (pop.uid[where] == uid) & pop.alive[where]
        after = np.where(alive, pop.city[where], K)
        counts = np.bincount(before * (K + 1) + after, minlength=(K + 1) ** 2).reshape(K + 1, K + 1)
        new = pop.rows[pop.uid[pop.rows] > last_uid]
        arrived = np.bincount(pop.city[new], minlength=K)
        counts[K, :K] = arrived
        counts[K, K] = reservoir_cohorts - arrived.sum()
        quarters.append((counts, value, np.arange(K + 1)))
        border.append((counts[K:, :], value[K:, :], np.array([K])))

    model.labour_migrates = observed_migration
    for _ in range(6):
        model.step()
    left = sum(c[:K, K].sum() for c, _, _ in quarters)
    arrived = sum(c[K, :K].sum() for c, _, _ in quarters)
    assert left > 5000 and arrived > 5000  # enough crossings to estimate from
    assert flow_elasticity(quarters, config.migration_rate) == pytest.approx(config.migration_elasticity, rel=0.10)
    assert flow_elasticity(border, config.migration_rate) == pytest.approx(config.migration_elasticity, rel=0.10)


def shantou_run(make_model, amenity_rise: float, steps: int = 8):
    """Shantou's talent amenity raised by ``amenity_rise`` from the start, same seed: (model, talent arrivals from the
    rest of China into Shantou and leavers from Shantou to it, per quarter)."""
    model = make_model("steps=8", "seed=6", "region.data.people_per_talent_agent=100", "region.data.trend=false")
    model.region.scheduled_links = []
    k = model.region.index("Shantou")
    model.base_amenity["talent"][k] += amenity_rise
    model.amenity["talent"][k] += amenity_rise
    arrived, left = [], []
    for _ in range(steps):
        model.step()
        arrived.append(model.flows["migration_from_outside"][k])
        left.append(model.flows["migration_to_outside"][k])
    return model, np.array(arrived), np.array(left)


@pytest.mark.slow
def test_a_utility_rise_in_shantou_draws_talent_from_the_rest_of_china_in_proportion(make_model):
    """Paired seeds: +0.2 in Shantou's talent utility multiplies the rest of China's arrivals there by about
    exp(kappa 0.2) = 1.35 (its logit odds; within 10%), fewer of Shantou's talent leave, and Guangdong as a whole gains
    the people the reservoir loses."""
    base, arrived_base, left_base = shantou_run(make_model, 0.0)
    shocked, arrived, left = shantou_run(make_model, 0.2)
    ratio = arrived.sum() / arrived_base.sum()
    assert ratio == pytest.approx(np.exp(1.5 * 0.2), rel=0.10)
    assert left.sum() < left_base.sum()
    gained = shocked.residents_per_city().sum() - base.residents_per_city().sum()
    assert gained > 0
    assert base.residents_outside() - shocked.residents_outside() == pytest.approx(gained, rel=1e-9)


def test_a_richer_rest_of_china_draws_people_out_of_guangdong_graded(make_model):
    """The outside option's real wage growing 2% or 4% a year: Guangdong's residents (``residents_total``) fall below the
    paired run without growth, the faster growth more."""
    ends = {}
    for growth in (0.0, 0.02, 0.04):
        model = make_model("steps=8", "seed=8", f"region.data.outside.real_wage_growth={growth}")
        for _ in range(8):
            model.step()
        region = model.recorder.frame().query("city == 'region' and metric == 'residents_total'")
        ends[growth] = float(region["value"].iloc[-1])
    assert ends[0.04] < ends[0.02] < ends[0.0]
    assert 1.5 < (ends[0.0] - ends[0.04]) / (ends[0.0] - ends[0.02]) < 2.5  # graded, about in proportion


@pytest.mark.parametrize("region", ["two_symmetric", "shenzhen_shantou"])
def test_closed_regions_have_no_rest_of_china(make_model, region):
    overrides = ["economy=core_periphery"] if region == "two_symmetric" else []
    model = make_model(f"region={region}", "steps=2", *overrides)
    assert model.outside is None and np.isnan(model.residents_outside())
    start = model.residents_per_city().sum()
    for _ in range(2):
        model.step()
    assert model.residents_per_city().sum() == pytest.approx(start, rel=1e-12)
    for flow in ("migration_from_outside", "migration_to_outside", "worker_migration_from_outside", "worker_migration_to_outside"):
        assert flow not in model.flows and np.all(model.flows[flow] == 0.0)


def test_a_closed_guangdong_is_the_region_as_it_was(make_model):
    """open_province=false: nobody crosses the border and the amenities are those of the closed inversion."""
    model = make_model("steps=2", "region.data.open_province=false")
    assert model.outside is None
    start = model.residents_per_city().sum()
    for _ in range(2):
        model.step()
    assert model.residents_per_city().sum() == pytest.approx(start, rel=1e-12)
