"""Enterprises: Dixit-Stiglitz variety producers that earn profits, enter, exit, relocate and branch.

State lives in an :class:`~coopsim.agents.population.ArrayPopulation` with columns
``city, sector, owner_city, productivity, age, loss_streak, overhead, association``; every decision
below is vectorised over enterprises. :class:`Enterprise` is the Mesa handle of one row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mesa
import numpy as np

from coopsim.agents.choice import pairwise_logit_revision
from coopsim.agents.population import ArrayPopulation
from coopsim.config import EnterpriseConfig
from coopsim.economy.market import MarketSolution, SectorParameters
from coopsim.region import QUARTERS_PER_YEAR

ENTERPRISE_COLUMNS = {
    "city": np.int64,
    "sector": np.int64,
    "owner_city": np.int64,
    "productivity": np.float64,  # the enterprise's own efficiency; times its location's productivity z_si
    "age": np.int64,
    "loss_streak": np.int64,
    "overhead": np.float64,  # fixed-cost units: the idiosyncratic size weight, mean 1
    "association": np.int64,  # -1: no association
}


class Enterprise(mesa.Agent):
    """Handle on one enterprise (by its unique id): read its sector, city, owner city and productivity.

    Handles are made on demand by :meth:`coopsim.model.RegionalEconomy.enterprise_agents`,
    so that entry and exit never create or remove Mesa agents in the hot path.
    """

    def __init__(self, model: mesa.Model, uid: int) -> None:
        super().__init__(model)
        self.uid = uid

    @property
    def exists(self) -> bool:
        """False once the enterprise has exited."""
        return self.model.enterprises.row_of(self.uid) is not None

    def _get(self, column: str):
        row = self.model.enterprises.row_of(self.uid)
        if row is None:
            raise LookupError(f"enterprise {self.uid} has exited")
        return self.model.enterprises.column(column)[row]

    @property
    def city(self) -> str:
        """Name of the city where the enterprise produces."""
        return self.model.region.city_names[self._get("city")]

    @property
    def owner_city(self) -> str:
        """Name of the city where its owners live and receive its profits."""
        return self.model.region.city_names[self._get("owner_city")]

    @property
    def sector(self) -> str:
        """Name of its sector."""
        return self.model.sector_names[self._get("sector")]

    @property
    def productivity(self) -> float:
        """Productivity ``phi`` (inverse unit input requirement)."""
        return float(self._get("productivity"))


def new_enterprise_population() -> ArrayPopulation:
    """An empty enterprise population (columns of :data:`ENTERPRISE_COLUMNS`)."""
    return ArrayPopulation(ENTERPRISE_COLUMNS)


@dataclass(frozen=True)
class EnterpriseAggregates:
    """Per (sector, city) and per (sector, city, owner city) sums the market needs."""

    productivity_mass: np.ndarray
    count: np.ndarray
    overhead: np.ndarray
    owned_productivity_mass: np.ndarray
    owned_overhead: np.ndarray


def aggregate(
    pop: ArrayPopulation, sectors: SectorParameters, n_cities: int, location_mass: np.ndarray | None = None
) -> EnterpriseAggregates:
    """Sum ``(z_si phi) ** (sigma_s - 1)``, counts and overheads by (sector, city[, owner]) with ``np.bincount``.

    ``location_mass`` is ``z_si ** (sigma_s - 1)`` (S, K), the location's productivity (ones if None).
    """
    rows = pop.rows
    S, K = len(sectors.sigma), n_cities
    sector, city, owner = pop.sector[rows], pop.city[rows], pop.owner_city[rows]
    mass = sectors.productivity_mass(sector, pop.productivity[rows])
    if location_mass is not None:
        mass = mass * location_mass[sector, city]
    flat = (sector * K + city) * K + owner
    owned_mass = np.bincount(flat, weights=mass, minlength=S * K * K).reshape(S, K, K)
    owned_overhead = np.bincount(flat, weights=pop.overhead[rows], minlength=S * K * K).reshape(S, K, K)
    count = np.bincount(sector * K + city, minlength=S * K).reshape(S, K).astype(float)
    return EnterpriseAggregates(owned_mass.sum(axis=2), count, owned_overhead.sum(axis=2), owned_mass, owned_overhead)


def net_profit(
    pop: ArrayPopulation, rows, sectors: SectorParameters, market: MarketSolution, location_mass: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Revenue and net profit of the given enterprises where they are (each (N,))."""
    sector, city = pop.sector[rows], pop.city[rows]
    revenue = market.enterprise_revenue(sectors, sector, city, pop.productivity[rows]) * location_mass[sector, city]
    profit = revenue / sectors.sigma[sector] - sectors.fixed_talent[sector] * pop.overhead[rows] * market.wage[city]
    return revenue, profit


def understaffed_closures(
    pop: ArrayPopulation, sectors: SectorParameters, talent: np.ndarray, margin: float, priority: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Rows that must close because their city lacks the talent for their fixed costs.

    A city can staff enterprises only while ``sum_e F_s(e) <= (1 - margin) L_i``; beyond
    that, enterprises close in a random order (each one's own uniform from ``priority(rows)``)
    until the rest can be staffed (reported as exits for labour shortage).
    """
    rows = pop.rows
    need = sectors.fixed_talent[pop.sector[rows]] * pop.overhead[rows]
    city = pop.city[rows]
    capacity = (1.0 - margin) * talent
    short = np.flatnonzero(np.bincount(city, weights=need, minlength=len(talent)) > capacity)
    closures = []
    for k in short:  # loop over the few understaffed cities, not enterprises
        in_city = rows[city == k]
        order = in_city[np.argsort(priority(in_city), kind="stable")]
        cumulative = np.cumsum(sectors.fixed_talent[pop.sector[order]] * pop.overhead[order])
        closures.append(order[cumulative > capacity[k]])
    return np.concatenate(closures) if closures else np.empty(0, dtype=np.int64)


def zero_profit_gap(margin: np.ndarray) -> np.ndarray:
    """Relative gap to the zero-profit number of enterprises implied by a profit margin.

    With ``m = pi / (r / sigma)`` (net over operating profit) and enterprises sharing a
    market's operating profit, the zero-profit count is ``n* = n / (1 - m)`` (free entry,
    FKV 1999 eq. 4.16), so ``n*/n - 1 = m / (1 - m)``. Clipped to [-1, 1]: at most the
    whole stock exits or enters in a quarter.
    """
    margin = np.minimum(margin, 0.5)  # m / (1 - m) reaches 1 at m = 0.5
    return np.clip(margin / (1.0 - margin), -1.0, 1.0)


def exit_decisions(
    pop: ArrayPopulation, rows, revenue, profit, sectors: SectorParameters, params: EnterpriseConfig, uniform: np.ndarray
) -> np.ndarray:
    """Rows that exit after sustained losses.

    An enterprise with losses for ``exit_patience`` consecutive quarters exits with
    probability ``exit_rate * (-gap)``, the share of its market's enterprises that zero
    profit leaves no room for (:func:`zero_profit_gap`), so that exit fades out near zero
    profit (a hazard rising with losses, as in Hopenhayn 1992, Econometrica).
    Updates each enterprise's loss streak.
    """
    streak = pop.column("loss_streak")
    losing = profit < 0.0
    streak[rows] = np.where(losing, streak[rows] + 1, 0)
    operating = revenue / sectors.sigma[pop.sector[rows]]
    margin = profit / np.maximum(operating, 1e-300)
    hazard = np.where(streak[rows] >= params.exit_patience, params.exit_rate * np.maximum(-zero_profit_gap(margin), 0.0), 0.0)
    return rows[uniform < hazard]


def entry_decisions(
    sectors: SectorParameters,
    market: MarketSolution,
    count: np.ndarray,
    talent: np.ndarray,
    mean_entrant_mass: np.ndarray,
    params: EnterpriseConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """Number of entrants per (sector, city) this quarter, Poisson around where profits are high.

    An entrant of mean productivity expects margin ``m = pi / (r / sigma)``; expected
    entrants are ``entry_rate * gap(m) * max(n_si, pool_si)`` with the zero-profit gap of
    :func:`zero_profit_gap` and a pool of would-be founders
    ``entry_pool_share * (L_i / L) * n_s``, the city's talent share of the sector's
    enterprises, where the sector is thin or absent (scale-free), so that entry
    stops where profits vanish (free entry, FKV 1999 eq. 4.16).
    """
    operating = mean_entrant_mass * market.unit_cost ** (1.0 - sectors.sigma[:, None]) * market.market_access / sectors.sigma[:, None]
    fixed = sectors.fixed_talent[:, None] * market.wage[None, :]
    margin = np.where(operating > 0, (operating - fixed) / np.maximum(operating, 1e-300), 0.0)
    talent_share = talent / talent.sum() if talent.sum() > 0 else np.zeros_like(talent)
    pool = params.entry_pool_share * talent_share[None, :] * count.sum(axis=1, keepdims=True)
    expected = params.entry_rate * np.maximum(zero_profit_gap(margin), 0.0) * np.maximum(count, pool)
    return rng.poisson(expected)


def relocation_annuity(discount_rate: float, exit_hazard: float) -> float:
    """Present value, in quarters, of a permanent gain of 1 a quarter starting now, for an enterprise that may close.

    ``sum_t ((1 - h) / (1 + r)) ** t = (1 + r) / (r + h)`` with quarterly rates ``r`` and ``h`` from the
    annual discount rate and exit hazard (the effective discount of a firm facing an exit
    hazard, Hopenhayn 1992, Econometrica).
    """
    quarterly_discount = (1.0 + discount_rate) ** (1.0 / QUARTERS_PER_YEAR) - 1.0
    quarterly_hazard = 1.0 - (1.0 - exit_hazard) ** (1.0 / QUARTERS_PER_YEAR)
    return (1.0 + quarterly_discount) / (quarterly_discount + quarterly_hazard)


def relocation_choices(
    pop: ArrayPopulation,
    rows,
    sectors: SectorParameters,
    market: MarketSolution,
    moving_cost: np.ndarray,
    params: EnterpriseConfig,
    annuity: float,
    draws: Callable[[np.ndarray, int, int], np.ndarray],
    location_mass: np.ndarray,
    association_cost_multiplier: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Enterprises that move (or branch) and their destination city.

    A share ``relocation_rate`` reconsiders each quarter. It meets a candidate city in
    proportion to the enterprises already there and moves by a binary logit
    (:func:`coopsim.agents.choice.pairwise_logit_revision`, scale ``relocation_logit_scale``) on the
    present value of the move, in quarters of current revenue:
    ``annuity * (pi(j) - pi(i)) / r(i) - cost_ij``, with ``annuity`` from
    :func:`relocation_annuity` and a one-off cost (quarters of revenue) that association members
    see reduced toward partner cities (``association_cost_multiplier``, (associations + 1, K),
    last row for non-members). ``draws(rows, k, first)`` gives each enterprise's own uniforms
    this quarter (columns ``first..first+k-1``): column 0 decides who reconsiders, columns 1-2
    drive the revision. Returns (rows, destinations) of those choosing another city.
    """
    reconsider = rows[draws(rows, 1, 0)[:, 0] < params.relocation_rate]
    if len(reconsider) == 0 or moving_cost.shape[0] < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    sector, city, phi = pop.sector[reconsider], pop.city[reconsider], pop.productivity[reconsider]
    overhead = pop.overhead[reconsider]
    operating_per_mass = location_mass * market.revenue_per_mass(sectors) / sectors.sigma[:, None]  # (S, K)
    own_mass = sectors.productivity_mass(sector, phi)
    revenue_here = own_mass * operating_per_mass[sector, city] * sectors.sigma[sector]
    fixed = sectors.fixed_talent[sector] * overhead
    here = own_mass * operating_per_mass[sector, city] - fixed * market.wage[city]

    def value(candidate: np.ndarray) -> np.ndarray:
        there = own_mass * operating_per_mass[sector, candidate] - fixed * market.wage[candidate]
        cost = moving_cost[city, candidate]
        if association_cost_multiplier is not None:
            cost = cost * association_cost_multiplier[pop.association[reconsider], candidate]
        return annuity * (there - here) / np.maximum(revenue_here, 1e-300) - cost

    weight = np.bincount(pop.city[rows], minlength=moving_cost.shape[0]).astype(float)
    destination = pairwise_logit_revision(value, city, weight, params.relocation_logit_scale, draws(reconsider, 2, 1))
    moving = destination != city
    return reconsider[moving], destination[moving]
