"""The dashboard without a browser: its model, its levers, its figures and components, and its display in Jupyter."""

from __future__ import annotations

import copy
import gc
import threading
import weakref

import ipyvuetify
import ipywidgets
import mesa
import numpy as np
import pandas as pd
import pytest
import solara
from matplotlib.figure import Figure

from coopsim import dashboard, plots
from coopsim.dashboard import AGREEMENTS, LEVER_FIELDS, REGIONS, DashboardModel
from coopsim.runner import compose_config

FAST_REGION = "shenzhen_shantou"  # 3 nodes: builds and steps in a fraction of Guangdong's time


def default_params() -> dict:
    """The keyword parameters SolaraViz passes when nobody has moved a control."""
    return {name: spec["value"] for name, spec in dashboard.model_params().items()}


@pytest.fixture()
def stepped_model(released):
    model = released(DashboardModel(region=FAST_REGION, rail_opening_quarter=2))
    for _ in range(3):
        model.step()
    return model


def test_builds_from_the_default_controls_and_steps(released):
    model = released(DashboardModel(**default_params()))
    assert (model.region_name, model.agreement) == ("guangdong", "deep_cooperation")
    assert model.quarter == 0 and model.running
    model.step()
    model.step()
    assert model.quarter == model.steps == model.simulation.steps == 2
    frame = model.simulation.recorder.frame()
    assert sorted(frame["step"].unique()) == [0, 1, 2]
    assert {"gdp_share", "enterprise_share", "talent_share"} <= set(frame["metric"])


def test_controls_start_at_the_configs_levers_and_cover_the_asked_ranges():
    params = dashboard.model_params()
    cfg = compose_config()
    for name, field in LEVER_FIELDS.items():
        node = cfg
        for key in field.split("."):
            node = node[key]
        assert params[name]["value"] == pytest.approx(node), name
    ranges = {name: (params[name]["min"], params[name]["max"]) for name in LEVER_FIELDS}
    assert ranges == {
        "rail_speed_kmh": (160, 400),
        "rail_opening_quarter": (1, 59),
        "investment_budget": (0, 200),
        "exchange_quota": (0, 5000),
        "spillover_strength": (0.0, 0.2),
    }
    assert params["rail_opening_quarter"]["max"] < cfg.steps, "a rail rule must open within the run"
    assert params["region"]["values"] == list(REGIONS) and params["agreement"]["values"] == list(AGREEMENTS)
    assert {params[name]["type"] for name in params} == {"Select", "SliderInt", "SliderFloat"}


def test_levers_reach_the_rules_and_the_economy(released):
    model = released(
        DashboardModel(
            region=FAST_REGION,
            agreement="deep_cooperation",
            rail_speed_kmh=250,
            rail_opening_quarter=5,
            investment_budget=120,
            exchange_quota=2500,
            spillover_strength=0.1,
            seed=3,
        )
    )
    rules = model.simulation.rules
    assert (rules["rail"].speed_kmh, rules["rail"].opening_quarter) == (250, 5)
    assert rules["investment"].annual_budget == 120
    assert rules["talent"].annual_quota == 2500
    assert model.simulation.economy.knowledge.spillover_strength == pytest.approx(0.1)
    assert model.cfg.seed == 3


def test_a_faster_line_cuts_the_partners_travel_time_more(released):
    minutes = {}
    for speed in (200, 400):
        model = released(DashboardModel(region=FAST_REGION, agreement="rail", rail_speed_kmh=speed, rail_opening_quarter=1))
        before = model.partner_core_minutes()
        model.step()
        minutes[speed] = model.partner_core_minutes()
        assert minutes[speed] < before
    assert minutes[400] < minutes[200]


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_builds_with_every_lever_acting(region, released):
    # the two textbook cities hold 2,000 talent each: the default quota (1,000 a year) is beyond the exchange's bound
    quota = 20.0 if region == "two_symmetric" else None
    model = released(DashboardModel(region=region, agreement="deep_cooperation", rail_opening_quarter=1, exchange_quota=quota))
    model.step()
    assert model.quarter == 1
    assert model.partner_name != model.core_name


@pytest.mark.parametrize("agreement", AGREEMENTS)
def test_every_agreement_preset_builds(agreement, released):
    model = released(DashboardModel(region=FAST_REGION, agreement=agreement))
    assert model.agreement == agreement
    assert set(model.simulation.rules) <= {"rail", "investment", "talent", "associations"}
    assert ("rail" in model.simulation.rules) == (agreement in ("rail", "deep_cooperation"))


def test_unknown_choices_fail_with_the_field_named():
    with pytest.raises(ValueError, match="region"):
        DashboardModel(region="atlantis")
    with pytest.raises(ValueError, match="agreement"):
        DashboardModel(agreement="alliance")


def test_runs_stop_at_the_horizon(released):
    model = released(DashboardModel(region=FAST_REGION, agreement="none"))
    model.horizon = 2  # the config's 60 quarters, shortened for the test
    model.step()
    assert model.running
    model.step()
    assert not model.running
    assert "Horizon reached" in dashboard.status_lines(model)[-1]
    model.step()  # Play's worker thread may step once more after the horizon: nothing happens
    assert model.quarter == 2 and not model.running
    assert dashboard.status_lines(model)[0].startswith("Quarter 2 of 2")


def test_a_discarded_model_releases_its_simulation():
    model = DashboardModel(region=FAST_REGION, agreement="none")
    simulation = weakref.ref(model.simulation)
    assert simulation() in mesa.Agent._ids
    del model
    gc.collect()
    gc.collect()
    assert simulation() is None, "Mesa's Agent._ids still holds the simulation of a discarded dashboard model"


def test_share_changes_start_at_zero_and_follow_the_shares(stepped_model):
    metrics = stepped_model.simulation.recorder.frame()
    cities = [stepped_model.partner_name, stepped_model.core_name]
    changes, name = dashboard.share_changes(metrics, cities, "gdp_share")
    assert set(changes["metric"]) == {name} and set(changes["city"]) == set(cities)
    assert np.allclose(changes.loc[changes["step"] == 0, "value"], 0.0)
    partner = metrics[(metrics["metric"] == "gdp_share") & (metrics["city"] == stepped_model.partner_name)].set_index("step")["value"]
    expected = (partner[3] / partner[0] - 1.0) * 100.0
    got = changes[(changes["city"] == stepped_model.partner_name) & (changes["step"] == 3)]["value"].item()
    assert got == pytest.approx(expected)


def test_figures_show_the_current_quarter(stepped_model):
    paths = dashboard.time_paths_figure(stepped_model)
    axes = paths.get_axes()
    assert len(axes) == 2 * len(dashboard.SHARE_METRICS)  # change since quarter 0, and the effect against no agreement
    for ax in axes:
        highlighted = [line for line in ax.get_lines() if line.get_label() in (stepped_model.partner_name, stepped_model.core_name)]
        assert len(highlighted) == 2
        assert max(highlighted[0].get_xdata()) == stepped_model.quarter
    # the rail line opened in quarter 2: marked on every panel
    assert all(any(list(line.get_xdata()) == [2, 2] for line in ax.get_lines()) for ax in axes)

    region_map = dashboard.map_figure(stepped_model)
    (ax,) = region_map.get_axes()
    drawn = {artist.get_gid() for artist in ax.get_children() if artist.get_gid()}
    assert "link:hsr" in drawn
    assert region_map.texts[0].get_text() == (stepped_model.calendar_quarter() or f"quarter {stepped_model.quarter}")
    # marker areas keyed in 100 million yuan (the data region's GDP), the largest key the largest city's GDP
    key = ax.get_legend()
    assert key.get_title().get_text().startswith("GDP, 100 million yuan a year")
    largest = stepped_model.simulation.recorder.last("gdp_100m_yuan").max()
    assert key.get_texts()[0].get_text() == plots.compact_number(largest)


def test_status_panel_reports_quarter_travel_time_and_levers(stepped_model):
    lines = dashboard.status_lines(stepped_model)
    assert lines[0] == "Quarter 3 of 60 (2021 Q4)"
    assert f"travel time: {stepped_model.partner_core_minutes():.1f} min" in lines[1]
    assert "rail at 350 km/h from quarter 2" in lines[2]
    assert any(line.startswith(f"{stepped_model.partner_name} now: share of the region's GDP") for line in lines)


def test_calendar_quarters_only_for_data_regions(released):
    model = released(DashboardModel(region="two_symmetric", agreement="none"))
    assert model.calendar_quarter() is None
    assert dashboard.status_lines(model)[0] == "Quarter 0 of 60"


@pytest.mark.parametrize("component", dashboard.COMPONENTS, ids=lambda c: c.__name__)
def test_each_component_renders_after_a_few_steps(component, stepped_model):
    box, rc = solara.render(component(stepped_model), handle_error=False)
    try:
        if component is dashboard.StatusPanel:
            quarter = rc.find(ipyvuetify.Html, class_="coopsim-quarter").widget
            assert quarter.children == ["Quarter 3 of 60 (2021 Q4)"]
        else:
            image = rc.find(ipywidgets.Image).widget
            assert image.format == "png" and image.value[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        rc.close()


def test_page_renders_the_components_with_a_fresh_model():
    box, rc = solara.render(dashboard.Page(), handle_error=False)
    try:
        assert rc.find(ipyvuetify.Html, class_="coopsim-quarter").widget.children == ["Quarter 0 of 60 (2021 Q1)"]
        assert len(rc.find(ipywidgets.Image).widgets) == 2  # map, and time paths with the effect against no agreement
    finally:
        rc.close()


def test_page_displays_in_a_jupyter_kernel():
    """`from coopsim.dashboard import page; page` in a notebook cell shows the dashboard as a widget."""
    from jupyter_client.manager import start_new_kernel

    messages = []
    manager, client = start_new_kernel(kernel_name="python3")  # the kernel listens on 127.0.0.1
    try:
        reply = client.execute_interactive("from coopsim.dashboard import page\npage", timeout=120, output_hook=messages.append)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok"
    kinds = [message["header"]["msg_type"] for message in messages]
    assert "error" not in kinds
    shown = [m["content"]["data"] for m in messages if m["header"]["msg_type"] in ("display_data", "execute_result")]
    assert any("application/vnd.jupyter.widget-view+json" in data for data in shown), shown
    widgets = " ".join(str(m["content"]["data"]) for m in messages if m["header"]["msg_type"] == "comm_open")
    assert "Quarter 0 of 60 (2021 Q1)" in widgets and "ImageModel" in widgets


def test_python_m_entry_point_is_solara_run(capsys):
    with pytest.raises(SystemExit) as exit_info:
        dashboard.main(["--help"])
    assert exit_info.value.code == 0
    assert "Run a Solara app" in capsys.readouterr().out


def test_a_quarter_waits_for_panels_reading_the_simulation(released):
    """Play steps in a worker thread while a moved control may re-render the panels: they never see half a quarter."""
    model = released(DashboardModel(region=FAST_REGION, agreement="none"))
    with model.lock:  # a panel is reading
        worker = threading.Thread(target=model.step)
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive() and model.quarter == 0
    worker.join(timeout=30)
    assert not worker.is_alive() and model.quarter == 1


def test_the_effect_view_compares_with_the_same_seed_run_without_the_agreement(released, make_model):
    """The effect panel is the run against the no-agreement run with the same seed, stepped alongside: zero at the
    start, and the change since 2021 minus the baseline's own change afterwards."""
    model = released(DashboardModel(region=FAST_REGION, agreement="investment"))
    assert model.baseline is not None and model.baseline.cfg.agreement.name == "none"
    for _ in range(4):
        model.step()
    assert model.baseline.steps == model.simulation.steps == 4
    # the run is a copy of the built baseline with the rules bound: its metrics are those of a model built anew
    fresh = make_model(cfg=copy.deepcopy(model.cfg))
    for _ in range(4):
        fresh.step()
    pd.testing.assert_frame_equal(model.simulation.recorder.frame(), fresh.recorder.frame())
    cities = [model.partner_name, model.core_name]
    frames = model.simulation.recorder.frame(), model.baseline.recorder.frame()
    effect, name = dashboard.effect_changes(*frames, cities, "gdp_share")
    assert name == "gdp_share, % vs no agreement"
    at_start = effect[effect["step"] == 0]["value"]
    assert len(at_start) == 2 and np.allclose(at_start, 0.0)
    partner = effect[(effect["step"] == 4) & (effect["city"] == model.partner_name)]["value"].item()
    own = model.simulation.recorder.frame().query("metric == 'gdp_share' and step == 4 and city == @model.partner_name")["value"].item()
    base = model.baseline.recorder.frame().query("metric == 'gdp_share' and step == 4 and city == @model.partner_name")["value"].item()
    assert partner == pytest.approx((own / base - 1) * 100)
    assert isinstance(dashboard.time_paths_figure(model), Figure)
    alone = released(DashboardModel(region=FAST_REGION, agreement="none"))
    assert (
        alone.baseline is None
        and dashboard.effect_changes(alone.simulation.recorder.frame(), None, [alone.partner_name], "gdp_share")[0].empty
    )
    assert isinstance(dashboard.time_paths_figure(alone), Figure)
