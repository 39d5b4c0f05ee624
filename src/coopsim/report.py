"""The analyst's account of a comparison: ``compare/report.html`` (one self-contained page) and ``compare/summary.xlsx``.

The page says what was run (experiment, region, scenarios with their labels, colours and overrides, seeds, horizon
in calendar time, key parameters with the source their config comment gives), the headline effects with their 95%
intervals, the sub-centre indicators and classes when present, every figure (embedded as PNG, so the file opens
offline and can be mailed), and the caveats (data on a fallback, figures not verified). The workbook holds one sheet
per table (openpyxl), covering every city and every indicator.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import pandas as pd
import yaml
from omegaconf import OmegaConf

from coopsim.plots import METRIC_LABELS
from coopsim.region_data import load_cities
from coopsim.results import CONFIG_FILE, STATUS_FILE

# Parameters whose value and source the report lists (config path); their sources are the config files' comments.
KEY_PARAMETERS = (
    "economy.sigma",
    "economy.housing.expenditure_share",
    "economy.housing.supply_elasticity",
    "economy.capital_output_elasticity",
    "economy.talent.migration_elasticity",
    "economy.talent.moving_cost",
    "economy.workers.moving_cost",
    "economy.workers.settlement_barrier",
    "economy.enterprise.relocation_cost",
    "economy.knowledge.spillover_strength",
    "economy.local_capital_ownership",
    "economy.enterprise.exit_hazard",
    "region.data.skill_premium",
    "region.data.non_labour_share",
    "region.data.productivity_trend_half_life_years",
    "region.data.truck_speed_kmh",
    "levers.rail_speed_kmh",
    "levers.rail_opening_quarter",
    "levers.investment_budget",
    "levers.exchange_quota",
)
CONFIG_GROUP_FILES = {"economy": "economy/{name}.yaml", "region": "region/{name}.yaml", "levers": "config.yaml"}
UNCHECKED_STATUSES = ("unverified", "low_authority")
FIGURE_ORDER = ("effects", "effect_map", "indicators", "paths_gdp_share", "paths_talent_share", "paths_enterprise_share", "flows", "map")
REPORT_FILE = "report.html"
WORKBOOK_FILE = "summary.xlsx"
EXCEL_SHEET_NAME_LIMIT = 31  # characters


def config_comment(config_root: Path, path: str, group_name: str | None) -> str:
    """The comment beside a key in the project's config file that sets it (with its continuation lines), or ''.

    ``path`` is dotted (``economy.talent.moving_cost``); the file is the group's (``economy/default.yaml``) or
    ``config.yaml`` for levers. Read as text, because YAML parsers drop comments.
    """
    top, *rest = path.split(".")
    pattern = CONFIG_GROUP_FILES.get(top)
    if pattern is None:
        return ""
    file = config_root / pattern.format(name=group_name)
    if not file.is_file():
        return ""
    keys = rest if top != "levers" else ["levers", *rest]
    lines = file.read_text(encoding="utf-8").splitlines()
    stack: list[tuple[int, str]] = []
    for number, line in enumerate(lines):
        match = re.match(r"^(\s*)([A-Za-z_][\w]*):(.*)$", line)
        if not match:
            continue
        indent, key, remainder = len(match.group(1)), match.group(2), match.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
        if [k for _, k in stack] == keys:
            comment = remainder.split("#", 1)[1].strip() if "#" in remainder else ""
            column = line.find("#")
            for follow in lines[number + 1 :]:
                if column > 0 and follow.strip().startswith("#") and follow.find("#") == column:
                    comment += " " + follow.strip()[1:].strip()
                else:
                    break
            return comment
    return ""


def key_parameters(config: dict, config_root: Path) -> pd.DataFrame:
    """``parameter, value, source`` for :data:`KEY_PARAMETERS` present in a run's resolved config."""
    names = {"economy": config.get("economy", {}).get("name"), "region": config.get("region", {}).get("name")}
    rows, resolved = [], OmegaConf.create(config)
    for path in KEY_PARAMETERS:
        value = OmegaConf.select(resolved, path)
        if value is None:
            continue
        rows.append({"parameter": path, "value": value, "source": config_comment(config_root, path, names.get(path.split(".")[0]))})
    return pd.DataFrame(rows, columns=["parameter", "value", "source"])


def caveats(first_run: Path) -> list[str]:
    """What a reader must know about the data behind the runs: fallbacks used and figures not verified."""
    status = json.loads((first_run / STATUS_FILE).read_text())
    notes = []
    for field, cities in (status.get("data_fallbacks") or {}).items():
        notes.append(f"{field}: no figure for {', '.join(cities)}; the stated fallback is used (the table's SOURCES file).")
    table = (status.get("inputs") or {}).get("region.data.cities_table", {}).get("path")
    if table and Path(table).is_file():
        records = load_cities(table)
        for field in ("gdp_status", "population_status", "tertiary_status", "wage_status", "population_2010_status"):
            weak = [r.name for r in records if getattr(r, field) in UNCHECKED_STATUSES]
            if weak:
                notes.append(f"{field.removesuffix('_status')}: figures for {', '.join(weak)} are unverified or from low-authority pages.")
    notes.append("Parameters whose source says 'assumption' or 'no source' carry the effects; vary them with coopsim-explore.")
    return notes


def _table_html(frame: pd.DataFrame, digits: int = 4) -> str:
    return frame.to_html(index=False, float_format=lambda value: f"{value:.{digits}g}", border=0, classes="table", na_rep="")


def _figure_html(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    image = f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'
    return f"<figure>{image}<figcaption>{html.escape(path.name)}</figcaption></figure>"


def _ordered_figures(out: Path) -> list[Path]:
    pngs = sorted(out.glob("*.png"))
    rank = {stem: k for k, stem in enumerate(FIGURE_ORDER)}
    return sorted(pngs, key=lambda path: (next((rank[s] for s in rank if path.stem.startswith(s)), len(rank)), path.stem))


def write_report(
    out: Path,
    runs: pd.DataFrame,
    scenarios: pd.DataFrame,
    effects: pd.DataFrame,
    horizon_name: str,
    indicators: pd.DataFrame | None,
    classes: pd.DataFrame | None,
    config_root: Path,
) -> Path:
    """Write ``report.html`` into ``out`` (beside the figures, which it embeds); returns its path."""
    first = runs["run"].iloc[0]
    config = yaml.safe_load((first / CONFIG_FILE).read_text())
    label = scenarios.set_index("scenario")["label"]
    seeds = runs.groupby("scenario")["seed"].nunique()
    scenario_rows = scenarios.assign(seeds=scenarios["scenario"].map(seeds))[["label", "colour", "seeds", "overrides"]]
    swatches = "".join(
        f'<li><span class="swatch" style="background:{row.colour}"></span>{html.escape(row.label)} '
        f"<code>{html.escape(row.overrides)}</code>, {row.seeds} seeds</li>"
        for row in scenario_rows.itertuples(index=False)
    )
    columns = ["scenario", "city", "metric", "seeds", "effect_pct", "pct_low", "pct_high"]
    readable = effects["metric"].map(METRIC_LABELS).fillna(effects["metric"])
    headline = effects.assign(scenario=effects["scenario"].map(label), metric=readable)[columns]
    headline = headline.rename(columns={"effect_pct": "effect, %", "pct_low": "95% CI low, %", "pct_high": "95% CI high, %"})
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>coopsim: {html.escape(str(config.get('experiment') or 'comparison'))}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        ".table{border-collapse:collapse;font-size:0.9em}.table td,.table th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}"
        "figure{margin:1.5em 0}img{max-width:100%}.swatch{display:inline-block;width:1em;height:1em;margin-right:0.4em;"
        "vertical-align:middle;border:1px solid #444}code{font-size:0.85em}</style></head><body>",
        f"<h1>{html.escape(str(config.get('experiment') or 'Scenario comparison'))}: {html.escape(str(config['region'].get('name')))}</h1>",
        "<h2>What was run</h2>",
        f"<p>Region <b>{html.escape(str(config['region'].get('name')))}</b> "
        f"(partner {html.escape(str(config['region'].get('partner_city')))}, core {html.escape(str(config['region'].get('core_city')))}), "
        f"{int(config['steps'])} quarters to <b>{html.escape(horizon_name)}</b>, "
        f"economy <code>{html.escape(str(config['economy'].get('name')))}</code>. "
        "Each scenario is compared with no agreement run with the same seed (common random numbers).</p>",
        f"<ul>{swatches}</ul>",
        "<h3>Key parameters and their sources</h3>",
        _table_html(key_parameters(config, config_root)),
        f"<h2>Headline effects in {html.escape(horizon_name)}</h2>",
        "<p>Effect in % of the no-agreement value with the same seed; mean and 95% confidence interval across seeds.</p>",
        _table_html(headline, digits=3),
    ]
    if indicators is not None and classes is not None and not indicators.empty:
        parts += [
            "<h2>Sub-centre indicators</h2>",
            _table_html(classes.assign(scenario=classes["scenario"].map(label))),
            _table_html(indicators.assign(scenario=indicators["scenario"].map(label)), digits=3),
        ]
    parts.append("<h2>Figures</h2>")
    parts += [_figure_html(path) for path in _ordered_figures(out)]
    parts += ["<h2>Caveats</h2><ul>", *(f"<li>{html.escape(note)}</li>" for note in caveats(first)), "</ul>", "</body></html>"]
    path = out / REPORT_FILE
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_workbook(out: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write ``summary.xlsx`` into ``out``, one sheet per table (names cut to Excel's 31 characters); returns its path."""
    path = out / WORKBOOK_FILE
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=name[:EXCEL_SHEET_NAME_LIMIT], index=False)
    return path
