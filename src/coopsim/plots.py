"""Figures from saved results only (DataFrame in, Figure out).

Plots read the data they are given and never run a model. They build figures with matplotlib's object-oriented API on
the Agg canvas, so they need no display and leave pyplot's global state (and a notebook's backend) alone.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from coopsim.config import BASELINE_AGREEMENT
from coopsim.region import MONTHS_PER_QUARTER, QUARTERS_PER_YEAR, quarter_name
from coopsim.region_data import LinkRecord, records_to_frame

MAP_FIGSIZE_INCHES = (10.0, 6.5)
# Marker area (points^2) of the city with the largest value of the size column; the others scale linearly with their value.
MAX_MARKER_AREA_PT2 = 900.0
LEGEND_MARKER_SIZE_PT = 8.0
LABEL_OFFSET_PT = (4, 4)
LABEL_FONT_SIZE = 8
# Line style of each transport mode: wide solid lines below, the thin dashed rail on top so that a rail link sharing a
# pair with an hsr link stays visible. Colours avoid C0..C3, which the city groups use.
MODE_STYLES = {
    "road": {"color": "0.65", "linestyle": "-", "linewidth": 1.0, "zorder": 1},
    "hsr": {"color": "tab:purple", "linestyle": "-", "linewidth": 2.2, "zorder": 2},
    "rail": {"color": "tab:brown", "linestyle": "--", "linewidth": 1.2, "zorder": 3},
}
UNKNOWN_MODE_STYLE = {"color": "black", "linestyle": ":", "linewidth": 1.0, "zorder": 3}
GROUP_PALETTE_SIZE = 10  # matplotlib's default colour cycle C0..C9; groups beyond it reuse colours
CITY_ZORDER = 4
SUB_CENTRE_MARKER_AREA_PT2 = 160.0  # a star over each provincial sub-centre
LABEL_ZORDER = 5
CITY_COLUMNS = ("name", "lat", "lon", "group")
LINK_COLUMNS = ("a", "b", "mode")


def region_map(
    cities: pd.DataFrame,
    links: Sequence[LinkRecord] | pd.DataFrame,
    size_column: str,
    ax: Axes | None = None,
    size_label: str | None = None,
) -> Figure:
    """Map of a region: cities at (lon, lat), marker area proportional to ``size_column``, links drawn by mode.

    ``size_label`` names what the markers measure with its unit (e.g. :data:`GDP_MAP_LABELS`); with it, the legend shows
    reference markers for the largest value and a tenth of it.

    ``cities`` needs columns ``name``, ``lat``, ``lon``, ``group`` and ``size_column`` (non-negative numbers); colours follow
    ``group``. ``links`` is a list of :class:`~coopsim.region_data.LinkRecord` or a DataFrame with columns ``a``, ``b``, ``mode``;
    each (pair, mode) is drawn once, with one colour and line style per mode and a legend. Axes are longitude/latitude with
    the aspect set so that a km is about as long east-west as north-south. Draws into ``ax`` when given, else into a new
    Figure; returns the Figure.
    """
    _require_columns(cities, (*CITY_COLUMNS, size_column), "cities")
    sizes = _marker_areas(cities, size_column)
    link_frame = _links_frame(links)
    position = {row.name: (row.lon, row.lat) for row in cities.itertuples(index=False)}
    unknown = sorted((set(link_frame["a"]) | set(link_frame["b"])) - set(position))
    if unknown:
        raise ValueError(f"links: cities {unknown} are not in the cities table")

    if ax is None:
        figure = Figure(figsize=MAP_FIGSIZE_INCHES)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
    else:
        figure = ax.figure

    legend_handles = _draw_links(ax, link_frame, position)
    legend_handles = _draw_cities(ax, cities, sizes) + legend_handles
    mean_lat = float(cities["lat"].mean())
    ax.set_aspect(1.0 / math.cos(math.radians(mean_lat)))
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title("Cities and transport links" if size_label else f"Cities (marker area proportional to {size_column}) and transport links")
    legend = ax.legend(handles=legend_handles, loc="best", fontsize=LABEL_FONT_SIZE)
    keys = _size_keys(cities[size_column].to_numpy(dtype=float)) if size_label is not None else []
    if keys:  # a second legend: what marker areas mean
        ax.add_artist(legend)
        ax.legend(
            handles=keys, title=size_label, loc="lower right", fontsize=LABEL_FONT_SIZE, title_fontsize=LABEL_FONT_SIZE, **SIZE_KEY_SPACING
        )
    return figure


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column {missing[0]!r}; expected columns {list(columns)}, got {list(frame.columns)}")


def _marker_areas(cities: pd.DataFrame, size_column: str) -> np.ndarray:
    """Marker areas in points^2, proportional to the size column, the largest being MAX_MARKER_AREA_PT2."""
    values = pd.to_numeric(cities[size_column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        value, city = cities[size_column].iloc[first], cities["name"].iloc[first]
        raise ValueError(f"cities: column {size_column!r}: expected numbers >= 0, got {value!r} for {city!r}")
    largest = values.max() if len(values) else 0.0
    return values / largest * MAX_MARKER_AREA_PT2 if largest > 0 else np.zeros_like(values)


GDP_MAP_LABELS = {  # what a map's GDP markers measure: in 亿元 for data regions, in numeraire otherwise
    "gdp_100m_yuan": "GDP, 100 million yuan a year at 2020 scale",  # ASCII: CJK fonts may be missing
    "gdp": "GDP, numeraire a quarter",
}


def gdp_for_map(rows: pd.DataFrame) -> tuple[pd.Series, str]:
    """One run's GDP by city for a map, from its tidy metric rows at one step: in 亿元 a year where the run has it
    (data regions), else in numeraire; returns the values indexed by city and their legend label."""
    for metric, label in GDP_MAP_LABELS.items():
        values = rows[rows["metric"] == metric].set_index("city")["value"]
        if values.notna().any():
            return values, label
    raise ValueError(f"no GDP among the metrics {sorted(set(rows['metric']))}")


SIZE_KEY_FRACTIONS = (1.0, 0.1)  # reference markers: the largest value and a tenth of it
SIZE_KEY_COLOUR = "lightgray"
SIZE_KEY_SPACING = {"labelspacing": 1.6, "borderpad": 1.0, "handletextpad": 1.2}  # room for the largest marker


def _size_keys(values: np.ndarray) -> list[Line2D]:
    """Legend entries showing what marker areas mean: one grey marker per :data:`SIZE_KEY_FRACTIONS` of the largest value."""
    largest = float(np.nanmax(values)) if len(values) else 0.0
    if not largest > 0:
        return []
    keys = []
    for fraction in SIZE_KEY_FRACTIONS:
        area = fraction * MAX_MARKER_AREA_PT2  # scatter areas are in points^2; Line2D markersize is a diameter in points
        keys.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color=SIZE_KEY_COLOUR,
                markeredgecolor="black",
                markersize=math.sqrt(area),
                label=compact_number(fraction * largest),
            )
        )
    return keys


def _links_frame(links: Sequence[LinkRecord] | pd.DataFrame) -> pd.DataFrame:
    """Links as a DataFrame with one row per (unordered pair, mode)."""
    frame = links if isinstance(links, pd.DataFrame) else records_to_frame(links)
    if frame.empty:
        return pd.DataFrame(columns=list(LINK_COLUMNS))
    _require_columns(frame, LINK_COLUMNS, "links")
    pair = frame.apply(lambda row: tuple(sorted((row["a"], row["b"]))), axis=1)
    return frame.assign(_pair=pair).drop_duplicates(["_pair", "mode"]).drop(columns="_pair")


def _draw_links(ax: Axes, links: pd.DataFrame, position: dict[str, tuple[float, float]]) -> list[Line2D]:
    """One line per link, styled by mode; returns one legend handle per mode present."""
    known_modes = [mode for mode in MODE_STYLES if mode in set(links["mode"])]
    other_modes = sorted(set(links["mode"]) - set(MODE_STYLES))
    handles = []
    for mode in known_modes + other_modes:
        style = MODE_STYLES.get(mode, UNKNOWN_MODE_STYLE)
        for row in links[links["mode"] == mode].itertuples(index=False):
            (x0, y0), (x1, y1) = position[row.a], position[row.b]
            ax.plot([x0, x1], [y0, y1], gid=f"link:{mode}", **style)
        handles.append(Line2D([], [], label=mode, **style))
    return handles


def _draw_cities(ax: Axes, cities: pd.DataFrame, sizes: np.ndarray) -> list[Line2D]:
    """One scatter per group (colour by group), names as labels; returns one legend handle per group."""
    palette = [f"C{i}" for i in range(GROUP_PALETTE_SIZE)]
    groups = list(dict.fromkeys(cities["group"]))
    handles = []
    for index, group in enumerate(groups):
        mask = (cities["group"] == group).to_numpy()
        colour = palette[index % len(palette)]
        members = cities[mask]
        ax.scatter(
            members["lon"],
            members["lat"],
            s=sizes[mask],
            color=colour,
            alpha=0.75,
            edgecolors="black",
            linewidths=0.5,
            zorder=CITY_ZORDER,
            gid=f"cities:{group}",
        )
        handles.append(Line2D([], [], marker="o", linestyle="", color=colour, markersize=LEGEND_MARKER_SIZE_PT, label=group))
    if "sub_centre" in cities.columns and cities["sub_centre"].any():
        centres = cities[cities["sub_centre"].astype(bool)]
        ax.scatter(
            centres["lon"],
            centres["lat"],
            s=SUB_CENTRE_MARKER_AREA_PT2,
            marker="*",
            color="gold",
            edgecolors="black",
            linewidths=0.6,
            zorder=LABEL_ZORDER,
            gid="sub-centres",
        )
        handles.append(
            Line2D(
                [],
                [],
                marker="*",
                linestyle="",
                color="gold",
                markeredgecolor="black",
                markersize=LEGEND_MARKER_SIZE_PT * 1.5,
                label="provincial sub-centre",
            )
        )
    for row in cities.itertuples(index=False):
        ax.annotate(
            row.name, (row.lon, row.lat), xytext=LABEL_OFFSET_PT, textcoords="offset points", fontsize=LABEL_FONT_SIZE, zorder=LABEL_ZORDER
        )
    return handles


# ---------------------------------------------------------------------------------------------------------------------
# One label and one colour per scenario, the same in every figure, notebook and the dashboard.

# Short human names of the agreement presets (configs/agreement/*.yaml ``name``).
AGREEMENT_LABELS = {
    "none": "No agreement",
    "rail": "Rail",
    "fast_link": "Fast link",
    "investment": "Investment",
    "talent": "Talent exchange",
    "associations": "Industry associations",
    "deep_cooperation": "Deep cooperation",
    "deep_without_rail": "Deep cooperation without rail",
    "deep_without_investment": "Deep cooperation without investment",
    "deep_without_talent": "Deep cooperation without talent exchange",
    "deep_without_associations": "Deep cooperation without associations",
}
# Colours from matplotlib's tab10, one per preset; the baseline is black and dashed, drawn on top so it hides nothing.
AGREEMENT_COLOURS = {
    "none": "black",
    "rail": "tab:red",
    "fast_link": "tab:pink",
    "investment": "tab:orange",
    "talent": "tab:purple",
    "associations": "tab:brown",
    "deep_cooperation": "tab:blue",
    "deep_without_rail": "tab:cyan",
    "deep_without_investment": "tab:olive",
    "deep_without_talent": "tab:green",
    "deep_without_associations": "tab:gray",
}
SHORT_METRIC_LABELS = {"gdp_share": "GDP share", "talent_share": "talent share", "enterprise_share": "enterprise share"}  # small axes
METRIC_LABELS = {  # how a reader names the share metrics in titles and tables
    "gdp_share": "share of the region's GDP",
    "talent_share": "share of its talent",
    "enterprise_share": "share of its enterprises",
}
OTHER_COLOURS = ("tab:green", "tab:cyan", "tab:olive", "tab:pink", "tab:gray", "tab:brown")  # presets not named above
BASELINE_LINESTYLE = "--"
BASELINE_ZORDER = 5  # above the scenarios' lines and bands
# Within one preset, sweeps over other settings get shades of its colour, from darker to lighter.
SHADE_RANGE = (-0.35, 0.45)  # fraction mixed towards black (negative) or white (positive)


@dataclass(frozen=True)
class ScenarioStyle:
    """How a scenario is drawn and named everywhere: its short label, colour and line style."""

    label: str
    colour: str | tuple[float, float, float]
    linestyle: str = "-"
    zorder: float = 2.0


def scenario_label(agreement: str, settings: dict[str, object] | None = None, rail_speed_kmh: float | None = None) -> str:
    """A short human name: the preset's (with the rail speed for rail presets) and any other setting as ``name value``."""
    label = AGREEMENT_LABELS.get(agreement, agreement.replace("_", " ").capitalize())
    if agreement in ("rail", "fast_link") and rail_speed_kmh is not None:
        label = f"{label} {rail_speed_kmh:g} km/h"
    extras = [f"{key.rsplit('.', 1)[-1].replace('_', ' ')} {value}" for key, value in (settings or {}).items() if key != "agreement"]
    return f"{label} ({', '.join(extras)})" if extras else label


def scenario_styles(scenarios: pd.DataFrame) -> dict[str, ScenarioStyle]:
    """Label and colour of each scenario: ``scenarios`` has columns ``scenario``, ``agreement`` and ``label``.

    A preset's colour comes from :data:`AGREEMENT_COLOURS` (presets not there take :data:`OTHER_COLOURS` in order of
    name); several scenarios of one preset (a sweep over another setting) get shades of it, in order of scenario. The
    baseline is black and dashed.
    """
    _require_columns(scenarios, ("scenario", "agreement", "label"), "scenarios")
    from matplotlib.colors import to_rgb

    unnamed = sorted(set(scenarios["agreement"]) - set(AGREEMENT_COLOURS))
    extra = {name: OTHER_COLOURS[k % len(OTHER_COLOURS)] for k, name in enumerate(unnamed)}
    styles = {}
    for agreement, group in scenarios.drop_duplicates("scenario").groupby("agreement", sort=True):
        base = to_rgb(AGREEMENT_COLOURS.get(agreement, extra.get(agreement, "black")))
        members = sorted(group["scenario"])
        labels = group.set_index("scenario")["label"]
        for k, scenario in enumerate(members):
            colour = base if len(members) == 1 else _shade(base, np.linspace(*SHADE_RANGE, len(members))[k])
            if agreement == BASELINE_AGREEMENT:
                styles[scenario] = ScenarioStyle(labels[scenario], colour, BASELINE_LINESTYLE, BASELINE_ZORDER)
            else:
                styles[scenario] = ScenarioStyle(labels[scenario], colour)
    return styles


def _shade(rgb: tuple[float, float, float], amount: float) -> tuple[float, float, float]:
    """Mix a colour towards white (``amount > 0``) or black (``amount < 0``) by ``|amount|``."""
    target = 1.0 if amount > 0 else 0.0
    return tuple(float(c + (target - c) * abs(amount)) for c in rgb)


def _style_of(scenario: object, styles: dict[str, ScenarioStyle] | None) -> dict:
    """Matplotlib keywords (label, colour, line style, z-order) of a scenario, or just its name without styles."""
    if not styles or scenario not in styles:
        return {"label": str(scenario)}
    style = styles[scenario]
    return {"label": style.label, "color": style.colour, "linestyle": style.linestyle, "zorder": style.zorder}


# ---------------------------------------------------------------------------------------------------------------------
# Calendar time and events on time axes.

CALENDAR_TICK_YEARS = 2  # a tick every second year's first quarter
EVENT_COLOUR = "0.35"
EVENT_LABEL_FONT_SIZE = 7
EVENT_LABEL_MIN_GAP = 3  # quarters between two labelled events


def calendar_axis(ax: Axes, steps: Sequence[int], start: datetime.date | None) -> None:
    """Label a time axis counted in steps with calendar quarters (``2021 Q1``, ``2023 Q1``, ...), or with quarters
    since the start when the region has no calendar (theory regions)."""
    if start is None:
        ax.set_xlabel("quarter since the start (a theory region has no calendar)")
        return
    first, last = int(min(steps)), int(max(steps))
    offset = (QUARTERS_PER_YEAR - (start.month - 1) // MONTHS_PER_QUARTER) % QUARTERS_PER_YEAR  # steps to the next Q1
    ticks = [step for step in range(first + offset, last + 1, QUARTERS_PER_YEAR * CALENDAR_TICK_YEARS)]
    ax.set_xticks(ticks, [quarter_name(step, start) for step in ticks])
    ax.set_xlabel("calendar quarter")


def mark_events(ax: Axes, events: Sequence[tuple[int, str]]) -> None:
    """A dotted vertical line at each ``(step, what)`` (timetable changes, a line opening, a rule's start), labelled
    inside the top of the axes; a label closer than :data:`EVENT_LABEL_MIN_GAP` quarters to the previous one is left
    off (its line stays), so labels never overlap."""
    labelled = None
    for step, what in sorted(events):
        ax.axvline(step, color=EVENT_COLOUR, linestyle=":", linewidth=1.0, zorder=1)
        if labelled is None or step - labelled >= EVENT_LABEL_MIN_GAP:
            ax.text(
                step,
                0.98,
                f"{what} ",
                rotation=90,
                va="top",
                ha="right",
                fontsize=EVENT_LABEL_FONT_SIZE,
                color=EVENT_COLOUR,
                transform=ax.get_xaxis_transform(),
            )
            labelled = step


TIME_PATH_FIGSIZE_INCHES = (9.0, 5.0)
HIGHLIGHT_LINEWIDTH = 2.5
BACKGROUND_LINEWIDTH = 0.8
BACKGROUND_ALPHA = 0.5


def time_paths(
    metrics: pd.DataFrame,
    metric: str,
    highlight: Sequence[str] = (),
    ax: Axes | None = None,
    start: datetime.date | None = None,
    scale: float = 1.0,
    ylabel: str | None = None,
) -> Figure:
    """One line per city of ``metric`` over quarters, from tidy metrics (``step, city, metric, value``).

    Cities in ``highlight`` (e.g. the core and the partner) are drawn thick and labelled; the
    others thin and grey-ish. ``start`` puts calendar quarters on the time axis; values are
    multiplied by ``scale`` (100 for shares in %). Raises if the metric is not in the table.
    """
    _require_columns(metrics, ("step", "city", "metric", "value"), "metrics")
    data = metrics[(metrics["metric"] == metric) & (metrics["city"] != "region")]
    if data.empty:
        raise ValueError(f"metric {metric!r} not found in metrics (have {sorted(metrics['metric'].unique())})")
    wide = data.pivot(index="step", columns="city", values="value").sort_index()
    if ax is None:
        figure = Figure(figsize=TIME_PATH_FIGSIZE_INCHES)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
    wide = wide * scale
    for city in wide.columns:
        if city in highlight:
            ax.plot(wide.index, wide[city], linewidth=HIGHLIGHT_LINEWIDTH, label=city)
        else:
            ax.plot(wide.index, wide[city], linewidth=BACKGROUND_LINEWIDTH, alpha=BACKGROUND_ALPHA, color="0.5")
    calendar_axis(ax, wide.index, start)
    ax.set_ylabel(ylabel or metric)
    if highlight:
        ax.legend(loc="best")
    return ax.figure


BAND_ALPHA = 0.25
BAND_QUANTILES = (0.05, 0.95)  # a 90% band across seeds


def band_paths(
    frame: pd.DataFrame,
    ylabel: str,
    ax: Axes | None = None,
    zero_line: bool = False,
    styles: dict[str, ScenarioStyle] | None = None,
    start: datetime.date | None = None,
    events: Sequence[tuple[int, str]] = (),
    scale: float = 1.0,
) -> Figure:
    """Mean and 90% band across seeds of a value over quarters, one line per scenario.

    ``frame`` has columns ``scenario``, ``seed``, ``step``, ``value`` (e.g. a metric, or its
    paired difference against a baseline run with the same seed). ``styles`` names and colours
    the scenarios (:func:`scenario_styles`); ``start`` puts calendar quarters on the time axis;
    ``events`` are marked (:func:`mark_events`); values are multiplied by ``scale`` (100 for %).
    The legend sits beside the axes, never over the data.
    """
    _require_columns(frame, ("scenario", "seed", "step", "value"), "frame")
    if ax is None:
        figure = Figure(figsize=TIME_PATH_FIGSIZE_INCHES)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
    for scenario, data in frame.groupby("scenario", sort=False):
        by_step = (data.assign(value=data["value"] * scale)).groupby("step")["value"]
        mean = by_step.mean()
        low, high = by_step.quantile(BAND_QUANTILES[0]), by_step.quantile(BAND_QUANTILES[1])
        (line,) = ax.plot(mean.index, mean.to_numpy(), **_style_of(scenario, styles))
        ax.fill_between(mean.index, low.to_numpy(), high.to_numpy(), color=line.get_color(), alpha=BAND_ALPHA, linewidth=0)
    if zero_line:
        ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_ylabel(ylabel)
    calendar_axis(ax, frame["step"].unique(), start)
    mark_events(ax, events)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax.figure


INDICATOR_PANEL_WIDTH_INCHES = 3.2
INDICATOR_PANEL_HEIGHT_INCHES = 3.6
INDICATOR_TICKS = 3  # x ticks per indicator panel, so that small effects stay legible
EFFECTS_FIGSIZE_INCHES = (10.0, 5.5)
FLOWS_FIGSIZE_INCHES = (10.0, 4.5)
TOMAHAWK_FIGSIZE_INCHES = (8.0, 5.0)


def effects_chart(effects: pd.DataFrame, title: str, ax: Axes | None = None, styles: dict[str, ScenarioStyle] | None = None) -> Figure:
    """Horizontal bars of paired effects in percent with confidence intervals, grouped by (city, metric).

    ``effects`` has columns ``scenario, metric, city, effect_pct, pct_low, pct_high``; ``styles`` names and colours the
    scenarios (:func:`scenario_styles`). The legend sits beside the axes.
    """
    _require_columns(effects, ("scenario", "metric", "city", "effect_pct", "pct_low", "pct_high"), "effects")
    labels = [f"{c}: {m}" for c, m in effects[["city", "metric"]].drop_duplicates().itertuples(index=False)]
    if ax is None:
        figure = Figure(figsize=EFFECTS_FIGSIZE_INCHES)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
    scenarios = list(dict.fromkeys(effects["scenario"]))
    height = 0.8 / max(len(scenarios), 1)
    for k, scenario in enumerate(scenarios):
        rows = (
            effects[effects["scenario"] == scenario]
            .set_index(effects[effects["scenario"] == scenario].apply(lambda r: f"{r['city']}: {r['metric']}", axis=1))
            .reindex(labels)
        )
        y = np.arange(len(labels)) + k * height
        error = np.vstack([rows["effect_pct"] - rows["pct_low"], rows["pct_high"] - rows["effect_pct"]])
        style = _style_of(scenario, styles)
        ax.barh(y, rows["effect_pct"], height=height, xerr=np.nan_to_num(error), capsize=2, label=style["label"], color=style.get("color"))
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(np.arange(len(labels)) + 0.4 - height / 2, labels)
    ax.set_xlabel("effect, % of no agreement with the same seed")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax.figure


def indicator_effects(table: pd.DataFrame, title: str, styles: dict[str, ScenarioStyle] | None = None) -> Figure:
    """One panel per sub-centre indicator: each scenario's paired effect with its 95% interval.

    ``table`` has columns ``scenario, indicator, effect, ci_low, ci_high`` (:func:`coopsim.indicators.indicator_table`);
    ``styles`` names and colours the scenarios.
    """
    _require_columns(table, ("scenario", "indicator", "effect", "ci_low", "ci_high"), "indicators")
    table = table.dropna(subset=["effect"])
    indicators = list(dict.fromkeys(table["indicator"]))
    figure = Figure(figsize=(INDICATOR_PANEL_WIDTH_INCHES * len(indicators), INDICATOR_PANEL_HEIGHT_INCHES))
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(indicators), sharey=True, squeeze=False)[0]
    for ax, indicator in zip(axes, indicators, strict=True):
        rows = table[table["indicator"] == indicator]
        y = np.arange(len(rows))
        error = np.vstack([rows["effect"] - rows["ci_low"], rows["ci_high"] - rows["effect"]])
        looks = [_style_of(scenario, styles) for scenario in rows["scenario"]]
        ax.barh(y, rows["effect"], xerr=np.nan_to_num(error), capsize=2, color=[look.get("color", "tab:blue") for look in looks])
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(y, [look["label"] for look in looks])
        ax.set_title(indicator, fontsize="small")
        ax.tick_params(axis="x", labelsize="small")
        ax.xaxis.set_major_locator(MaxNLocator(INDICATOR_TICKS))
    figure.suptitle(title)
    figure.tight_layout()
    return figure


EFFECT_MAP_PANEL_INCHES = (4.6, 3.6)
EFFECT_MAP_COLUMNS = 2
EFFECT_MARKER_AREA_PT2 = 110.0
EFFECT_CMAP = "RdBu"  # diverging: red loses, blue gains, white none


def effect_map(
    cities: pd.DataFrame,
    effects: pd.DataFrame,
    value_label: str,
    styles: dict[str, ScenarioStyle] | None = None,
    always_label: Sequence[str] = (),
) -> Figure:
    """Each city's paired effect, one map per scenario, on one diverging colour scale centred on 0.

    ``cities`` has ``name, lat, lon``; ``effects`` has ``scenario, city, effect_pct, pct_low, pct_high``. A city whose
    95% interval includes 0 is hatched with a grey edge, so only effects distinguishable from seed noise stand out;
    cities with such an effect, and ``always_label`` (e.g. the partner and the core), are named. ``value_label`` names
    the colour bar.
    """
    _require_columns(cities, ("name", "lat", "lon"), "cities")
    _require_columns(effects, ("scenario", "city", "effect_pct", "pct_low", "pct_high"), "effects")
    scenarios = list(dict.fromkeys(effects["scenario"]))
    columns = min(EFFECT_MAP_COLUMNS, max(len(scenarios), 1))
    rows = math.ceil(len(scenarios) / columns) if scenarios else 1
    figure = Figure(figsize=(EFFECT_MAP_PANEL_INCHES[0] * columns + 1.2, EFFECT_MAP_PANEL_INCHES[1] * rows), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    largest = max(float(np.nanmax(np.abs(effects["effect_pct"]))) if len(effects) else 0.0, 1e-9)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-largest, vmax=largest)
    position = cities.set_index("name")[["lon", "lat"]]
    aspect = 1.0 / math.cos(math.radians(float(cities["lat"].mean())))
    for ax, scenario in zip(axes, scenarios, strict=False):
        values = effects[effects["scenario"] == scenario].set_index("city").reindex(position.index)
        unclear = ((values["pct_low"] <= 0) & (values["pct_high"] >= 0)) | values["effect_pct"].isna()
        colours = colormaps[EFFECT_CMAP](norm(values["effect_pct"].fillna(0.0).to_numpy()))
        for mask, edge, hatch in ((~unclear, "black", None), (unclear, "0.55", "////")):
            ax.scatter(
                position.loc[mask, "lon"],
                position.loc[mask, "lat"],
                c=colours[mask.to_numpy()],
                s=EFFECT_MARKER_AREA_PT2,
                edgecolors=edge,
                linewidths=0.6,
                hatch=hatch,
                zorder=CITY_ZORDER,
            )
        for name, (lon, lat) in position.iterrows():
            if name in always_label or not unclear[name]:
                ax.annotate(
                    name, (lon, lat), xytext=LABEL_OFFSET_PT, textcoords="offset points", fontsize=LABEL_FONT_SIZE, zorder=LABEL_ZORDER
                )
        ax.set_aspect(aspect)
        ax.set_title(_style_of(scenario, styles)["label"], fontsize="medium")
        ax.tick_params(labelsize="small")
    for ax in axes[len(scenarios) :]:
        ax.set_visible(False)
    mappable = ScalarMappable(norm=norm, cmap=EFFECT_CMAP)
    bar = figure.colorbar(mappable, ax=list(axes[: max(len(scenarios), 1)]), shrink=0.8)
    bar.set_label(value_label)
    figure.suptitle("Effect against no agreement with the same seed (hatched: the 95% interval includes 0)", fontsize="medium")
    return figure


def compact_number(value: float) -> str:
    """A count as a reader says it: ``712``, ``2,830``, ``52.3 k``, ``13.2 M``."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g} M"
    if size >= 1e5:
        return f"{value / 1e3:.3g} k"
    return f"{value:,.0f}" if size >= 100 else f"{value:.3g}"


FLOWS_PANEL_WIDTH_INCHES_PER_COLUMN = 1.5
FLOWS_PANEL_MIN_WIDTH_INCHES = 3.0


def flows_matrix(flows: pd.DataFrame, units: dict[str, str] | None = None, styles: dict[str, ScenarioStyle] | None = None) -> Figure:
    """Heat maps of cumulative flows, one panel per unit (money, people, enterprises), each with its own colour bar.

    ``flows`` has one row per scenario and one column per flow kind; ``units`` maps each kind to its unit (kinds
    without one share a panel headed "other"); cells are annotated with their totals; rows are named by ``styles``.
    """
    units = units or {}
    groups: dict[str, list[str]] = {}
    for kind in flows.columns:
        groups.setdefault(units.get(kind, "other"), []).append(kind)
    widths = [max(FLOWS_PANEL_WIDTH_INCHES_PER_COLUMN * len(kinds), FLOWS_PANEL_MIN_WIDTH_INCHES) for kinds in groups.values()]
    figure = Figure(figsize=(sum(widths) + 2.5, FLOWS_FIGSIZE_INCHES[1]), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(groups), squeeze=False, width_ratios=widths)[0]
    rows = [_style_of(scenario, styles)["label"] for scenario in flows.index]
    for k, (ax, (unit, kinds)) in enumerate(zip(axes, groups.items(), strict=True)):
        values = flows[kinds].to_numpy(dtype=float)
        image = ax.imshow(values, aspect="auto", cmap="Blues", vmin=0.0, vmax=max(float(np.abs(values).max()), 1e-12))
        ax.set_xticks(range(len(kinds)), kinds, rotation=30, ha="right")
        ax.set_yticks(range(len(rows)), rows if k == 0 else [""] * len(rows))
        for (i, j), value in np.ndenumerate(values):
            ax.text(j, i, compact_number(value), ha="center", va="center", fontsize=7)
        figure.colorbar(image, ax=ax, shrink=0.9).set_label(unit)
        ax.set_title(unit, fontsize="medium")
    figure.suptitle("Cumulative flows over the run (mean across seeds, summed over cities)", fontsize="medium")
    return figure


def tomahawk(points: pd.DataFrame, sigma: float, mu: float, ax: Axes | None = None) -> Figure:
    """Long-run share against trade cost from each start, with the analytic break and sustain points.

    ``points`` has columns ``trade_cost``, ``start`` and ``share``. Draws the stable analytic
    branches of Fujita, Krugman & Venables (1999, fig. 5.4): the even split above ``T_B``,
    full agglomeration below ``T_S``.
    """
    from coopsim.economy.analytic import break_point, sustain_point

    _require_columns(points, ("trade_cost", "start", "share"), "points")
    if ax is None:
        figure = Figure(figsize=TOMAHAWK_FIGSIZE_INCHES)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
    t_b, t_s = break_point(sigma, mu), sustain_point(sigma, mu)
    low, high = points["trade_cost"].min(), points["trade_cost"].max()
    ax.plot([t_b, high], [0.5, 0.5], color="0.3", linewidth=3, alpha=0.4, label="analytic stable even split")
    ax.plot([low, t_b], [0.5, 0.5], color="0.3", linewidth=1.5, linestyle="--", alpha=0.6, label="analytic unstable even split")
    for level in (0.0, 1.0):
        ax.plot(
            [low, t_s], [level, level], color="tab:red", linewidth=3, alpha=0.3, label="analytic stable agglomeration" if level else None
        )
    ax.axvline(t_b, color="0.3", linestyle=":", label=f"break point T_B = {t_b:.3f}")
    ax.axvline(t_s, color="tab:red", linestyle=":", label=f"sustain point T_S = {t_s:.3f}")
    for start, data in points.groupby("start"):
        data = data.sort_values("trade_cost")
        ax.plot(data["trade_cost"], data["share"], marker="o", linestyle="none", label=f"agent model from share {start}")
    ax.set_xlabel("trade cost T")
    ax.set_ylabel("long-run talent share of city A")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"Core-periphery tomahawk (sigma = {sigma}, mu = {mu})")
    ax.legend(loc="center right", fontsize="small")
    return ax.figure


FIGURE_FORMATS = ("png", "svg")


def save_figures(figures: dict[str, Figure], folder: Path, dpi: int) -> list[Path]:
    """Write each named figure into ``folder`` as PNG and SVG; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in figures.items():
        for fmt in FIGURE_FORMATS:
            path = folder / f"{name}.{fmt}"
            figure.savefig(path, dpi=dpi, bbox_inches="tight")
            written.append(path)
    return written
