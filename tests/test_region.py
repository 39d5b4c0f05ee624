"""Regions built from config and data: travel times, scheduled openings, calibration, aggregation."""

import datetime
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from coopsim.agents.enterprise import quarterly_hazard
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
    firms = len(model.enterprises)
    model.step()
    assert model.flows["migration_out"].sum() > 0 and model.flows["worker_migration_out"].sum() > 0
    # enterprises break even: no loss exits, and entrants replace the exit shocks' expectation (gap 0: h * n)
    assert model.flows["exits_loss"].sum() <= 0.001 * firms
    shocks_expected = quarterly_hazard(model.economy.enterprise.exit_hazard) * firms
    assert model.flows["entries_new"].sum() == pytest.approx(shocks_expected, rel=0.1)


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
    # an agreement's high-speed line leaves freight times alone; a conventional line carries goods (with handling)
    before = guangdong.freight_minutes.copy()
    guangdong.set_link("Shenzhen", "Shantou", "hsr", 60.0, service="agreement")
    assert np.array_equal(guangdong.freight_minutes, before)
    assert guangdong.travel_minutes[sz, st] == pytest.approx(60.0)
    guangdong.set_link("Shenzhen", "Shantou", "rail", 120.0, service="agreement")
    assert guangdong.freight_minutes[sz, st] == pytest.approx(120.0 + guangdong.freight_terminal_minutes)


# Shenzhen-Shantou by the expressway (guangdong_links_SOURCES.md, L-SSE and L-TRUCK): 286.2 km at the truck speed plus
# one handling. A drive at the average speed of passenger vehicles on expressways (84 km/h, L-TRUCK) takes 204 min;
# freight must lie between that drive and its double (55 km/h with no handling gives 312.2 min, with 60 min 372.2).
SHENZHEN_SHANTOU_ROAD_KM = 286.2
CAR_AVERAGE_SPEED_KMH = 84.0  # passenger vehicles on China's expressways, June-July 2020, rests included (L-TRUCK)


def test_freight_time_of_a_direct_road_link_is_its_km_at_the_truck_speed_plus_handling(guangdong):
    speed, handling = guangdong.truck_speed_kmh, guangdong.freight_terminal_minutes
    assert (speed, handling) == (55.0, 0.0)  # configs/region/guangdong.yaml
    sz, st = guangdong.index("Shenzhen"), guangdong.index("Shantou")
    expected = SHENZHEN_SHANTOU_ROAD_KM / speed * 60.0 + handling
    assert guangdong.freight_minutes[sz, st] == pytest.approx(expected)  # 312.2 min
    assert guangdong.freight_minutes[sz, st] == pytest.approx(312.2, abs=0.1)
    drive = SHENZHEN_SHANTOU_ROAD_KM / CAR_AVERAGE_SPEED_KMH * 60.0
    assert drive < guangdong.freight_minutes[sz, st] < 2 * drive
    # every road link alone: km / speed * 60 + handling is an upper bound of the pair's freight time
    for a, b, data in guangdong.network.edges(data=True):
        if data["mode"] == "road":
            assert guangdong.freight_minutes[a, b] <= data["km"] / speed * 60.0 + handling + 1e-9


def test_freight_never_beats_the_straight_line_at_the_truck_speed_limit(guangdong):
    from coopsim.config import TRUCK_SPEED_RANGE_KMH
    from coopsim.region_data import haversine_km

    limit = TRUCK_SPEED_RANGE_KMH[1]
    for i in range(guangdong.size):
        for j in range(guangdong.size):
            if i != j:
                straight = haversine_km(guangdong.lat[i], guangdong.lon[i], guangdong.lat[j], guangdong.lon[j])
                assert guangdong.freight_minutes[i, j] >= straight / limit * 60.0, (guangdong.city_names[i], guangdong.city_names[j])
    f = guangdong.freight_minutes
    assert np.allclose(f, f.T) and np.all(np.diag(f) == 0)
    assert np.all(f[:, None, :] <= f[:, :, None] + f[None, :, :] + 1e-9)
    # no stop at the cities a truck passes through: Shenzhen-Jieyang is the expressway to Shantou and on, one handling
    sz, jy = guangdong.index("Shenzhen"), guangdong.index("Jieyang")
    shantou_jieyang_km = 50.3  # guangdong_links.csv
    speed, handling = guangdong.truck_speed_kmh, guangdong.freight_terminal_minutes
    assert f[sz, jy] == pytest.approx((SHENZHEN_SHANTOU_ROAD_KM + shantou_jieyang_km) / speed * 60.0 + handling)


def test_freight_times_follow_the_truck_speed_and_handling():
    slow, fast = (
        region("guangdong", "region.data.freight_terminal_minutes=60"),
        region("guangdong", "region.data.truck_speed_kmh=100", "region.data.freight_terminal_minutes=0"),
    )
    sz, st = slow.index("Shenzhen"), slow.index("Shantou")
    assert fast.freight_minutes[sz, st] == pytest.approx(SHENZHEN_SHANTOU_ROAD_KM / 100.0 * 60.0)
    assert np.all(fast.freight_minutes <= slow.freight_minutes + 1e-9)
    assert np.array_equal(fast.travel_minutes, slow.travel_minutes)  # passengers do not ride trucks


def test_a_change_between_road_and_rail_pays_one_more_handling():
    guangdong = region("guangdong", "region.data.freight_terminal_minutes=60")
    gz, sz, mz = guangdong.index("Guangzhou"), guangdong.index("Shenzhen"), guangdong.index("Meizhou")
    handling = guangdong.freight_terminal_minutes
    assert guangdong.freight_minutes[gz, sz] == pytest.approx(69.0 + handling)  # conventional rail beats the truck
    guangdong.set_link("Guangzhou", "Meizhou", "rail", 1.0, service="test")  # an absurdly fast rail line
    # Shenzhen-Guangzhou-Meizhou all by rail: one handling; no road leg can join it without a second
    assert guangdong.freight_minutes[sz, mz] == pytest.approx(69.0 + 1.0 + handling)
    # Shenzhen-Chaozhou: rail to Meizhou, then the truck (112.5 km, guangdong_links.csv): two handlings
    ch = guangdong.index("Chaozhou")
    assert guangdong.freight_minutes[sz, ch] == pytest.approx(70.0 + 112.5 / guangdong.truck_speed_kmh * 60.0 + 2 * handling)


@pytest.mark.parametrize(
    "override, field",
    [
        ("region.data.truck_speed_kmh=120", "region.data.truck_speed_kmh"),  # above the legal maximum for trucks
        ("region.data.truck_speed_kmh=0", "region.data.truck_speed_kmh"),
        ("region.data.freight_terminal_minutes=-5", "region.data.freight_terminal_minutes"),
        ("region.data.freight_terminal_minutes=1440", "region.data.freight_terminal_minutes"),
    ],
)
def test_implausible_freight_settings_refused_naming_the_field(override, field):
    from coopsim.runner import typed_config

    with pytest.raises(ConfigError, match=rf"^{field}: expected a value in \["):
        typed_config(compose_config("region=guangdong", override))


def test_run_tables_state_freight_and_passenger_minutes_and_their_ratio(make_model):
    from coopsim.run_tables import TIMES_COLUMNS, links_table, pair_times_table

    model = make_model("steps=1")
    region = model.region
    links = links_table(model)
    assert list(links.columns) == ["a", "b", "mode", "minutes", "km", *TIMES_COLUMNS]
    assert np.allclose(links["freight_to_passenger"], links["freight_minutes"] / links["passenger_minutes"])
    assert (links["freight_to_passenger"] >= 1.0 - 1e-9).all()  # goods never beat passengers
    road = links.query("a == 'Shenzhen' and b == 'Shantou' and mode == 'road'").iloc[0]
    assert road["km"] == pytest.approx(SHENZHEN_SHANTOU_ROAD_KM)
    sz, st = region.index("Shenzhen"), region.index("Shantou")
    assert road["freight_minutes"] == pytest.approx(region.freight_minutes[sz, st])
    assert road["passenger_minutes"] == pytest.approx(region.travel_minutes[sz, st])
    pairs = pair_times_table(model)
    assert list(pairs.columns) == ["city", "to", *TIMES_COLUMNS]
    assert len(pairs) == 2 * (region.size - 1)  # every other city to the core and to the partner
    assert set(pairs["to"]) == {"Shenzhen", "Shantou"}
    row = pairs.query("city == 'Chaozhou' and to == 'Shenzhen'").iloc[0]
    ch = region.index("Chaozhou")
    assert row["freight_minutes"] == pytest.approx(region.freight_minutes[ch, sz])
    assert row["freight_to_passenger"] == pytest.approx(region.freight_minutes[ch, sz] / region.travel_minutes[ch, sz])


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


def test_income_as_people_earn_it_premiums_worker_gradient_and_capital(calibrated):
    """Step 0 pays workers on the 2020 minimum-wage gradient and talent on the average-wage gradient, so every city's
    skill premium lies in the range of Chinese returns to tertiary education aimed for (1.3-2.5) and Shenzhen's workers
    earn 1.3-2.0 times Meizhou's (2,200 / 1,410 yuan minimum wages); what GDP per resident holds beyond wages is capital
    income, so labour shares are below one, lowest in the core, and residents' income falls below GDP where capital
    is owned elsewhere."""
    from coopsim.calibration import calibration_report, labour_income

    region, market = calibrated.region, calibrated.market
    premium = market.wage / market.worker_wage
    assert premium.min() > 1.3 and premium.max() < 2.5
    shenzhen, meizhou = region.index("Shenzhen"), region.index("Meizhou")
    assert market.worker_wage[shenzhen] / market.worker_wage[meizhou] == pytest.approx(2200 / 1410, rel=0.01)
    gdp = calibrated.quarterly_gdp()
    labour_share = labour_income(calibrated) / gdp
    assert np.all((labour_share > 0.2) & (labour_share < 1.0))
    assert labour_share[shenzhen] < labour_share[meizhou]
    theta = calibrated.capital_share
    gdp_weighted = np.sum(theta * gdp) / gdp.sum()
    assert gdp_weighted == pytest.approx(calibrated.cfg.region.data.non_labour_share, abs=1e-3)  # held at the last round's GDP
    assert np.all((theta >= 0.0) & (theta <= calibrated.cfg.region.data.max_capital_share))
    # GDP by place and income by residence differ by the capital income owned outside the region
    lost = (1.0 - calibrated.cfg.economy.local_capital_ownership) * market.capital_income
    income = market.income - calibrated.flows.transfers
    assert income.sum() == pytest.approx(gdp.sum() - lost.sum(), rel=1e-9)
    from coopsim.metrics import income_per_resident

    per_resident = income_per_resident(calibrated)
    assert per_resident * calibrated.residents_per_city() == pytest.approx(income, rel=1e-12)
    # by residence the core-periphery gap is narrower than by place: capital income owned elsewhere is core-heavy
    by_place = gdp / calibrated.residents_per_city()
    assert per_resident[shenzhen] / per_resident[meizhou] < by_place[shenzhen] / by_place[meizhou]
    report = calibration_report(calibrated).set_index(["target", "city"])
    assert abs(report.loc[("talent_wage_vs_core", "Shantou"), "error"]) < 0.01
    assert abs(report.loc[("worker_wage_vs_core", "Meizhou"), "error"]) < 0.01


def test_a_city_without_a_minimum_wage_takes_its_average_wage_and_is_listed(tmp_path):
    """The low-pay gradient falls back on a city's average wage (times the median ratio of the others) and says so."""
    from importlib import resources

    source = resources.files("coopsim.data").joinpath("guangdong_pre2021.csv").read_text(encoding="utf-8")
    kept = [line for line in source.splitlines() if not line.startswith("Meizhou,2020,min_wage_monthly_yuan")]
    table = tmp_path / "pre2021.csv"
    table.write_text("\n".join(kept) + "\n", encoding="utf-8")
    built = region("guangdong", f"region.data.pre2021_table={table}")
    assert built.fallbacks["min_wage_monthly_yuan"] == ["Meizhou"]
    meizhou = built.index("Meizhou")
    others = np.arange(built.size) != meizhou
    ratio = np.median(built.worker_wage_2020[others] / built.wage_2020[others])
    assert built.worker_wage_2020[meizhou] == pytest.approx(built.wage_2020[meizhou] * ratio)


def test_calibration_report_lists_each_target_its_fit_and_the_fallbacks(calibrated):
    from coopsim.calibration import calibration_report, format_report

    report = calibration_report(calibrated)
    assert list(report.columns) == ["target", "city", "data", "model", "error", "fallback"]
    assert set(report["target"]) == {
        "gdp_share",
        "talent_share_of_residents",
        "talent_wage_vs_core",
        "skill_premium",
        "capital_share",
        "worker_wage_vs_core",
        "labour_share_of_gdp",
        "productivity_drift",
        "income_over_gdp",
        "housing_price",
    }
    fitted = report.dropna(subset=["data"]).groupby("target")["error"].apply(lambda e: e.abs().max())
    assert fitted["gdp_share"] < 0.02 and fitted["talent_share_of_residents"] < 0.01 and fitted["talent_wage_vs_core"] < 0.02
    assert fitted["skill_premium"] < 0.02 and fitted["worker_wage_vs_core"] < 0.02
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


@pytest.fixture(scope="module")
def with_resident_trend():
    with model_factory() as make:
        yield make("steps=1", "region.data.trend=true")


def test_the_trend_makes_the_2010s_relative_growth_continue_at_step_0_and_fades(with_resident_trend):
    """With the resident drift on (an option; the default baseline has none), expected flows at step 0 move each city's
    people by its 2010-2020 growth relative to the region (both groups); the drift halves every trend_half_life_years."""
    from coopsim.calibration import relative_resident_growth

    model, data = with_resident_trend, with_resident_trend.cfg.region.data
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
        build_region(OmegaConf.to_object(compose_config(table, "region.data.trend=true")).region)
    assert build_region(OmegaConf.to_object(compose_config(table)).region).population_2010 is None


def test_the_default_baseline_has_no_resident_drift(calibrated):
    """The default baseline carries no resident drift (the 2010s' census growth carried on was rejected out of sample):
    the amenities are the stationary ones."""
    assert not calibrated.cfg.region.data.trend
    for group in ("talent", "workers"):
        assert np.all(calibrated.amenity_trend[group] == 0.0)


def test_relative_output_growth_is_each_citys_growth_over_the_provinces_with_mean_zero(guangdong):
    """The productivity drift is each city's mean real GDP growth over the province's in the configured years (log
    points), relative to its GDP-weighted mean; cities without a figure take the province's and are listed."""
    from coopsim.region import relative_output_growth
    from coopsim.region_data import PRE2021_FILE, load_pre2021

    figures = load_pre2021()
    names, gdp = guangdong.city_names, guangdong.gdp_2020
    growth, fallback = relative_output_growth(names, gdp, figures, [2019, 2020], Path(PRE2021_FILE))
    assert np.sum(gdp * growth) == pytest.approx(0.0, abs=1e-12)
    assert set(fallback) == {"Yangjiang", "Shaoguan", "Yunfu"}  # no 2019 or 2020 growth rate packaged
    raw = np.log1p(np.array([0.067, 0.031])) - np.log1p(np.array([0.062, 0.023]))  # Shenzhen over Guangdong, 2019-2020
    jieyang_raw = np.log1p(0.002) - np.log1p(0.023)  # Jieyang has 2020 only
    shift = growth[names.index("Shenzhen")] - raw.mean()
    assert growth[names.index("Jieyang")] - jieyang_raw == pytest.approx(shift)
    assert growth[names.index("Yangjiang")] == pytest.approx(shift)  # the province's growth, less the same mean
    assert growth[names.index("Shenzhen")] > 0 > growth[names.index("Jieyang")]


def test_trend_years_after_2020_are_refused_naming_the_field():
    with pytest.raises(ConfigError, match=r"region\.data\.productivity_trend_years"):
        build_model(compose_config("region.data.productivity_trend_years=[2020,2021]"))


def test_an_implausible_growth_rate_is_refused_naming_the_city(tmp_path):
    from importlib import resources

    source = resources.files("coopsim.data").joinpath("guangdong_pre2021.csv").read_text(encoding="utf-8")
    edited = [line.replace("Jieyang,2020,real_gdp_growth_pct,0.2", "Jieyang,2020,real_gdp_growth_pct,40.2") for line in source.splitlines()]
    assert edited != source.splitlines()
    table = tmp_path / "pre2021.csv"
    table.write_text("\n".join(edited) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"Jieyang is \+0\.31"):
        region("guangdong", f"region.data.pre2021_table={table}")


def test_the_productivity_drift_fades_by_half_each_half_life_and_moves_every_place(calibrated):
    """After H years the drift's factor is exp(d (1 - 1/2) / (1 - f)), f = 0.5 ** (1 / (4 H)); it multiplies the outside
    sector's productivity and enterprises' location productivity alike."""
    model = calibrated
    data = model.cfg.region.data
    drift = model.productivity_drift
    assert drift == pytest.approx(model.region.output_growth / 4)
    quarters = round(4 * data.productivity_trend_half_life_years)
    fade = 0.5 ** (1 / quarters)
    saved = model.steps
    try:
        model.steps = quarters
        model.drift_productivity()
        factor = np.exp(drift * 0.5 / (1 - fade))
        assert model.productivity_trend == pytest.approx(factor)
        assert model.outside_productivity == pytest.approx(model.base_outside_productivity * factor)
        model.update_place_productivity()
        ratio = model.location_mass / model.base_location_mass
        expected = (factor * model.spillover_factor)[None, :] ** (model.sectors.sigma[:, None] - 1)
        assert ratio == pytest.approx(expected)
    finally:
        model.steps = saved
        model.productivity_trend = np.ones(model.region.size)
        model.outside_productivity = model.base_outside_productivity.copy()
        model.update_place_productivity()


@pytest.mark.slow
def test_a_city_whose_output_grew_faster_gains_gdp_share_against_no_trend():
    """Paired runs (same seed): with the trend, Shenzhen (faster than the province in 2019-2020) gains GDP share and
    Jieyang (slower) loses it, each by about its drift over three years (within a factor of two: people follow wages)."""

    def shares(trend: str):
        _, metrics = simulate(compose_config("steps=12", "seed=2", f"region.data.productivity_trend={trend}"))
        gdp = metrics.query("metric == 'gdp_share'").pivot(index="step", columns="city", values="value")
        return gdp.loc[12]

    with_trend, without = shares("true"), shares("false")
    built = region("guangdong")
    for city in ("Shenzhen", "Jieyang"):
        drift = built.output_growth[built.index(city)]
        effect = np.log(with_trend[city] / without[city])
        assert np.sign(effect) == np.sign(drift)
        assert 0.5 * abs(3 * drift) < abs(effect) < 2.0 * abs(3 * drift)
