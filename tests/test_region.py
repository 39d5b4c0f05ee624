"""Regions built from config and data: travel times, scheduled openings, calibration, aggregation."""

import datetime

import numpy as np
import pytest
from omegaconf import OmegaConf

from coopsim.agents.migration import choice_probabilities
from coopsim.config import ConfigError
from coopsim.region import build_region, quarter_of
from coopsim.region_data import load_cities, provincial_totals
from coopsim.runner import build_model, compose_config, simulate


def region(name: str, *overrides: str):
    return build_region(OmegaConf.to_object(compose_config(f"region={name}", *overrides)).region)


@pytest.fixture(scope="module")
def guangdong():
    return region("guangdong")


def test_travel_times_symmetric_and_satisfy_triangle_inequality(guangdong):
    t = guangdong.travel_minutes
    assert np.allclose(t, t.T)
    assert np.all(np.diag(t) == 0) and np.all(t[~np.eye(len(t), dtype=bool)] > 0)
    # t_ij <= t_ik + t_kj + one transfer (a trip through k changes link there)
    through = t[:, :, None] + t[None, :, :]
    assert np.all(t[:, None, :] <= through + guangdong.transfer_minutes + 1e-9)


def test_known_travel_times_at_start_and_after_the_scheduled_openings(guangdong):
    i, j, w = guangdong.index("Shenzhen"), guangdong.index("Shantou"), guangdong.index("Shanwei")
    assert guangdong.travel_minutes[i, j] == pytest.approx(169.8)  # Xiamen-Shenzhen line, 2021
    _, metrics = simulate(compose_config("steps=20"))
    minutes = metrics.query("city == 'region' and metric == 'partner_travel_minutes'").set_index("step")["value"]
    start = guangdong.start_date
    shantou_south = quarter_of(datetime.date(2023, 12, 26), start)
    full_line = quarter_of(datetime.date(2025, 12, 22), start)
    assert minutes[shantou_south - 1] == pytest.approx(169.8)
    assert minutes[shantou_south] == pytest.approx(109.0)  # Shantou South-Shenzhen North, Dec 2023
    assert minutes[full_line - 1] == pytest.approx(109.0)
    assert minutes[full_line] == pytest.approx(99.0)  # Shenzhen North-Shantou, Dec 2025
    assert guangdong.travel_minutes[i, w] > 73.0  # before the Guangzhou-Shanwei HSR


def test_opening_a_link_lowers_travel_time_only_on_affected_pairs(guangdong):
    before = guangdong.travel_minutes.copy()
    guangdong.set_link("Shenzhen", "Shanwei", "hsr", 30.0)
    after = guangdong.travel_minutes
    i, w = guangdong.index("Shenzhen"), guangdong.index("Shanwei")
    assert after[i, w] == pytest.approx(30.0) and before[i, w] > 30.0
    assert np.all(after <= before + 1e-9)
    assert np.any(after < before - 1e-9)
    unaffected = guangdong.index("Zhanjiang"), guangdong.index("Maoming")
    assert after[unaffected] == pytest.approx(before[unaffected])


def test_population_and_gdp_scaled_from_data(guangdong):
    records = load_cities()
    totals = provincial_totals()
    people = guangdong.workers + guangdong.talent
    assert people.sum() == pytest.approx(sum(r.population_10k for r in records) * 1e4)
    assert people.sum() == pytest.approx(totals["population_10k"] * 1e4, rel=1e-5)
    assert guangdong.gdp_2020.sum() == pytest.approx(totals["gdp_100m_yuan"], abs=0.05)
    assert guangdong.talent.sum() / people.sum() == pytest.approx(0.157)
    assert guangdong.groups.count("PRD core") == 9


def test_shenzhen_shantou_is_the_whole_province_with_shantou_as_its_sub_centre():
    pair = region("shenzhen_shantou")
    full = region("guangdong")
    assert pair.city_names == full.city_names
    assert pair.gdp_2020.sum() == pytest.approx(full.gdp_2020.sum())
    assert np.array_equal(pair.travel_minutes, full.travel_minutes)
    assert pair.sub_centres == ["Shantou"]


def test_a_subset_of_cities_keeps_only_their_links():
    east = region(
        "guangdong",
        "region.data.cities=[Shantou,Chaozhou,Jieyang,Shanwei]",
        "region.core_city=Shanwei",
        "region.data.sub_centres=[Shantou]",
        "region.wing=[Shantou,Shanwei]",
    )
    assert set(east.city_names) == {"Shantou", "Shanwei", "Jieyang", "Chaozhou"}
    ends = {frozenset((east.city_names[a], east.city_names[b])) for a, b in east.network.edges()}
    assert all(pair <= set(east.city_names) for pair in ends)
    assert np.all(np.isfinite(east.travel_minutes))


@pytest.mark.parametrize("name", ["guangdong", "shenzhen_shantou"])
def test_calibrated_step_zero_reproduces_gdp_shares_and_is_at_rest(name):
    model = build_model(compose_config(f"region={name}", "steps=1"))
    try:
        target = model.region.gdp_2020 / model.region.gdp_2020.sum()
        metrics = model.recorder.frame()
        share = metrics.query("step == 0 and metric == 'gdp_share'").set_index("city").loc[model.region.city_names, "value"].to_numpy()
        assert np.max(np.abs(share / target - 1.0)) < 0.02
        # at rest: each group's expected flows leave every city's people unchanged (gross flows positive)
        for group, people in (("talent", model.talent_per_city()), ("workers", model.workers_per_city())):
            choice = choice_probabilities(
                model.utility(group), model.moving_cost(group), getattr(model.economy, group).migration_elasticity
            )
            assert people @ choice == pytest.approx(people, rel=1e-8)
            assert np.all(np.diag(choice) < 1.0)
        model.step()
        assert model.flows["migration_out"].sum() > 0 and model.flows["worker_migration_out"].sum() > 0
        # enterprises break even
        entries_and_exits = model.flows["entries_new"].sum() + model.flows["exits_loss"].sum()
        assert entries_and_exits <= 0.001 * len(model.enterprises)
    finally:
        model.release()


def test_unknown_city_in_region_data_named():
    with pytest.raises(ConfigError, match=r"region.data.cities\[1\]"):
        region("shenzhen_shantou", "region.data.cities=[Shenzhen,Atlantis]")


def test_unknown_partner_city_named():
    with pytest.raises(ConfigError, match="region.partner_city"):
        region("guangdong", "region.partner_city=Hong Kong")


@pytest.mark.slow
def test_guangdong_default_run_of_60_quarters_finishes_and_converges():
    _, metrics = simulate(compose_config("steps=60"))
    assert metrics["step"].max() == 60
    assert (metrics.query("metric == 'market_converged'")["value"] == 1.0).all()
    assert metrics.query("metric == 'gdp'")["city"].nunique() == 21


def test_sub_centres_marked_in_the_saved_cities_table():
    model = build_model(compose_config("steps=1"))
    try:
        table = model.cities_table()
        assert table.query("sub_centre")["name"].tolist() == ["Shantou", "Zhanjiang"]
        assert set(table.query("group == 'east wing'")["name"]) == {"Shantou", "Shanwei", "Jieyang", "Chaozhou"}
    finally:
        model.release()


def test_sub_centre_outside_the_region_named():
    with pytest.raises(ConfigError, match=r"region.data.sub_centres\[0\]"):
        region("guangdong", "region.data.cities=[Shenzhen,Shantou]", "region.data.sub_centres=[Zhanjiang]")


def test_goods_ride_road_and_conventional_rail_services_every_mode():
    """Freight times ignore high-speed rail: between Shenzhen and Shantou they are the road time, passengers take the train."""
    guangdong = region("guangdong")  # a fresh region: the test adds a line to it
    sz, st = guangdong.index("Shenzhen"), guangdong.index("Shantou")
    assert guangdong.freight_minutes[sz, st] > guangdong.travel_minutes[sz, st]
    assert np.all(guangdong.freight_minutes >= guangdong.travel_minutes - 1e-9)
    tau = guangdong.trade_costs(np.array([1.0, 1.0]), 5.0, 60.0, freight=np.array([True, False]))
    assert tau[0, sz, st] == pytest.approx((1 + guangdong.freight_minutes[sz, st] / 60.0) ** 0.25)
    assert tau[1, sz, st] == pytest.approx((1 + guangdong.travel_minutes[sz, st] / 60.0) ** 0.25)
    # an agreement's high-speed line leaves freight times alone; a conventional line carries goods
    before = guangdong.freight_minutes.copy()
    guangdong.set_link("Shenzhen", "Shantou", "hsr", 60.0, service="agreement")
    assert np.array_equal(guangdong.freight_minutes, before)
    assert guangdong.travel_minutes[sz, st] == pytest.approx(60.0)
    guangdong.set_link("Shenzhen", "Shantou", "rail", 120.0, service="agreement")
    assert guangdong.freight_minutes[sz, st] == pytest.approx(120.0)


def test_circle_and_wing_name_cities_of_the_region():
    with pytest.raises(ConfigError, match=r"region.circle\[1\]: expected a city of the region"):
        region("guangdong", "region.circle=[Shantou,Atlantis]")
    with pytest.raises(ConfigError, match="region.circle: expected the partner city 'Shantou' among its cities"):
        region("guangdong", "region.circle=[Chaozhou,Jieyang]")
