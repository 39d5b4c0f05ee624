"""Interactive dashboard on Mesa's SolaraViz: pick a region and an agreement, move the levers, step or run, watch.

Start it with ``solara run coopsim.dashboard`` (or ``python -m coopsim.dashboard``), or show it in a Jupyter cell with
``from coopsim.dashboard import page; page``; docs/dashboard.md says what each control does. Visualisation lives only
here (docs/design.md section 9): the model is built with :func:`coopsim.runner.compose_config` and
:func:`coopsim.runner.build_model`, figures come from :mod:`coopsim.plots`, and the data from the model's recorder.

Each browser session (or notebook cell) gets its own :class:`DashboardModel`. SolaraViz builds a new one from the
controls' values when Reset is pressed; the old one releases its simulation when it is collected (Mesa 3.3.1 keeps
every model alive through ``Agent._ids`` otherwise, docs/design.md section 9).
"""

from __future__ import annotations

import sys
import threading
import warnings
import weakref

import mesa
import pandas as pd
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

with warnings.catch_warnings():
    # Mesa 3.3.1's own ComponentsView trips solara's rules-of-hooks check when it is defined; nothing a user can act on.
    warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return", category=UserWarning)
    from mesa.visualization import SolaraViz
    from mesa.visualization.utils import update_counter

from omegaconf import OmegaConf

from coopsim import plots
from coopsim.config import BASELINE_AGREEMENT
from coopsim.region import quarter_name
from coopsim.run_tables import cities_table, links_table
from coopsim.runner import build_model, built, compose_config, fork
from coopsim.units import PERCENT

REGIONS = ("guangdong", "shenzhen_shantou", "two_symmetric")
AGREEMENTS = ("none", "rail", "investment", "talent", "deep_cooperation")
DEFAULT_REGION = "guangdong"
DEFAULT_AGREEMENT = "deep_cooperation"  # every lever acts in it; with "none" the levers change nothing
# Dashboard parameter -> the config field it overrides (configs/config.yaml and configs/economy/).
LEVER_FIELDS = {
    "rail_speed_kmh": "levers.rail_speed_kmh",
    "rail_opening_quarter": "levers.rail_opening_quarter",
    "investment_budget": "levers.investment_budget",
    "exchange_quota": "levers.exchange_quota",
    "spillover_strength": "economy.knowledge.spillover_strength",
}
SHARE_METRICS = ("gdp_share", "enterprise_share", "talent_share")
MAP_FIGSIZE_INCHES = (7.5, 5.0)
TIME_PATHS_FIGSIZE_INCHES = (9.0, 6.0)
FIGURE_DPI = 90
# Fixed margins (fractions of the figure): a third faster to draw than matplotlib's constrained layout, redone each quarter.
MAP_MARGINS = {"left": 0.1, "right": 0.98, "bottom": 0.1, "top": 0.88}
TIME_PATHS_MARGINS = {"left": 0.1, "right": 0.98, "bottom": 0.08, "top": 0.9, "hspace": 0.12, "wspace": 0.25}
PLAY_INTERVAL_MS = 150


def lever_defaults() -> dict[str, float]:
    """The levers' values in the project's default config (what the sliders start at)."""
    cfg = compose_config()
    return {name: OmegaConf.select(cfg, field, throw_on_missing=True) for name, field in LEVER_FIELDS.items()}


def dashboard_overrides(region: str, agreement: str, seed: int, **levers) -> list[str]:
    """Hydra overrides for a region, an agreement preset, a seed and the levers that are given (None: the config's value)."""
    if region not in REGIONS:
        raise ValueError(f"region: expected one of {list(REGIONS)}, got {region!r}")
    if agreement not in AGREEMENTS:
        raise ValueError(f"agreement: expected one of {list(AGREEMENTS)}, got {agreement!r}")
    unknown = sorted(set(levers) - set(LEVER_FIELDS))
    if unknown:
        raise ValueError(f"unknown levers {unknown}; expected some of {list(LEVER_FIELDS)}")
    overrides = [f"region={region}", f"agreement={agreement}", f"seed={int(seed)}"]
    overrides += [f"{LEVER_FIELDS[name]}={value}" for name, value in levers.items() if value is not None]
    return overrides


def _release_all(simulations: list) -> None:
    for simulation in simulations:
        if simulation is not None:
            simulation.release()


class DashboardModel(mesa.Model):
    """The simulation behind the dashboard, built from SolaraViz's keyword parameters.

    A thin Mesa model around :class:`coopsim.model.RegionalEconomy` (``self.simulation``): it composes the config with
    the chosen region, agreement preset, levers and seed, builds the simulation with
    :func:`coopsim.runner.build_model`, steps it one quarter per ``step()``, and stops (``running = False``) at the
    config's horizon (``steps``, 60 quarters by default). A lever left at None keeps the config's value.
    """

    def __init__(
        self,
        region: str = DEFAULT_REGION,
        agreement: str = DEFAULT_AGREEMENT,
        rail_speed_kmh: float | None = None,
        rail_opening_quarter: int | None = None,
        investment_budget: float | None = None,
        exchange_quota: float | None = None,
        spillover_strength: float | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(rng=seed)
        levers = {
            "rail_speed_kmh": rail_speed_kmh,
            "rail_opening_quarter": rail_opening_quarter,
            "investment_budget": investment_budget,
            "exchange_quota": exchange_quota,
            "spillover_strength": spillover_strength,
        }
        self.overrides = dashboard_overrides(region, agreement, seed, **levers)
        self.cfg = compose_config(*self.overrides)
        self.region_name = region
        self.agreement = agreement
        self.horizon = int(self.cfg.steps)
        # The paired baseline: no agreement, the same seed (common random numbers), stepped alongside, so that the
        # dashboard shows the agreement's effect as well as the change since 2021 (which includes the baseline's own).
        # It is built (calibrated, agents drawn) once, and the agreement's run is a copy of it with the rules bound.
        self.baseline = None
        if agreement == BASELINE_AGREEMENT:
            self.simulation = build_model(self.cfg)
        else:
            self.baseline = built(compose_config(*dashboard_overrides(region, BASELINE_AGREEMENT, seed, **levers)))
            self.simulation = fork(self.baseline, self.cfg)
        # Held while a quarter runs and while the panels read the simulation: Play steps in a worker thread, and a control
        # moved meanwhile re-renders the panels from another one.
        self.lock = threading.Lock()
        # Release the simulations from Mesa's registry when this model is discarded (Reset, a closed session).
        self._release = weakref.finalize(self, _release_all, [self.simulation, self.baseline])
        self.running = self.simulation.steps < self.horizon

    def step(self) -> None:
        """One quarter of the simulation; nothing once the horizon is reached (Play's worker may call once more)."""
        with self.lock:
            if self.simulation.steps >= self.horizon:
                self.running = False
                return
            self.simulation.step()
            if self.baseline is not None:
                self.baseline.step()
            self.running = self.simulation.steps < self.horizon

    def release(self) -> None:
        """Release the simulation now (it also happens when the model is collected)."""
        self._release()

    @property
    def quarter(self) -> int:
        """Quarters simulated so far (0 = the initial state)."""
        return int(self.simulation.steps)

    @property
    def core_name(self) -> str:
        region = self.simulation.region
        return region.city_names[region.core]

    @property
    def partner_name(self) -> str:
        region = self.simulation.region
        return region.city_names[region.partner]

    def partner_core_minutes(self) -> float:
        """Fastest travel time between the partner and the core now (minutes)."""
        region = self.simulation.region
        return float(region.travel_minutes[region.partner, region.core])

    def calendar_quarter(self) -> str | None:
        """'2027 Q2' for data regions (step 0 = the region's start date); None for abstract regions."""
        start = self.simulation.region.start_date
        return None if start is None else quarter_name(self.quarter, start)


# ----- figures (built with coopsim.plots from the model's recorder) -------------------------------------------------


def _new_figure(size_inches: tuple[float, float], margins: dict[str, float]) -> Figure:
    figure = Figure(figsize=size_inches, dpi=FIGURE_DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(**margins)
    return figure


def map_figure(model: DashboardModel) -> Figure:
    """The region's cities sized by their GDP in the latest quarter (亿元 a year for data regions), with the links as they are now."""
    simulation = model.simulation
    metric = "gdp_100m_yuan" if simulation.region.gdp_2020 is not None else "gdp"  # 亿元 for data regions
    cities = cities_table(simulation).assign(**{metric: simulation.recorder.last(metric)})
    figure = _new_figure(MAP_FIGSIZE_INCHES, MAP_MARGINS)
    plots.region_map(cities, links_table(simulation), metric, ax=figure.add_subplot(), size_label=plots.GDP_MAP_LABELS[metric])
    figure.suptitle(model.calendar_quarter() or f"quarter {model.quarter}")
    return figure


def share_changes(metrics: pd.DataFrame, cities: list[str], metric: str) -> tuple[pd.DataFrame, str]:
    """The cities' ``metric`` as a % change since quarter 0 (tidy rows), and the name it is plotted under.

    A partner's share is a few percent and a core's a quarter of the region: on one axis in levels the partner's
    path would look flat, so both are shown relative to where they started.
    """
    rows = metrics[(metrics["metric"] == metric) & metrics["city"].isin(cities)]
    start = rows[rows["step"] == rows["step"].min()].set_index("city")["value"]
    name = f"{metric}, % change since quarter 0"
    changed = rows.assign(metric=name, value=(rows["value"] / rows["city"].map(start) - 1.0) * PERCENT)
    return changed, name


def rail_opening(model: DashboardModel) -> int | None:
    """The quarter the agreement's new rail line opens, or None without a rail rule."""
    rail = model.simulation.rules.get("rail")
    return None if rail is None else int(rail.opening_quarter)


def time_paths_figure(model: DashboardModel) -> Figure:
    """The partner's and the core's GDP, enterprise and talent shares over the quarters so far: on the left their %
    change since quarter 0 (the baseline's own trend included), on the right the agreement's effect, in % of the
    same-seed run without it (:func:`effect_changes`)."""
    metrics = model.simulation.recorder.frame()
    baseline = model.baseline.recorder.frame() if model.baseline is not None else None
    cities = [model.partner_name, model.core_name]
    opening = rail_opening(model)
    start = model.simulation.region.start_date
    figure = _new_figure(TIME_PATHS_FIGSIZE_INCHES, TIME_PATHS_MARGINS)
    axes = figure.subplots(len(SHARE_METRICS), 2, sharex=True)
    for row, metric in zip(axes, SHARE_METRICS, strict=True):
        changes, name = share_changes(metrics, cities, metric)
        plots.time_paths(changes, name, highlight=cities, ax=row[0], start=start)
        row[0].set_ylabel(f"{plots.SHORT_METRIC_LABELS[metric]}\n%")
        effect, name = effect_changes(metrics, baseline, cities, metric)
        if effect.empty:
            row[1].text(0.5, 0.5, "no agreement:\nnothing to compare", ha="center", va="center", transform=row[1].transAxes)
            row[1].set_yticks([])
        else:
            plots.time_paths(effect, name, highlight=cities, ax=row[1], start=start)
            row[1].axhline(0.0, color="black", linewidth=0.8)
            row[1].set_ylabel("")
        for ax in row:
            if opening is not None and model.quarter >= opening:
                ax.axvline(opening, color="0.3", linestyle=":", linewidth=1.0)
            if metric != SHARE_METRICS[-1]:
                ax.set_xlabel("")
    axes[0][0].set_title("change since quarter 0 (baseline trend included)", fontsize="small")
    axes[0][1].set_title("effect: % vs no agreement, same seed", fontsize="small")
    title = f"{model.partner_name} (partner), {model.core_name} (core)"
    figure.suptitle(title + (f"; dotted: rail opens, quarter {opening}" if opening is not None else ""), fontsize="small")
    return figure


def effect_changes(metrics: pd.DataFrame, baseline: pd.DataFrame | None, cities: list[str], metric: str) -> tuple[pd.DataFrame, str]:
    """The cities' ``metric`` in a run in % of the same-seed run without its agreement (``baseline``, tidy metrics;
    None without an agreement, which gives no rows), and the name it is plotted under."""
    name = f"{metric}, % vs no agreement"
    if baseline is None:
        return pd.DataFrame(columns=["step", "city", "metric", "value"]), name
    values = [
        frame[(frame["metric"] == metric) & frame["city"].isin(cities)].set_index(["step", "city"])["value"]
        for frame in (metrics, baseline)
    ]
    effect = ((values[0] / values[1] - 1.0) * PERCENT).rename("value").reset_index().assign(metric=name)
    return effect, name


def status_lines(model: DashboardModel) -> list[str]:
    """The text panel: quarter, partner-core travel time, the run's settings, where the partner's shares stand."""
    when = model.calendar_quarter()
    lines = [f"Quarter {model.quarter} of {model.horizon}" + (f" ({when})" if when else "")]
    lines.append(f"{model.partner_name}–{model.core_name} travel time: {model.partner_core_minutes():.1f} min")
    levers = model.cfg.levers
    rail = model.simulation.rules.get("rail")
    rail_text = "no new rail line" if rail is None else f"rail at {rail.speed_kmh:g} km/h from quarter {rail.opening_quarter}"
    agreement = plots.AGREEMENT_LABELS.get(model.agreement, model.agreement)
    lines.append(f"This run: {model.region_name}, {agreement} ({rail_text}), seed {model.cfg.seed}")
    lines.append(
        f"Levers: investment {levers.investment_budget:g}/year, exchange {levers.exchange_quota:g} people/year, "
        f"spillover strength {model.cfg.economy.knowledge.spillover_strength:g} (sliders apply on Reset)"
    )
    partner = model.simulation.region.partner
    recorder = model.simulation.recorder
    shares = ", ".join(f"{plots.METRIC_LABELS[metric]} {recorder.last(metric)[partner] * PERCENT:.2f}%" for metric in SHARE_METRICS)
    lines.append(f"{model.partner_name} now: {shares}")
    if not model.running:
        lines.append("Horizon reached: press Reset for a new run")
    return lines


# ----- SolaraViz components (each redraws when the model steps) -----------------------------------------------------


def _figure_view(model: DashboardModel, make_figure, css_class: str) -> None:
    # The figure is rebuilt only when the model or its quarter changes, not on every re-render.
    key = [model, model.quarter]

    def draw() -> Figure:
        with model.lock:
            return make_figure(model)

    figure = solara.use_memo(draw, key)
    with solara.Column(classes=[css_class]):
        solara.FigureMatplotlib(figure, dependencies=key, format="png")


@solara.component
def RegionMap(model: DashboardModel):
    """The region map, cities sized by current GDP, links by mode."""
    update_counter.get()
    _figure_view(model, map_figure, "coopsim-map")


@solara.component
def SharePaths(model: DashboardModel):
    """Time paths of the partner's and core's GDP, enterprise and talent shares."""
    update_counter.get()
    _figure_view(model, time_paths_figure, "coopsim-time-paths")


@solara.component
def StatusPanel(model: DashboardModel):
    """Quarter, partner-core travel minutes, the rail line, the partner's shares."""
    update_counter.get()
    with model.lock:
        lines = status_lines(model)
    with solara.Column(classes=["coopsim-status"]):
        solara.Text(lines[0], classes=["coopsim-quarter"])
        for line in lines[1:]:
            solara.Text(line)


COMPONENTS = [RegionMap, SharePaths, StatusPanel]  # SolaraViz lays them out two per row


def model_params() -> dict:
    """SolaraViz's controls: region and agreement, the levers (starting at the config's values), the seed."""
    defaults = lever_defaults()
    return {
        "region": {"type": "Select", "value": DEFAULT_REGION, "values": list(REGIONS), "label": "Region"},
        "agreement": {"type": "Select", "value": DEFAULT_AGREEMENT, "values": list(AGREEMENTS), "label": "Agreement preset"},
        "rail_speed_kmh": {
            "type": "SliderInt",
            "value": int(defaults["rail_speed_kmh"]),
            "min": 160,
            "max": 400,
            "step": 10,
            "label": "Rail design speed (km/h)",
        },
        "rail_opening_quarter": {
            "type": "SliderInt",
            "value": int(defaults["rail_opening_quarter"]),
            "min": 1,
            "max": 59,
            "step": 1,
            "label": "Rail opening quarter",
        },
        "investment_budget": {
            "type": "SliderInt",
            "value": int(defaults["investment_budget"]),
            "min": 0,
            "max": 200,
            "step": 5,
            "label": "Investment budget (100M yuan/year)",  # 亿元; ASCII, since browsers may lack CJK fonts
        },
        "exchange_quota": {
            "type": "SliderInt",
            "value": int(defaults["exchange_quota"]),
            "min": 0,
            "max": 5000,
            "step": 100,
            "label": "Talent exchange quota (people/year)",
        },
        "spillover_strength": {
            "type": "SliderFloat",
            "value": float(defaults["spillover_strength"]),
            "min": 0.0,
            "max": 0.2,
            "step": 0.01,
            "label": "Knowledge spillover strength",
        },
        "seed": {"type": "SliderInt", "value": 0, "min": 0, "max": 99, "step": 1, "label": "Seed"},
    }


# Mesa 3.3.1's SolaraViz always draws a tab bar ("Page 0") and shows a slider's value only while it is dragged; the
# dashboard has one page, and a user should read each lever's value at a glance. Vuetify 2 keeps each slider's value
# label in the page, hidden by an inline style, so a stylesheet rule can show it for good.
PAGE_CSS = """
.v-tabs { display: none !important; }
.v-slider__thumb-container .v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label { transform: translateY(-20%) translateY(-12px) translateX(-50%) rotate(45deg) !important; }
.v-input__slider { margin-top: 22px; }
"""


@solara.component
def Page():
    """The dashboard: one model per session (browser tab or notebook cell), rebuilt by SolaraViz's Reset."""
    params = solara.use_memo(model_params, [])
    model = solara.use_memo(lambda: DashboardModel(**{name: spec["value"] for name, spec in params.items()}), [])
    solara.Style(PAGE_CSS)
    SolaraViz(
        model,
        components=list(COMPONENTS),
        model_params=params,
        name="coopsim: cooperation between cities",
        play_interval=PLAY_INTERVAL_MS,
    )


# `solara run coopsim.dashboard` serves Page; in Jupyter, a cell ending in `page` shows the dashboard.
page = Page()


APP = "coopsim.dashboard"  # the module `solara run` serves (not __name__, which is "__main__" under python -m)


def main(argv: list[str] | None = None) -> None:
    """``python -m coopsim.dashboard [solara run options]``: the same as ``solara run coopsim.dashboard [options]``."""
    from solara.__main__ import cli

    cli(["run", APP, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
