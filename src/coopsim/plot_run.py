"""``coopsim-plot [RUN_DIR]``: figures of one saved run (default: the latest complete run under results/).

Reads only the run's saved files (metrics, cities, links) and writes PNG and SVG figures
into ``RUN_DIR/figures/``: the region map sized by GDP at the horizon, and time paths of the
main shares with the core and partner highlighted.
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

import yaml

from coopsim.plots import METRIC_LABELS, gdp_for_map, region_map, save_figures, time_paths
from coopsim.region import quarter_name
from coopsim.results import CITIES_FILE, CONFIG_FILE, LINKS_FILE, latest_run, read_metrics, read_table
from coopsim.units import PERCENT

TIME_PATH_METRICS = ("gdp_share", "talent_share", "enterprise_share", "real_wage")
FIGURE_DPI = 120
RESULTS_ROOT = Path("results")


def plot_run(run_dir: Path) -> list[Path]:
    """Write the run's figures; returns their paths."""
    run_dir = Path(run_dir)
    metrics = read_metrics(run_dir)
    cities = read_table(run_dir, CITIES_FILE)
    links = read_table(run_dir, LINKS_FILE)
    region = yaml.safe_load((run_dir / CONFIG_FILE).read_text())["region"]
    highlight = [c for c in (region.get("core_city"), region.get("partner_city")) if c]
    data = region.get("data") or {}
    start = datetime.date.fromisoformat(str(data["start_date"])) if data.get("start_date") else None
    horizon = int(metrics["step"].max())
    last, size_label = gdp_for_map(metrics[metrics["step"] == horizon])
    figure = region_map(cities.assign(gdp_at_horizon=cities["name"].map(last)), links, "gdp_at_horizon", size_label=size_label)
    when = quarter_name(horizon, start) if start is not None else f"quarter {horizon}"
    figure.axes[0].set_title(f"GDP in {when} (marker area) and transport links")
    figures = {"map": figure}
    for metric in TIME_PATH_METRICS:
        share = metric.endswith("_share")
        name = METRIC_LABELS.get(metric, metric.replace("_", " "))
        label = f"{name}, %" if share else f"{name} (the outside good is the numeraire)"
        figures[metric] = time_paths(metrics, metric, highlight, start=start, scale=PERCENT if share else 1.0, ylabel=label)
    return save_figures(figures, run_dir / "figures", dpi=FIGURE_DPI)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?", type=Path, help="a run folder (default: the latest complete run under results/)")
    args = parser.parse_args(argv)
    run_dir = args.run_dir or latest_run(RESULTS_ROOT)
    for path in plot_run(run_dir):
        print(path)


if __name__ == "__main__":
    main()
