"""Outcome reporters: per-city metrics each quarter, collected into a tidy table.

Each reporter is a plain function of the model returning one value per city, so it can be
tested alone; :data:`CITY_METRICS` declares them once. Region-wide diagnostics (market
convergence) and totals (``residents_total``, the region's residents; ``residents_outside``, the rest of China's
reservoir in an open province, NaN in a closed one) are recorded under the city label ``"region"``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import numpy as np
import pandas as pd

from coopsim.economy.money import annual_budget_units
from coopsim.region import quarter_name

REGION = "region"


def talent(model) -> np.ndarray:
    """People of talent living in each city."""
    return model.talent_per_city()


def talent_share(model) -> np.ndarray:
    """Each city's share of the region's talent."""
    people = model.talent_per_city()
    total = people.sum()
    return people / total if total > 0 else np.zeros_like(people)


def workers(model) -> np.ndarray:
    """Workers (residents without tertiary education) living in each city."""
    return model.workers_per_city()


def residents(model) -> np.ndarray:
    """Residents of each city: talent and workers."""
    return model.residents_per_city()


def enterprises(model) -> np.ndarray:
    """Enterprises producing in each city."""
    return model.enterprises_per_city().astype(float)


def wage(model) -> np.ndarray:
    """Talent wage in numeraire units (the entrant break-even wage where no enterprise is staffed)."""
    return model.market.wage


def worker_wage(model) -> np.ndarray:
    """Worker wage in numeraire units (clears the city's worker market)."""
    return model.market.worker_wage


def price_index(model) -> np.ndarray:
    """Consumer price index (Cobb-Douglas over sector price indices, outside good = 1)."""
    return model.market.cost_of_living(model.sectors.expenditure_share)


def real_wage(model) -> np.ndarray:
    """Talent's wage over the cost of living, goods and housing (:func:`coopsim.economy.welfare.log_real_wage`)."""
    return np.exp(model.log_real_wage("talent"))


def worker_real_wage(model) -> np.ndarray:
    """Workers' wage over the cost of living, goods and housing."""
    return np.exp(model.log_real_wage("workers"))


def income_per_resident(model) -> np.ndarray:
    """Residents' income (by residence: wages, rent, profits and the capital income owned there) per resident; GDP per
    resident is ``gdp / residents`` (by place). The two differ by the capital income owned outside the region."""
    return income(model) / np.maximum(residents(model), 1.0)


def housing_price(model) -> np.ndarray:
    """The floor-space price index that clears each city's housing market, 1 in 2020 (step 0) in every city
    (:mod:`coopsim.economy.housing`; no 2020 prices by city are in the data)."""
    return model.housing.price.copy()


def floor_space(model) -> np.ndarray:
    """Each city's floor space, ``H0 p ** epsilon``, in units of its 2020 stock's value at the 2020 price (numeraire)."""
    return model.housing.floor_space.copy()


def income(model) -> np.ndarray:
    """Income of residents (by residence): workers' and talent's wages, land rent, profits owned here and the share of
    the city's capital income its residents own (agreement spending transfers excluded). Housing rents are paid and
    received within the city (:mod:`coopsim.economy.housing`)."""
    return model.market.income - model.flows.transfers


def gdp(model) -> np.ndarray:
    """Value added produced in each city: the outside sector's output and the Dixit-Stiglitz sectors' revenue
    (:func:`coopsim.economy.market.value_added`, computed once when the market clears)."""
    return model.quarterly_gdp()


def gdp_100m_yuan(model) -> np.ndarray:
    """GDP at an annual rate in 亿元 (100 million yuan) of 2020 for data regions (:mod:`coopsim.economy.money`); NaN in
    theory regions, whose money is the numeraire only (read ``gdp``)."""
    if model.region.gdp_2020 is None:
        return np.full(model.region.size, np.nan)
    return annual_budget_units(gdp(model), model.numeraire_per_budget_unit)


def market_access(model) -> np.ndarray:
    """Each city's market access summed over sectors, ``sum_s MA_si`` (Redding & Venables 2004): demand within reach."""
    return model.market.market_access.sum(axis=0)


def gdp_share(model) -> np.ndarray:
    """Each city's share of the region's GDP."""
    value = gdp(model)
    return value / value.sum()


def enterprise_share(model) -> np.ndarray:
    """Each city's share of the region's enterprises."""
    count = model.enterprises_per_city().astype(float)
    return count / count.sum() if count.sum() > 0 else count


def outside_productivity(model) -> np.ndarray:
    """The outside sector's productivity (calibrated for data regions)."""
    return model.outside_productivity.copy()


def capital_stock(model) -> np.ndarray:
    """Capital built by agreement investment in each city, net of depreciation (budget units); it enters production."""
    return model.capital_stock.copy()


CITY_METRICS: dict[str, Callable] = {
    "talent": talent,
    "talent_share": talent_share,
    "workers": workers,
    "residents": residents,
    "enterprises": enterprises,
    "gdp": gdp,
    "gdp_100m_yuan": gdp_100m_yuan,
    "gdp_share": gdp_share,
    "enterprise_share": enterprise_share,
    "income": income,
    "income_per_resident": income_per_resident,
    "outside_productivity": outside_productivity,
    "capital_stock": capital_stock,
    "wage": wage,
    "worker_wage": worker_wage,
    "real_wage": real_wage,
    "worker_real_wage": worker_real_wage,
    "price_index": price_index,
    "housing_price": housing_price,
    "floor_space": floor_space,
    "market_access": market_access,
}


def partner_travel_minutes(model) -> float:
    """Fastest travel time between the region's core and partner city (NaN when the region names none)."""
    core, partner = model.region.core, model.region.partner
    if core is None or partner is None:
        return float("nan")
    return float(model.region.travel_minutes[core, partner])


FLOW_METRICS = (
    "entries_new",
    "entries_branch",
    "exits_shock",  # exogenous exit shocks (death shocks, Hopenhayn 1992), whatever the profit
    "exits_loss",
    "exits_staffing",
    "relocations_in",
    "relocations_out",
    "migration_in",  # talent arriving by migration (people)
    "migration_out",
    "worker_migration_in",  # workers arriving by migration (people)
    "worker_migration_out",
    "migration_from_outside",  # talent arriving from the rest of China (open provinces; people)
    "migration_to_outside",  # talent leaving for the rest of China
    "worker_migration_from_outside",  # workers arriving from the rest of China (people)
    "worker_migration_to_outside",
    "exchange_in",  # talent arriving on or back from a secondment (people)
    "exchange_out",
    "investment_out",  # agreement investment leaving (budget units)
    "investment_in",  # arriving, net of stated costs
    "investment_cost",
    "rail_minutes_saved",  # cut in travel time to a new line's first station, in its opening quarter
    "rail_line_not_faster",  # 1 at a new line's first station when it is not faster end to end, in its opening quarter
    "association_members",
    "design_served",
)


class MetricsRecorder:
    """Collects every metric for every city each quarter; ``frame()`` returns the tidy table."""

    def __init__(self, city_names: list[str], start_date: datetime.date | None = None) -> None:
        self.city_names = list(city_names)
        self.start_date = start_date  # step 0's calendar date (data regions): frame() adds each step's quarter
        self._steps: list[int] = []
        self._city_values: dict[str, list[np.ndarray]] = {name: [] for name in (*CITY_METRICS, *FLOW_METRICS)}
        self._region_values: dict[str, list[float]] = {
            "market_iterations": [],
            "market_converged": [],
            "market_residual": [],
            "partner_travel_minutes": [],
            "residents_total": [],
            "residents_outside": [],
        }

    def collect(self, model) -> None:
        """Record the quarter that just ended (step 0 is the initial state, after the model's first market solve)."""
        self._steps.append(int(model.steps))
        for name, reporter in CITY_METRICS.items():
            self._city_values[name].append(np.asarray(reporter(model), dtype=float).copy())
        for name in FLOW_METRICS:
            self._city_values[name].append(np.asarray(model.flows[name], dtype=float).copy())
        self._region_values["market_iterations"].append(float(model.market.iterations))
        self._region_values["market_converged"].append(float(model.market.converged))
        self._region_values["market_residual"].append(float(model.market.residual))
        self._region_values["partner_travel_minutes"].append(partner_travel_minutes(model))
        self._region_values["residents_total"].append(float(model.residents_per_city().sum()))
        self._region_values["residents_outside"].append(model.residents_outside())

    def last(self, metric: str) -> np.ndarray:
        """The latest recorded values of a per-city metric."""
        return self._city_values[metric][-1]

    def frame(self) -> pd.DataFrame:
        """Tidy metrics: one row per (step, city, metric) with a float ``value``; regions with a calendar (data
        regions) also get each step's ``quarter`` ("2021 Q1")."""
        steps = np.asarray(self._steps)
        K, T = len(self.city_names), len(steps)
        parts = []
        for name, values in self._city_values.items():
            parts.append(
                pd.DataFrame(
                    {
                        "step": np.repeat(steps, K),
                        "city": np.tile(self.city_names, T),
                        "metric": name,
                        "value": np.concatenate(values) if values else np.empty(0),
                    }
                )
            )
        for name, values in self._region_values.items():
            parts.append(pd.DataFrame({"step": steps, "city": REGION, "metric": name, "value": np.asarray(values)}))
        frame = pd.concat(parts, ignore_index=True)
        frame["step"] = frame["step"].astype("int64")
        if self.start_date is not None:  # the calendar quarter a person reads ("2021 Q1"), beside the step
            names = {step: quarter_name(step, self.start_date) for step in np.unique(steps)}
            frame.insert(1, "quarter", frame["step"].map(names).astype("string"))
        return frame
