"""``coopsim-analyse DIR``: global sensitivity and scenario discovery over an exploration's ``ensemble.parquet``.

Reads the table and ``exploration.json`` that ``coopsim-explore`` wrote in ``DIR`` and writes into
``DIR/analysis/``:

* ``sensitivity.csv`` (``outcome, parameter, method, index, value, ci_low, ci_high``), by design:
  ``sobol``: first-order and total indices S1 and ST (Saltelli et al. 2010, *Computer Physics
  Communications* 181: 259-270, estimators of SALib's ``sobol.analyze``) with bootstrap intervals;
  ``morris``: mu*, its bootstrap interval, mu and sigma of the elementary effects per unit of each
  factor's range (Morris 1991, *Technometrics* 33: 161-174; mu* of Campolongo, Cariboni & Saltelli
  2007, *Environmental Modelling & Software* 22: 1509-1518); ``latin``: Borgonovo's
  moment-independent delta (Borgonovo 2007, *Reliability Engineering & System Safety* 92: 771-784;
  given-data estimator of Plischke, Borgonovo & Smith 2013) and S1, with bootstrap intervals;
* ``boxes.csv`` (``outcome_class, parameter, low, high, coverage, density``): for each sub-centre
  class, the box of assumptions and levers PRIM finds (Friedman & Fisher 1999, *Statistics and
  Computing* 9: 123-143; ``ema_workbench.analysis.prim``, Kwakkel 2017), one row per restricted
  parameter (a categorical lever's kept values joined by ``|`` in both ``low`` and ``high``; a class
  whose box restricts nothing has one row with an empty parameter). Coverage is the share of the
  class's runs inside the box, density the share of the box's runs in the class (Bryant & Lempert
  2010, *Technological Forecasting & Social Change* 77: 34-49); the box chosen on PRIM's peeling
  trajectory is the one with the largest coverage among those whose density reaches
  ``analysis.prim_threshold``, else the densest, less the restrictions whose quasi-p-value exceeds
  ``analysis.max_quasi_p`` (Bryant & Lempert 2010);
* ``summary.md``: the answer in words, computed from the above;
* figures (PNG and SVG): ``sensitivity`` (index bars with intervals), ``prim_tradeoff`` (coverage
  against density along each class's trajectory), ``prim_boxes`` (the chosen boxes' limits),
  ``scatter_classes`` (pairwise scatter of the most influential parameters, coloured by class).

A run that failed is left out; a Sobol or Morris group (base sample, trajectory) with a failed run
or a non-finite outcome is left out whole, since the estimators need every run of a group.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from SALib.analyze import delta, morris, sobol

from coopsim.exploration.design import derived_seed, problem
from coopsim.exploration.explore import COMPLETE, ENSEMBLE_FILE, INFO_FILE
from coopsim.exploration.spec import CLASS_COLUMN, UNIT_PREFIX, ExplorationSpec, parse_spec
from coopsim.indicators import CLASSES
from coopsim.plots import save_figures
from coopsim.units import PERCENT

log = logging.getLogger(__name__)

ANALYSIS_DIR = "analysis"
SENSITIVITY_FILE = "sensitivity.csv"
BOXES_FILE = "boxes.csv"
SUMMARY_FILE = "summary.md"
SENSITIVITY_COLUMNS = ["outcome", "parameter", "method", "index", "value", "ci_low", "ci_high"]
BOX_COLUMNS = ["outcome_class", "parameter", "low", "high", "coverage", "density"]
ANALYSIS_STREAM = "exploration:analysis"
MAIN_INDEX = {"sobol": "ST", "morris": "mu_star", "latin": "delta"}  # the index that ranks parameters
# PRIM in binary mode counts y >= threshold as cases of interest and keeps a box whose mean reaches it; any value in
# (0, 1] counts the class's runs, and the smallest keeps the whole peeling trajectory (the density threshold is
# applied when the box is chosen, see choose_box)
PRIM_CASES = float(np.finfo(float).tiny)
CATEGORY_SEPARATOR = "|"
CLASS_COLOURS = {
    "sub_centre_with_spread": "#1b9e77",
    "local_primacy": "#7570b3",
    "drained_by_core": "#d95f02",
    "no_effect": "#999999",
}
FIGURE_DPI = 110
PANEL_COLUMNS = 3
PANEL_WIDTH_INCHES, PANEL_HEIGHT_PER_PARAMETER_INCHES, PANEL_MIN_HEIGHT_INCHES = 4.2, 0.28, 2.5
TRADEOFF_PANEL_INCHES = (4.0, 3.4)
SCATTER_CELL_INCHES = 2.2
SCATTER_POINT_SIZE, SCATTER_ALPHA, JITTER = 10.0, 0.7, 0.15
BAR_HEIGHT = 0.38
BOX_ROW_INCHES, BOX_MARGIN_INCHES = 0.7, 1.2  # the box-limits figure: height per restricted parameter, and for titles
CATEGORY_LABEL_OFFSET_PT = (-6, 7)  # a category's name, above its dot
TOP_PARAMETERS_IN_WORDS = 3


# ----- reading ---------------------------------------------------------------------------------------------------------


def load_exploration(directory: str | Path) -> tuple[pd.DataFrame, dict, ExplorationSpec]:
    """The ensemble (sorted by run), ``exploration.json`` and the spec it records."""
    directory = Path(directory)
    for name in (ENSEMBLE_FILE, INFO_FILE):
        if not (directory / name).is_file():
            raise FileNotFoundError(f"{directory}: no {name} here; run coopsim-explore first (or its merge: exploration.merge=true)")
    ensemble = pd.read_parquet(directory / ENSEMBLE_FILE).sort_values("run", ignore_index=True)
    info = json.loads((directory / INFO_FILE).read_text())
    return ensemble, info, parse_spec(info["spec"])


def _analysis_seed(info: dict) -> int:
    """A non-zero seed for SALib's bootstraps (its ``sobol.analyze`` ignores a seed of 0), derived from the exploration's."""
    return derived_seed(int(info.get("seed", 0)), ANALYSIS_STREAM) or 1


# ----- sensitivity -----------------------------------------------------------------------------------------------------


def _usable(ensemble: pd.DataFrame, outcome: str, whole_groups: bool) -> pd.Series:
    """Rows with a finite outcome from a complete run (whole design groups only, for Sobol and Morris)."""
    good = (ensemble["status"] == COMPLETE) & np.isfinite(ensemble[outcome].to_numpy(dtype=float))
    if whole_groups:
        good = good.groupby(ensemble["group"]).transform("all")
    return good


def _rows(outcome: str, names: list[str], method: str, index: str, value, half_width=None) -> list[dict]:
    value = np.asarray(value, dtype=float)
    half = np.full(len(names), np.nan) if half_width is None else np.asarray(half_width, dtype=float)
    return [
        {"outcome": outcome, "parameter": name, "method": method, "index": index, "value": v, "ci_low": v - h, "ci_high": v + h}
        for name, v, h in zip(names, value, half, strict=True)
    ]


def sensitivity_table(ensemble: pd.DataFrame, spec: ExplorationSpec, seed: int) -> pd.DataFrame:
    """Sensitivity indices of every outcome to every factor, by the design's method (see the module's docstring).

    Intervals are SALib's bootstrap intervals (``analysis.num_resamples`` resamples at
    ``analysis.conf_level``): the index plus and minus their half-width. An outcome that is
    constant, or has fewer than two usable groups, is left out (logged).
    """
    salib, names, settings = problem(spec), spec.factor_names, spec.analysis
    units = ensemble[[f"{UNIT_PREFIX}{name}" for name in names]].to_numpy(dtype=float)
    rows: list[dict] = []
    for outcome in (o.name for o in spec.outcomes):
        good = _usable(ensemble, outcome, whole_groups=spec.design != "latin").to_numpy()
        y, x = ensemble.loc[good, outcome].to_numpy(dtype=float), units[good]
        groups = ensemble.loc[good, "group"].nunique()
        if groups < 2 or np.ptp(y) == 0:
            log.warning(
                "%s: left out of the sensitivity analysis (%d usable groups, range %s)", outcome, groups, np.ptp(y) if len(y) else 0
            )
            continue
        try:
            if spec.design == "sobol":
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    result = sobol.analyze(
                        salib,
                        y,
                        calc_second_order=spec.second_order,
                        num_resamples=settings.num_resamples,
                        conf_level=settings.conf_level,
                        seed=seed,
                    )
                if caught:  # e.g. an outcome constant within some groups (a rank that rarely moves)
                    log.warning("%s: SALib warns: %s", outcome, "; ".join(sorted({str(w.message) for w in caught})))
                rows += _rows(outcome, names, "sobol", "S1", result["S1"], result["S1_conf"])
                rows += _rows(outcome, names, "sobol", "ST", result["ST"], result["ST_conf"])
            elif spec.design == "morris":
                result = morris.analyze(
                    salib,
                    x,
                    y,
                    num_resamples=settings.num_resamples,
                    conf_level=settings.conf_level,
                    num_levels=spec.morris_levels,
                    seed=seed,
                )
                rows += _rows(outcome, names, "morris", "mu_star", result["mu_star"], result["mu_star_conf"])
                rows += _rows(outcome, names, "morris", "mu", result["mu"])
                rows += _rows(outcome, names, "morris", "sigma", result["sigma"])
            else:
                with warnings.catch_warnings():  # SALib warns when its 'step' variant cannot be computed (not reported here)
                    warnings.simplefilter("ignore")
                    result = delta.analyze(salib, x, y, num_resamples=settings.num_resamples, conf_level=settings.conf_level, seed=seed)
                rows += _rows(outcome, names, "delta", "delta", result["delta_raw"], result["delta_raw_conf"])
                rows += _rows(outcome, names, "delta", "S1", result["S1"], result["S1_conf"])
        except (ValueError, RuntimeError, ZeroDivisionError, IndexError) as error:  # too few runs for the estimator
            log.warning("%s: sensitivity indices not computed: %s", outcome, error)
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


# ----- scenario discovery ----------------------------------------------------------------------------------------------


@dataclass
class ClassBox:
    """The PRIM box of one outcome class: the runs in the class, the peeling trajectory, the chosen box and its limits."""

    outcome_class: str
    cases: int
    runs: int
    trajectory: pd.DataFrame  # coverage, density, res_dim per box on the peeling and pasting trajectory
    chosen: int | None  # index on the trajectory (None: every run or no run is in the class)
    limits: list[tuple[str, object, object]]  # (parameter, low, high) of the restricted parameters
    coverage: float
    density: float


def prim_inputs(ensemble: pd.DataFrame, spec: ExplorationSpec) -> pd.DataFrame:
    """The assumptions and levers of the complete runs, as PRIM reads them (categorical levers as categories, the rest as reals)."""
    complete = ensemble[ensemble["status"] == COMPLETE]
    x = complete[spec.factor_names].reset_index(drop=True)
    for factor in spec.factors:
        if factor.categorical:
            x[factor.name] = pd.Categorical(x[factor.name].astype(str), categories=[str(v) for v in factor.values])
        else:  # integers too: the workbench's pasting writes fractional limits (pandas 3 refuses them in an integer column)
            x[factor.name] = x[factor.name].astype("float64")
    return x


def choose_box(trajectory: pd.DataFrame, threshold: float) -> int:
    """The box with the largest coverage whose density reaches ``threshold`` (then the denser), else the densest."""
    reaching = trajectory[trajectory["density"] >= threshold]
    if len(reaching):
        return int(reaching.sort_values(["coverage", "density"], ascending=False).index[0])
    return int(trajectory["density"].idxmax())


def _significant(box, chosen: int, max_quasi_p: float) -> int:
    """Drop, one at a time, the chosen box's restriction with the largest quasi-p-value above ``max_quasi_p``; returns the box left.

    A restriction whose removal would not change the share of the class in the box significantly
    (Bryant & Lempert 2010's quasi-p-value, a one-sided binomial test) only makes the box harder to
    read; each drop adds the wider box to the trajectory (the workbench's ``drop_restriction``).
    """
    while True:
        quasi_p = {name: max(values) for name, values in box.qp[chosen].items()}
        name, worst = max(quasi_p.items(), key=lambda item: item[1], default=(None, 0.0))
        if name is None or worst <= max_quasi_p:
            return chosen
        box.drop_restriction(name, chosen)
        chosen = len(box.peeling_trajectory) - 1


def _restricted(limits: pd.DataFrame, initial: pd.DataFrame, spec: ExplorationSpec) -> list[tuple[str, object, object]]:
    """The restricted parameters of a box: ``(name, low, high)``, a side PRIM left open reported as the declared bound."""
    restricted = []
    for factor in spec.factors:
        if factor.name not in limits:
            continue
        low, high = limits[factor.name].iloc[0], limits[factor.name].iloc[1]
        start_low, start_high = initial[factor.name].iloc[0], initial[factor.name].iloc[1]
        if factor.categorical:
            if set(low) != set(start_low):
                kept = CATEGORY_SEPARATOR.join(sorted(str(v) for v in low))
                restricted.append((factor.name, kept, kept))
        elif low != start_low or high != start_high:
            restricted.append(
                (factor.name, float(low) if low != start_low else factor.low, float(high) if high != start_high else factor.high)
            )
    return restricted


def discover(ensemble: pd.DataFrame, spec: ExplorationSpec) -> list[ClassBox]:
    """PRIM (Friedman & Fisher 1999; EMA Workbench's ``prim.Prim``) for each sub-centre class that some runs have and some not."""
    with warnings.catch_warnings():  # the workbench warns on import about optional parallel back-ends, and pandas on its idioms
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    x = prim_inputs(ensemble, spec)
    labels = ensemble.loc[ensemble["status"] == COMPLETE, CLASS_COLUMN].to_numpy()
    settings = spec.analysis
    boxes = []
    for outcome_class in CLASSES:
        y = (labels == outcome_class).astype(int)
        cases = int(y.sum())
        if cases in (0, len(y)):  # nothing to tell apart: the whole space, or nowhere
            empty = pd.DataFrame({"coverage": [float(cases > 0)], "density": [cases / max(len(y), 1)], "res_dim": [0]})
            boxes.append(ClassBox(outcome_class, cases, len(y), empty, None, [], float(cases > 0), cases / max(len(y), 1)))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            finder = prim.Prim(
                x,
                y,
                threshold=PRIM_CASES,
                peel_alpha=settings.peel_alpha,
                paste_alpha=settings.paste_alpha,
                mass_min=settings.mass_min,
            )
            box = finder.find_box()
            chosen = _significant(box, choose_box(box.peeling_trajectory, settings.prim_threshold), settings.max_quasi_p)
        trajectory = box.peeling_trajectory[["coverage", "density", "res_dim"]].reset_index(drop=True)
        limits = _restricted(box.box_lims[chosen], finder.box_init, spec)
        row = trajectory.loc[chosen]
        boxes.append(ClassBox(outcome_class, cases, len(y), trajectory, chosen, limits, float(row["coverage"]), float(row["density"])))
    return boxes


def boxes_table(boxes: list[ClassBox]) -> pd.DataFrame:
    """``outcome_class, parameter, low, high, coverage, density``: one row per restricted parameter of each class's box."""
    rows = []
    for box in boxes:
        if box.cases == 0:
            continue
        common = {"outcome_class": box.outcome_class, "coverage": box.coverage, "density": box.density}
        if not box.limits:
            rows.append(common | {"parameter": "", "low": np.nan, "high": np.nan})
        rows += [common | {"parameter": name, "low": low, "high": high} for name, low, high in box.limits]
    return pd.DataFrame(rows, columns=BOX_COLUMNS)


# ----- the answer in words ---------------------------------------------------------------------------------------------


def _share(share: float) -> str:
    """A share in words: whole percents, and "under 1%" rather than "0%" for a few runs."""
    return "under 1%" if 0 < share < 1 / PERCENT / 2 else f"{PERCENT * share:.0f}%"


def _number(value: float) -> str:
    return f"{value:.3g}"


def describe_box(box: ClassBox, spec: ExplorationSpec) -> str:
    """A box's limits in words: ``spillover_strength >= 0.04, agreement in {deep_cooperation, rail}``."""
    factors = {f.name: f for f in spec.factors}
    parts = []
    for name, low, high in box.limits:
        factor = factors[name]
        if factor.categorical:
            parts.append(f"{name} in {{{', '.join(str(low).split(CATEGORY_SEPARATOR))}}}")
        elif low <= factor.low:
            parts.append(f"{name} <= {_number(high)}")
        elif high >= factor.high:
            parts.append(f"{name} >= {_number(low)}")
        else:
            parts.append(f"{_number(low)} <= {name} <= {_number(high)}")
    return ", ".join(parts)


def answer(ensemble: pd.DataFrame, spec: ExplorationSpec, boxes: list[ClassBox], sensitivity: pd.DataFrame, info: dict) -> str:
    """The exploration's answer in words (Markdown), every figure computed from the ensemble and the analyses."""
    complete = ensemble[ensemble["status"] == COMPLETE]
    partner = info.get("geography", {}).get("partner", "the partner")
    core = info.get("geography", {}).get("core", "the core")
    shares = complete[CLASS_COLUMN].value_counts(normalize=True)
    lines = [
        f"**Question.** Which combinations of assumptions and levers make {partner} a sub-centre with spread, "
        f"and which drain it toward {core}?",
        "",
        f"**Ensemble.** {len(ensemble)} runs of a {spec.design} design (N = {spec.samples}) over {len(spec.uncertainties)} "
        f"uncertainties and {len(spec.levers)} levers, {len(complete)} complete, each against the no-agreement run with the "
        f"same seed and uncertainties, at quarter {info.get('steps')}.",
        "",
        "**Classes.** " + "; ".join(f"{c}: {_share(shares.get(c, 0.0))} of runs" for c in CLASSES) + ".",
        "",
    ]
    for box in boxes:
        if box.cases == 0:
            lines.append(f"- **{box.outcome_class}**: no run.")
        elif box.cases == box.runs:
            lines.append(f"- **{box.outcome_class}**: every run.")
        elif not box.limits:
            lines.append(f"- **{box.outcome_class}** ({box.cases} runs): no combination stands out (PRIM restricts nothing).")
        else:
            reached = (
                "" if box.density >= spec.analysis.prim_threshold else f" (below the density wanted, {spec.analysis.prim_threshold:.0%})"
            )
            lines.append(
                f"- **{box.outcome_class}** ({box.cases} runs): when {describe_box(box, spec)}: "
                f"{box.density:.0%} of the runs in this box are {box.outcome_class}{reached}, and the box holds "
                f"{box.coverage:.0%} of all {box.outcome_class} runs."
            )
    main = sensitivity[(sensitivity["index"] == MAIN_INDEX[spec.design]) & sensitivity["value"].notna()]
    if len(main):
        lines += ["", f"**What matters most** ({MAIN_INDEX[spec.design]}, {spec.design} design):"]
        for outcome, data in main.groupby("outcome", sort=False):
            top = data.sort_values("value", ascending=False).head(TOP_PARAMETERS_IN_WORDS)
            named = ", ".join(f"{row.parameter} ({row.value:.2f} [{row.ci_low:.2f}, {row.ci_high:.2f}])" for row in top.itertuples())
            lines.append(f"- {outcome}: {named}")
    return "\n".join(lines) + "\n"


# ----- figures ---------------------------------------------------------------------------------------------------------


def _grid(panels: int, width: float, height: float) -> tuple[Figure, list]:
    columns = min(PANEL_COLUMNS, max(panels, 1))
    rows = math.ceil(max(panels, 1) / columns)
    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for ax in axes[panels:]:
        ax.set_visible(False)
    return figure, axes[:panels]


def sensitivity_figure(table: pd.DataFrame, spec: ExplorationSpec) -> Figure:
    """One panel per outcome: each parameter's indices as bars with their bootstrap intervals."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    names = spec.factor_names
    height = max(PANEL_MIN_HEIGHT_INCHES, PANEL_HEIGHT_PER_PARAMETER_INCHES * len(names))
    figure, axes = _grid(len(outcomes), PANEL_WIDTH_INCHES, height)
    indices = [i for i in ("S1", "ST", "mu_star", "sigma", "delta") if i in set(table["index"])]
    position = np.arange(len(names))
    for ax, outcome in zip(axes, outcomes, strict=True):
        data = table[table["outcome"] == outcome].set_index(["index", "parameter"])
        for k, index in enumerate(indices):
            values = data.loc[index].reindex(names)
            error = np.vstack([values["value"] - values["ci_low"], values["ci_high"] - values["value"]])
            error = np.where(np.isfinite(error), np.abs(error), 0.0)
            ax.barh(position + (k - (len(indices) - 1) / 2) * BAR_HEIGHT, values["value"], height=BAR_HEIGHT, xerr=error, label=index)
        ax.set_yticks(position, names, fontsize="small")
        ax.invert_yaxis()
        ax.axvline(0.0, color="black", linewidth=0.6)
        ax.set_title(outcome, fontsize="medium")
        if data["value"].isna().all():  # e.g. an outcome constant within most groups
            ax.text(0.5, 0.5, "indices not defined\n(the outcome barely varies)", ha="center", va="center", transform=ax.transAxes)
    if axes:
        axes[0].legend(fontsize="small", loc="lower right")
    figure.suptitle(f"sensitivity indices ({spec.design} design, N = {spec.samples}), {spec.analysis.conf_level:.0%} bootstrap intervals")
    return figure


def tradeoff_figure(boxes: list[ClassBox], spec: ExplorationSpec) -> Figure:
    """Coverage against density along each class's PRIM trajectory, coloured by restricted dimensions, the chosen box ringed."""
    shown = [box for box in boxes if box.chosen is not None]
    figure, axes = _grid(max(len(shown), 1), *TRADEOFF_PANEL_INCHES)
    if not shown:
        axes[0].text(0.5, 0.5, "no class to tell apart:\nevery run is in one class", ha="center", va="center")
        axes[0].set_axis_off()
        return figure
    for ax, box in zip(axes, shown, strict=True):
        points = ax.scatter(box.trajectory["coverage"], box.trajectory["density"], c=box.trajectory["res_dim"], cmap="viridis", s=14)
        chosen = box.trajectory.loc[box.chosen]
        ax.scatter([chosen["coverage"]], [chosen["density"]], s=120, facecolors="none", edgecolors="red", linewidths=1.5)
        ax.axhline(spec.analysis.prim_threshold, color="grey", linestyle=":", linewidth=1.0)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.set_title(f"{box.outcome_class} ({box.cases} runs)", fontsize="medium")
        figure.colorbar(points, ax=ax, label="restricted dimensions")
    figure.suptitle("PRIM peeling trajectories (red ring: the box chosen; dotted: the density wanted)")
    return figure


def boxes_figure(boxes: list[ClassBox], spec: ExplorationSpec) -> Figure:
    """Each class's chosen box: the kept part of each restricted parameter's range (0 = its low, 1 = its high)."""
    shown = [box for box in boxes if box.chosen is not None]
    factors = {f.name: f for f in spec.factors}
    rows = max([len(box.limits) for box in shown] + [1])
    figure, axes = _grid(max(len(shown), 1), PANEL_WIDTH_INCHES, max(PANEL_MIN_HEIGHT_INCHES, BOX_ROW_INCHES * rows + BOX_MARGIN_INCHES))
    if not shown:
        axes[0].text(0.5, 0.5, "no class to tell apart", ha="center", va="center")
        axes[0].set_axis_off()
        return figure
    for ax, box in zip(axes, shown, strict=True):
        colour = CLASS_COLOURS.get(box.outcome_class, "black")
        for k, (name, low, high) in enumerate(box.limits):
            factor = factors[name]
            if factor.categorical:
                kept = set(str(low).split(CATEGORY_SEPARATOR))
                steps = np.linspace(0, 1, len(factor.values))
                for step, value in zip(steps, factor.values, strict=True):
                    ax.plot(step, k, "o", color=colour if str(value) in kept else "lightgrey")
                    ax.annotate(str(value), (step, k), xytext=CATEGORY_LABEL_OFFSET_PT, textcoords="offset points", fontsize="xx-small")
            else:
                span = factor.high - factor.low
                ax.plot([(low - factor.low) / span, (high - factor.low) / span], [k, k], color=colour, linewidth=5)
                ax.text(1.02, k, f"{_number(low)} to {_number(high)}", va="center", fontsize="x-small")
        ax.set_yticks(range(len(box.limits)), [name for name, _, _ in box.limits], fontsize="small")
        ax.set_ylim(len(box.limits) - 0.5 if box.limits else 0.5, -0.5)
        ax.set_xlim(-0.05, 1.6)
        ax.set_xticks([0, 0.5, 1])
        ax.set_xlabel("share of the parameter's range")
        ax.set_title(f"{box.outcome_class}: coverage {box.coverage:.0%}, density {box.density:.0%}", fontsize="medium")
        if not box.limits:
            ax.text(0.5, 0, "restricts nothing", ha="center", va="center")
    figure.suptitle("PRIM boxes: where each class concentrates")
    return figure


def influential(spec: ExplorationSpec, boxes: list[ClassBox], sensitivity: pd.DataFrame, count: int) -> list[str]:
    """The ``count`` most telling parameters: those restricting the PRIM boxes first, then by mean rank of the main index."""
    chosen = list(dict.fromkeys(name for box in boxes for name, _, _ in box.limits))
    main = sensitivity[(sensitivity["index"] == MAIN_INDEX[spec.design]) & sensitivity["value"].notna()]
    if len(main):
        ranks = main.assign(rank=main.groupby("outcome")["value"].rank(ascending=False)).groupby("parameter")["rank"].mean()
        chosen += [name for name in ranks.sort_values().index if name not in chosen]
    chosen += [name for name in spec.factor_names if name not in chosen]
    return chosen[:count]


def _coordinates(ensemble: pd.DataFrame, spec: ExplorationSpec, name: str, rng: np.random.Generator) -> tuple[np.ndarray, list | None]:
    factor = next(f for f in spec.factors if f.name == name)
    if factor.categorical:
        codes = pd.Categorical(ensemble[name].astype(str), categories=[str(v) for v in factor.values]).codes.astype(float)
        return codes + rng.uniform(-JITTER, JITTER, len(codes)), [str(v) for v in factor.values]
    return ensemble[name].to_numpy(dtype=float), None


def scatter_figure(ensemble: pd.DataFrame, spec: ExplorationSpec, parameters: list[str], seed: int) -> Figure:
    """Pairwise scatter of ``parameters`` over the complete runs, coloured by sub-centre class (categorical levers jittered)."""
    complete = ensemble[ensemble["status"] == COMPLETE]
    rng = np.random.default_rng(seed)
    coordinates = {name: _coordinates(complete, spec, name, rng) for name in parameters}
    n = len(parameters)
    figure = Figure(figsize=(SCATTER_CELL_INCHES * max(n - 1, 1) + 1.5, SCATTER_CELL_INCHES * max(n - 1, 1)), layout="constrained")
    axes = figure.subplots(max(n - 1, 1), max(n - 1, 1), squeeze=False)
    labels = complete[CLASS_COLUMN].to_numpy()
    counts = pd.Series(labels).value_counts()
    drawing_order = sorted(CLASSES, key=lambda c: -counts.get(c, 0))
    for row in range(max(n - 1, 1)):
        for column in range(max(n - 1, 1)):
            ax = axes[row, column]
            if n < 2 or column > row:
                ax.set_visible(False)
                continue
            x_name, y_name = parameters[column], parameters[row + 1]
            (x, x_ticks), (y, y_ticks) = coordinates[x_name], coordinates[y_name]
            for outcome_class in drawing_order:  # the commonest first, so that rare classes stay visible on top
                mask = labels == outcome_class
                if mask.any():
                    ax.scatter(
                        x[mask], y[mask], s=SCATTER_POINT_SIZE, alpha=SCATTER_ALPHA, color=CLASS_COLOURS[outcome_class], label=outcome_class
                    )
            if x_ticks:
                ax.set_xticks(range(len(x_ticks)), x_ticks, rotation=30, fontsize="x-small")
            if y_ticks:
                ax.set_yticks(range(len(y_ticks)), y_ticks, fontsize="x-small")
            if row == max(n - 1, 1) - 1:
                ax.set_xlabel(x_name, fontsize="small")
            if column == 0:
                ax.set_ylabel(y_name, fontsize="small")
            ax.tick_params(labelsize="x-small")
    handles = [h for ax in axes.ravel() if ax.get_visible() for h in [ax.get_legend_handles_labels()] if h[0]]
    if handles:
        holder = axes[0, -1]  # the empty upper-right corner of the lower triangle (the only panel when n = 2)
        if not holder.get_visible():
            holder.set_visible(True)
            holder.set_axis_off()
        holder.legend(*handles[0], loc="upper right", fontsize="small", title="class")
    figure.suptitle("runs by sub-centre class, on the most telling parameters")
    return figure


# ----- the command -----------------------------------------------------------------------------------------------------


def analyse(directory: str | Path) -> list[Path]:
    """Write the sensitivity table, the PRIM boxes, the answer and the figures into ``DIR/analysis``; returns the files written."""
    directory = Path(directory)
    ensemble, info, spec = load_exploration(directory)
    seed = _analysis_seed(info)
    out = directory / ANALYSIS_DIR
    out.mkdir(exist_ok=True)
    sensitivity = sensitivity_table(ensemble, spec, seed)
    boxes = discover(ensemble, spec)
    table = boxes_table(boxes)
    sensitivity.to_csv(out / SENSITIVITY_FILE, index=False)
    table.to_csv(out / BOXES_FILE, index=False)
    (out / SUMMARY_FILE).write_text(answer(ensemble, spec, boxes, sensitivity, info))
    written = [out / SENSITIVITY_FILE, out / BOXES_FILE, out / SUMMARY_FILE]
    figures = {
        "prim_tradeoff": tradeoff_figure(boxes, spec),
        "prim_boxes": boxes_figure(boxes, spec),
        "scatter_classes": scatter_figure(ensemble, spec, influential(spec, boxes, sensitivity, spec.analysis.scatter_parameters), seed),
    }
    if len(sensitivity):
        figures["sensitivity"] = sensitivity_figure(sensitivity, spec)
    written += save_figures(figures, out, dpi=FIGURE_DPI)
    return written


def main(argv: list[str] | None = None) -> None:
    """Console entry point ``coopsim-analyse DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="an exploration's folder (with ensemble.parquet and exploration.json)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        written = analyse(args.directory)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"coopsim-analyse: {error}") from None
    for path in written:
        print(path)
    print((args.directory / ANALYSIS_DIR / SUMMARY_FILE).read_text())


if __name__ == "__main__":
    main()
