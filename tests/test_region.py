"""Regions built from config and data: travel times, scheduled openings, calibration, aggregation."""

import datetime

import numpy as np
import pytest
from omegaconf import OmegaConf

from coopsim.agents.migration import choice_probabilities
from coopsim.config import ConfigError
from coopsim.region import build_region, quarter_of
from coopsim.region_data import DataError, load_cities, provincial_totals
from coopsim.run_tables import cities_table
from coopsim.runner import build_model, compose_config, simulate
from model_fixtures import model_factory


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
    # talent is the census's 19.7829 million tertiary-educated residents (15,699 per 100,000)
    assert guangdong.talent.sum() == pytest.approx(totals["tertiary_10k"] * 1e4)
    assert guangdong.talent.sum() / people.sum() == pytest.approx(0.15699, abs=1e-5)
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


def test_talent_follows_the_census_and_enterprises_follow_talent(guangdong):
    """Each city's talent is its census tertiary-educated residents; the six cities without a figure share the province's
    remainder (richer ones a higher rate); enterprise agents are split by talent."""
    records = {r.name: r for r in load_cities()}
    rate = guangdong.talent / (guangdong.talent + guangdong.workers) * 1e5
    for k, name in enumerate(guangdong.city_names):
        if records[name].tertiary_per_100k is not None:
            assert rate[k] == pytest.approx(records[name].tertiary_per_100k, rel=1e-9)
    fallback = guangdong.fallbacks["tertiary_per_100k_2020"]
    assert fallback == ["Foshan", "Huizhou", "Jiangmen", "Zhaoqing", "Yangjiang", "Heyuan"]
    by_rate = sorted(fallback, key=lambda name: rate[guangdong.index(name)])
    by_gdp_per_resident = sorted(fallback, key=lambda name: records[name].gdp_100m_yuan / records[name].population_10k)
    assert by_rate == by_gdp_per_resident
    assert guangdong.enterprises / guangdong.enterprises.sum() == pytest.approx(guangdong.talent / guangdong.talent.sum(), abs=1e-4)
    # the census differs from a GDP-share allocation by tens of percent (Jieyang: 0.62 of it, Guangzhou: 1.14)
    by_gdp = guangdong.talent.sum() * guangdong.gdp_2020 / guangdong.gdp_2020.sum()
    assert guangdong.talent[guangdong.index("Jieyang")] / by_gdp[guangdong.index("Jieyang")] < 0.7
    assert guangdong.talent[guangdong.index("Guangzhou")] / by_gdp[guangdong.index("Guangzhou")] > 1.1


def test_wage_targets_are_the_table_or_the_regional_fallback(guangdong):
    records = {r.name: r for r in load_cities()}
    totals = provincial_totals()
    assert guangdong.wage_2020[guangdong.index("Shenzhen")] == 11620
    east_wing = 79156 * totals["wage_on_post_yuan"] / totals["wage_employed_yuan"] / 12
    assert guangdong.wage_2020[guangdong.index("Shantou")] == pytest.approx(east_wing)
    assert set(guangdong.fallbacks["wage_monthly_yuan_2020"]) == {name for name, r in records.items() if r.wage_monthly_yuan is None}
    assert len(guangdong.fallbacks["wage_monthly_yuan_2020"]) == 10


@pytest.mark.parametrize("name", ["guangdong", "shenzhen_shantou"])
def test_calibrated_step_zero_reproduces_gdp_shares_and_is_at_rest(name, make_model):
    model = make_model(f"region={name}", "steps=1")
    target = model.region.gdp_2020 / model.region.gdp_2020.sum()
    metrics = model.recorder.frame()
    share = metrics.query("step == 0 and metric == 'gdp_share'").set_index("city").loc[model.region.city_names, "value"].to_numpy()
    assert np.max(np.abs(share / target - 1.0)) < 0.02
    # at rest: each group's expected flows leave every city's people unchanged (gross flows positive); in an open province
    # (guangdong) the rest of China is the last location and its reservoir the last people
    for group, people in (("talent", model.talent_per_city()), ("workers", model.workers_per_city())):
        utility, cost = model.choice_set(group)
        if model.outside is not None:
            people = np.append(people, model.reservoir[group])
        choice = choice_probabilities(utility, cost, getattr(model.economy, group).migration_elasticity)
        assert people @ choice == pytest.approx(people, rel=1e-8)
        assert np.all(np.diag(choice) < 1.0)
    model.step()
    assert model.flows["migration_out"].sum() > 0 and model.flows["worker_migration_out"].sum() > 0
    # enterprises break even
    entries_and_exits = model.flows["entries_new"].sum() + model.flows["exits_loss"].sum()
    assert entries_and_exits <= 0.001 * len(model.enterprises)


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


def test_sub_centres_marked_in_the_saved_cities_table(make_model):
    model = make_model("steps=1")
    table = cities_table(model)
    assert table.query("sub_centre")["name"].tolist() == ["Shantou", "Zhanjiang"]
    assert set(table.query("group == 'east wing'")["name"]) == {"Shantou", "Shanwei", "Jieyang", "Chaozhou"}


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


def edited_cities(folder, city: str, changes: dict[str, str]):
    """A copy of the packaged cities table (with its SOURCES file beside it) in which ``city``'s row has ``changes``."""
    import csv
    import io
    import shutil
    from importlib import resources

    data = resources.files("coopsim.data")
    rows = list(csv.reader(io.StringIO(data.joinpath("guangdong_cities.csv").read_text(encoding="utf-8"))))
    row = next(row for row in rows if row[0] == city)
    for column, value in changes.items():
        row[rows[0].index(column)] = value
    table = folder / "cities.csv"
    with table.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)
    shutil.copy(str(data.joinpath("guangdong_cities_SOURCES.md")), folder / "cities_SOURCES.md")
    return table


@pytest.fixture(scope="module")
def calibrated():
    with model_factory() as make:
        yield make("steps=1")


def test_talent_wages_follow_the_observed_wage_gradient(calibrated):
    """Talent wages at step 0 follow the 2020 average wages across cities: Shenzhen and Guangzhou pay talent more than
    Shantou and Meizhou, and Shenzhen/Shantou is within 1% of the data's ratio (11,620 / 6,735 yuan a month)."""
    region, wage = calibrated.region, calibrated.market.wage
    at = {name: wage[region.index(name)] for name in ("Shenzhen", "Guangzhou", "Shantou", "Meizhou")}
    assert min(at["Shenzhen"], at["Guangzhou"]) > max(at["Shantou"], at["Meizhou"])
    data_ratio = region.wage_2020[region.index("Shenzhen")] / region.wage_2020[region.index("Shantou")]
    assert data_ratio == pytest.approx(1.725, abs=0.001)
    assert at["Shenzhen"] / at["Shantou"] == pytest.approx(data_ratio, rel=0.01)
    assert np.max(np.abs(calibrated.calibration.talent_wage_error)) < calibrated.cfg.region.data.wage_tolerance


def test_calibration_report_lists_each_target_its_fit_and_the_fallbacks(calibrated):
    from coopsim.calibration import calibration_report, format_report

    report = calibration_report(calibrated)
    assert list(report.columns) == ["target", "city", "data", "model", "error", "fallback"]
    assert set(report["target"]) == {"gdp_share", "talent_share_of_residents", "talent_wage_vs_core", "skill_premium"}
    fitted = report.dropna(subset=["data"]).groupby("target")["error"].apply(lambda e: e.abs().max())
    assert fitted["gdp_share"] < 0.02 and fitted["talent_share_of_residents"] < 0.01 and fitted["talent_wage_vs_core"] < 0.02
    flagged = report.query("target == 'talent_wage_vs_core' and fallback")["city"]
    assert set(flagged) == set(calibrated.region.fallbacks["wage_monthly_yuan_2020"])
    text = format_report(report, calibrated.calibration, calibrated.region.fallbacks)
    assert "talent_wage_vs_core: largest" in text and "fallback for wage_monthly_yuan_2020" in text and "Shantou" in text


def test_a_wage_that_leaves_no_room_for_the_outside_sector_is_named(tmp_path):
    """A city whose wage target makes its enterprises' revenue exceed its GDP cannot be fitted: the error names it."""
    table = edited_cities(tmp_path, "Meizhou", {"wage_monthly_yuan_2020": "45000", "wage_status": "secondary"})
    cfg = compose_config("steps=1", f"region.data.cities_table={table}", "region.data.calibration_max_rounds=60")
    with pytest.raises(ConfigError, match=r"region.data.calibration_max_rounds.*squeezed out in \['Meizhou'\]"):
        build_model(cfg)


def test_trend_growth_is_relative_to_the_region_and_averages_to_zero():
    from coopsim.calibration import relative_resident_growth

    residents_2020, residents_2010 = np.array([168.5, 100.0, 91.3]), np.array([100.0, 100.0, 100.0])
    growth = relative_resident_growth(residents_2020, residents_2010)
    region = (residents_2020.sum() / residents_2010.sum()) ** (1 / 40)
    assert growth[0] == pytest.approx(1.685 ** (1 / 40) / region - 1)
    assert growth[0] > 0 > growth[2]


def test_the_trend_makes_the_2010s_relative_growth_continue_at_step_0_and_fades(calibrated):
    """Expected flows at step 0 move each city's people by its 2010-2020 growth relative to the region (both groups);
    the drift halves every trend_half_life_years."""
    from coopsim.calibration import relative_resident_growth

    model, data = calibrated, calibrated.cfg.region.data
    growth = relative_resident_growth(model.region.talent + model.region.workers, model.region.population_2010)
    for group, people in (("talent", model.talent_per_city()), ("workers", model.workers_per_city())):
        config = getattr(model.economy, group)
        utility = model.log_real_wage(group) + model.base_amenity[group] + model.amenity_trend[group]
        cost, everyone = model.moving_cost(group), people
        if model.outside is not None:  # an open province: the rest of China (drifted too) and its reservoir come last
            option = model.outside[group]
            utility = np.append(utility, option.log_real_wage + option.amenity + option.amenity_trend)
            cost, everyone = model.choice_set(group)[1], np.append(people, model.reservoir[group])
        choice = choice_probabilities(utility, cost, config.migration_elasticity)
        expected = (1 - config.migration_rate) * people + config.migration_rate * (everyone @ choice)[: len(people)]
        wanted = growth - np.sum(people * growth) / people.sum()
        assert expected / people - 1.0 == pytest.approx(wanted, abs=2e-4)
        assert np.all(np.abs(model.amenity_trend[group]) > 0)
    shenzhen, meizhou = model.region.index("Shenzhen"), model.region.index("Meizhou")
    assert growth[shenzhen] > 0.005 and growth[meizhou] < -0.005  # per quarter
    quarters = round(4 * data.trend_half_life_years)
    model.steps = quarters  # the fade depends only on the quarter
    model.drift_amenities()
    halfway = model.base_amenity["talent"] + 0.5 * model.amenity_trend["talent"]
    assert model.amenity["talent"] == pytest.approx(halfway)


def test_without_a_trend_the_baseline_stays_near_its_2020_shares_and_with_it_the_2010s_continue():
    def resident_shares(trend: str):
        _, metrics = simulate(compose_config("steps=12", f"region.data.trend={trend}"))
        residents = metrics.query("metric == 'residents'").pivot(index="step", columns="city", values="value")
        return residents.div(residents.sum(axis=1), axis=0)

    trend, flat = resident_shares("true"), resident_shares("false")
    assert trend.loc[12, "Shenzhen"] / trend.loc[0, "Shenzhen"] > 1.03  # +3.4% a year relative in the 2010s, fading
    assert trend.loc[12, "Meizhou"] / trend.loc[0, "Meizhou"] < 0.97
    assert abs(flat.loc[12, "Shenzhen"] / flat.loc[0, "Shenzhen"] - 1) < 0.02


def test_a_trend_without_2010_figures_is_named(tmp_path):
    table = "region.data.cities_table=" + str(
        edited_cities(tmp_path, "Shantou", {"population_2010_census": "", "population_2010_status": ""})
    )
    with pytest.raises(DataError, match=r"field 'population_2010_census': expected a figure for every city.*\['Shantou'\]"):
        build_region(OmegaConf.to_object(compose_config(table)).region)
    assert build_region(OmegaConf.to_object(compose_config(table, "region.data.trend=false")).region).population_2010 is None
