"""Short-run market equilibrium: CES price indices, talent wages and incomes per city.

Given where enterprises and talent are, the market solves for each city's talent wage
``w_i`` and income ``Y_i`` by a damped fixed point over K x K (per sector) matrices.
Everything is vectorised over sectors and cities; enterprises enter only through
their aggregates per (sector, city) and per (sector, city, owner city).

Equations (for sector ``s``, producing city ``i``, consuming city ``j``):

* marginal cost ``c_si = w_i ** alpha_s a_i ** (1 - alpha_s)``, Cobb-Douglas in talent and
  immobile labour, whose wage ``a_i`` is the productivity of the local base in the
  freely traded outside good (the numeraire; ``a_i = 1`` in the textbook models), with the
  Fujita-Krugman-Venables (1999, ch. 4.2) normalisation that the
  unit input requirement equals ``rho_s = (sigma_s - 1) / sigma_s``, so that the
  mill price is ``p_e = c_si / phi_e``;
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
  variable inputs is the Cobb-Douglas share ``alpha_s`` of variable cost ``rho_s r``,
  so ``w_i (L_i - sum_s F_s o_si) = sum_s alpha_s rho_s R_si``;
* income (FKV eq. 5.1 plus profits and transfers)
  ``Y_j = a_j immobile_j + w_j L_j + net profits owned in j + transfers_j``.

With one sector, ``alpha = 1``, identical enterprises at their zero-profit number
``n_i = L_i / (sigma F)``, these are exactly the Krugman (1991) core-periphery
short-run equations; with ``alpha = 0`` and ``F = 0`` they are the footloose-capital
model of Martin & Rogers (1995).
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
    talent_input_share: share ``alpha_s`` of talent in variable cost (rest: immobile labour).
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
    immobile: immobile population (K,).
    trade_cost: iceberg factors ``tau_sij`` (S, K, K), >= 1, diagonal 1.
    local_wage: wage ``a_i`` of immobile labour (K,), the local base's productivity in the
        outside good (1 in the textbook models).
    transfers: income moved between cities this quarter by agreement rules (K,); sums to
        minus any stated costs.
    """

    productivity_mass: np.ndarray
    overhead: np.ndarray
    owned_productivity_mass: np.ndarray
    owned_overhead: np.ndarray
    talent: np.ndarray
    immobile: np.ndarray
    trade_cost: np.ndarray
    local_wage: np.ndarray | None = None
    transfers: np.ndarray | None = None

    def base_wage(self) -> np.ndarray:
        """Immobile labour's wage per city (ones when not given)."""
        return np.ones_like(self.talent) if self.local_wage is None else self.local_wage

    def base_transfers(self) -> np.ndarray:
        """Transfers per city (zeros when not given)."""
        return np.zeros_like(self.talent) if self.transfers is None else self.transfers


@dataclass(frozen=True)
class MarketSolution:
    """The short-run equilibrium of one quarter (all arrays indexed by city, sector first)."""

    wage: np.ndarray  # (K,) talent wage in numeraire units; the entrant break-even wage where no enterprise is staffed
    income: np.ndarray  # (K,)
    price_index: np.ndarray  # (S, K)
    market_access: np.ndarray  # (S, K)
    unit_cost: np.ndarray  # (S, K)
    revenue: np.ndarray  # (S, K) sector revenue produced in each city
    owner_profit: np.ndarray  # (K,) net profit received by owners living in each city
    staffed: np.ndarray  # (K,) bool, the city has enterprises that employ talent
    entrant_wage: np.ndarray  # (K,) wage at which a mean-productivity entrant breaks even (free-entry wage)
    converged: bool
    iterations: int
    residual: float

    def cost_of_living(self, expenditure_share: np.ndarray) -> np.ndarray:
        """Cobb-Douglas consumer price index ``prod_s P_sj ** mu_s`` (FKV eq. 4.4), outside good = 1."""
        return np.exp(expenditure_share @ np.log(self.price_index))

    def revenue_per_mass(self, sectors: SectorParameters) -> np.ndarray:
        """``c_si ** (1-sigma) MA_si`` (S, K): revenue of a unit of productivity mass in each sector and city."""
        return self.unit_cost ** (1.0 - sectors.sigma[:, None]) * self.market_access

    def enterprise_revenue(self, sectors: SectorParameters, sector, city, productivity) -> np.ndarray:
        """Revenue ``r_e = phi_e ** (sigma-1) c_si ** (1-sigma) MA_si`` of given enterprises."""
        return sectors.productivity_mass(sector, productivity) * self.revenue_per_mass(sectors)[sector, city]


def price_index(sectors: SectorParameters, productivity_mass, unit_cost, trade_cost) -> np.ndarray:
    """CES price index ``P_sj = [sum_i A_si (c_si tau_sij) ** (1-sigma)] ** (1/(1-sigma))`` (FKV eq. 4.27)."""
    exponent = (1.0 - sectors.sigma)[:, None, None]
    delivered = (unit_cost[:, :, None] * trade_cost) ** exponent
    power = np.einsum("si,sij->sj", productivity_mass, delivered)
    with np.errstate(divide="ignore"):
        return power ** (1.0 / (1.0 - sectors.sigma))[:, None]


def break_even_wage(sectors: SectorParameters, access, productivity: float = 1.0, local_wage=1.0) -> np.ndarray:
    """Talent wage at which an entrant with productivity ``phi`` makes zero net profit.

    Solves ``phi^(sigma-1) (w^alpha a^(1-alpha))^(1-sigma) MA / sigma = F w`` for ``w``:
    ``w = [phi^(sigma-1) a^((1-alpha)(1-sigma)) MA / (sigma F)] ** (1 / (1 + alpha (sigma - 1)))``. With one
    sector and ``alpha = 1`` this is Krugman's (1991) wage equation (FKV eq. 5.3).
    Returns the best over sectors (S, K) -> (K,); sectors without fixed talent cost are skipped.
    """
    sigma = sectors.sigma[:, None]
    fixed = sectors.fixed_talent[:, None]
    alpha = sectors.talent_input_share[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.asarray(local_wage, dtype=float) ** ((1.0 - alpha) * (1.0 - sigma))
        wage = (productivity ** (sigma - 1.0) * base * access / (sigma * fixed)) ** (1.0 / (1.0 + alpha * (sigma - 1.0)))
    wage = np.where((fixed > 0) & np.isfinite(wage), wage, 0.0)
    return wage.max(axis=0)


def solve_market(
    sectors: SectorParameters,
    inputs: MarketInputs,
    *,
    initial_wage: np.ndarray | None = None,
    damping: float,
    tolerance: float,
    max_iterations: int,
    entrant_productivity: float = 1.0,
) -> MarketSolution:
    """Solve the short-run equilibrium by a damped fixed point on wages and incomes.

    Each iteration evaluates price indices, market access and revenues from the current
    guess, then the talent wage that clears each city's talent market and the incomes
    that follow, and moves the guess a fraction ``damping`` toward them (Fujita, Krugman
    & Venables 1999, ch. 5 appendix, solve the same system by iteration). Convergence is
    measured as the largest relative change of wages and incomes. Non-convergence is
    reported in the solution (``converged=False``), never hidden.
    """
    K = inputs.talent.shape[0]
    variable_talent = inputs.talent - sectors.fixed_talent @ inputs.overhead
    present = inputs.productivity_mass.sum(axis=0) > 0
    staffed = present & (variable_talent > 0)
    needs_talent = sectors.talent_input_share @ inputs.overhead > 0
    if np.any(present & (variable_talent <= 0) & needs_talent):
        raise ValueError("talent market infeasible: some city has fewer talent than its enterprises' fixed talent needs; staff them first")
    wage = np.ones(K) if initial_wage is None else np.where(initial_wage > 0, initial_wage, 1.0)
    employed_talent = np.where(staffed, inputs.talent, 0.0)
    sigma = sectors.sigma[:, None]
    alpha = sectors.talent_input_share[:, None]
    residual = np.inf
    iteration = 0
    accelerator = AndersonAccelerator(memory=ANDERSON_MEMORY, damping=damping)
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (reported after the loop)
        state = _evaluate(sectors, inputs, wage, employed_talent)
        talent_bill = (alpha * sectors.rho[:, None] * state.revenue).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            cleared = np.where(staffed, talent_bill / np.where(staffed, variable_talent, 1.0), 0.0)
        # Own-wage elasticity of the talent bill is alpha (1 - sigma): stepping in logs by
        # 1 / (1 + alpha (sigma - 1)) of the gap makes the update a Newton step on the own-city term.
        bill_weight = alpha * sectors.rho[:, None] * state.revenue / np.maximum(talent_bill, 1e-300)
        elasticity = 1.0 + (bill_weight * alpha * (sigma - 1.0)).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = wage * (cleared / wage) ** (1.0 / elasticity)
        entrant = break_even_wage(sectors, state.access, entrant_productivity, inputs.base_wage())
        new_wage = np.where(staffed & (talent_bill > 0), newton, entrant)
        new_wage = np.where(new_wage > 0, new_wage, wage)
        residual = _relative_change(wage, new_wage)
        if residual < tolerance:
            wage = new_wage
            break
        wage = np.exp(accelerator.next(np.log(wage), np.log(new_wage)))
    state = _evaluate(sectors, inputs, wage, employed_talent)
    return MarketSolution(
        wage=wage,
        income=state.income,
        price_index=state.price,
        market_access=state.access,
        unit_cost=state.unit_cost,
        revenue=state.revenue,
        owner_profit=state.owner_profit,
        staffed=staffed,
        entrant_wage=break_even_wage(sectors, state.access, entrant_productivity, inputs.base_wage()),
        converged=bool(residual < tolerance),
        iterations=iteration,
        residual=residual,
    )


@dataclass(frozen=True)
class _MarketState:
    unit_cost: np.ndarray
    price: np.ndarray
    income: np.ndarray
    access: np.ndarray
    revenue: np.ndarray
    owner_profit: np.ndarray


def _evaluate(sectors: SectorParameters, inputs: MarketInputs, wage: np.ndarray, employed_talent: np.ndarray) -> _MarketState:
    """Prices, incomes, market access and revenues implied by a wage vector.

    Given wages, price indices are fixed and owners' profits are linear in incomes, so
    incomes solve the K x K linear system ``Y = b + M Y`` exactly (the income
    multiplier of FKV 1999, eq. 5.1, with profits): ``b`` holds immobile wages, talent
    wages, fixed costs and transfers, ``M_jk`` the operating profit owned in ``j`` per unit of
    spending in ``k``.
    """
    sigma = sectors.sigma[:, None]
    alpha = sectors.talent_input_share[:, None]
    unit_cost = wage[None, :] ** alpha * inputs.base_wage()[None, :] ** (1.0 - alpha)
    price = price_index(sectors, inputs.productivity_mass, unit_cost, inputs.trade_cost)
    # spending in k reaching a unit of productivity mass in i: mu_s tau_sik^(1-sigma) P_sk^(sigma-1)
    reach = sectors.expenditure_share[:, None, None] * inputs.trade_cost ** (1.0 - sigma)[:, :, None] * (price ** (sigma - 1.0))[:, None, :]
    margin = unit_cost ** (1.0 - sigma) / sigma  # operating profit per unit productivity mass per unit access
    multiplier = np.einsum("sij,si,sik->jk", inputs.owned_productivity_mass, margin, reach)
    fixed_cost = np.einsum("sio,s,i->o", inputs.owned_overhead, sectors.fixed_talent, wage)
    base = inputs.base_wage() * inputs.immobile + wage * employed_talent - fixed_cost + inputs.base_transfers()
    income = np.linalg.solve(np.eye(len(wage)) - multiplier, base)
    access = np.einsum("sik,k->si", reach, income)
    scale = unit_cost ** (1.0 - sigma) * access
    owner_profit = np.einsum("sio,si->o", inputs.owned_productivity_mass, scale / sigma) - fixed_cost
    return _MarketState(unit_cost, price, income, access, inputs.productivity_mass * scale, owner_profit)


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
    """GDP produced in each city (K,): the local base's wages, employed talent's wages, net profits of local enterprises."""
    local_profit = (market.revenue / sectors.sigma[:, None]).sum(axis=0) - market.wage * (sectors.fixed_talent @ inputs.overhead)
    employed = np.where(market.staffed, inputs.talent, 0.0)
    return inputs.base_wage() * inputs.immobile + market.wage * employed + local_profit


def _relative_change(old: np.ndarray, new: np.ndarray) -> float:
    scale = np.maximum(np.abs(old), 1e-12)
    return float(np.max(np.abs(new - old) / scale)) if old.size else 0.0
