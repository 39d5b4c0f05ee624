"""Sub-centre indicators of a scenario, and its class: did the partner become a sub-centre, spread growth, or drain?

Links can favour the primate city over its hinterland (Faber 2014, REStud; Qin 2017, JEG;
Baum-Snow, Henderson, Turner, Zhang & Brandt 2020, JUE), so whether the partner grows, spreads
growth to its metropolitan circle or is drained toward the core is measured, not assumed. From a
run's tidy metrics at the horizon (and at step 0), with the circle and wing named in the region
config:

* ``partner_circle_share``: the partner's share of its circle's GDP (Shantou / Shantou + Chaozhou
  + Jieyang: 46.0% in 2020);
* ``spread_ratio``: the change in the rest of the circle's GDP over the change in the partner's
  (since step 0 as a level; scenario minus paired baseline as an effect): > 0 growth spreads,
  < 0 backwash;
* ``circle_gdp_share``, ``circle_resident_share``: the circle's share of the region's GDP and
  residents (5.35% and 10.83% in 2020);
* ``partner_access_rank``: the partner's rank by market access among the wing's cities (1 = most
  access), and ``partner_core_access``: its market access relative to the core's.

Each is reported as a level (mean over seeds) and as an effect against the paired no-agreement
baseline with a 95% confidence interval (t distribution over paired seeds). A scenario's class
(:func:`classify`) follows stated thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

INDICATORS = (
    "partner_circle_share",
    "spread_ratio",
    "circle_gdp_share",
    "circle_resident_share",
    "partner_access_rank",
    "partner_core_access",
)
INDICATOR_METRICS = ("gdp", "residents", "market_access")
CONFIDENCE = 0.95
CLASSES = ("sub_centre_with_spread", "local_primacy", "drained_by_core", "no_effect")


@dataclass(frozen=True)
class Geography:
    """Who is who for the indicators: the partner, the core, the partner's circle and its wing."""

    partner: str
    core: str
    circle: tuple[str, ...]
    wing: tuple[str, ...]


def geography_of(region) -> tuple[Geography | None, str | None]:
    """The partner, core, circle and wing a region config names (a ``DictConfig`` or the dict of a saved
    ``config.yaml``), or None and why the sub-centre indicators cannot be computed."""
    missing = [key for key in ("partner_city", "core_city", "circle") if not region.get(key)]
    if missing:
        return None, f"a region that names its {', '.join(f'region.{key}' for key in missing)} (region {region.get('name')})"
    circle = tuple(region["circle"])
    return Geography(region["partner_city"], region["core_city"], circle, tuple(region.get("wing") or circle)), None


def run_indicators(metrics: pd.DataFrame, geography: Geography, horizon: int) -> dict[str, float]:
    """Levels of the indicators for one run (its tidy metrics: ``step, city, metric, value``)."""
    wide = metrics[metrics["step"].isin([0, horizon])].pivot_table(index=["step", "city"], columns="metric", values="value")
    gdp0, gdp = wide.loc[0, "gdp"], wide.loc[horizon, "gdp"]
    residents = wide.loc[horizon, "residents"]
    access = wide.loc[horizon, "market_access"]
    circle, rest = list(geography.circle), [c for c in geography.circle if c != geography.partner]
    partner_change = gdp[geography.partner] - gdp0[geography.partner]
    rest_change = gdp[rest].sum() - gdp0[rest].sum()
    wing_access = access[list(geography.wing)].sort_values(ascending=False)
    return {
        "partner_circle_share": gdp[geography.partner] / gdp[circle].sum(),
        "spread_ratio": rest_change / partner_change if partner_change != 0 else np.nan,
        "circle_gdp_share": gdp[circle].sum() / gdp.drop("region", errors="ignore").sum(),
        "circle_resident_share": residents[circle].sum() / residents.drop("region", errors="ignore").sum(),
        "partner_access_rank": float(list(wing_access.index).index(geography.partner) + 1),
        "partner_core_access": access[geography.partner] / access[geography.core],
        "partner_gdp": gdp[geography.partner],
        "rest_of_circle_gdp": gdp[rest].sum(),
        "partner_gdp_share": gdp[geography.partner] / gdp.drop("region", errors="ignore").sum(),
    }


def indicator_table(levels: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Levels and paired effects per scenario: columns ``scenario, indicator, seeds, mean, effect, ci_low, ci_high``.

    ``levels`` has one row per run: ``scenario, pairing, seed, agreement`` and the indicator
    levels of :func:`run_indicators`. The effect of ``spread_ratio`` is the ratio of the rest of
    the circle's GDP effect to the partner's, per seed; the others are differences of levels.
    """
    base = levels[levels["agreement"] == baseline].set_index(["pairing", "seed"])
    rows = []
    for scenario, data in levels.groupby("scenario", sort=False):
        joined = data.set_index(["pairing", "seed"]).join(base, suffixes=("", "_base"), how="inner")
        is_baseline = (data["agreement"] == baseline).all()
        for indicator in INDICATORS:
            if is_baseline or joined.empty:
                effect = np.full(0, np.nan)
            elif indicator == "spread_ratio":
                effect = (joined["rest_of_circle_gdp"] - joined["rest_of_circle_gdp_base"]) / (
                    joined["partner_gdp"] - joined["partner_gdp_base"]
                )
            else:
                effect = joined[indicator] - joined[f"{indicator}_base"]
            effect = np.asarray(effect, dtype=float)
            mean, low, high = mean_interval(effect[np.isfinite(effect)])  # a seed whose partner did not move has no ratio
            rows.append(
                {
                    "scenario": scenario,
                    "indicator": indicator,
                    "seeds": int(data["seed"].nunique()),
                    "mean": float(data[indicator].mean()),
                    "effect": mean,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "indicator", "seeds", "mean", "effect", "ci_low", "ci_high"])


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and its two-sided :data:`CONFIDENCE` interval from the t distribution (NaN interval below two values)."""
    n = len(values)
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class ClassThresholds:
    """When a scenario counts as what (effects against the paired baseline).

    spread_ratio_min: the rest of the circle must gain at least this share of the partner's GDP gain for growth
        to count as spreading (0: any gain; a positive value asks for more than crumbs).
    """

    spread_ratio_min: float = 0.0


def classify(table: pd.DataFrame, partner_share: pd.DataFrame, thresholds: ClassThresholds = ClassThresholds()) -> pd.DataFrame:
    """The class of each non-baseline scenario: ``scenario, sub_centre_class``.

    ``partner_share`` has the paired effect on the partner's share of the region's GDP
    (``scenario, effect, ci_low, ci_high``). In order:
    ``drained_by_core`` when that share falls (interval below 0); ``sub_centre_with_spread`` when
    the partner's share of its circle and of the region do not fall, one of them rises, and the
    rest of the circle gains at least ``spread_ratio_min`` of the partner's gain;
    ``local_primacy`` when the partner gains but its neighbours do not gain that much (backwash);
    ``no_effect`` otherwise (the partner's position does not measurably improve or fall).
    """
    rows = []
    for scenario, data in table.dropna(subset=["ci_low"]).groupby("scenario", sort=False):
        by = data.set_index("indicator")
        share = partner_share.set_index("scenario").loc[scenario]
        circle = by.loc["partner_circle_share"]
        spread = by.loc["spread_ratio"]
        label = sub_centre_class(
            drained=share["ci_high"] < 0,
            rises=(share["ci_low"] > 0) | (circle["ci_low"] > 0),
            spreads=(spread["effect"] >= thresholds.spread_ratio_min) & (spread["ci_low"] > 0),
        )
        rows.append({"scenario": scenario, "sub_centre_class": str(label)})
    return pd.DataFrame(rows, columns=["scenario", "sub_centre_class"])


def sub_centre_class(drained, rises, spreads) -> np.ndarray:
    """The class from its three tests (booleans or boolean arrays), in order: ``drained_by_core`` when the partner's
    share of the region falls; ``sub_centre_with_spread`` when the partner rises and its circle gains enough;
    ``local_primacy`` when it rises alone; ``no_effect`` otherwise. :func:`classify` (intervals) and the exploration's
    per-run classes (tolerances) decide the tests; this decides the class."""
    with_spread, local_primacy, drained_by_core, no_effect = CLASSES
    drained, rises, spreads = np.asarray(drained), np.asarray(rises), np.asarray(spreads)
    return np.select([drained, rises & spreads, rises], [drained_by_core, with_spread, local_primacy], default=no_effect)
