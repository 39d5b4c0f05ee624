"""Figures from data (coopsim.plots)."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from coopsim import plots
from coopsim import region_data as rd

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def cities_frame():
    return rd.records_to_frame(rd.load_cities())


@pytest.fixture(scope="module")
def links():
    return rd.load_links()


def city_collections(figure):
    return [c for ax in figure.axes for c in ax.collections if (c.get_gid() or "").startswith("cities:")]


def link_lines(figure, mode):
    return [line for ax in figure.axes for line in ax.lines if line.get_gid() == f"link:{mode}"]


def test_region_map_draws_every_city_and_every_mode(tmp_path, cities_frame, links):
    figure = plots.region_map(cities_frame, links, "population_10k")
    assert isinstance(figure, Figure)
    assert sum(len(c.get_offsets()) for c in city_collections(figure)) == len(cities_frame) == 21
    for mode in {link.mode for link in links}:
        assert len(link_lines(figure, mode)) >= 1, mode
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert set(cities_frame["group"]) | {"road", "rail", "hsr"} <= set(legend)
    labels = {text.get_text() for text in figure.axes[0].texts}
    assert set(cities_frame["name"]) <= labels
    out = tmp_path / "map.png"
    figure.savefig(out)
    assert out.stat().st_size > 0
    assert out.read_bytes()[: len(PNG_SIGNATURE)] == PNG_SIGNATURE


def test_marker_area_is_proportional_to_the_size_column(cities_frame, links):
    figure = plots.region_map(cities_frame, links, "gdp_100m_yuan")
    area = {}
    for collection in city_collections(figure):
        for (lon, lat), size in zip(collection.get_offsets(), collection.get_sizes(), strict=True):
            name = cities_frame.loc[(cities_frame["lon"] == lon) & (cities_frame["lat"] == lat), "name"].item()
            area[name] = size
    gdp = cities_frame.set_index("name")["gdp_100m_yuan"]
    assert area["Shenzhen"] == pytest.approx(plots.MAX_MARKER_AREA_PT2)  # the largest GDP
    assert area["Shantou"] / area["Shenzhen"] == pytest.approx(gdp["Shantou"] / gdp["Shenzhen"])


def test_each_pair_and_mode_is_drawn_once(cities_frame, links):
    figure = plots.region_map(cities_frame, links, "population_10k")
    shenzhen_shantou_rows = [link for link in links if link.pair == {"Shenzhen", "Shantou"} and link.mode == "hsr"]
    assert len(shenzhen_shantou_rows) == 3  # three timetable versions, one line on the map
    pairs = {(link.pair, link.mode) for link in links}
    assert sum(len(link_lines(figure, mode)) for mode in rd.TRANSPORT_MODES) == len(pairs)


def test_region_map_accepts_a_links_frame_and_an_axes(cities_frame, links):
    frame = rd.records_to_frame(rd.links_as_of(links, "2021-01-01"))
    figure = Figure()
    ax = figure.add_subplot()
    returned = plots.region_map(cities_frame, frame, "population_10k", ax=ax)
    assert returned is figure
    assert link_lines(figure, "hsr") and link_lines(figure, "road")


def test_region_map_rejects_data_it_cannot_draw(cities_frame, links):
    with pytest.raises(ValueError, match="'Atlantis'"):
        frame = rd.records_to_frame(links).assign(b="Atlantis")
        plots.region_map(cities_frame, frame, "population_10k")
    with pytest.raises(ValueError, match="missing column 'jobs'"):
        plots.region_map(cities_frame, links, "jobs")
    negative = cities_frame.assign(population_10k=-cities_frame["population_10k"])
    with pytest.raises(ValueError, match="expected numbers >= 0"):
        plots.region_map(negative, links, "population_10k")


def test_band_paths_draws_mean_and_band_per_scenario(tmp_path):
    import pandas as pd

    from coopsim.plots import band_paths

    rows = [
        {"scenario": s, "seed": seed, "step": t, "value": (1 if s == "up" else -1) * t * (1 + seed / 10)}
        for s in ("up", "down")
        for seed in range(5)
        for t in range(10)
    ]
    figure = band_paths(pd.DataFrame(rows), "effect", zero_line=True)
    ax = figure.axes[0]
    means = {line.get_label(): line.get_ydata() for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert set(means) == {"up", "down"}
    assert means["up"][-1] == pytest.approx(9 * 1.2) and means["down"][-1] == pytest.approx(-9 * 1.2)
    assert len(ax.collections) == 2  # one band per scenario
    path = tmp_path / "band.png"
    figure.savefig(path)
    assert path.stat().st_size > 1000


def test_calendar_quarters_name_steps_from_the_start_date():
    import datetime

    from coopsim.plots import quarter_name

    start = datetime.date(2021, 1, 1)
    names = [quarter_name(step, start) for step in (0, 1, 3, 4, 59, 60)]
    assert names == ["2021 Q1", "2021 Q2", "2021 Q4", "2022 Q1", "2035 Q4", "2036 Q1"]
    assert quarter_name(0, datetime.date(2020, 11, 1)) == "2020 Q4"


def test_each_scenario_keeps_one_label_and_colour_and_sweeps_get_shades():
    from matplotlib.colors import to_hex

    from coopsim.plots import AGREEMENT_COLOURS, scenario_label, scenario_styles

    table = pd.DataFrame(
        {
            "scenario": ["agreement=none", "agreement=rail, x=1", "agreement=rail, x=2", "agreement=investment", "agreement=custom"],
            "agreement": ["none", "rail", "rail", "investment", "custom"],
            "label": ["No agreement", "Rail (x 1)", "Rail (x 2)", "Investment", "Custom"],
        }
    )
    styles = scenario_styles(table)
    again = scenario_styles(table.iloc[::-1])
    assert {key: (s.label, s.colour) for key, s in styles.items()} == {key: (s.label, s.colour) for key, s in again.items()}
    assert to_hex(styles["agreement=investment"].colour) == to_hex(AGREEMENT_COLOURS["investment"])
    assert styles["agreement=none"].linestyle == "--" and to_hex(styles["agreement=none"].colour) == "#000000"
    rail = {to_hex(styles[key].colour) for key in ("agreement=rail, x=1", "agreement=rail, x=2")}
    assert len(rail) == 2  # two shades of the rail colour
    assert len({to_hex(s.colour) for s in styles.values()}) == len(styles)
    assert scenario_label("rail", {"agreement": "rail"}, 250.0) == "Rail 250 km/h"
    assert scenario_label("talent", {"levers.exchange_quota": "5000"}) == "Talent exchange (exchange quota 5000)"


def test_counts_read_as_a_person_says_them():
    from coopsim.plots import compact_number

    assert [compact_number(v) for v in (0.5, 712, 2830.2, 52300, 13_200_000)] == ["0.5", "712", "2,830", "52,300", "13.2 M"]
