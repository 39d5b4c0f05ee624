"""Short-run market equilibrium: CES price indices, the two groups' wages and incomes per city.

Given where enterprises, talent and workers are, the market solves for each city's talent
wage ``w_i``, worker wage ``v_i`` and income ``Y_i`` by an accelerated fixed point over K x K
(per sector) matrices. Everything is vectorised over sectors and cities; enterprises enter
only through their aggregates per (sector, city) and per (sector, city, owner city).

Equations (for sector ``s``, producing city ``i``, consuming city ``j``):

* marginal cost ``c_si = (w_i ** alpha_s v_i ** (1 - alpha_s)) ** (1 - theta_i)``, Cobb-Douglas in
  talent, workers and capital with the city's capital share ``theta_i`` (capital hired at a
  rental of one numeraire unit a quarter from a national capital market, so its price is the
  same everywhere; the rental's level is a choice of capital's units), with the
  Fujita-Krugman-Venables (1999, ch. 4.2) normalisation that the unit input requirement equals
  ``rho_s = (sigma_s - 1) / sigma_s``, so that the mill price is ``p_e = c_si / phi_e``;
* Dixit-Stiglitz price index (FKV eq. 4.27 generalised to heterogeneous firms)
  ``P_sj ** (1 - sigma) = sum_i A_si (c_si tau_sij) ** (1 - sigma)`` where
  ``A_si = sum_{e in (s, i)} phi_e ** (sigma - 1)``;
* market access ``MA_si = sum_j mu_s Y_j tau_sij ** (1 - sigma) P_sj ** (sigma - 1)``
  so that an enterprise's revenue is ``r_e = phi_e ** (sigma-1) c_si ** (1-sigma) MA_si``
  (Redding & Venables 2004, JIE, eq. 6);
* operating profit ``r_e / sigma_s`` (constant mark-up), net profit
  ``r_e / sigma_s - F_s o_e w_i`` with ``F_s`` talent units of fixed cost per unit of
  overhead ``o_e`` (1 for identical enterprises);
* talent market clearing (FKV eq. 5.3 before free entry): the talent wage bill on
  variable inputs is the Cobb-Douglas share ``alpha_s (1 - theta_i)`` of variable cost ``rho_s r``,
  so ``w_i (L_i - sum_s F_s o_si) = sum_s alpha_s (1 - theta_i) rho_s R_si``; capital earns
  ``theta_i rho_s R_si``;
* the outside sector (everything outside the Dixit-Stiglitz sectors: local services,
  construction, farming) makes the freely traded numeraire from workers, a fixed local
  factor (land) and capital, ``Q_i = B_i K_i ** theta_i (N_Oi ** (1 - gamma)) ** (1 - theta_i)``
  (the agricultural sector of FKV 1999, ch. 4, with decreasing returns from land as in
  Helpman 1998, and capital); with capital hired at the common rental, ``K_i = theta_i Q_i``
  and ``Q_i = b_i N_Oi ** (1 - gamma)`` with ``b_i`` the sector's productivity net of capital
  (what the calibration fits); workers earn their marginal product there,
  ``v_i = (1 - theta_i) (1 - gamma) b_i N_Oi ** (-gamma)``, so worker-market clearing
  ``v_i (N_i - N_Oi) = sum_s (1 - alpha_s) (1 - theta_i) rho_s R_si`` sets the worker wage; with
  ``gamma = 0`` the wage is ``(1 - theta_i) b_i`` while the outside sector is active (FKV's farm
  wage); land earns ``(1 - theta_i) gamma Q_i`` and capital ``theta_i Q_i``;
* income by residence (FKV eq. 5.1 plus profits, land rent, capital income and transfers)
  ``Y_j = v_j N_j + land rent_j + w_j L_j + net profits owned in j + lambda C_j + transfers_j``
  with ``C_j`` the capital income earned in ``j`` and ``lambda`` the share of it owned by the
  city's residents; the rest is paid to owners outside the region (the rest of China and
  abroad) and is not spent in it. GDP by place (value added) and income by residence differ.

With one sector, ``alpha = 1``, identical enterprises at their zero-profit number
``n_i = L_i / (sigma F)``, ``gamma = 0``, ``theta = 0`` and ``b = 1``, these are exactly the Krugman (1991)
core-periphery short-run equations; with ``alpha = 0`` and ``F = 0`` they are the
footloose-capital model of Martin & Rogers (1995).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class MarketConvergenceError(RuntimeError):
    """Raised when the market fixed point does not converge and the caller asked for strictness."""


@dataclass(frozen=True)
class SectorParameters:
    """Technology and taste parameters per sector (arrays of length S).

    sigma: elasticity of substitution between varieties (Dixit & Stiglitz 1977), > 1.
    expenditure_share: Cobb-Douglas share ``mu_s`` of income spent on the sector.
    talent_input_share: share ``alpha_s`` of talent in variable cost (rest: workers).
    fixed_talent: talent units ``F_s`` an enterprise needs to operate (Krugman 1991's F).
    """

    sigma: np.ndarray
    expenditure_share: np.ndarray
    talent_input_share: np.ndarray
    fixed_talent: np.ndarray

    @property
    def rho(self) -> np.ndarray:
        """``(sigma - 1) / sigma``, the inverse mark-up (FKV 1999, eq. 4.9)."""
        return (self.sigma - 1.0) / self.sigma

    def productivity_mass(self, sector: np.ndarray, productivity: np.ndarray) -> np.ndarray:
        """``phi ** (sigma_s - 1)`` per enterprise: its weight in the CES price index (FKV eq. 4.27)."""
        if np.all(self.sigma == self.sigma[0]):  # one elasticity: a scalar power is ~3x faster
            return productivity ** (self.sigma[0] - 1.0)
        return productivity ** (self.sigma[sector] - 1.0)


@dataclass(frozen=True)
class MarketInputs:
    """Where production factors are this quarter, aggregated for the market.

    productivity_mass: ``A_si`` (S, K), sum of ``phi ** (sigma_s - 1)`` of enterprises.
    overhead: fixed-cost units ``o_si`` (S, K): enterprises weighted by their overhead
        (the number of enterprises when all are alike); each unit needs ``F_s`` talent.
    owned_productivity_mass: (S, K, K) ``A`` split by owner city (last axis).
    owned_overhead: (S, K, K) fixed-cost units split by owner city.
    talent: ``L_i`` (K,), people.
    workers: ``N_i`` (K,), people.
    trade_cost: iceberg factors ``tau_sij`` (S, K, K), >= 1, diagonal 1.
    outside_productivity: ``b_i`` (K,), the outside sector's productivity (its land folded
        in; 1 in the textbook models).
    transfers: spending moved between cities this quarter by agreement rules (K,); sums to
        minus any stated costs.
    outside_land_share: ``gamma``, land's share of the outside sector's output net of capital
        (0: constant returns, the textbook farm sector).
    capital_share: ``theta_i`` (K,), capital's share of value added in every sector of city ``i``
        (zeros when not given: labour and land only, the textbook models).
    local_capital_ownership: ``lambda``, the share of a city's capital income owned by its own
        residents; the rest is owned outside the region.
    """

    productivity_mass: np.ndarray
    overhead: np.ndarray
    owned_productivity_mass: np.ndarray
    owned_overhead: np.ndarray
    talent: np.ndarray
    workers: np.ndarray
    trade_cost: np.ndarray
    outside_productivity: np.ndarray | None = None
    transfers: np.ndarray | None = None
    outside_land_share: float = 0.0
    capital_share: np.ndarray | None = None
    local_capital_ownership: float = 1.0

    def base_productivity(self) -> np.ndarray:
        """The outside sector's productivity per city (ones when not given)."""
        return np.ones_like(self.talent) if self.outside_productivity is None else self.outside_productivity

    def base_transfers(self) -> np.ndarray:
        """Transfers per city (zeros when not given)."""
        return np.zeros_like(self.talent) if self.transfers is None else self.transfers

    def base_capital_share(self) -> np.ndarray:
        """Capital's share ``theta_i`` of value added per city (zeros when not given)."""
        return np.zeros_like(self.talent) if self.capital_share is None else self.capital_share

    def worker_productivity(self) -> np.ndarray:
        """``(1 - theta_i) b_i``: the outside sector's productivity as its workers and land see it (K,)."""
        return (1.0 - self.base_capital_share()) * self.base_productivity()


@dataclass(frozen=True)
class MarketSolution:
    """The short-run equilibrium of one quarter (all arrays indexed by city, sector first)."""

    wage: np.ndarray  # (K,) talent wage in numeraire units; the entrant break-even wage where no enterprise is staffed
    worker_wage: np.ndarray  # (K,) worker wage in numeraire units
    outside_output: np.ndarray  # (K,) the outside sector's output Q_i (numeraire)
    income: np.ndarray  # (K,)
    price_index: np.ndarray  # (S, K)
    market_access: np.ndarray  # (S, K)
    unit_cost: np.ndarray  # (S, K)
    revenue: np.ndarray  # (S, K) sector revenue produced in each city
    owner_profit: np.ndarray  # (K,) net profit received by owners living in each city
    staffed: np.ndarray  # (K,) bool, the city has enterprises that employ talent
    entrant_wage: np.ndarray  # (K,) talent wage at which a mean entrant breaks even (free-entry wage)
    capital_income: np.ndarray  # (K,) capital income earned in each city (by place; owners partly elsewhere)
    converged: bool
    iterations: int
    residual: float

    def cost_of_living(self, expenditure_share: np.ndarray) -> np.ndarray:
        """Cobb-Douglas consumer price index ``prod_s P_sj ** mu_s`` (FKV eq. 4.4), outside good = 1."""
        return np.exp(expenditure_share @ np.log(self.price_index))

    def revenue_per_mass(self, sectors: SectorParameters) -> np.ndarray:
        """``c_si ** (1-sigma) MA_si`` (S, K): revenue of a unit of productivity mass in each sector and city."""
        return self.unit_cost ** (1.0 - sectors.sigma[:, None]) * self.market_access


def price_index(sectors: SectorParameters, productivity_mass, unit_cost, trade_cost) -> np.ndarray:
    """CES price index ``P_sj = [sum_i A_si (c_si tau_sij) ** (1-sigma)] ** (1/(1-sigma))`` (FKV eq. 4.27)."""
    exponent = (1.0 - sectors.sigma)[:, None, None]
    delivered = (unit_cost[:, :, None] * trade_cost) ** exponent
    power = np.einsum("si,sij->sj", productivity_mass, delivered)
    with np.errstate(divide="ignore"):
        return power ** (1.0 / (1.0 - sectors.sigma))[:, None]


def break_even_wage(sectors: SectorParameters, access, entrant_mass=1.0, worker_wage=1.0, capital_share=0.0) -> np.ndarray:
    """Talent wage at which an entrant of productivity mass ``m = (z phi)^(sigma-1)`` makes zero net profit.

    Solves ``m ((w^alpha v^(1-alpha))^(1-theta))^(1-sigma) MA / sigma = F w`` for ``w``:
    ``w = [m v^((1-alpha)(1-theta)(1-sigma)) MA / (sigma F)] ** (1 / (1 + alpha (1-theta) (sigma - 1)))``. With one
    sector, ``alpha = 1`` and ``theta = 0`` this is Krugman's (1991) wage equation (FKV eq. 5.3).
    ``entrant_mass`` is a scalar or (S, K): an entrant's expected mass where it enters, its
    location's productivity included; ``capital_share`` a scalar or (K,). Returns the best over sectors
    (S, K) -> (K,); sectors without fixed talent cost are skipped.
    """
    sigma = sectors.sigma[:, None]
    fixed = sectors.fixed_talent[:, None]
    alpha = sectors.talent_input_share[:, None]
    labour = 1.0 - np.asarray(capital_share, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.asarray(worker_wage, dtype=float) ** ((1.0 - alpha) * labour * (1.0 - sigma))
        wage = (entrant_mass * base * access / (sigma * fixed)) ** (1.0 / (1.0 + alpha * labour * (sigma - 1.0)))
    wage = np.where((fixed > 0) & np.isfinite(wage), wage, 0.0)
    return wage.max(axis=0)


def outside_employment(worker_wage: np.ndarray, productivity: np.ndarray, land_share: float) -> np.ndarray:
    """Workers the outside sector hires at wage ``v``: ``N_O = ((1 - gamma) b / v) ** (1 / gamma)`` (marginal product = wage).

    Only for ``gamma > 0``; with constant returns the outside sector takes whoever is left at ``v = b``.
    """
    return ((1.0 - land_share) * productivity / worker_wage) ** (1.0 / land_share)


def clearing_worker_wage(bill: np.ndarray, workers: np.ndarray, productivity: np.ndarray, land_share: float) -> np.ndarray:
    """Worker wage ``v`` that clears each city's worker market: ``v (N - N_O(v)) = B`` (K,).

    ``B`` is the Dixit-Stiglitz sectors' worker bill, ``sum_s (1 - alpha_s) rho_s R_s``. With
    constant returns in the outside sector (``gamma = 0``) the wage is ``max(b, B / N)``: the
    outside sector's ``b`` while it employs anyone (FKV 1999, ch. 4). With ``gamma > 0`` the
    left side rises strictly with ``v`` from below ``B`` at ``v_lo = max(B / N, (1-gamma) b N^(-gamma))``
    to above it at ``v_hi = (B + v_lo N_O(v_lo)) / N``; Newton's method in ``ln v``,
    kept inside that bracket by bisection, finds the root.
    """
    workers = np.maximum(workers, WORKER_FLOOR)
    if land_share == 0.0:
        return np.maximum(productivity, bill / workers)
    low = np.maximum(bill / workers, (1.0 - land_share) * productivity * workers ** (-land_share))
    high = (bill + low * outside_employment(low, productivity, land_share)) / workers
    high = np.maximum(high, low * (1.0 + 1e-12))
    lo, hi = np.log(low), np.log(high)
    x = 0.5 * (lo + hi)
    for _ in range(WORKER_WAGE_MAX_ITERATIONS):
        v = np.exp(x)
        hired = outside_employment(v, productivity, land_share)
        gap = v * (workers - hired) - bill
        if np.all(np.abs(gap) <= WORKER_WAGE_TOLERANCE * v * workers):
            break
        lo = np.where(gap < 0, x, lo)
        hi = np.where(gap > 0, x, hi)
        slope = v * workers + (1.0 / land_share - 1.0) * v * hired
        step = x - gap / slope
        x = np.where((step >= lo) & (step <= hi), step, 0.5 * (lo + hi))
    return np.exp(x)


WORKER_FLOOR = 1e-9  # people: a city without workers is treated as having this many (avoids 0 / 0)
WORKER_WAGE_MAX_ITERATIONS = 100  # safeguarded Newton on ln v converges in a handful
WORKER_WAGE_TOLERANCE = 1e-13  # market-clearing gap, relative to the wage bill, at which the worker wage is taken as found


def solve_market(
    sectors: SectorParameters,
    inputs: MarketInputs,
    *,
    initial_wage: np.ndarray | None = None,
    initial_worker_wage: np.ndarray | None = None,
    damping: float,
    tolerance: float,
    max_iterations: int,
    entrant_mass: np.ndarray | float = 1.0,
) -> MarketSolution:
    """Solve the short-run equilibrium by an accelerated fixed point on the two wages.

    Each iteration evaluates price indices, market access and revenues from the current
    guess, then the talent wage and the worker wage that clear each city's two labour
    markets and the incomes that follow, and moves the guess toward them (Fujita, Krugman
    & Venables 1999, ch. 5 appendix, solve the same system by iteration; Anderson
    acceleration as in Walker & Ni 2011). Convergence is measured as the largest relative
    change of wages. ``entrant_mass`` (scalar or (S, K)) is an entrant's expected
    productivity mass, for the free-entry wage reported where no enterprise employs talent.
    Non-convergence is reported in the solution (``converged=False``), never hidden.
    """
    K = inputs.talent.shape[0]
    variable_talent = inputs.talent - sectors.fixed_talent @ inputs.overhead
    present = inputs.productivity_mass.sum(axis=0) > 0
    staffed = present & (variable_talent > 0)
    needs_talent = sectors.talent_input_share @ inputs.overhead > 0
    if np.any(present & (variable_talent <= 0) & needs_talent):
        raise ValueError("talent market infeasible: some city has fewer talent than its enterprises' fixed talent needs; staff them first")
    productivity = inputs.worker_productivity()
    capital_share = inputs.base_capital_share()
    wage = np.ones(K) if initial_wage is None else np.where(initial_wage > 0, initial_wage, 1.0)
    worker_wage = productivity.copy() if initial_worker_wage is None else np.where(initial_worker_wage > 0, initial_worker_wage, 1.0)
    employed_talent = np.where(staffed, inputs.talent, 0.0)
    sigma = sectors.sigma[:, None]
    alpha = sectors.talent_input_share[:, None]
    labour = (1.0 - capital_share)[None, :]
    talent_share = alpha * labour * sectors.rho[:, None]
    worker_share = (1.0 - alpha) * labour * sectors.rho[:, None]
    residual = np.inf
    iteration = 0
    accelerator = AndersonAccelerator(memory=ANDERSON_MEMORY, damping=damping)
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (reported after the loop)
        state = _evaluate(sectors, inputs, wage, worker_wage, employed_talent)
        talent_bill = (talent_share * state.revenue).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            cleared = np.where(staffed, talent_bill / np.where(staffed, variable_talent, 1.0), 0.0)
        # Own-wage elasticity of the talent bill is alpha (1 - theta) (1 - sigma): stepping in logs by
        # 1 / (1 + alpha (1 - theta) (sigma - 1)) of the gap makes the update a Newton step on the own-city term.
        bill_weight = talent_share * state.revenue / np.maximum(talent_bill, 1e-300)
        elasticity = 1.0 + (bill_weight * alpha * labour * (sigma - 1.0)).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = wage * (cleared / wage) ** (1.0 / elasticity)
        entrant = break_even_wage(sectors, state.access, entrant_mass, worker_wage, capital_share)
        new_wage = np.where(staffed & (talent_bill > 0), newton, entrant)
        new_wage = np.where(new_wage > 0, new_wage, wage)
        worker_bill = (worker_share * state.revenue).sum(axis=0)
        new_worker_wage = clearing_worker_wage(worker_bill, inputs.workers, productivity, inputs.outside_land_share)
        residual = max(_relative_change(wage, new_wage), _relative_change(worker_wage, new_worker_wage))
        if residual < tolerance:
            wage, worker_wage = new_wage, new_worker_wage
            break
        x = np.log(np.concatenate([wage, worker_wage]))
        gx = np.log(np.concatenate([new_wage, new_worker_wage]))
        nxt = np.exp(accelerator.next(x, gx))
        wage, worker_wage = nxt[:K], nxt[K:]
    state = _evaluate(sectors, inputs, wage, worker_wage, employed_talent)
    return MarketSolution(
        wage=wage,
        worker_wage=worker_wage,
        outside_output=state.outside_output,
        income=state.income,
        price_index=state.price,
        market_access=state.access,
        unit_cost=state.unit_cost,
        revenue=state.revenue,
        owner_profit=state.owner_profit,
        staffed=staffed,
        entrant_wage=break_even_wage(sectors, state.access, entrant_mass, worker_wage, capital_share),
        capital_income=state.capital_income,
        converged=bool(residual < tolerance),
        iterations=iteration,
        residual=residual,
    )


def solve_market_from(
    sectors: SectorParameters, inputs: MarketInputs, solver, previous: MarketSolution | None, entrant_mass: np.ndarray | float = 1.0
) -> MarketSolution:
    """:func:`solve_market` with the settings of ``economy.solver`` (damping, tolerance, max_iterations), warm-started from ``previous``."""
    return solve_market(
        sectors,
        inputs,
        initial_wage=None if previous is None else previous.wage,
        initial_worker_wage=None if previous is None else previous.worker_wage,
        damping=solver.damping,
        tolerance=solver.tolerance,
        max_iterations=solver.max_iterations,
        entrant_mass=entrant_mass,
    )


@dataclass(frozen=True)
class _MarketState:
    unit_cost: np.ndarray
    price: np.ndarray
    income: np.ndarray
    access: np.ndarray
    revenue: np.ndarray
    owner_profit: np.ndarray
    outside_output: np.ndarray
    capital_income: np.ndarray


def outside_output(worker_wage: np.ndarray, workers: np.ndarray, bill: np.ndarray, land_share: float, capital_share=0.0) -> np.ndarray:
    """The outside sector's output ``Q = v N_O / ((1 - theta) (1 - gamma))`` with ``N_O`` the workers the other sectors
    leave to it (K,): workers earn the share ``(1 - theta)(1 - gamma)`` of it."""
    in_outside = np.maximum(workers - bill / worker_wage, 0.0)
    return worker_wage * in_outside / ((1.0 - capital_share) * (1.0 - land_share))


def _evaluate(sectors: SectorParameters, inputs: MarketInputs, wage, worker_wage, employed_talent) -> _MarketState:
    """Prices, incomes, market access and revenues implied by the two wage vectors.

    Given wages, price indices are fixed and owners' profits and capital income are linear in
    incomes, so incomes solve the K x K linear system ``Y = b + M Y`` exactly (the income
    multiplier of FKV 1999, eq. 5.1, with profits and capital income): ``b`` holds workers'
    wages ``v N`` (whichever sector employs them), land rent, talent wages, fixed costs, the
    outside sector's capital income owned locally and transfers; ``M_jk`` the operating profit
    and the Dixit-Stiglitz sectors' capital income owned in ``j`` per unit of spending in ``k``.
    """
    sigma = sectors.sigma[:, None]
    alpha = sectors.talent_input_share[:, None]
    theta = inputs.base_capital_share()
    labour = (1.0 - theta)[None, :]
    unit_cost = (wage[None, :] ** alpha * worker_wage[None, :] ** (1.0 - alpha)) ** labour
    price = price_index(sectors, inputs.productivity_mass, unit_cost, inputs.trade_cost)
    # spending in k reaching a unit of productivity mass in i: mu_s tau_sik^(1-sigma) P_sk^(sigma-1)
    reach = sectors.expenditure_share[:, None, None] * inputs.trade_cost ** (1.0 - sigma)[:, :, None] * (price ** (sigma - 1.0))[:, None, :]
    margin = unit_cost ** (1.0 - sigma) / sigma  # operating profit per unit productivity mass per unit access
    multiplier = np.einsum("sij,si,sik->jk", inputs.owned_productivity_mass, margin, reach)
    fixed_cost = np.einsum("sio,s,i->o", inputs.owned_overhead, sectors.fixed_talent, wage)
    land_share = inputs.outside_land_share
    ownership = inputs.local_capital_ownership
    if land_share > 0.0:
        hired = np.minimum(outside_employment(worker_wage, inputs.worker_productivity(), land_share), inputs.workers)
        rent = land_share / (1.0 - land_share) * worker_wage * hired
        outside_capital = theta / ((1.0 - theta) * (1.0 - land_share)) * worker_wage * hired
        capital_per_revenue = theta[None, :] * sectors.rho[:, None]
    else:  # constant returns: the outside sector employs the workers the other sectors leave, N - bill / v
        rent = np.zeros_like(wage)
        outside_capital = theta / (1.0 - theta) * worker_wage * inputs.workers
        capital_per_revenue = theta[None, :] * alpha * sectors.rho[:, None]  # theta rho R less theta (1-alpha) rho R
    # capital income earned in i per unit of spending in k, owned by i's residents in the share lambda
    capital_multiplier = np.einsum("si,si,sik->ik", capital_per_revenue * inputs.productivity_mass, unit_cost ** (1.0 - sigma), reach)
    # every worker earns the city's worker wage, whichever sector employs them
    base = worker_wage * inputs.workers + rent + wage * employed_talent - fixed_cost + ownership * outside_capital + inputs.base_transfers()
    income = np.linalg.solve(np.eye(len(wage)) - multiplier - ownership * capital_multiplier, base)
    access = np.einsum("sik,k->si", reach, income)
    scale = unit_cost ** (1.0 - sigma) * access
    revenue = inputs.productivity_mass * scale
    owner_profit = np.einsum("sio,si->o", inputs.owned_productivity_mass, scale / sigma) - fixed_cost
    capital_income = outside_capital + (capital_per_revenue * revenue).sum(axis=0)
    bill = ((1.0 - alpha) * sectors.rho[:, None] * labour * revenue).sum(axis=0)
    output = outside_output(worker_wage, inputs.workers, bill, land_share, theta)
    return _MarketState(unit_cost, price, income, access, revenue, owner_profit, output, capital_income)


ANDERSON_MEMORY = 5  # past iterates mixed by Anderson acceleration; 3-10 is customary (Walker & Ni 2011)


class AndersonAccelerator:
    """Anderson acceleration of a fixed point ``x = g(x)`` (Anderson 1965; Walker & Ni 2011, SIAM J. Numer. Anal.).

    Mixes the last ``memory`` iterates to minimise the linearised residual, then takes a
    ``damping`` step; with memory 0 it is the plain damped iteration.
    """

    def __init__(self, memory: int, damping: float) -> None:
        self.memory = memory
        self.damping = damping
        self._x: list[np.ndarray] = []
        self._f: list[np.ndarray] = []

    def next(self, x: np.ndarray, gx: np.ndarray) -> np.ndarray:
        """The next iterate given the current one and its image under the map."""
        f = gx - x
        self._x.append(x)
        self._f.append(f)
        if len(self._f) > self.memory + 1:
            self._x.pop(0)
            self._f.pop(0)
        if len(self._f) == 1:
            return x + self.damping * f
        d_f = np.diff(np.array(self._f), axis=0).T
        d_x = np.diff(np.array(self._x), axis=0).T
        gamma, *_ = np.linalg.lstsq(d_f, f, rcond=None)
        return x + self.damping * f - (d_x + self.damping * d_f) @ gamma


def value_added(sectors: SectorParameters, market: MarketSolution, inputs: MarketInputs) -> np.ndarray:
    """GDP produced in each city (K,): the outside sector's output plus the Dixit-Stiglitz sectors' revenue.

    With no intermediate inputs, a sector's value added is its revenue: workers' and talent's
    wages, capital income, fixed costs (talent) and net profits. Equals workers' wages, land rent,
    capital income earned in the city, employed talent's wages and local enterprises' net profits
    (GDP by place; income by residence is ``MarketSolution.income``).
    """
    return market.outside_output + market.revenue.sum(axis=0)


def _relative_change(old: np.ndarray, new: np.ndarray) -> float:
    scale = np.maximum(np.abs(old), 1e-12)
    return float(np.max(np.abs(new - old) / scale)) if old.size else 0.0
