"""Enterprises: Dixit-Stiglitz variety producers that earn profits, enter, exit, relocate and branch.

Firm demography turns over at rest: every enterprise closes with a small exogenous hazard each quarter (a death shock,
Hopenhayn 1992, Econometrica), entrants replace the zero-profit count's turnover, and losses add exits on top.

State lives in an :class:`~coopsim.agents.population.ArrayPopulation` with columns
``city, sector, owner_city, productivity, loss_streak, overhead, association, key``; every decision
below is vectorised over enterprises. :class:`Enterprise` is the Mesa handle of one row.

The per-enterprise passes of the decisions (profits, loss streaks and exit hazards, who reconsiders
its location and what a move is worth) are loops compiled by numba, one pass each over the rows
with no temporary arrays. They do numpy's arithmetic in numpy's order (IEEE products, quotients and
differences are exact to the last bit in both), so results are the same doubles as numpy's; powers
stay numpy's (:meth:`~coopsim.economy.market.SectorParameters.productivity_mass`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mesa
import numba
import numpy as np
from scipy.stats import poisson

from coopsim.agents.choice import pairwise_logit_revision
from coopsim.agents.population import ArrayPopulation, recycled_empty
from coopsim.config import EnterpriseConfig
from coopsim.economy.market import MarketSolution, SectorParameters
from coopsim.region import QUARTERS_PER_YEAR

ENTERPRISE_COLUMNS = {
    "city": np.int64,
    "sector": np.int64,
    "owner_city": np.int64,
    "productivity": np.float64,  # the enterprise's own efficiency; times its location's productivity z_si
    "loss_streak": np.int64,
    "overhead": np.float64,  # fixed-cost units: the idiosyncratic size weight, mean 1
    "association": np.int64,  # -1: no association
    "key": np.int64,  # the key of its own draws (coopsim.random_streams): its id, or derived for entrants and branches
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
    """Revenue and net profit of the given enterprises where they are (each (N,)).

    Revenue ``r_e = phi_e ** (sigma-1) c_si ** (1-sigma) MA_si`` times the location's
    ``z_si ** (sigma-1)`` (Redding & Venables 2004, JIE, eq. 6; :mod:`coopsim.economy.market`),
    net profit ``r_e / sigma_s - F_s o_e w_i`` (constant mark-up less fixed talent cost, FKV 1999 ch. 4).
    The powers are numpy's (:meth:`SectorParameters.productivity_mass`); the rest is one compiled pass
    (:func:`_revenue_and_profit`).
    """
    rows = _as_rows(rows, pop)
    mass, by_row = _productivity_mass(pop, rows, sectors)
    mass = _floats(mass)
    revenue, profit = recycled_empty(len(rows)), recycled_empty(len(rows))
    _revenue_and_profit(
        rows,
        mass,
        by_row,
        pop.sector,
        pop.city,
        pop.overhead,
        _floats(market.revenue_per_mass(sectors)),
        _floats(location_mass),
        location_mass.shape[1],
        _floats(sectors.sigma),
        _floats(sectors.fixed_talent),
        _floats(market.wage),
        revenue,
        profit,
    )
    return revenue, profit


DENSE_SHARE = 0.75  # computing for every row, dead ones included, beats gathering when this share of rows is asked for


def _productivity_mass(pop: ArrayPopulation, rows: np.ndarray, sectors: SectorParameters) -> tuple[np.ndarray, bool]:
    """``phi ** (sigma_s - 1)`` of ``rows``, and whether it is indexed by row (computed for every row of the
    population, when ``rows`` are most of them: no gather) rather than by position in ``rows``."""
    if len(rows) and len(rows) >= DENSE_SHARE * len(pop.uid):
        return sectors.productivity_mass(pop.sector, pop.productivity), True
    one_sigma = bool(np.all(sectors.sigma == sectors.sigma[0]))  # then the sector is not needed
    sector = None if one_sigma else np.take(pop.sector, rows)
    return sectors.productivity_mass(sector, np.take(pop.productivity, rows)), False


@numba.njit(cache=True, nogil=True)
def _revenue_and_profit(rows, mass, by_row, sector, city, overhead, per_mass, location_mass, n_cities, sigma, fixed, wage, revenue, profit):
    """Fill ``revenue`` and ``profit`` of each row: ``mass * per_mass_si * location_mass_si`` and
    ``revenue / sigma_s - F_s o_e w_i``, in numpy's order of operations (exact IEEE products: the same doubles).

    ``per_mass`` and ``location_mass`` are (S, K) tables flattened; indices are unsigned, which spares
    numba's negative-index checks, and a sector or city code outside the tables (a negative one wraps to a huge
    unsigned value) raises IndexError. ``mass`` is indexed by row (``by_row``) or by position in ``rows``.
    """
    K, S = np.uint64(n_cities), np.uint64(sigma.shape[0])
    for i in range(rows.shape[0]):
        r = np.uint64(rows[i])
        s, c = np.uint64(sector[r]), np.uint64(city[r])
        if s >= S or c >= K:
            raise IndexError("an enterprise's sector or city code is outside the sector and city tables")
        cell = s * K + c
        value = (mass[r] if by_row else mass[i]) * per_mass[cell]
        value = value * location_mass[cell]
        revenue[i] = value
        profit[i] = value / sigma[s] - fixed[s] * overhead[r] * wage[c]


def _as_rows(rows, pop: ArrayPopulation | None = None) -> np.ndarray:
    """Row indices as an int64 array (a boolean mask over rows becomes the indices it selects; int64 rows pass as they
    are). Given ``pop``, rows other than its own living ones are checked to be its rows: compiled loops do not check."""
    rows = np.asarray(rows)
    rows = np.flatnonzero(rows) if rows.dtype == bool else np.ascontiguousarray(rows, dtype=np.int64)
    if pop is not None and rows is not pop.rows and len(rows) and (rows.min() < 0 or rows.max() >= len(pop.uid)):
        raise IndexError(f"rows outside the population's {len(pop.uid)} rows")
    return rows


def _floats(values) -> np.ndarray:
    """A contiguous float64 array (a view when it already is one): one compiled version of each loop, and the same doubles
    as numpy's arithmetic, which converts integers to float64 before it multiplies or divides."""
    return np.ascontiguousarray(values, dtype=np.float64).ravel()


@numba.njit(cache=True, nogil=True)
def _reconsidering_and_count(rows, uniform, rate, city, n_cities):
    """The rows whose ``uniform`` is below ``rate`` (in their order), and how many of all ``rows`` are in each city
    (a ``bincount`` of their cities), in one pass."""
    count = np.zeros(n_cities, dtype=np.int64)
    chosen = np.empty(rows.shape[0], dtype=np.int64)
    n = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        k = city[np.uint64(r)]
        if k < 0 or k >= n_cities:
            raise IndexError("an enterprise's city is not one of the moving-cost matrix's cities")
        count[np.uint64(k)] += 1
        if uniform[i] < rate:
            chosen[n] = r
            n += 1
    return chosen[:n].copy(), count


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


MAX_MARGIN = 0.5  # m / (1 - m) reaches 1, the largest gap, at m = 0.5
MIN_OPERATING_PROFIT = 1e-300  # a margin's denominator: an enterprise with no revenue has an infinite (negative) margin


def zero_profit_gap(margin: np.ndarray) -> np.ndarray:
    """Relative gap to the zero-profit number of enterprises implied by a profit margin.

    With ``m = pi / (r / sigma)`` (net over operating profit) and enterprises sharing a
    market's operating profit, the zero-profit count is ``n* = n / (1 - m)`` (free entry,
    FKV 1999 eq. 4.16), so ``n*/n - 1 = m / (1 - m)``. Clipped to [-1, 1]: at most the
    whole stock exits or enters in a quarter (an infinite loss, no revenue at all, is -1: the limit).
    """
    margin = np.minimum(margin, MAX_MARGIN)
    with np.errstate(invalid="ignore"):  # -inf / inf: the limit, -1, is set below
        gap = np.clip(margin / (1.0 - margin), -1.0, 1.0)
    return np.where(np.isneginf(margin), -1.0, gap)


def exit_decisions(
    pop: ArrayPopulation,
    rows,
    revenue,
    profit,
    sectors: SectorParameters,
    params: EnterpriseConfig,
    uniform: np.ndarray | Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Rows that exit after sustained losses.

    An enterprise with losses for ``exit_patience`` consecutive quarters exits with
    probability ``exit_rate * (-gap)``, the share of its market's enterprises that zero
    profit leaves no room for (:func:`zero_profit_gap`), so that exit fades out near zero
    profit (a hazard rising with losses, as in Hopenhayn 1992, Econometrica).
    Updates each enterprise's loss streak. ``uniform`` is each enterprise's draw (N,), or a
    function giving the draws of the rows it is passed, so that only those past their
    patience draw (the same draws either way).
    """
    rows = _as_rows(rows, pop)
    patient, hazard = recycled_empty(len(rows), np.int64), recycled_empty(len(rows))  # the first n are written
    n = _loss_streaks_and_hazards(
        rows,
        pop.column("loss_streak"),
        _floats(revenue),
        _floats(profit),
        pop.sector,
        _floats(sectors.sigma),
        params.exit_patience,
        float(params.exit_rate),
        patient,
        hazard,
    )
    patient, hazard = patient[:n], hazard[:n]
    at_risk = np.take(rows, patient)
    draw = uniform(at_risk) if callable(uniform) else np.take(uniform, patient)
    return at_risk[draw < hazard]


@numba.njit(cache=True, nogil=True)
def _loss_streaks_and_hazards(rows, streak, revenue, profit, sector, sigma, patience, exit_rate, patient, hazard):
    """Lengthen each row's loss streak (or end it on a profit); for those at ``patience`` or beyond, write their
    position in ``rows`` and their exit hazard ``exit_rate * max(-gap(m), 0)`` to ``patient`` and ``hazard``, with
    ``m = pi / max(r / sigma, MIN_OPERATING_PROFIT)`` and ``gap`` of :func:`zero_profit_gap` (Hopenhayn 1992; FKV 1999 eq. 4.16);
    returns how many. A NaN margin gives a NaN hazard (no exit), as numpy's ``minimum``, ``maximum`` and ``clip`` do."""
    n = 0
    for i in range(rows.shape[0]):
        r = np.uint64(rows[i])
        length = streak[r] + 1 if profit[i] < 0.0 else 0
        streak[r] = length
        if length >= patience:
            operating = revenue[i] / sigma[np.uint64(sector[r])]
            gap = _gap(profit[i] / _nan_max(operating, MIN_OPERATING_PROFIT))
            patient[n] = i
            hazard[n] = exit_rate * _nan_max(-gap, 0.0)
            n += 1
    return n


@numba.njit(cache=True)
def _gap(margin):
    """:func:`zero_profit_gap` of one margin, in numpy's order of operations (the same double)."""
    if margin == -np.inf:
        return -1.0
    margin = _nan_min(margin, MAX_MARGIN)
    return _nan_min(_nan_max(margin / (1.0 - margin), -1.0), 1.0)


@numba.njit(cache=True)
def _nan_max(a, b):
    """``np.maximum`` of two doubles (NaN if either is; ``a`` on a tie, as numpy)."""
    return a if (a >= b or a != a) else b


@numba.njit(cache=True)
def _nan_min(a, b):
    """``np.minimum`` of two doubles (NaN if either is; ``a`` on a tie, as numpy)."""
    return a if (a <= b or a != a) else b


def quarterly_hazard(annual: float) -> float:
    """The quarterly chance of an event that strikes with annual chance ``annual`` at a constant hazard:
    ``1 - (1 - annual) ** (1 / 4)``."""
    return 1.0 - (1.0 - annual) ** (1.0 / QUARTERS_PER_YEAR)


def shock_exits(rows, uniform: np.ndarray, params: EnterpriseConfig) -> np.ndarray:
    """Rows that close this quarter by an exogenous exit shock, whatever their profit.

    Each enterprise closes with the quarterly chance :func:`quarterly_hazard` of ``exit_hazard`` (the death shocks of
    Hopenhayn 1992, Econometrica: owners retire, products or plants become obsolete), so that firm demography turns
    over at rest at the annual rate of Chinese enterprises' deregistrations (``configs/economy/default.yaml``).
    ``uniform`` is each row's own draw (N,). The same ``exit_hazard`` shortens the horizon of a relocation's gain
    (:func:`relocation_annuity`).
    """
    rows = _as_rows(rows)
    return rows[np.asarray(uniform) < quarterly_hazard(params.exit_hazard)]


def entry_decisions(
    sectors: SectorParameters,
    market: MarketSolution,
    count: np.ndarray,
    talent: np.ndarray,
    mean_entrant_mass: np.ndarray,
    params: EnterpriseConfig,
    draws: np.random.Generator | np.ndarray,
    overhead: np.ndarray | None = None,
) -> np.ndarray:
    """Number of entrants per (sector, city) this quarter, Poisson around the zero-profit count's turnover and where
    profits are high.

    An entrant of mean productivity expects margin ``m = pi / (r / sigma)``, whose zero-profit gap
    ``gap(m) = m / (1 - m)`` (:func:`zero_profit_gap`) is the relative distance of the stock to its zero-profit
    count ``n* = n (1 + gap)`` (free entry, FKV 1999 eq. 4.16). Expected entrants are

    ``h * o_si * (1 + gap) + entry_rate * max(gap, 0) * max(o_si, pool_si)``:

    the first term replaces the zero-profit count's turnover at the quarterly exit-shock hazard ``h``
    (:func:`quarterly_hazard` of ``exit_hazard``), so that at rest (``gap = 0``) entry equals the expected exit shocks
    and rises or falls smoothly with the gap; the second closes part of a positive gap (the existing free entry).
    ``o_si`` is the stock in fixed-cost units (``overhead``, (S, K); the count when None): the slots that free entry fills
    with local talent, so plants whose fixed input is capital placed by an agreement (overhead 0) are not replaced.
    ``pool_si = entry_pool_share * (L_i / L) * n_s``, the city's talent share of the sector's enterprises, lets entry
    start where the sector is thin or absent (scale-free). No entrant where a mean entrant would not cover its fixed cost
    (gap -1, the limit of no revenue).

    ``draws`` is a generator, or one uniform per (sector, city) (S, K), each inverted through its cell's Poisson
    distribution: then a cell's entrants depend only on its own expectation and draw, so paired scenarios whose
    expectations barely differ draw the same entrants (common random numbers).
    """
    operating = mean_entrant_mass * market.unit_cost ** (1.0 - sectors.sigma[:, None]) * market.market_access / sectors.sigma[:, None]
    fixed = sectors.fixed_talent[:, None] * market.wage[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):  # no revenue: margin -inf, the gap's limit -1
        margin = np.where(operating > 0, (operating - fixed) / np.maximum(operating, MIN_OPERATING_PROFIT), -np.inf)
    talent_share = talent / talent.sum() if talent.sum() > 0 else np.zeros_like(talent)
    pool = params.entry_pool_share * talent_share[None, :] * count.sum(axis=1, keepdims=True)
    slots = count if overhead is None else overhead
    gap = zero_profit_gap(margin)
    replacement = quarterly_hazard(params.exit_hazard) * slots * (1.0 + gap)
    expected = replacement + params.entry_rate * np.maximum(gap, 0.0) * np.maximum(slots, pool)
    if not np.isfinite(expected).all():  # the quantile of NaN would be a garbage count, not an error
        raise ValueError("expected entrants are not finite: the market gave a NaN margin or stock")
    if isinstance(draws, np.random.Generator):
        return draws.poisson(expected)
    return np.maximum(poisson.ppf(draws, expected), 0.0).astype(np.int64)  # a draw of exactly 0 is the quantile -1


def relocation_annuity(discount_rate: float, exit_hazard: float) -> float:
    """Present value, in quarters, of a permanent gain of 1 a quarter starting now, for an enterprise that may close.

    ``sum_t ((1 - h) / (1 + r)) ** t = (1 + r) / (r + h)`` with quarterly rates ``r`` and ``h`` from the
    annual discount rate and exit hazard (the effective discount of a firm facing an exit
    hazard, Hopenhayn 1992, Econometrica): the same ``exit_hazard`` that closes enterprises (:func:`shock_exits`).
    """
    quarterly_discount = (1.0 + discount_rate) ** (1.0 / QUARTERS_PER_YEAR) - 1.0
    hazard = quarterly_hazard(exit_hazard)
    return (1.0 + quarterly_discount) / (quarterly_discount + hazard)


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
    rows = _as_rows(rows, pop)
    K = moving_cost.shape[0]
    first_draw = _floats(draws(rows, 1, 0)[:, 0])  # who reconsiders
    reconsider, weight = _reconsidering_and_count(rows, first_draw, float(params.relocation_rate), pop.city, K)
    if len(reconsider) == 0 or K < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    members = association_cost_multiplier is not None
    city = np.take(pop.city, reconsider)
    own_mass = sectors.productivity_mass(np.take(pop.sector, reconsider), np.take(pop.productivity, reconsider))
    operating_per_mass = location_mass * market.revenue_per_mass(sectors) / sectors.sigma[:, None]  # (S, K)
    multiplier = association_cost_multiplier if members else np.ones((1, K))
    tables = (
        _floats(operating_per_mass),
        _floats(sectors.sigma),
        _floats(sectors.fixed_talent),
        _floats(market.wage),
        _floats(moving_cost),
        _floats(multiplier),
        len(multiplier),
        K,
        members,
        float(annuity),
    )

    def value(candidate: np.ndarray) -> np.ndarray:
        out = np.empty(len(candidate))
        columns = (pop.sector, pop.city, pop.overhead, pop.association)
        _relocation_values(reconsider, _floats(own_mass), _as_rows(candidate), *columns, *tables, out)
        return out

    destination = pairwise_logit_revision(value, city, weight.astype(float), params.relocation_logit_scale, draws(reconsider, 2, 1))
    moving = np.flatnonzero(destination != city)
    return np.take(reconsider, moving), np.take(destination, moving)


@numba.njit(cache=True, nogil=True)
def _relocation_values(
    rows,
    own_mass,
    candidate,
    sector,
    city,
    overhead,
    association,
    operating_per_mass,
    sigma,
    fixed,
    wage,
    moving_cost,
    multiplier,
    n_multipliers,
    n_cities,
    members,
    annuity,
    out,
):
    """Present value of moving each row to its candidate city, in quarters of revenue (:func:`relocation_choices`):
    ``annuity * (pi_j - pi_i) / max(r_i, MIN_OPERATING_PROFIT) - cost_ij`` with ``pi = mass * (r / sigma per mass) - F_s o_e w``
    (net profit, FKV 1999 ch. 4) and ``r_i = sigma * operating profit here``; costs times the association's multiplier
    for members (the last row of ``multiplier`` for non-members, association -1). Numpy's order of operations; the
    (S, K), (K, K) and (associations + 1, K) tables come flattened."""
    K, S = np.uint64(n_cities), np.uint64(sigma.shape[0])
    for i in range(rows.shape[0]):
        r, j = np.uint64(rows[i]), np.uint64(candidate[i])
        s, c = np.uint64(sector[r]), np.uint64(city[r])
        if s >= S or c >= K or j >= K:  # a negative code wraps to a huge unsigned value
            raise IndexError("an enterprise's sector, city or candidate city is outside the tables")
        operating_here = own_mass[i] * operating_per_mass[s * K + c]
        revenue_here = operating_here * sigma[s]
        cost_units = fixed[s] * overhead[r]
        here = operating_here - cost_units * wage[c]
        there = own_mass[i] * operating_per_mass[s * K + j] - cost_units * wage[j]
        cost = moving_cost[c * K + j]
        if members:
            a = association[r]
            if a < -1 or a >= n_multipliers - 1:  # -1: not a member (the last row); else an association's row
                raise IndexError("an enterprise's association is outside the association cost table")
            cost = cost * multiplier[np.uint64(a if a >= 0 else n_multipliers + a) * K + j]
        out[i] = annuity * (there - here) / _nan_max(revenue_here, MIN_OPERATING_PROFIT) - cost
