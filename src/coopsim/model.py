"""The Mesa model: wires cities, enterprises, talent, workers, associations, rules and the market; orders the quarter.

``RegionalEconomy.__init__`` is the wiring (step 0: :mod:`coopsim.initial_state` builds the calibrated start and the
populations, then the first market clears and the initial state is recorded), and :meth:`RegionalEconomy.step` is the
schedule, one phase per line. Each phase calls a small function of :mod:`coopsim.economy` or :mod:`coopsim.agents`; the
model holds no economics of its own. Agreement rules act through :class:`coopsim.agreement_actions.AgreementActions`,
and every move is booked in the quarter's :class:`coopsim.flows.FlowLedger`. The quarter's order and its reasons are
in ``docs/design.md`` (section "The quarter").
"""

from __future__ import annotations

import logging

import mesa
import numpy as np
from mesa.agent import AgentSet
from mesa.discrete_space import Network
from scipy.special import ndtri

from coopsim.agents.city import City
from coopsim.agents.enterprise import (
    Enterprise,
    aggregate,
    entry_decisions,
    exit_decisions,
    net_profit,
    new_enterprise_population,
    relocation_annuity,
    relocation_choices,
    shock_exits,
    understaffed_closures,
)
from coopsim.agents.labour import Talent, Worker, new_labour_population
from coopsim.agents.migration import (
    choice_probabilities,
    location_utility,
    migration_choices,
    moving_cost_matrix,
    people_by_city,
    travel_cost_matrix,
)
from coopsim.agents.outside_option import arrivals, open_moving_cost
from coopsim.agreement_actions import AgreementActions
from coopsim.config import CoopsimConfig, validate
from coopsim.economy.capital import capital_productivity, initial_capital_stock
from coopsim.economy.housing import HousingMarket, base_floor_space, clear_housing
from coopsim.economy.knowledge import spillover_access, spillover_productivity
from coopsim.economy.market import MarketConvergenceError, MarketInputs, MarketSolution, solve_market_from, value_added
from coopsim.economy.money import numeraire_per_budget_unit
from coopsim.economy.welfare import group_wage, log_real_wage
from coopsim.flows import FlowLedger
from coopsim.initial_state import create_associations, initial_economy, populate
from coopsim.metrics import MetricsRecorder
from coopsim.random_streams import RandomStreams
from coopsim.region import QUARTERS_PER_YEAR, build_region

log = logging.getLogger(__name__)

ENTRANTS_PER_CELL = 2**24  # ranks of a cell's entrants in a quarter, for their keys (more entrants would share keys)
HALF_ULP = 2.0**-54  # keeps a uniform of [0, 1) inside (0, 1) for the normal quantile


class ImplausibleStateError(RuntimeError):
    """The economy reached a state that makes no sense (non-finite GDP, negative income): the run fails."""


class RegionalEconomy(AgreementActions, mesa.Model):
    """A region of cities under an agreement, stepped one quarter at a time.

    Build it from a composed, typed config (:class:`coopsim.config.CoopsimConfig`) and the
    agreement's rules keyed by their config name (objects with ``bind(model, path)`` and
    ``apply(model)``, :class:`coopsim.rules.base.AgreementRule`); ``step()`` runs one quarter.
    """

    def __init__(self, cfg: CoopsimConfig, rules: dict | None = None) -> None:
        validate(cfg)
        super().__init__(rng=cfg.seed)
        self.cfg, self.economy = cfg, cfg.economy
        self.streams = RandomStreams(cfg.seed)
        self.region = build_region(cfg.region)
        self.sector_names = list(cfg.economy.sectors)
        start = initial_economy(cfg, self.region, self.trade_costs())
        self.calibration = start.calibration
        self.sectors, self.productivity_dispersion, self.mean_draw_mass = start.sectors, start.productivity_dispersion, start.mean_draw_mass
        self.outside_productivity = start.outside_productivity
        self.base_outside_productivity = start.outside_productivity.copy()
        self.capital_share = start.capital_share
        self.productivity_drift = quarterly_productivity_drift(cfg.region.data, self.region)  # (K,) log points a quarter at step 0
        self.productivity_trend = np.ones(self.region.size)  # the drift's cumulative factor on every place's productivity
        self.amenity, self.amenity_trend = start.amenity, start.amenity_trend  # the trend: drift at step 0, fading
        self.outside = start.outside  # open province: each group's rest of China at step 0 (None: a closed region)
        self.outside_amenity = {group: option.amenity for group, option in (self.outside or {}).items()}
        self.reservoir = {group: option.reservoir for group, option in (self.outside or {}).items()}  # people there now
        self.location_mass = start.location_mass  # z_si ** (sigma - 1): each (sector, city)'s productivity
        self.space = Network(self.region.fastest_graph(), random=self.random)
        self.cities = [City(self, k, self.space[k]) for k in range(self.region.size)]
        self.enterprises = new_enterprise_population()
        self.talent = new_labour_population()
        self.workers = new_labour_population()
        self._people_cache: dict[str, np.ndarray] = {}
        populate(self, start.enterprise_counts)
        self.base_location_mass = self.location_mass.copy()
        self.base_amenity = {group: values.copy() for group, values in self.amenity.items()}
        self.initial_access = spillover_access(self.talent_per_city(), self.region.travel_minutes, cfg.economy.knowledge.half_life_minutes)
        self.spillover_factor = np.ones(self.region.size)
        self._snapshots: dict[type, list[mesa.Agent]] = {}  # Mesa handles are made on demand, never one per agent up front
        self.associations = create_associations(self)
        self.capital_stock = np.zeros(self.region.size)  # built by agreements, budget units, net of depreciation
        self.rules = dict(rules or {})
        self.market: MarketSolution | None = None
        self.base_floor_space: np.ndarray | None = None  # H0_i, set when the first market clears (price 1 in 2020)
        self.housing: HousingMarket | None = None
        self.flows = FlowLedger(self.region.size)
        self.recorder = MetricsRecorder(self.region.city_names, self.region.start_date)
        # step 0: the first market clears; money's scale and the capital stock are read off it; the state is recorded
        self.close_understaffed()
        self.clear_market()
        self.numeraire_per_budget_unit = numeraire_per_budget_unit(self.quarterly_gdp(), self.region.gdp_2020)
        self.initial_capital = initial_capital_stock(
            self.quarterly_gdp(), self.economy.capital_output_ratio, self.numeraire_per_budget_unit
        )
        self.recorder.collect(self)
        for key, rule in self.rules.items():
            rule.bind(self, f"agreement.rules.{key}")

    def add_enterprises(
        self, city, sector, owner_city, rng: np.random.Generator | None, productivity=None, overhead=None, key=None
    ) -> np.ndarray:
        """Create enterprises; returns rows.

        Unless given, the enterprise's own efficiency is a draw ``ln d ~ N(0, d_s^2)`` (its
        location adds ``z_si``) and its overhead ``d^(sigma-1) / E[d^(sigma-1)]`` (fixed costs
        scale with size, mean 1). ``key`` keys each one's own draws (its id unless given;
        :meth:`coopsim.random_streams.RandomStreams.derived_keys`).
        """
        city = np.asarray(city, dtype=np.int64)
        sector = np.asarray(sector, dtype=np.int64)
        if productivity is None:
            draw = np.exp(rng.normal(0.0, 1.0, len(city)) * self.productivity_dispersion[sector])
            productivity = draw
            overhead = self.sectors.productivity_mass(sector, draw) / self.mean_draw_mass[sector]
        rows = self.enterprises.add(
            city=city,
            sector=sector,
            owner_city=np.asarray(owner_city, dtype=np.int64),
            productivity=productivity,
            loss_streak=np.zeros(len(city), dtype=np.int64),
            overhead=np.ones(len(city)) if overhead is None else overhead,
            association=np.full(len(city), -1, dtype=np.int64),
            key=np.zeros(len(city), dtype=np.int64) if key is None else key,
        )
        if key is None:
            self.enterprises.column("key")[rows] = self.enterprises.uid[rows]
        return rows

    # ----- the quarter --------------------------------------------------------------------
    def step(self) -> None:
        """One quarter, in this order (``docs/design.md``, "The quarter")."""
        self.flows.reset()
        self.open_scheduled_links()
        self.drift_amenities()
        self.drift_productivity()
        self.apply_rules()
        self.close_understaffed()
        self.clear_market()
        self.enterprises_exit()
        self.enterprises_enter()
        self.enterprises_relocate()
        self.labour_migrates()
        self.knowledge_spills_over()
        self.recorder.collect(self)

    def open_scheduled_links(self) -> None:
        """Apply the region's timetable changes that fall in this quarter (baseline infrastructure, not rules)."""
        for link in self.region.scheduled_links:
            if link.quarter == self.steps:
                self.region.set_link(link.a, link.b, link.mode, link.minutes, km=link.km)

    def drift_amenities(self) -> None:
        """Each group's amenities: calibrated, plus the trend drift fading by half every ``trend_half_life_years``.

        ``a_t = a_0 + d * 0.5 ** (t / (4 H))``, with ``d`` from :func:`coopsim.calibration.calibrate_region` (zero
        without a trend): the baseline continues each city's 2010-2020 relative growth of residents at first, then
        less and less.
        """
        data = self.cfg.region.data
        if data is None or not data.trend:
            return
        fade = 0.5 ** (self.steps / (QUARTERS_PER_YEAR * data.trend_half_life_years))
        for group, base in self.base_amenity.items():
            self.amenity[group] = base + fade * self.amenity_trend[group]
        for group, option in (self.outside or {}).items():
            self.outside_amenity[group] = option.amenity + fade * option.amenity_trend

    def drift_productivity(self) -> None:
        """Every place's productivity follows its city's pre-2021 relative growth, fading by half every
        ``productivity_trend_half_life_years``.

        After ``t`` quarters the factor is ``exp(d (1 - f^t) / (1 - f))`` with ``d`` the drift at step 0 (log points a
        quarter, :func:`quarterly_productivity_drift`) and ``f = 0.5 ** (1 / (4 H))``: the sum of a geometrically fading
        drift. It multiplies the outside sector's productivity ``b_i`` here and enterprises' location productivity
        ``z_si`` in :meth:`update_place_productivity`.
        """
        if not np.any(self.productivity_drift):
            return
        fade = 0.5 ** (1.0 / (QUARTERS_PER_YEAR * self.cfg.region.data.productivity_trend_half_life_years))
        self.productivity_trend = np.exp(self.productivity_drift * (1.0 - fade**self.steps) / (1.0 - fade))
        self.outside_productivity = self.base_outside_productivity * self.productivity_trend

    def apply_rules(self) -> None:
        """Capital depreciates; each agreement rule acts on the model (rules record their own flows); places' productivity follows."""
        self.capital_stock *= 1.0 - self.economy.capital_depreciation_rate
        for rule in self.rules.values():
            rule.apply(self)
        self.update_place_productivity()

    def update_place_productivity(self) -> None:
        """Each (sector, city)'s productivity: calibrated, times knowledge spillovers, times capital built by agreements.

        ``z_si = z0_si * spill_i * trend_i * (1 + K_i / K0_i) ** theta`` (spillovers: :func:`spillover_productivity`;
        the baseline's productivity trend: :meth:`drift_productivity`; capital:
        :func:`coopsim.economy.capital.capital_productivity`), stored as ``z ** (sigma - 1)``.
        """
        place = (
            self.spillover_factor
            * self.productivity_trend
            * capital_productivity(self.capital_stock, self.initial_capital, self.economy.capital_output_elasticity)
        )
        self.location_mass = self.base_location_mass * place[None, :] ** (self.sectors.sigma[:, None] - 1.0)

    def close_understaffed(self) -> None:
        """Close the enterprises a city's talent cannot staff (:func:`understaffed_closures`), in an order drawn per enterprise."""

        def priority(rows: np.ndarray) -> np.ndarray:
            return self.streams.agent_uniforms("staffing", self.steps, self.enterprises.key[rows], 1)[:, 0]

        margin = self.economy.enterprise.staffing_margin
        closed = understaffed_closures(self.enterprises, self.sectors, self.talent_per_city(), margin, priority)
        self.flows.add("exits_staffing", self.enterprises.city[closed])
        self.enterprises.remove(closed)

    def clear_market(self) -> None:
        """Solve the short-run equilibrium of goods, talent and workers (:func:`solve_market_from`, warm-started)."""
        agg = aggregate(self.enterprises, self.sectors, self.region.size, self.location_mass)
        inputs = MarketInputs(
            productivity_mass=agg.productivity_mass,
            overhead=agg.overhead,
            owned_productivity_mass=agg.owned_productivity_mass,
            owned_overhead=agg.owned_overhead,
            talent=self.talent_per_city(),
            workers=self.workers_per_city(),
            trade_cost=self.trade_costs(),
            outside_productivity=self.outside_productivity,
            transfers=self.flows.transfers,
            outside_land_share=self.economy.outside_land_share,
            capital_share=self.capital_share,
            local_capital_ownership=self.economy.local_capital_ownership,
        )
        solver = self.economy.solver
        self.market = solve_market_from(self.sectors, inputs, solver, self.market, self.mean_entrant_mass)
        self.market_inputs = inputs
        self.market_gdp = value_added(self.sectors, self.market, inputs)  # read by the metrics, the rules and the checks
        self.enterprise_counts, self.enterprise_overhead = agg.count, agg.overhead
        self._check_plausible()
        self.clear_housing_market()
        if not self.market.converged:
            market = self.market
            message = (
                f"market did not converge in quarter {self.steps}: residual {market.residual:.3g} after {market.iterations} iterations"
            )
            if solver.on_failure == "raise":
                raise MarketConvergenceError(message)
            log.warning(message)

    def clear_housing_market(self) -> None:
        """Each city's floor-space price clears its housing market given its residents' income
        (:func:`coopsim.economy.housing.clear_housing`); rents go to the city's own residents. At step 0 the floor space
        ``H0`` is set so that every price index is 1 (no 2020 prices by city)."""
        housing = self.economy.housing
        income = self.market.income - self.flows.transfers
        if self.base_floor_space is None:
            self.base_floor_space = base_floor_space(income, housing.expenditure_share)
        self.housing = clear_housing(income, self.base_floor_space, housing.expenditure_share, housing.supply_elasticity)

    def _check_plausible(self) -> None:
        """A quarter with non-finite GDP or a city whose residents' income is negative is a failure, raised loudly."""
        gdp = self.market_gdp
        income = self.market.income - self.flows.transfers
        bad = ~np.isfinite(gdp) | ~np.isfinite(income) | (income < 0)
        if bad.any():
            cities = [self.region.city_names[k] for k in np.flatnonzero(bad)]
            raise ImplausibleStateError(
                f"quarter {self.steps}: non-finite GDP or negative residents' income in {cities} "
                f"(GDP {gdp[bad].tolist()}, income {income[bad].tolist()}); an agreement moves more than these cities hold"
            )

    def enterprises_exit(self) -> None:
        """Enterprises close by an exogenous exit shock (:func:`shock_exits`), then after sustained losses, with a graded
        hazard (:func:`exit_decisions`). Each draw is the enterprise's own (counter-based, by quarter and its key)."""
        pop, params = self.enterprises, self.economy.enterprise
        if params.exit_hazard > 0:  # the textbook limits have none
            rows = pop.rows
            shocked = shock_exits(rows, self.streams.agent_uniforms("exit shock", self.steps, pop.key[rows], 1)[:, 0], params)
            self.flows.add("exits_shock", pop.city[shocked])
            pop.remove(shocked)
        rows = pop.rows
        revenue, profit = net_profit(pop, rows, self.sectors, self.market, self.location_mass)

        def exit_draws(at_risk: np.ndarray) -> np.ndarray:  # only enterprises past their patience draw (counter-based)
            return self.streams.agent_uniforms("exit", self.steps, pop.key[at_risk], 1)[:, 0]

        leaving = exit_decisions(pop, rows, revenue, profit, self.sectors, params, exit_draws)
        self.flows.add("exits_loss", pop.city[leaving])
        pop.remove(leaving)

    def enterprises_enter(self) -> None:
        """New enterprises replace the zero-profit count's turnover and enter where expected profits are high
        (:func:`entry_decisions`, on the stock the market was cleared with), owned where they produce.

        Draws are keyed for common random numbers: each (sector, city) cell inverts its own uniform into its entrants,
        and the k-th entrant of a cell in a quarter has a key derived from (quarter, cell, k), which keys its efficiency
        and every later decision, so paired scenarios create the same entrants with the same draws where they agree.
        """
        S, K = self.enterprise_counts.shape
        entrants = entry_decisions(
            self.sectors,
            self.market,
            self.enterprise_counts,
            self.market_inputs.talent,
            self.mean_entrant_mass,
            self.economy.enterprise,
            self.streams.agent_uniforms("entry", self.steps, np.arange(S * K), 1)[:, 0].reshape(S, K),
            self.enterprise_overhead,
        )
        sector, city = np.nonzero(entrants)
        counts = entrants[sector, city]
        cell = np.repeat(sector * K + city, counts)
        rank = np.arange(len(cell)) - np.repeat(np.cumsum(counts) - counts, counts)  # k-th entrant of its cell
        key = self.streams.derived_keys("entrant", self.steps, cell * ENTRANTS_PER_CELL + rank)
        uniform = self.streams.agent_uniforms("entrant productivity", self.steps, key, 1)[:, 0]
        sector, city = cell // K, cell % K
        draw = np.exp(ndtri(uniform + HALF_ULP) * self.productivity_dispersion[sector])  # ln d ~ N(0, d_s^2)
        overhead = self.sectors.productivity_mass(sector, draw) / self.mean_draw_mass[sector]
        self.add_enterprises(city, sector, city, None, productivity=draw, overhead=overhead, key=key)
        self.flows.add("entries_new", city)

    def enterprises_relocate(self) -> None:
        """Enterprises move or open a branch where the present value of the move beats its cost (pairwise logit,
        :func:`relocation_choices`); a ``branch_share`` of movers keep their plant and open a branch."""
        params, pop = self.economy.enterprise, self.enterprises

        def draws(rows: np.ndarray, k: int, first: int) -> np.ndarray:  # each enterprise's own draws this quarter
            return self.streams.agent_uniforms("relocation", self.steps, pop.key[rows], k, first)

        movers, destination = relocation_choices(
            pop,
            pop.rows,
            self.sectors,
            self.market,
            self.enterprise_moving_cost(),
            params,
            relocation_annuity(params.discount_rate, params.exit_hazard),
            draws,
            self.location_mass,
            self.association_cost_multiplier(),
        )
        branching = draws(movers, 1, 3)[:, 0] < params.branch_share
        self.relocate_enterprises(movers[~branching], destination[~branching])
        self.branch_enterprises(movers[branching], destination[branching])

    def labour_migrates(self) -> None:
        """Talent and worker cohorts choose where to live by a logit over utility net of moving cost (staying included).

        In an open province the rest of China is one more choice (:mod:`coopsim.agents.outside_option`): cohorts
        choosing it leave for the reservoir, and the reservoir's cohorts, deciding on the same utilities, arrive as new
        cohorts (``*_from_outside``, ``*_to_outside``); every other move is within the region (``*_in``, ``*_out``).
        """
        for group, pop, stream, flow in (
            ("talent", self.talent, "migration", "migration"),
            ("workers", self.workers, "worker migration", "worker_migration"),
        ):
            config = getattr(self.economy, group)
            if config.migration_rate == 0.0:
                continue

            def draws(rows: np.ndarray, k: int, first: int, pop=pop, stream=stream) -> np.ndarray:  # each cohort's own draws
                return self.streams.agent_uniforms(stream, self.steps, pop.uid[rows], k, first)

            utility, moving_cost = self.choice_set(group)
            rows, destination = migration_choices(pop, pop.exchange_until < 0, utility, moving_cost, config, draws)  # secondees stay
            K = self.region.size
            within = destination < K
            rows, leaving, destination = rows[within], rows[~within], destination[within]
            self.flows.add(f"{flow}_out", pop.city[rows], pop.size[rows])
            self.flows.add(f"{flow}_in", destination, pop.size[rows])
            pop.column("city")[rows] = destination
            if self.outside is not None:
                from_outside = choice_probabilities(utility, moving_cost, config.migration_elasticity)[K]
                self._cross_the_border(group, pop, stream, flow, leaving, from_outside)
            self._people_cache.clear()

    def _cross_the_border(self, group: str, pop, stream: str, flow: str, leaving: np.ndarray, from_outside: np.ndarray) -> None:
        """Cohorts ``leaving`` for the rest of China join its reservoir; the reservoir's cohorts choosing a city by the
        logit row ``from_outside`` (K+1,) arrive there as new cohorts of the region's cohort size."""
        size = self.region.cohort_size if group == "talent" else self.region.worker_cohort_size

        def reservoir_draws(ids: np.ndarray, k: int, first: int) -> np.ndarray:  # each reservoir cohort's own draws
            return self.streams.agent_uniforms(f"{stream} from outside", self.steps, ids, k, first)

        _, city = arrivals(self.reservoir[group], size, from_outside, getattr(self.economy, group).migration_rate, reservoir_draws)
        self.flows.add(f"{flow}_to_outside", pop.city[leaving], pop.size[leaving])
        self.reservoir[group] += float(pop.size[leaving].sum())
        pop.remove(leaving)
        none = np.full(len(city), -1)
        pop.add(city=city, home_city=city, size=np.full(len(city), size), exchange_until=none, exchange_origin=none)
        self.flows.add(f"{flow}_from_outside", city, np.full(len(city), size))
        self.reservoir[group] -= size * len(city)

    def knowledge_spills_over(self) -> None:
        """Set each city's location productivity from the talent within its reach (no-op at strength 0).

        Spillovers are a property of places (Ahlfeldt & Feddersen 2018 estimate them for
        locations): every enterprise producing in the city gains, one moving in gains too.
        Productivity moves with access relative to step 0 (:func:`spillover_productivity`), so
        the calibrated start stays at rest and the channel acts when links or people move.
        """
        knowledge = self.economy.knowledge
        if knowledge.spillover_strength == 0.0:
            return
        access = spillover_access(self.talent_per_city(), self.region.travel_minutes, knowledge.half_life_minutes)
        self.spillover_factor = spillover_productivity(access, self.initial_access, knowledge.spillover_strength)
        self.update_place_productivity()

    @property
    def mean_entrant_mass(self) -> np.ndarray:
        """Expected ``(z_si d)^(sigma-1)`` of an entrant in each (sector, city) (S, K)."""
        return self.mean_draw_mass[:, None] * self.location_mass

    # ----- Mesa handles, made on demand ---------------------------------------------------------
    def enterprise_agents(self) -> AgentSet:
        """Mesa handles on the living enterprises, made now (the previous snapshot's handles are removed).

        A snapshot for inspection with Mesa's ``AgentSet`` tools (``select``, ``groupby``,
        ``agg``); entry and exit after the call do not update it (``Enterprise.exists``).
        """
        return self._snapshot(Enterprise, self.enterprises)

    def talent_agents(self) -> AgentSet:
        """Mesa handles on the talent cohorts, made now (the previous snapshot's handles are removed)."""
        return self._snapshot(Talent, self.talent)

    def worker_agents(self) -> AgentSet:
        """Mesa handles on the worker cohorts, made now (the previous snapshot's handles are removed)."""
        return self._snapshot(Worker, self.workers)

    def _snapshot(self, kind: type, pop) -> AgentSet:
        for agent in self._snapshots.get(kind, []):
            agent.remove()
        self._snapshots[kind] = [kind(self, uid) for uid in pop.uid[pop.rows].tolist()]
        return AgentSet(self._snapshots[kind], random=self.random)

    # ----- derived quantities -------------------------------------------------------------
    def talent_per_city(self) -> np.ndarray:
        """People of talent in each city (K,)."""
        return self._people("talent")

    def workers_per_city(self) -> np.ndarray:
        """Workers in each city (K,)."""
        return self._people("workers")

    def _people(self, group: str) -> np.ndarray:
        """People of a group per city, cached until someone moves (every move goes through the model)."""
        if group not in self._people_cache:
            self._people_cache[group] = people_by_city(getattr(self, group), self.region.size)
        return self._people_cache[group].copy()

    def residents_per_city(self) -> np.ndarray:
        """Residents (talent and workers) in each city (K,)."""
        return self.talent_per_city() + self.workers_per_city()

    def enterprises_per_city(self) -> np.ndarray:
        """Enterprises producing in each city (K,)."""
        rows = self.enterprises.rows
        return np.bincount(self.enterprises.city[rows], minlength=self.region.size)

    def trade_costs(self) -> np.ndarray:
        """Iceberg trade costs per sector from the current travel times (S, K, K)."""
        sectors = self.economy.sectors.values()
        elasticity = np.array([s.trade_time_elasticity for s in sectors])
        freight = np.array([s.network == "freight" for s in sectors])
        return self.region.trade_costs(elasticity, self.economy.sigma, self.economy.trade_time_scale_minutes, freight)

    def log_real_wage(self, group: str = "talent") -> np.ndarray:
        """A labour group's log real wage at this quarter's goods and housing prices
        (:func:`coopsim.economy.welfare.log_real_wage` of the wage it weighs, :func:`coopsim.economy.welfare.group_wage`)."""
        wage = group_wage(self.market, group, self.economy.talent.utility_wage)
        return log_real_wage(
            wage,
            self.market,
            self.sectors,
            self.residents_per_city(),
            self.region.land_km2,
            self.economy.congestion_elasticity,
            housing_share=self.economy.housing.expenditure_share,
            housing_price=self.housing.price,
        )

    def utility(self, group: str) -> np.ndarray:
        """A labour group's indirect utility in each city: log real wage plus its amenity (K,)."""
        return location_utility(self.log_real_wage(group), self.amenity[group])

    def choice_set(self, group: str) -> tuple[np.ndarray, np.ndarray]:
        """A group's utility of each location (K,) and moving costs (K, K); in an open province the rest of China is
        the last location (K+1,) and (K+1, K+1)."""
        utility, moving_cost = self.utility(group), self.moving_cost(group)
        if self.outside is None:
            return utility, moving_cost
        config = getattr(self.economy, group)
        return np.append(utility, self.outside_utility(group)), open_moving_cost(moving_cost, config, self.outside[group].barrier)

    def outside_utility(self, group: str) -> float:
        """The rest of China's utility for a group (open provinces): its log real wage, grown by
        ``region.data.outside.real_wage_growth`` a year since step 0, plus its amenity."""
        option = self.outside[group]
        growth = self.cfg.region.data.outside.real_wage_growth * self.steps / QUARTERS_PER_YEAR
        return option.log_real_wage + growth + self.outside_amenity[group]

    def residents_outside(self) -> float:
        """People of both groups in the rest of China's reservoir (NaN in a closed region)."""
        return float(sum(self.reservoir.values())) if self.outside is not None else float("nan")

    def moving_cost(self, group: str) -> np.ndarray:
        """A labour group's moving-cost matrix in log-utility units (K, K)."""
        return moving_cost_matrix(self.region.travel_minutes, getattr(self.economy, group))

    def enterprise_moving_cost(self) -> np.ndarray:
        """Enterprises' one-off relocation cost matrix in quarters of revenue (K, K): fixed plus per hour of travel."""
        p = self.economy.enterprise
        return travel_cost_matrix(self.region.travel_minutes, p.relocation_cost, p.relocation_cost_per_hour)

    def association_cost_multiplier(self) -> np.ndarray | None:
        """Rows of relocation-cost multipliers per association, plus a last row of ones for non-members."""
        if not self.associations:
            return None
        K = self.region.size
        return np.vstack([a.cost_multiplier(K) for a in self.associations] + [np.ones(K)])

    def release(self) -> None:
        """Drop Mesa's class-level registry entry for this model (Mesa 3.3.1 keeps every model alive otherwise)."""
        mesa.Agent._ids.pop(self, None)


def quarterly_productivity_drift(data, region) -> np.ndarray:
    """Each city's productivity drift at step 0 in log points a quarter (K,): its pre-2021 real GDP growth relative to
    the region's (``Region.output_growth``) over four, for calibrated data regions with ``productivity_trend``; zeros
    otherwise (theory regions and the textbook limits have no trend)."""
    if data is None or not (data.calibrate and data.productivity_trend) or region.output_growth is None:
        return np.zeros(region.size)
    return region.output_growth / QUARTERS_PER_YEAR
