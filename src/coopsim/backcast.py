"""The out-of-sample report: the baseline's 2021-2024 resident and GDP shares against published figures.

The model is fitted to 2020 (GDP, wages, the census) and to the 2010-2020 censuses (the trend); the figures
published for 2021-2024 (``guangdong_after_2020.csv``, sources in its SOURCES file) are never inputs. This module
reads them, turns them and the model's metrics into each city's share of the province, and scores the model
against two benchmarks a regional forecaster would use:

* ``constant``: every city keeps its 2020 share (the census population, the 2020 GDP);
* ``census_trend``: each city's 2010-2020 growth of residents relative to the province continues undamped (for
  residents only: GDP by city for 2010 or 2015 was not found, so there is no GDP trend benchmark).

The score is the mean absolute log error of shares, ``mean_i |ln(predicted_i / observed_i)|``, over the cities with
a published figure that year (Hyndman & Koehler 2006 discuss scale-free accuracy measures; the log ratio is the
symmetric one of Tornqvist, Vartia & Vartia 1985).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from coopsim.region import quarter_of
from coopsim.region_data import (
    PEOPLE_PER_10K,
    PROVINCE,
    DataError,
    census_growth_factor,
    load_cities,
    load_city_figures,
)

AFTER_2020_FILE = "guangdong_after_2020.csv"
QUANTITIES = {"residents_10k": "residents", "gdp_100m_yuan": "gdp"}  # table quantity -> model metric
YEARS = (2021, 2022, 2023, 2024)
CENSUS_2020 = datetime.date(2020, 11, 1)  # the 7th census's reference day
DAYS_PER_YEAR = 365.25


def load_observed(path: str | Path | None = None, cities: list[str] | None = None) -> pd.DataFrame:
    """The published 2021-2024 figures: ``city, year, quantity, value, precision, status, source``.

    Checked row by row by :func:`coopsim.region_data.load_city_figures` (a known city or the province, a year of
    :data:`YEARS`, a quantity of :data:`QUANTITIES`, a value > 0, a precision and a status from the lists, a source key,
    no (city, year, quantity) twice), raising :class:`DataError` naming file, row and field.
    """
    return load_city_figures(path, AFTER_2020_FILE, YEARS, list(QUANTITIES), cities)


def observed_shares(observed: pd.DataFrame) -> pd.DataFrame:
    """Each published city figure over the province's figure of the same year and quantity: ``city, year, quantity,
    share, precision, status``. Years without a provincial figure are left out (a share needs both)."""
    province = observed[observed["city"] == PROVINCE].set_index(["year", "quantity"])["value"]
    cities = observed[observed["city"] != PROVINCE]
    keys = list(zip(cities["year"], cities["quantity"], strict=True))
    has_total = np.array([key in province.index for key in keys], dtype=bool)
    cities = cities[has_total]
    totals = np.array([province[key] for key, kept in zip(keys, has_total, strict=True) if kept])
    return cities.assign(share=cities["value"].to_numpy() / totals)[["city", "year", "quantity", "share", "precision", "status"]]


def model_shares(metrics: pd.DataFrame, start: datetime.date, years=YEARS) -> pd.DataFrame:
    """The model's shares by year: residents at the end of each year, GDP summed over its four quarters.

    ``metrics`` is a run's tidy metrics (``step, city, metric, value``, one seed or the mean of several); step ``k`` is
    the state after ``k`` quarters from ``start``. Returns ``city, year, quantity, share`` for the years the run covers.
    """
    wide = {
        name: metrics[metrics["metric"] == name].pivot_table(index="step", columns="city", values="value") for name in QUANTITIES.values()
    }
    last = int(metrics["step"].max())
    parts = []
    for year in years:
        year_end = quarter_of(datetime.date(year + 1, 1, 1), start)
        first = quarter_of(datetime.date(year, 1, 1), start)
        for quantity, metric in QUANTITIES.items():
            steps = [year_end] if metric == "residents" else list(range(first, first + 4))
            if min(steps) < 0 or max(steps) > last:
                continue
            values = wide[metric].loc[steps].sum()
            parts.append(
                pd.DataFrame({"city": values.index, "year": year, "quantity": quantity, "share": (values / values.sum()).to_numpy()})
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["city", "year", "quantity", "share"])


def constant_benchmark(years=YEARS, path: str | Path | None = None) -> pd.DataFrame:
    """Every city keeps its 2020 share: census residents and 2020 GDP (``city, year, quantity, share``)."""
    records = load_cities(path)
    residents = np.array([r.population_10k for r in records])
    gdp = np.array([r.gdp_100m_yuan for r in records])
    names = [r.name for r in records]
    return pd.concat(
        [
            pd.DataFrame({"city": names, "year": year, "quantity": quantity, "share": values / values.sum()})
            for year in years
            for quantity, values in (("residents_10k", residents), ("gdp_100m_yuan", gdp))
        ],
        ignore_index=True,
    )


def census_trend_benchmark(years=YEARS, path: str | Path | None = None) -> pd.DataFrame:
    """Residents grow on from the 2020 census at each city's 2010-2020 annual rate (then shares are taken), to the end
    of each year. Residents only: there is no GDP trend (GDP by city for 2010 or 2015 was not found)."""
    records = load_cities(path)
    missing = [r.name for r in records if r.population_2010 is None]
    if missing:
        raise DataError(f"census_trend_benchmark: no 2010 census population for {missing}")
    now = np.array([r.population_10k * PEOPLE_PER_10K for r in records])
    rate = census_growth_factor(now, np.array([r.population_2010 for r in records]))
    parts = []
    for year in years:
        elapsed = (datetime.date(year + 1, 1, 1) - CENSUS_2020).days / DAYS_PER_YEAR
        values = now * rate**elapsed
        parts.append(
            pd.DataFrame({"city": [r.name for r in records], "year": year, "quantity": "residents_10k", "share": values / values.sum()})
        )
    return pd.concat(parts, ignore_index=True)


def compare_shares(predictions: dict[str, pd.DataFrame], observed: pd.DataFrame) -> pd.DataFrame:
    """Each prediction's share against the observed one, city by city: ``predictor, city, year, quantity, predicted,
    observed, log_error, precision, status`` (``log_error = ln(predicted / observed)``)."""
    parts = []
    for name, predicted in predictions.items():
        merged = observed.merge(predicted, on=["city", "year", "quantity"], suffixes=("_observed", "_predicted"))
        merged = merged.rename(columns={"share_observed": "observed", "share_predicted": "predicted"})
        merged["predictor"] = name
        merged["log_error"] = np.log(merged["predicted"] / merged["observed"])
        parts.append(merged)
    columns = ["predictor", "city", "year", "quantity", "predicted", "observed", "log_error", "precision", "status"]
    return pd.concat(parts, ignore_index=True)[columns]


def score(comparison: pd.DataFrame, statistic: str = "mae") -> pd.DataFrame:
    """Each predictor's error by quantity and year, over the cities every predictor covering that quantity covers:
    ``quantity, year, cities, <one column per predictor>`` (lower is better; empty where a predictor has no figure for
    that quantity, as the census trend for GDP). ``statistic``: ``mae``, the mean absolute log error
    ``mean |ln(predicted / observed)|``, or ``rmse``, its root mean square ``sqrt(mean ln(predicted / observed)^2)``.
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic: expected one of {STATISTICS}, got {statistic!r}")
    rows = []
    for (quantity, year), part in comparison.groupby(["quantity", "year"]):
        predictors = part["predictor"].unique()
        per_city = part.groupby("city")["predictor"].nunique()
        common = per_city[per_city == len(predictors)].index
        shared = part[part["city"].isin(common)]
        if statistic == "mae":
            errors = shared.assign(error=shared["log_error"].abs()).groupby("predictor")["error"].mean()
        else:
            errors = np.sqrt(shared.assign(error=shared["log_error"] ** 2).groupby("predictor")["error"].mean())
        rows.append({"quantity": quantity, "year": year, "cities": len(common), **errors.to_dict()})
    return pd.DataFrame(rows)


STATISTICS = ("mae", "rmse")


def share_changes(comparison: pd.DataFrame, cities: list[str], quantity: str = "gdp_100m_yuan") -> pd.DataFrame:
    """The change of each city's share since 2020, published against predicted, and whether their signs agree:
    ``predictor, city, year, observed_change, predicted_change, same_sign`` (changes relative: ``share / share_2020 - 1``,
    the 2020 share from the cities table, as the constant benchmark holds it)."""
    base = constant_benchmark(years=(YEARS[0],)).query("quantity == @quantity").set_index("city")["share"]
    part = comparison[(comparison["quantity"] == quantity) & comparison["city"].isin(cities)].copy()
    part["observed_change"] = part["observed"] / part["city"].map(base) - 1.0
    part["predicted_change"] = part["predicted"] / part["city"].map(base) - 1.0
    part["same_sign"] = np.sign(part["observed_change"]) == np.sign(part["predicted_change"])
    return part[["predictor", "city", "year", "observed_change", "predicted_change", "same_sign"]].reset_index(drop=True)
