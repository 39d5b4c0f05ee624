"""A run's outcomes against its paired baseline, and its sub-centre class.

Each run of an exploration is compared with the no-agreement run of the same seed and the same
uncertainties (common random numbers: the model keys every agent's draws by the seed, so the
difference is the agreement's effect, not noise). The levels come from
:func:`coopsim.indicators.run_indicators` (the sub-centre indicators) and from the run's metrics
(``metric:city``: a state metric at the horizon, a flow summed over the run); an outcome is the
level (``level``), its difference from the baseline (``effect``; for ``spread_ratio``, the rest of
the circle's GDP effect over the partner's, as in :func:`coopsim.indicators.indicator_table`), or
that difference in % of the baseline (``effect_pct``).

:func:`classify_runs` gives each run one of :data:`coopsim.indicators.CLASSES` by the rules of
:func:`coopsim.indicators.classify`, with a stated tolerance in place of the confidence interval a
single run does not have (links can favour the primate city over its hinterland: Faber 2014; Qin
2017; Baum-Snow et al. 2020, so siphon and spread are measured, not assumed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coopsim.exploration.spec import CLASS_INPUTS, ClassRules, Outcome
from coopsim.indicators import INDICATOR_METRICS, Geography, run_indicators, sub_centre_class
from coopsim.metrics import FLOW_METRICS
from coopsim.units import PERCENT

NO_CLASS = ""  # a failed run has no class


def needed_metrics(outcomes: tuple[Outcome, ...]) -> list[str]:
    """The metrics a run's levels are computed from: the indicators' and the named metrics'."""
    named = [o.metric[0] for o in outcomes if o.metric]
    return sorted({*INDICATOR_METRICS, *named})


def run_levels(metrics: pd.DataFrame, geography: Geography, horizon: int, outcomes: tuple[Outcome, ...]) -> dict[str, float]:
    """One run's levels: every sub-centre indicator (and its parts) and each named ``metric:city``.

    A flow metric (:data:`coopsim.metrics.FLOW_METRICS`) is summed over the run's quarters; any
    other metric is its value at ``horizon``.
    """
    metrics = metrics[metrics["metric"].isin(needed_metrics(outcomes))]
    levels = {key: float(value) for key, value in run_indicators(metrics, geography, horizon).items()}
    for outcome in outcomes:
        if outcome.metric:
            metric, city = outcome.metric
            rows = metrics[(metrics["metric"] == metric) & (metrics["city"] == city)]
            if metric in FLOW_METRICS:
                levels[outcome.name] = float(rows.loc[rows["step"] > 0, "value"].sum())
            else:
                levels[outcome.name] = float(rows.loc[rows["step"] == horizon, "value"].iloc[0])
    return levels


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator != 0 else float("nan")


def _percent_effect(run: dict[str, float], base: dict[str, float], key: str) -> float:
    """The run's ``key`` against its baseline's, in % of the baseline's (NaN where the baseline's is 0)."""
    return PERCENT * _ratio(run[key] - base[key], base[key])


def _spread_effect(run: dict[str, float], base: dict[str, float]) -> float:
    """The spread ratio effect: the rest of the circle's GDP gain per unit of the partner's (NaN where the partner's is 0)."""
    return _ratio(run["rest_of_circle_gdp"] - base["rest_of_circle_gdp"], run["partner_gdp"] - base["partner_gdp"])


def outcome_values(outcomes: tuple[Outcome, ...], run: dict[str, float], base: dict[str, float]) -> dict[str, float]:
    """Each outcome's value from the run's levels and its paired baseline's."""
    values = {}
    for outcome in outcomes:
        if outcome.measure == "level":
            values[outcome.name] = run[outcome.name]
        elif outcome.name == "spread_ratio":
            values[outcome.name] = _spread_effect(run, base)
        elif outcome.measure == "effect":
            values[outcome.name] = run[outcome.name] - base[outcome.name]
        else:
            values[outcome.name] = _percent_effect(run, base, outcome.name)
    return values


def class_inputs(run: dict[str, float], base: dict[str, float]) -> dict[str, float]:
    """What a run's class is decided from: the effects in % on the partner's GDP share, its circle share and the rest of
    the circle's GDP, and the spread ratio effect."""
    share, circle, rest, spread = CLASS_INPUTS
    return {
        share: _percent_effect(run, base, "partner_gdp_share"),
        circle: _percent_effect(run, base, "partner_circle_share"),
        rest: _percent_effect(run, base, "rest_of_circle_gdp"),
        spread: _spread_effect(run, base),
    }


def classify_runs(frame: pd.DataFrame, rules: ClassRules) -> np.ndarray:
    """Each run's sub-centre class from its :data:`CLASS_INPUTS` columns (``""`` where they are missing).

    The rules of :func:`coopsim.indicators.classify`, in order, with ``rules.min_relative_effect``
    of the baseline value in place of a confidence interval: ``drained_by_core`` when the partner's
    share of the region's GDP falls by more than the tolerance; ``sub_centre_with_spread`` when it or
    the partner's share of its circle rises by more than the tolerance and the rest of the circle
    gains measurably (its GDP by more than the tolerance, where ``classify`` asks the spread ratio's
    interval to lie above 0) and at least ``spread_ratio_min`` of the partner's gain; ``local_primacy``
    when the partner rises but its neighbours do not gain that much; ``no_effect`` otherwise.
    """
    tolerance = PERCENT * rules.min_relative_effect
    share, circle, rest, spread = (frame[c].to_numpy(dtype=float) for c in CLASS_INPUTS)
    drained = share < -tolerance
    rises = (share > tolerance) | (circle > tolerance)
    spreads = (rest > tolerance) & (spread > 0) & (spread >= rules.spread_ratio_min)
    labels = sub_centre_class(drained, rises, spreads).astype(object)
    labels[np.isnan(share) | np.isnan(circle)] = NO_CLASS
    return labels
