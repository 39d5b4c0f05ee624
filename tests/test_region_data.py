"""The packaged Guangdong tables and their loaders (coopsim.region_data)."""

from __future__ import annotations

import csv
import io
from datetime import date
from importlib import resources

import networkx as nx
import pytest

from coopsim import region_data as rd
from coopsim.region_data import DataError, LinkRecord

N_CITIES = 21
# Each city's population is rounded to 0.01 (10k persons), so the 21 rounded values can miss the census total by up to
# 21 * 0.005 = 0.105; they actually sum to 12601.27 against 12601.2510 (guangdong_cities_SOURCES.md, consistency checks).
POPULATION_ROUNDING_TOLERANCE_10K = N_CITIES * 0.005
GDP_TOLERANCE_100M_YUAN = 0.05
# Values in guangdong_links.csv are written to 0.1 km and 0.1 min.
FILE_ROUNDING_TOLERANCE = 0.1 + 1e-9
SHENZHEN_SHANTOU_STRAIGHT_LINE_KM = 283.0  # docs/design.md section 8


@pytest.fixture(scope="module")
def cities():
    return rd.load_cities()


@pytest.fixture(scope="module")
def links(cities):
    return rd.load_links(cities=cities)


def packaged_rows(name: str) -> list[list[str]]:
    text = resources.files(rd.DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def write_rows(path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def shenzhen_shantou_hsr(network: list[LinkRecord]) -> list[LinkRecord]:
    return [link for link in network if link.pair == {"Shenzhen", "Shantou"} and link.mode == "hsr"]


# ---------------------------------------------------------------------------------------------------------------- cities


def test_packaged_table_has_21_cities_summing_to_the_provincial_totals(cities):
    totals = rd.provincial_totals()
    assert len(cities) == N_CITIES
    assert len({city.name for city in cities}) == N_CITIES
    assert totals["population_10k"] == pytest.approx(126_012_510 / 10_000, abs=1e-9)
    assert sum(city.population_10k for city in cities) == pytest.approx(totals["population_10k"], abs=POPULATION_ROUNDING_TOLERANCE_10K)
    assert sum(city.gdp_100m_yuan for city in cities) == pytest.approx(totals["gdp_100m_yuan"], abs=GDP_TOLERANCE_100M_YUAN)


def test_coordinates_lie_inside_guangdong(cities):
    (lat_lo, lat_hi), (lon_lo, lon_hi) = rd.GUANGDONG_LAT_RANGE, rd.GUANGDONG_LON_RANGE
    for city in cities:
        assert lat_lo <= city.lat <= lat_hi and lon_lo <= city.lon <= lon_hi, city.name
    by_name = {city.name: city for city in cities}
    shenzhen, shantou = by_name["Shenzhen"], by_name["Shantou"]
    assert rd.haversine_km(shenzhen.lat, shenzhen.lon, shantou.lat, shantou.lon) == pytest.approx(
        SHENZHEN_SHANTOU_STRAIGHT_LINE_KM, abs=1.0
    )


def test_verification_status_is_kept_in_the_data(cities):
    by_name = {city.name: city for city in cities}
    assert {name for name, city in by_name.items() if city.population_status != "verified"} == {"Shanwei"}
    assert by_name["Shanwei"].population_status == "derived"
    unverified_gdp = {"Zhongshan", "Jiangmen", "Zhaoqing", "Yangjiang", "Shaoguan", "Heyuan", "Meizhou", "Qingyuan", "Yunfu"}
    assert {name for name, city in by_name.items() if city.gdp_status == "unverified"} == unverified_gdp
    assert {name for name, city in by_name.items() if city.gdp_status == "low_authority"} == {"Shantou", "Shanwei", "Jieyang"}
    assert by_name["Shenzhen"].gdp_status == "secondary"


def test_census_tertiary_figures_carry_their_status(cities):
    """7th-census tertiary-educated residents per 100,000 where found, each with a status; empty with an empty status elsewhere."""
    by_name = {city.name: city for city in cities}
    missing = {name for name, city in by_name.items() if city.tertiary_per_100k is None}
    assert missing == {"Foshan", "Heyuan", "Huizhou", "Jiangmen", "Yangjiang", "Zhaoqing"}
    assert all(by_name[name].tertiary_status is None for name in missing)
    assert by_name["Shenzhen"].tertiary_per_100k == 28849 and by_name["Shenzhen"].tertiary_status == "secondary"
    assert by_name["Zhongshan"].tertiary_status == "verified"
    assert {name for name, city in by_name.items() if city.tertiary_status == "low_authority"} == {"Shaoguan", "Meizhou", "Zhanjiang"}
    # the core is far more educated than the partner (28,849 vs 8,255 per 100,000)
    assert by_name["Shenzhen"].tertiary_per_100k > 3 * by_name["Shantou"].tertiary_per_100k


def test_a_status_without_a_census_figure_is_refused(tmp_path):
    rows = packaged_rows(rd.CITIES_FILE)
    foshan = next(k for k, row in enumerate(rows) if row[0] == "Foshan")
    rows[foshan][rows[0].index("tertiary_status")] = "secondary"
    path = tmp_path / "bad_cities.csv"
    write_rows(path, rows)
    with pytest.raises(DataError, match=rf"bad_cities.csv: row {foshan + 1}: field 'tertiary_status'.*empty"):
        rd.load_cities(path)


def test_wages_carry_their_status_and_the_missing_ones_are_listed(cities):
    """2020 average monthly wages (urban non-private units, on-post employees) for 11 cities, each with a status."""
    by_name = {city.name: city for city in cities}
    missing = {name for name, city in by_name.items() if city.wage_monthly_yuan is None}
    assert missing == {"Shantou", "Shaoguan", "Meizhou", "Yangjiang", "Zhanjiang", "Maoming", "Qingyuan", "Chaozhou", "Jieyang", "Yunfu"}
    assert all(by_name[name].wage_status is None for name in missing)
    assert by_name["Shenzhen"].wage_monthly_yuan == 11620 and by_name["Shenzhen"].wage_status == "secondary"
    # Shenzhen's annual figure from its own bulletin, 139,436 yuan, is twelve times the table's monthly one (SOURCES, WAGE-SZ)
    assert 139436 / 12 == pytest.approx(by_name["Shenzhen"].wage_monthly_yuan, abs=0.5)


def test_census_fallback_shares_the_provincial_remainder(cities):
    totals = rd.provincial_totals()
    talent, fallback = rd.census_talent(cities, totals, rd.CITIES_SOURCES_FILE)
    assert sum(talent) == pytest.approx(totals["tertiary_10k"] * 1e4)
    assert fallback == [city.name for city in cities if city.tertiary_per_100k is None]
    rate = {city.name: t / (city.population_10k * 1e4) for city, t in zip(cities, talent, strict=True)}
    assert rate["Foshan"] > rate["Heyuan"]  # the richer city without a figure gets the higher rate
    assert all(0.0 < value < 0.3 for value in rate.values())


def test_wage_fallback_is_the_regional_average_on_the_on_post_basis(cities):
    totals, regional = rd.provincial_totals(), rd.regional_wages()
    assert regional == {"PRD core": 112955, "east wing": 79156, "west wing": 87720, "north zone": 87526}
    wages, fallback = rd.city_wages(cities, totals, regional, rd.CITIES_SOURCES_FILE)
    at = dict(zip((city.name for city in cities), wages, strict=True))
    assert at["Shantou"] == pytest.approx(79156 * 110324 / 108045 / 12)
    assert at["Meizhou"] == pytest.approx(87526 * 110324 / 108045 / 12)
    assert at["Heyuan"] == 7208  # its own figure
    assert "Heyuan" not in fallback and "Meizhou" in fallback


def test_a_fallback_without_its_regional_figure_is_named(cities):
    totals = rd.provincial_totals()
    regional = {key: value for key, value in rd.regional_wages().items() if key != "north zone"}
    with pytest.raises(DataError, match=r"SOURCES.md: field 'north_zone': expected north_zone=<yuan>.*Shaoguan has no wage"):
        rd.city_wages(cities, totals, regional, rd.CITIES_SOURCES_FILE)
    with pytest.raises(DataError, match=r"field 'tertiary_10k': expected tertiary_10k=<number>"):
        rd.census_talent(cities, {"population_10k": 1.0, "gdp_100m_yuan": 1.0}, rd.CITIES_SOURCES_FILE)


def test_sector_shares_are_all_or_nothing_and_sum_to_100(cities):
    with_shares = {city.name for city in cities if city.primary_pct is not None}
    assert with_shares == {"Guangzhou", "Shenzhen", "Chaozhou"}
    for city in cities:
        shares = (city.primary_pct, city.secondary_pct, city.tertiary_pct)
        if city.name in with_shares:
            assert sum(shares) == pytest.approx(100.0, abs=rd.SECTOR_SHARE_SUM_TOLERANCE_PCT)
        else:
            assert shares == (None, None, None)


def test_provincial_totals_line_must_be_present(tmp_path):
    path = tmp_path / "regionX_SOURCES.md"
    path.write_text("# sources\nno totals here\n", encoding="utf-8")
    with pytest.raises(DataError, match="regionX_SOURCES.md.*provincial_totals"):
        rd.provincial_totals(path)
    path.write_text("# sources\n\nprovincial_totals: population_10k=abc gdp_100m_yuan=1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"regionX_SOURCES.md: row 3: field 'population_10k'"):
        rd.provincial_totals(path)


def test_missing_column_names_file_and_column(tmp_path):
    rows = packaged_rows(rd.CITIES_FILE)
    drop = rows[0].index("lat")
    path = tmp_path / "cities_no_lat.csv"
    write_rows(path, [row[:drop] + row[drop + 1 :] for row in rows])
    with pytest.raises(DataError) as info:
        rd.load_cities(path)
    message = str(info.value)
    assert "cities_no_lat.csv" in message and "row 1" in message and "'lat'" in message


@pytest.mark.parametrize(
    ("column", "value", "field", "expected"),
    [
        ("city_en", "Guangzhou", "city_en", "not used before (first used at row 2)"),
        ("population_10k_2020", "-3", "population_10k_2020", "expected a number > 0, got '-3'"),
        ("gdp_100m_yuan_2020", "n/a", "gdp_100m_yuan_2020", "expected a number > 0"),
        ("lat", "113.5", "lat", "inside Guangdong"),
        ("lon", "23.1", "lon", "inside Guangdong"),
        ("gdp_status", "checked", "gdp_status", "one of"),
        ("primary_pct", "5", "secondary_pct", "all sector shares or none"),
        ("tertiary_pct", "50", "tertiary_pct", "summing to 100"),
        ("tertiary_per_100k_2020", "250000", "tertiary_per_100k_2020", "at most 100000"),
        ("population_10k_2020", "0", "population_10k_2020", "expected a number > 0"),
        ("gdp_100m_yuan_2020", "10816470", "gdp_100m_yuan_2020", "yuan per resident"),
        ("tertiary_status", "", "tertiary_status", "one of"),
        ("wage_monthly_yuan_2020", "139436", "wage_monthly_yuan_2020", "an average monthly wage in yuan"),
        ("wage_status", "", "wage_status", "one of"),
        ("population_2010_census", "1035.79", "population_2010_census", "times as many residents in 2020"),
        ("population_2010_status", "", "population_2010_status", "one of"),
    ],
)
def test_malformed_city_row_names_file_row_and_field(tmp_path, column, value, field, expected):
    rows = packaged_rows(rd.CITIES_FILE)
    # row 3 (Shenzhen) has sector shares and a census figure; rows are file lines, header = 1
    line = 3 if column in ("tertiary_pct", "tertiary_status", "wage_monthly_yuan_2020", "wage_status") else 5
    rows[line - 1][rows[0].index(column)] = value
    path = tmp_path / "bad_cities.csv"
    write_rows(path, rows)
    with pytest.raises(DataError) as info:
        rd.load_cities(path)
    message = str(info.value)
    assert message.startswith(f"bad_cities.csv: row {line}: field '{field}': ")
    assert expected in message


def test_negative_population_message_is_exact(tmp_path):
    rows = packaged_rows(rd.CITIES_FILE)
    rows[4][rows[0].index("population_10k_2020")] = "-3"
    path = tmp_path / "guangdong_cities.csv"
    write_rows(path, rows)
    with pytest.raises(DataError, match=r"^guangdong_cities\.csv: row 5: field 'population_10k_2020': expected a number > 0, got '-3'$"):
        rd.load_cities(path)


# ----------------------------------------------------------------------------------------------------------------- links


@pytest.mark.parametrize(
    ("column", "value", "field", "expected"),
    [
        ("b", "Atlantis", "b", "one of the 21 known cities, got 'Atlantis'"),
        ("a", "Hong Kong", "a", "known cities"),
        ("b", "Guangzhou", "b", "a city other than a = 'Guangzhou'"),
        ("mode", "ferry", "mode", "one of ['hsr', 'rail', 'road']"),
        ("minutes", "-5", "minutes", "expected a number > 0"),
        ("minutes", "10", "minutes", "km / speed_kmh * 60"),
        ("opened", "2023/12/26", "opened", "an ISO date YYYY-MM-DD"),
        ("opened", "20231226", "opened", "an ISO date YYYY-MM-DD"),
        ("status", "official", "status", "one of"),
    ],
)
def test_malformed_link_row_names_file_row_and_field(tmp_path, cities, column, value, field, expected):
    rows = packaged_rows(rd.LINKS_FILE)
    assert rows[1][:2] == ["Guangzhou", "Shenzhen"] and rows[2][5], "row 2 must be Guangzhou-Shenzhen and row 3 must give speed_kmh"
    line = 3
    rows[line - 1][rows[0].index(column)] = value
    if column == "b" and value == "Guangzhou":
        rows[line - 1][rows[0].index("a")] = "Guangzhou"
    path = tmp_path / "bad_links.csv"
    write_rows(path, rows)
    with pytest.raises(DataError) as info:
        rd.load_links(path, cities=cities)
    message = str(info.value)
    assert message.startswith(f"bad_links.csv: row {line}: field '{field}': ")
    assert expected in message


def test_duplicate_link_version_is_rejected(tmp_path, cities):
    rows = packaged_rows(rd.LINKS_FILE)
    path = tmp_path / "dup_links.csv"
    write_rows(path, [*rows, rows[1]])
    with pytest.raises(DataError, match=rf"dup_links.csv: row {len(rows) + 1}: field 'opened': .*first used at row 2"):
        rd.load_links(path, cities=cities)


def test_links_as_of_follows_the_shenzhen_shantou_timetable(links):
    before = shenzhen_shantou_hsr(rd.links_as_of(links, date(2023, 12, 25)))
    mid = shenzhen_shantou_hsr(rd.links_as_of(links, date(2024, 6, 1)))
    after = shenzhen_shantou_hsr(rd.links_as_of(links, date(2026, 1, 1)))
    assert [link.minutes for link in mid] == [109.0]
    assert [link.minutes for link in after] == [99.0]
    assert len(before) == 1 and before[0].minutes > 109.0 and before[0].status == "derived"
    assert rd.links_as_of(links, "2026-01-01") == rd.links_as_of(links, date(2026, 1, 1))


def test_links_as_of_opens_dated_links_on_their_date(links):
    def shenzhen_shanwei(when):
        return [link.minutes for link in rd.links_as_of(links, when) if link.pair == {"Shenzhen", "Shanwei"} and link.mode == "hsr"]

    assert shenzhen_shanwei(date(2023, 9, 25)) == []
    assert shenzhen_shanwei(date(2023, 9, 26)) == [73.0]
    # one row per (pair, mode), whatever the date
    for when in (date(2021, 1, 1), date(2030, 1, 1)):
        network = rd.links_as_of(links, when)
        keys = [(link.pair, link.mode) for link in network]
        assert len(keys) == len(set(keys))


def test_links_as_of_ignores_planned_rows_and_prefers_the_fastest():
    def link(minutes, opened=None, status="derived"):
        return LinkRecord("Shenzhen", "Shanwei", "hsr", minutes, 100.0, None, opened, status, "test")

    rows = [link(90.0), link(30.0, date(2027, 1, 1), status="planned"), link(120.0, date(2024, 1, 1)), link(73.0, date(2023, 9, 26))]
    assert [row.minutes for row in rd.links_as_of(rows, date(2030, 1, 1))] == [73.0]
    assert [row.minutes for row in rd.links_as_of(rows, date(2023, 1, 1))] == [90.0]


def test_road_network_alone_connects_all_cities(cities, links):
    graph = nx.Graph()
    graph.add_nodes_from(city.name for city in cities)
    graph.add_edges_from((link.a, link.b) for link in links if link.mode == "road")
    assert graph.number_of_nodes() == N_CITIES
    assert nx.is_connected(graph)


def test_every_mode_is_present_and_every_dated_row_is_after_2021(links):
    assert {link.mode for link in links} == set(rd.TRANSPORT_MODES)
    assert all(link.opened is None or link.opened >= date(2021, 1, 1) for link in links)
    assert not [link for link in links if link.status == "planned"]


def test_derived_rows_follow_the_documented_assumptions(cities, links):
    """Every row with speed_kmh was derived from haversine x circuity and an assumed speed (guangdong_links_SOURCES.md);
    a road row whose km is sourced (an expressway's length) has only its minutes derived, at the road speed."""
    position = {city.name: (city.lat, city.lon) for city in cities}
    sourced_km = [link for link in links if link.mode == "road" and link.status != "derived"]
    assert [(link.a, link.b) for link in sourced_km] == [("Shenzhen", "Shantou")]  # L-SSE, the Shenzhen-Shantou Expressway
    for link in sourced_km:
        assert link.speed_kmh == rd.ROAD_SPEED_KMH and link.source.startswith("L-SSE")
        assert link.minutes == pytest.approx(link.km / link.speed_kmh * rd.MINUTES_PER_HOUR, abs=FILE_ROUNDING_TOLERANCE)
        # an expressway is no shorter than the straight line between the city centres
        assert link.km >= rd.haversine_km(*position[link.a], *position[link.b])
    derived = [link for link in links if link.speed_kmh is not None and link not in sourced_km]
    assert derived
    for link in derived:
        straight = rd.haversine_km(*position[link.a], *position[link.b])
        if link.mode == "road":
            assert link.km == pytest.approx(straight * rd.ROAD_CIRCUITY_FACTOR, abs=FILE_ROUNDING_TOLERANCE), link
            assert link.speed_kmh == rd.ROAD_SPEED_KMH
        else:
            assert link.km == pytest.approx(straight * rd.RAIL_CIRCUITY_FACTOR, abs=FILE_ROUNDING_TOLERANCE), link
            assert link.speed_kmh in rd.HSR_EFFECTIVE_SPEED_KMH.values()
        assert link.minutes == pytest.approx(link.km / link.speed_kmh * rd.MINUTES_PER_HOUR, abs=FILE_ROUNDING_TOLERANCE), link
        assert link.status == "derived" and link.source.startswith("derived")
