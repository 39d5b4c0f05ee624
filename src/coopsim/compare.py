"""``coopsim-compare RESULTS_DIR``: compare the scenarios of a saved sweep, in figures and a table.

Reads only what the runs saved (their ``config.yaml``, ``.hydra/overrides.yaml``,
``metrics.parquet``, ``cities.parquet``, ``links.parquet``) and writes into
``RESULTS_DIR/compare/``:

* ``paths_<metric>``: the partner's (and core's) metric over quarters per scenario, mean and
  90% band across seeds;
* ``effects``: each scenario's effect on the partner at the horizon against the baseline
  (``agreement=none`` with the same other settings and seed), with paired-seed 95%
  confidence intervals (t distribution);
* ``flows``: the flows matrix, cumulative flows by kind and scenario;
* ``map``: the region at the horizon of the richest scenario, sized by GDP;
* ``tomahawk`` (when the sweep varies ``region.trade_cost``): the long-run talent share
  against the trade cost, with the analytic break and sustain points;
* ``summary.csv`` and ``summary.md``: per scenario and city, seeds, the horizon's shares (and GDP in 亿元 a year
  for data regions) with their unit, and the paired effects on the shares with their intervals.

Figures are PNG and SVG.
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

import pandas as pd
import yaml
from matplotlib.colors import to_hex

from coopsim.config import BASELINE_AGREEMENT
from coopsim.indicators import INDICATOR_METRICS, Geography, classify, geography_of, indicator_table, mean_interval, run_indicators
from coopsim.plots import (
    METRIC_LABELS,
    band_paths,
    effect_map,
    effects_chart,
    flows_matrix,
    gdp_for_map,
    indicator_effects,
    quarter_name,
    region_map,
    save_figures,
    scenario_label,
    scenario_styles,
    tomahawk,
)
from coopsim.progress import progress
from coopsim.report import write_report, write_workbook
from coopsim.results import (
    CALIBRATION_FILE,
    CITIES_FILE,
    CONFIG_FILE,
    EVENTS_FILE,
    LINKS_FILE,
    METRICS_FILE,
    DamagedRunError,
    is_complete,
    verify_run,
)
from coopsim.sweep import build_index, run_overrides, sweep_runs
from coopsim.units import PERCENT

PATH_METRICS = ("gdp_share", "enterprise_share", "talent_share")
EFFECT_METRICS = ("gdp_share", "talent_share", "enterprise_share")  # paired effects by city, for maps and the workbook
HORIZON_METRICS = (*EFFECT_METRICS, "gdp_100m_yuan")  # levels at the horizon in the summary (GDP only for data regions)
SUMMARY_UNITS = {  # the unit of horizon_mean, effect and its interval; effect_pct is always % of the no-agreement value
    "gdp_share": "share of the region (0-1)",
    "talent_share": "share of the region (0-1)",
    "enterprise_share": "share of the region (0-1)",
    "gdp_100m_yuan": "亿元 a year at 2020 scale (no aggregate growth)",
}
FLOW_METRICS = (
    "investment_in",
    "exchange_in",
    "migration_in",
    "worker_migration_in",
    "entries_new",
    "entries_branch",
    "exits_shock",
    "exits_loss",
    "relocations_in",
)
FLOW_UNITS = {  # the unit of each flow, one panel each in the flows figure
    "investment_in": "100 million yuan (budget units in theory regions)",  # ASCII: CJK fonts may be missing
    "exchange_in": "people",
    "migration_in": "people",
    "worker_migration_in": "people",
    "entries_new": "enterprise agents",
    "entries_branch": "enterprise agents",
    "exits_shock": "enterprise agents",
    "exits_loss": "enterprise agents",
    "relocations_in": "enterprise agents",
}
FIGURE_DPI = 110


def scenario_name(settings: dict) -> str:
    """A scenario's name from the settings that vary across its sweep: ``agreement=rail, levers.x=1`` (``default`` if none)."""
    return ", ".join(f"{k}={v}" for k, v in settings.items()) or "default"


def pairing_name(settings: dict) -> str:
    """The pairing key: the scenario's settings other than the agreement, shared by a scenario and its baseline."""
    return ", ".join(f"{k}={v}" for k, v in settings.items() if k != "agreement")


def load_sweep(sweep_dir: Path, metrics: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs of a sweep (one row each: folder, scenario, baseline key, seed, settings) and their tidy metrics.

    ``scenario_settings`` holds the settings that name the scenario as a dict (``scenario`` is them as text).

    A run's *scenario* names the overrides that vary across the sweep, other than the seed;
    its *pairing key* names them other than the seed and the agreement, so that a run pairs
    with the baseline run of the same key and seed. Only complete runs are loaded; ``metrics``
    restricts the metrics read.
    """
    sweep_dir = Path(sweep_dir)
    rows, frames = [], []
    all_settings = []
    for run_dir in progress(sweep_runs(sweep_dir), desc="reading runs"):
        if not is_complete(run_dir):
            continue
        verify_run(run_dir)  # a damaged or edited file is named, never read as a result
        overrides = dict(o.split("=", 1) for o in run_overrides(run_dir) if "=" in o and not o.startswith(("~", "hydra", "experiment=")))
        config = yaml.safe_load((run_dir / CONFIG_FILE).read_text())
        seed = int(config["seed"])
        settings = {k: v for k, v in overrides.items() if k != "seed"}
        all_settings.append(settings)
        rows.append(
            {
                "run": run_dir,
                "agreement": config["agreement"]["name"],
                "seed": seed,
                "core": config["region"].get("core_city"),
                "partner": config["region"].get("partner_city"),
                "experiment": config.get("experiment"),
                "rail_speed_kmh": (config.get("levers") or {}).get("rail_speed_kmh"),
                "start_date": ((config["region"].get("data") or {}).get("start_date")),
                **{f"set:{k}": v for k, v in settings.items()},
            }
        )
        frame = pd.read_parquet(run_dir / METRICS_FILE, filters=[("metric", "in", list(metrics))] if metrics else None)
        frame["seed"], frame["run_index"] = seed, len(rows) - 1
        frames.append(frame)
    if not rows:
        raise FileNotFoundError(f"{sweep_dir}: no complete runs found")
    keys = sorted({k for s in all_settings for k in s})
    varying = [k for k in keys if len({s.get(k) for s in all_settings}) > 1]
    varying_settings = [{k: s.get(k) for k in varying} for s in all_settings]  # what names each scenario, as a dict
    scenarios = [scenario_name(settings) for settings in varying_settings]
    pairings = [pairing_name(settings) for settings in varying_settings]
    runs = pd.DataFrame(rows).assign(scenario=scenarios, pairing=pairings, scenario_settings=varying_settings)
    metrics_frame = pd.concat(frames, ignore_index=True)
    metrics_frame["scenario"] = metrics_frame["run_index"].map(dict(enumerate(scenarios)))
    metrics_frame["pairing"] = metrics_frame["run_index"].map(dict(enumerate(pairings)))
    return runs, metrics_frame.drop(columns="run_index")


RAIL_SPEED_SETTING = "levers.rail_speed_kmh"  # shown in a rail preset's label, not again among its settings


def scenario_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario: ``scenario, agreement, label, colour, overrides`` (the short human label and the fixed
    colour every figure uses, :func:`coopsim.plots.scenario_styles`; the overrides that define it)."""
    first = runs.drop_duplicates("scenario")
    rows = []
    for run in first.itertuples(index=False):
        settings = run.scenario_settings
        raw_speed = getattr(run, "rail_speed_kmh", None)
        speed = float(raw_speed) if raw_speed is not None and pd.notna(raw_speed) else None
        shown = {k: v for k, v in settings.items() if not (k == RAIL_SPEED_SETTING and speed is not None)}
        label = scenario_label(run.agreement, shown, speed)
        rows.append({"scenario": run.scenario, "agreement": run.agreement, "label": label, "overrides": run.scenario})
    table = pd.DataFrame(rows)
    styles = scenario_styles(table)
    table["colour"] = [to_hex(styles[scenario].colour) for scenario in table["scenario"]]
    return table.sort_values("scenario", key=lambda column: column.map(_baseline_last)).reset_index(drop=True)


def _baseline_last(scenario: str) -> tuple[int, str]:
    return (1 if f"agreement={BASELINE_AGREEMENT}" in scenario.split(", ") else 0, scenario)


def run_events(runs: pd.DataFrame) -> list[tuple[int, str]]:
    """Events to mark on time paths, from the runs' ``events.parquet``: one label per step (timetable changes, a line
    opening), merged over scenarios; none for runs saved before events were recorded."""
    frames = [pd.read_parquet(run / EVENTS_FILE) for run in runs.drop_duplicates("scenario")["run"] if (run / EVENTS_FILE).exists()]
    if not frames:
        return []
    events = pd.concat(frames).drop_duplicates()
    labels = {"timetable": "timetable change", "agreement": "agreement line opens"}
    return [(int(step), " / ".join(sorted({labels.get(kind, kind) for kind in group["kind"]}))) for step, group in events.groupby("step")]


def start_date(runs: pd.DataFrame) -> datetime.date | None:
    """The calendar date of step 0 (data regions), or None (theory regions have no calendar)."""
    if "start_date" not in runs:
        return None
    dates = runs["start_date"].dropna().unique()
    return datetime.date.fromisoformat(str(dates[0])) if len(dates) == 1 else None


def paired_effects(runs: pd.DataFrame, metrics: pd.DataFrame, metric: str, city: str, step: int) -> pd.DataFrame:
    """Each scenario's effect on ``metric`` in ``city`` at ``step`` against the same-seed baseline.

    Returns one row per non-baseline scenario: seeds paired, mean difference and a 95%
    confidence interval from the t distribution of the paired differences, in the metric's
    units and in percent of the baseline (``effect_pct``, ``pct_low``, ``pct_high``).
    """
    at = metrics[(metrics["step"] == step) & (metrics["metric"] == metric) & (metrics["city"] == city)]
    agreement = runs.set_index("scenario")["agreement"].to_dict()
    at = at.assign(agreement=at["scenario"].map(agreement))
    base = at[at["agreement"] == BASELINE_AGREEMENT].set_index(["pairing", "seed"])["value"]
    rows = []
    for scenario, data in at[at["agreement"] != BASELINE_AGREEMENT].groupby("scenario", sort=False):
        joined = data.set_index(["pairing", "seed"])["value"].to_frame("value").join(base.rename("baseline"), how="inner")
        diff = (joined["value"] - joined["baseline"]).to_numpy()
        pct = 100.0 * diff / joined["baseline"].to_numpy()
        (mean, low, high), (pct_mean, pct_low, pct_high) = mean_interval(diff), mean_interval(pct)
        rows.append(
            {
                "scenario": scenario,
                "metric": metric,
                "city": city,
                "seeds": len(diff),
                "effect": mean,
                "ci_low": low,
                "ci_high": high,
                "effect_pct": pct_mean,
                "pct_low": pct_low,
                "pct_high": pct_high,
            }
        )
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


EFFECT_COLUMNS = ["scenario", "metric", "city", "seeds", "effect", "ci_low", "ci_high", "effect_pct", "pct_low", "pct_high"]


def all_city_effects(runs: pd.DataFrame, metrics: pd.DataFrame, step: int) -> pd.DataFrame:
    """Paired effects of every scenario on every city's :data:`EFFECT_METRICS` at ``step`` (for maps and the workbook)."""
    cities = sorted(set(metrics["city"]) - {"region"})
    at = metrics[(metrics["step"] == step) & metrics["metric"].isin(EFFECT_METRICS)]  # filtered once, not per city
    parts = [paired_effects(runs, at, metric, city, step) for metric in EFFECT_METRICS for city in cities]
    parts = [part for part in parts if not part.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=EFFECT_COLUMNS)


def _focus_effects(city_effects: pd.DataFrame, focus: list[str]) -> pd.DataFrame:
    """The effects on the partner and the core, metric by metric in :data:`EFFECT_METRICS` order, then in ``focus`` order."""
    rows = city_effects[city_effects["city"].isin(focus)]
    order = rows["metric"].map(EFFECT_METRICS.index) * len(focus) + rows["city"].map(focus.index)
    return rows.iloc[order.argsort(kind="stable")].reset_index(drop=True)


def horizon_table(metrics: pd.DataFrame, cities: list[str], step: int, effects: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, city and metric: seeds, mean at the horizon with its unit, and the paired effect with its interval
    (share metrics; a level with no value, GDP in 亿元 in a theory region, is left out)."""
    at = metrics[(metrics["step"] == step) & metrics["metric"].isin(HORIZON_METRICS) & metrics["city"].isin(cities)]
    table = at.groupby(["scenario", "city", "metric"])["value"].agg(seeds="count", horizon_mean="mean").reset_index()
    table = table[table["seeds"] > 0].reset_index(drop=True)
    table.insert(table.columns.get_loc("horizon_mean") + 1, "unit", table["metric"].map(SUMMARY_UNITS))
    if not effects.empty:
        table = table.merge(effects.drop(columns="seeds"), on=["scenario", "city", "metric"], how="left")
    return table


class IncompleteSweepError(RuntimeError):
    """A sweep has runs that failed or never finished; comparing it would silently drop their scenarios' seeds."""


def compare(sweep_dir: Path, allow_missing: bool = False) -> list[Path]:
    """Write the comparison figures and tables of a sweep; returns the files written.

    Refuses a sweep with runs that failed or did not finish (naming them), unless
    ``allow_missing``: then the comparison uses the complete runs and pairs what it can.
    """
    sweep_dir = Path(sweep_dir)
    index = build_index(sweep_dir)
    incomplete = index[index["status"] != "complete"]
    if len(incomplete) and not allow_missing:
        names = "; ".join(f"{row.run} ({row.status})" for row in incomplete.itertuples())
        raise IncompleteSweepError(
            f"{sweep_dir}: {len(incomplete)} of {len(index)} runs are not complete: {names}. "
            "Run the sweep again to finish them, or compare what is there with --allow-missing"
        )
    wanted = (*PATH_METRICS, *FLOW_METRICS, *INDICATOR_METRICS, "gdp", "gdp_100m_yuan", "talent")
    runs, metrics = load_sweep(sweep_dir, wanted)
    out = sweep_dir / "compare"
    out.mkdir(exist_ok=True)
    written: list[Path] = []
    horizon = int(metrics["step"].max())
    partner, core = (
        runs["partner"].dropna().iloc[0] if runs["partner"].notna().any() else None,
        runs["core"].dropna().iloc[0] if runs["core"].notna().any() else None,
    )
    focus = [c for c in (partner, core) if c]
    scenarios = scenario_table(runs)
    scenarios.to_csv(out / "scenarios.csv", index=False)
    written.append(out / "scenarios.csv")
    styles = scenario_styles(scenarios)
    start, events = start_date(runs), run_events(runs)
    order = {scenario: k for k, scenario in enumerate(scenarios["scenario"])}
    when = quarter_name(horizon, start) if start is not None else f"quarter {horizon}"
    figures = {}
    for metric in PATH_METRICS:
        for city in focus:
            data = metrics[(metrics["metric"] == metric) & (metrics["city"] == city)]
            if not data.empty:
                data = data.sort_values("scenario", key=lambda column: column.map(order), kind="stable")
                figure = band_paths(
                    data[["scenario", "seed", "step", "value"]],
                    f"{city}: {METRIC_LABELS.get(metric, metric)}, %",
                    styles=styles,
                    start=start,
                    events=events,
                    scale=PERCENT,
                )
                figure.axes[0].set_title(
                    f"{city}: {METRIC_LABELS.get(metric, metric)} by scenario (mean, 90% band across seeds)\n"
                    "levels: the change since the start includes the no-agreement baseline's own",
                    fontsize="medium",
                )
                figures[f"paths_{metric}_{city}"] = figure
    city_effects = all_city_effects(runs, metrics, horizon)
    effects = _focus_effects(city_effects, focus) if focus else pd.DataFrame()
    if not effects.empty and effects["seeds"].sum() > 0:
        figures["effects"] = effects_chart(
            effects.sort_values("scenario", key=lambda column: column.map(order), kind="stable"),
            f"effect in {when} in % of no agreement (same seed), mean and 95% CI across seeds",
            styles=styles,
        )
    if not city_effects.empty:
        cities_table = pd.read_parquet(runs["run"].iloc[0] / CITIES_FILE)
        gdp_effects = city_effects[city_effects["metric"] == "gdp_share"]
        figures["effect_map"] = effect_map(cities_table, gdp_effects, "effect on the city's GDP share, %", styles, focus)
    flows = metrics[metrics["metric"].isin(FLOW_METRICS)].groupby(["scenario", "seed", "metric"])["value"].sum()
    matrix = flows.groupby(["scenario", "metric"]).mean().unstack("metric").fillna(0.0)
    matrix = matrix.loc[[scenario for scenario in scenarios["scenario"] if scenario in matrix.index]]
    figures["flows"] = flows_matrix(matrix, FLOW_UNITS, styles)
    figures["map"] = _horizon_map(runs, metrics, horizon, styles, when)
    if "set:region.trade_cost" in runs:
        figures["tomahawk"] = _tomahawk(runs, metrics)
    written += save_figures(figures, out, dpi=FIGURE_DPI)
    geography = _geography(runs)
    table = classes = None
    if geography is not None:
        table, classes = sub_centre_indicators(runs, metrics, geography, horizon)
        table.to_csv(out / "indicators.csv", index=False)
        classes.to_csv(out / "classes.csv", index=False)
        written += [out / "indicators.csv", out / "classes.csv"]
        if table["effect"].notna().any():  # a scenario paired with its baseline
            title = f"sub-centre indicators in {when}: effect against no agreement, 95% CI"
            written += save_figures({"indicators": indicator_effects(table, title, styles)}, out, dpi=FIGURE_DPI)
    cities = sorted(set(metrics["city"]) - {"region"})
    summary = horizon_table(metrics, cities, horizon, city_effects)
    summary.insert(1, "label", summary["scenario"].map(scenarios.set_index("scenario")["label"]))
    summary.insert(2, "date", when)
    summary.to_csv(out / "summary.csv", index=False)
    (out / "summary.md").write_text(_markdown(summary))
    written += [out / "summary.csv", out / "summary.md"]
    sheets = {"scenarios": scenarios, "summary": summary}
    if table is not None:
        sheets |= {"indicators": table, "classes": classes}
    sheets |= _calibration_sheet(runs)
    written.append(write_workbook(out, sheets))
    from coopsim.runner import config_dir  # the project's config files, whose comments give parameters' sources

    written.append(write_report(out, runs, scenarios, effects, when, table, classes, config_dir()))
    return written


def _calibration_sheet(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The calibration report of the first run, when it saved one (data regions)."""
    path = runs["run"].iloc[0] / CALIBRATION_FILE
    return {"calibration": pd.read_parquet(path)} if path.exists() else {}


def _geography(runs: pd.DataFrame) -> Geography | None:
    """The partner, core, circle and wing named in the runs' region config (None when it names no circle)."""
    return geography_of(yaml.safe_load((runs["run"].iloc[0] / CONFIG_FILE).read_text())["region"])[0]


def sub_centre_indicators(
    runs: pd.DataFrame, metrics: pd.DataFrame, geography: Geography, horizon: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indicators table (levels and paired effects) and each scenario's class (:mod:`coopsim.indicators`)."""
    levels = []
    for (scenario, seed), data in metrics[metrics["metric"].isin(INDICATOR_METRICS)].groupby(["scenario", "seed"], sort=False):
        run = runs[(runs["scenario"] == scenario) & (runs["seed"] == seed)].iloc[0]
        levels.append(
            {"scenario": scenario, "pairing": run["pairing"], "seed": seed, "agreement": run["agreement"]}
            | run_indicators(data, geography, horizon)
        )
    table = indicator_table(pd.DataFrame(levels), BASELINE_AGREEMENT)
    share = paired_effects(runs, metrics, "gdp_share", geography.partner, horizon)
    return table, classify(table, share)


def _horizon_map(runs: pd.DataFrame, metrics: pd.DataFrame, horizon: int, styles: dict, when: str):
    """The region at the horizon of the run with the most GDP, sized by GDP (亿元 a year for data regions, else numeraire)."""
    gdp = metrics[(metrics["metric"] == "gdp") & (metrics["step"] == horizon)]
    best = gdp.groupby(["scenario", "seed"])["value"].sum().idxmax()
    run = runs[(runs["scenario"] == best[0]) & (runs["seed"] == best[1])]["run"].iloc[0]
    cities = pd.read_parquet(run / CITIES_FILE)
    at = metrics[(metrics["step"] == horizon) & (metrics["scenario"] == best[0]) & (metrics["seed"] == best[1])]
    values, label = gdp_for_map(at)
    figure = region_map(
        cities.assign(gdp_at_horizon=cities["name"].map(values)), pd.read_parquet(run / LINKS_FILE), "gdp_at_horizon", size_label=label
    )
    name = styles[best[0]].label if best[0] in styles else best[0]
    figure.axes[0].set_title(f"{name} (seed {best[1]}): GDP in {when}, a level (not an effect)")
    return figure


def _tomahawk(runs: pd.DataFrame, metrics: pd.DataFrame):
    """Long-run talent share of the first city against trade cost, per starting share, with analytic points."""
    config = yaml.safe_load((runs["run"].iloc[0] / CONFIG_FILE).read_text())
    economy = config["economy"]
    sigma = float(economy["sigma"])
    mu = float(sum(s["expenditure_share"] for s in economy["sectors"].values()))
    first_city = next(iter(config["region"]["cities"]))
    horizon = int(metrics["step"].max())
    talent = metrics[(metrics["metric"] == "talent") & (metrics["step"] > horizon - 20)]
    share = talent.groupby(["scenario", "seed", "step", "city"])["value"].sum().unstack("city")
    share = (share[first_city] / share.sum(axis=1)).groupby(["scenario", "seed"]).mean().rename("share").reset_index()
    settings = runs.set_index(["scenario", "seed"])[["set:region.trade_cost", "set:region.initial_share"]]
    points = share.join(settings, on=["scenario", "seed"])
    points = points.rename(columns={"set:region.trade_cost": "trade_cost", "set:region.initial_share": "start"})
    points["trade_cost"] = points["trade_cost"].astype(float)
    return tomahawk(points, sigma, mu)


def _markdown(table: pd.DataFrame) -> str:
    """A plain Markdown table (no extra dependency)."""
    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "---|" * len(table.columns)
    body = ["| " + " | ".join(f"{v:.5g}" if isinstance(v, float) else str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results_dir", type=Path, help="a sweep folder, e.g. results/scenario_comparison")
    parser.add_argument("--allow-missing", action="store_true", help="compare even if some runs failed or did not finish")
    args = parser.parse_args(argv)
    try:
        written = compare(args.results_dir, allow_missing=args.allow_missing)
    except (IncompleteSweepError, DamagedRunError, FileNotFoundError) as error:
        raise SystemExit(f"coopsim-compare: {error}") from None
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
