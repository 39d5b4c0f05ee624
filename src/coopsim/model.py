"""The Mesa model: wires cities, enterprises, talent, workers, associations, rules and the market; orders the quarter.

Each quarter: scheduled timetable changes apply; agreement rules act (and capital
depreciates); the market clears; enterprises exit, enter, relocate or branch; talent and
workers migrate; knowledge spills over; metrics are recorded. The model holds no economics of its own: every step calls a small function
of :mod:`coopsim.economy` or :mod:`coopsim.agents`.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import mesa
import numpy as np
import pandas as pd
from mesa.agent import AgentSet
from mesa.discrete_space import Network

from coopsim.agents.association import IndustryAssociation
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
    understaffed_closures,
)
from coopsim.agents.labour import Talent, Worker, new_labour_population
from coopsim.agents.migration import location_utility, migration_choices, moving_cost_matrix, people_by_city, travel_cost_matrix
from coopsim.apportion import largest_remainder
from coopsim.calibration import Calibration, CalibrationTargets, calibrate_region, log_real_wage, scaled_sectors
from coopsim.config import CoopsimConfig, validate
from coopsim.economy.capital import capital_productivity, initial_capital_stock
from coopsim.economy.knowledge import spillover_access, spillover_productivity
from coopsim.economy.market import MarketConvergenceError, MarketInputs, MarketSolution, SectorParameters, solve_market_from, value_added
from coopsim.metrics import MetricsRecorder
from coopsim.random_streams import RandomStreams
from coopsim.region import QUARTERS_PER_YEAR, build_region

log = logging.getLogger(__name__)


def sector_parameters(cfg: CoopsimConfig) -> SectorParameters:
    """Arrays of sector parameters in the config's sector order."""
    sectors = list(cfg.economy.sectors.values())
    return SectorParameters(
        sigma=np.full(len(sectors), float(cfg.economy.sigma)),
        expenditure_share=np.array([s.expenditure_share for s in sectors], dtype=float),
        talent_input_share=np.array([s.talent_input_share for s in sectors], dtype=float),
        fixed_talent=np.array([s.fixed_talent for s in sectors], dtype=float),
    )


class ImplausibleStateError(RuntimeError):
    """The economy reached a state that makes no sense (non-finite GDP, negative income): the run fails."""


class RegionalEconomy(mesa.Model):
    """A region of cities under an agreement, stepped one quarter at a time.

    Build it from a composed, typed config (:class:`coopsim.config.CoopsimConfig`) and a
    list of agreement rules (objects with ``apply(model)``); ``step()`` runs one quarter.
    """

    def __init__(self, cfg: CoopsimConfig, rules: list | None = None) -> None:
        validate(cfg)
        super().__init__(rng=cfg.seed)
        self.cfg = cfg
        self.economy = cfg.economy
        self.streams = RandomStreams(cfg.seed)
        self.region = build_region(cfg.region)
        self.sector_names = list(cfg.economy.sectors)
        self.sectors = sector_parameters(cfg)
        dispersion = np.array([s.productivity_dispersion for s in cfg.economy.sectors.values()])
        self.productivity_dispersion = dispersion
        # E[d^(sigma-1)] of a lognormal draw ln(d) ~ N(0, s^2): exp(((sigma-1) s)^2 / 2)
        self.mean_draw_mass = np.exp(((self.sectors.sigma - 1.0) * dispersion) ** 2 / 2.0)
        self.enterprise_share = np.array([s.enterprise_share for s in cfg.economy.sectors.values()])
        self.outside_productivity = np.ones(self.region.size)
        self.amenity = {"talent": self.region.amenity.copy(), "workers": self.region.amenity.copy()}
        self.amenity_trend = {group: np.zeros(self.region.size) for group in self.amenity}  # drift at step 0, fading
        # z_si ** (sigma - 1): each (sector, city)'s productivity, multiplying its enterprises' own efficiency
        self.location_mass = np.ones((len(self.sector_names), self.region.size))
        self.calibration: Calibration | None = None
        counts = self._initial_enterprise_counts()
        self.space = Network(self.region.fastest_graph(), random=self.random)
        self.cities = [City(self, k, self.space[k]) for k in range(self.region.size)]
        self.enterprises = new_enterprise_population()
        self.talent = new_labour_population()
        self.workers = new_labour_population()
        self._people_cache: dict[str, np.ndarray] = {}
        self._populate(counts)
        self.base_location_mass = self.location_mass.copy()
        self.base_amenity = {group: values.copy() for group, values in self.amenity.items()}
        self.initial_access = spillover_access(self.talent_per_city(), self.region.travel_minutes, cfg.economy.knowledge.half_life_minutes)
        self.spillover_factor = np.ones(self.region.size)
        # Mesa handles are made on demand (snapshots), never one per agent up front
        self._snapshots: dict[type, list[mesa.Agent]] = {}
        self.associations = self._create_associations()
        self.capital_stock = np.zeros(self.region.size)  # built by agreements, budget units, net of depreciation
        self.rules = dict(rules or {})
        self.market: MarketSolution | None = None
        self.flows: dict[str, np.ndarray] = {}
        self.recorder = MetricsRecorder(self.region.city_names, self.region.start_date)
        self._reset_flows()
        self.clear_market()
        self.recorder.collect(self)
        self.numeraire_per_budget_unit = self._numeraire_per_budget_unit()
        self.initial_capital = initial_capital_stock(
            self.recorder.last("gdp"), self.economy.capital_output_ratio, self.numeraire_per_budget_unit
        )
        for key, rule in self.rules.items():
            rule.bind(self, f"agreement.rules.{key}")

    # ----- set-up -------------------------------------------------------------------------
    def _initial_enterprise_counts(self) -> np.ndarray:
        """Enterprises per (sector, city) at step 0: calibrated (data regions, or ``region.steady_state``), else split by sector shares."""
        data = self.cfg.region.data
        if data is not None and data.calibrate:
            targets = CalibrationTargets.from_data(self.region, data)
        elif self.cfg.region.steady_state:
            targets = CalibrationTargets.steady_state(self.region)
        else:
            targets = None
        if targets is not None:
            self.calibration = calibrate_region(
                self.region, self.sectors, self.economy, targets, self.trade_costs(), self.mean_draw_mass[:, None], self.enterprise_share
            )
            self.sectors = scaled_sectors(self.sectors, self.calibration.fixed_talent_scale)
            self.outside_productivity = self.calibration.outside_productivity
            self.location_mass = self.calibration.productivity ** (self.sectors.sigma[:, None] - 1.0)
            self.amenity = {group: values.copy() for group, values in self.calibration.amenity.items()}
            self.amenity_trend = {group: values.copy() for group, values in self.calibration.amenity_trend.items()}
            return self.calibration.enterprise_counts
        return np.stack([largest_remainder(int(n), self.enterprise_share) for n in self.region.enterprises], axis=1)

    def _populate(self, counts: np.ndarray) -> None:
        rng = self.streams["initial"]
        S, K = counts.shape
        for k in range(K):
            sector = np.repeat(np.arange(S), counts[:, k])
            rows = self.add_enterprises(np.full(len(sector), k), sector, np.full(len(sector), k), rng)
            self._match_expected_mass(rows, sector, k)
        groups = (
            (self.talent, self.region.talent, self.region.cohort_size),
            (self.workers, self.region.workers, self.region.worker_cohort_size),
        )
        for pop, people_per_city, size in groups:
            for k in range(K):
                people = people_per_city[k]
                cohorts = int(np.ceil(people / size - 1e-9)) if people > 0 else 0
                if cohorts:
                    none = np.full(cohorts, -1)
                    pop.add(
                        city=np.full(cohorts, k),
                        home_city=np.full(cohorts, k),
                        size=np.full(cohorts, people / cohorts),
                        exchange_until=none,
                        exchange_origin=none,
                    )

    def _match_expected_mass(self, rows: np.ndarray, sector: np.ndarray, city: int) -> None:
        """Rescale a city's initial draws so each sector's productivity mass equals its expectation.

        Heavy-tailed ``phi ** (sigma - 1)`` makes a few dozen draws' sum noisy; matching the
        first moment per (sector, city) keeps the dispersion and removes the sampling error
        from the calibrated step 0 (entrants later draw freely).
        """
        productivity = self.enterprises.column("productivity")
        overhead = self.enterprises.column("overhead")
        for s in np.unique(sector):
            cell = rows[sector == s]
            mass = self.sectors.productivity_mass(np.full(len(cell), s), productivity[cell]).sum()
            expected = len(cell) * self.mean_draw_mass[s]
            productivity[cell] *= (expected / mass) ** (1.0 / (self.sectors.sigma[s] - 1.0))
            overhead[cell] *= expected / mass  # overhead follows the rescaled size: mean 1 in the cell

    def _create_associations(self) -> list[IndustryAssociation]:
        associations = []
        for index, (name, acfg) in enumerate(self.cfg.region.associations.items()):
            association = IndustryAssociation(
                self,
                index,
                name,
                sector=self.sector_names.index(acfg.sector),
                home_city=self.region.index(acfg.home_city),
                partner_cities=[self.region.index(c) for c in acfg.partner_cities],
                brokering_discount=acfg.brokering_discount,
            )
            association.recruit(self.streams["initial"], acfg.membership_rate)
            associations.append(association)
        return associations

    def add_enterprises(self, city, sector, owner_city, rng: np.random.Generator, productivity=None, overhead=None) -> np.ndarray:
        """Create enterprises; returns rows.

        Unless given, the enterprise's own efficiency is a draw ``ln d ~ N(0, d_s^2)`` (its
        location adds ``z_si``) and its overhead ``d^(sigma-1) / E[d^(sigma-1)]`` (fixed costs
        scale with size, mean 1).
        """
        city = np.asarray(city, dtype=np.int64)
        sector = np.asarray(sector, dtype=np.int64)
        if productivity is None:
            draw = np.exp(rng.normal(0.0, 1.0, len(city)) * self.productivity_dispersion[sector])
            productivity = draw
            overhead = self.sectors.productivity_mass(sector, draw) / self.mean_draw_mass[sector]
        return self.enterprises.add(
            city=city,
            sector=sector,
            owner_city=np.asarray(owner_city, dtype=np.int64),
            productivity=productivity,
            age=np.zeros(len(city), dtype=np.int64),
            loss_streak=np.zeros(len(city), dtype=np.int64),
            overhead=np.ones(len(city)) if overhead is None else overhead,
            association=np.full(len(city), -1, dtype=np.int64),
        )

    # ----- the quarter --------------------------------------------------------------------
    def step(self) -> None:
        """One quarter: timetable, rules, market, enterprises, migration, knowledge, metrics."""
        self._reset_flows()
        self.open_scheduled_links()
        self.drift_amenities()
        self.apply_rules()
        self.clear_market()
        self.enterprises_decide()
        self.labour_migrates()
        self.knowledge_spills_over()
        self.recorder.collect(self)

    def open_scheduled_links(self) -> None:
        """Apply the region's timetable changes that fall in this quarter (baseline infrastructure, not rules)."""
        for link in self.region.scheduled_links:
            if link.quarter == self.steps:
                self.region.set_link(link.a, link.b, link.mode, link.minutes)

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

    def apply_rules(self) -> None:
        """Capital depreciates; each agreement rule acts on the model (rules record their own flows); places' productivity follows."""
        self.capital_stock *= 1.0 - self.economy.capital_depreciation_rate
        for rule in self.rules.values():
            rule.apply(self)
        self.update_place_productivity()

    def update_place_productivity(self) -> None:
        """Each (sector, city)'s productivity: calibrated, times knowledge spillovers, times capital built by agreements.

        ``z_si = z0_si * spill_i * (1 + K_i / K0_i) ** theta`` (spillovers: :func:`spillover_productivity`;
        capital: :func:`coopsim.economy.capital.capital_productivity`), stored as ``z ** (sigma - 1)``.
        """
        place = self.spillover_factor * capital_productivity(
            self.capital_stock, self.initial_capital, self.economy.capital_output_elasticity
        )
        self.location_mass = self.base_location_mass * place[None, :] ** (self.sectors.sigma[:, None] - 1.0)

    def clear_market(self) -> None:
        """Close enterprises the local talent cannot staff, then solve the short-run equilibrium."""
        params = self.economy.enterprise

        def priority(rows: np.ndarray) -> np.ndarray:
            return self.streams.agent_uniforms("staffing", self.steps, self.enterprises.uid[rows], 1)[:, 0]

        closed = understaffed_closures(self.enterprises, self.sectors, self.talent_per_city(), params.staffing_margin, priority)
        self._count("exits_staffing", self.enterprises.city[closed])
        self.enterprises.remove(closed)
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
            transfers=self.transfers,
            outside_land_share=self.economy.outside_land_share,
        )
        solver = self.economy.solver
        self.market = solve_market_from(self.sectors, inputs, solver, self.market, self.mean_entrant_mass)
        self.market_inputs = inputs
        self.enterprise_counts = agg.count
        self._check_plausible()
        if not self.market.converged:
            message = (
                f"market did not converge in quarter {self.steps}: "
                f"residual {self.market.residual:.3g} after {self.market.iterations} iterations"
            )
            if solver.on_failure == "raise":
                raise MarketConvergenceError(message)
            log.warning(message)

    def _check_plausible(self) -> None:
        """A quarter with non-finite GDP or a city whose residents' income is negative is a failure, raised loudly."""
        gdp = value_added(self.sectors, self.market, self.market_inputs)
        income = self.market.income - self.transfers
        bad = ~np.isfinite(gdp) | ~np.isfinite(income) | (income < 0)
        if bad.any():
            cities = [self.region.city_names[k] for k in np.flatnonzero(bad)]
            raise ImplausibleStateError(
                f"quarter {self.steps}: non-finite GDP or negative residents' income in {cities} "
                f"(GDP {gdp[bad].tolist()}, income {income[bad].tolist()}); an agreement moves more than these cities hold"
            )

    def enterprises_decide(self) -> None:
        """Exit after sustained losses, entry where profits are high, relocation or branching by logit."""
        params, pop, market = self.economy.enterprise, self.enterprises, self.market
        rows = pop.rows
        revenue, profit = net_profit(pop, rows, self.sectors, market, self.location_mass)
        exit_draws = self.streams.agent_uniforms("exit", self.steps, pop.uid[rows], 1)[:, 0]
        leaving = exit_decisions(pop, rows, revenue, profit, self.sectors, params, exit_draws)
        self._count("exits_loss", pop.city[leaving])
        pop.remove(leaving)
        entrants = entry_decisions(
            self.sectors,
            market,
            self.enterprise_counts,
            self.market_inputs.talent,
            self.mean_entrant_mass,
            params,
            self.streams.quarter_generator("entry", self.steps),
        )
        sector, city = np.nonzero(entrants)
        counts = entrants[sector, city]
        city, sector = np.repeat(city, counts), np.repeat(sector, counts)
        self.add_enterprises(city, sector, city, self.streams.quarter_generator("entrant productivity", self.steps))
        self._count("entries_new", city)

        def draws(rows: np.ndarray, k: int, first: int) -> np.ndarray:  # each enterprise's own draws this quarter
            return self.streams.agent_uniforms("relocation", self.steps, pop.uid[rows], k, first)

        movers, destination = relocation_choices(
            pop,
            pop.rows,
            self.sectors,
            market,
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
        live = pop.rows
        pop.column("age")[live] += 1

    def relocate_enterprises(self, rows: np.ndarray, destination: np.ndarray) -> None:
        """Move enterprises to other cities (they keep owners, efficiency and membership)."""
        self._count("relocations_out", self.enterprises.city[rows])
        self._count("relocations_in", destination)
        self.enterprises.column("city")[rows] = destination

    def branch_enterprises(self, rows: np.ndarray, destination: np.ndarray) -> np.ndarray:
        """Open branch plants of enterprises in other cities: same owners, efficiency, size and membership; returns their rows."""
        pop = self.enterprises
        new = self.add_enterprises(
            destination,
            pop.sector[rows],
            pop.owner_city[rows],
            self.streams["relocation"],
            productivity=pop.productivity[rows],
            overhead=pop.overhead[rows],
        )
        pop.column("association")[new] = pop.association[rows]
        self._count("entries_branch", destination)
        return new

    def labour_migrates(self) -> None:
        """Talent and worker cohorts choose where to live by a logit over utility net of moving cost (staying included)."""
        for group, pop, stream, flow in (
            ("talent", self.talent, "migration", "migration"),
            ("workers", self.workers, "worker migration", "worker_migration"),
        ):
            config = getattr(self.economy, group)
            if config.migration_rate == 0.0:
                continue

            def draws(rows: np.ndarray, k: int, first: int, pop=pop, stream=stream) -> np.ndarray:  # each cohort's own draws
                return self.streams.agent_uniforms(stream, self.steps, pop.uid[rows], k, first)

            rows, destination = migration_choices(
                pop,
                pop.exchange_until < 0,  # secondees stay until their exchange ends
                self.utility(group),
                self.moving_cost(group),
                config,
                draws,
            )
            self._count(f"{flow}_out", pop.city[rows], pop.size[rows])
            self._count(f"{flow}_in", destination, pop.size[rows])
            pop.column("city")[rows] = destination
            self._people_cache.clear()

    # ----- actions the agreement rules use ----------------------------------------------------
    def record_flow(self, flow: str, cities, amounts) -> None:
        """Add ``amounts`` to this quarter's ``flow`` in the given cities (flows are metrics)."""
        self._count(flow, np.asarray(cities, dtype=np.int64), np.asarray(amounts, dtype=float))

    def add_transfer(self, city: int, amount: float) -> None:
        """Move income into (or, negative, out of) a city's spending this quarter, in numeraire units."""
        self.transfers[city] += amount

    def move_talent(self, rows: np.ndarray, destination: int, cause: str) -> None:
        """Move talent cohorts to a city, recording ``<cause>_out`` and ``<cause>_in`` flows in people."""
        size = self.talent.size[rows]
        self._count(f"{cause}_out", self.talent.city[rows], size)
        self._count(f"{cause}_in", np.full(len(rows), destination), size)
        self.talent.column("city")[rows] = destination
        self._people_cache.clear()

    def split_talent(self, row: int, people: float) -> int:
        """Split ``people`` off a cohort into a new cohort in the same city; returns its row (people conserved)."""
        size = self.talent.column("size")
        if not 0 < people < size[row]:
            raise ValueError(f"cannot split {people} people off a cohort of {size[row]}")
        size[row] -= people
        new = self.talent.add(
            city=np.array([self.talent.city[row]]),
            home_city=np.array([self.talent.home_city[row]]),
            size=np.array([people]),
            exchange_until=np.array([-1]),
            exchange_origin=np.array([-1]),
        )
        self._people_cache.clear()
        return int(new[0])

    def boost_productivity(self, city: int, growth: float) -> None:
        """Raise the efficiency of every enterprise in a city by the factor ``1 + growth``."""
        rows = self.enterprises.rows
        in_city = rows[self.enterprises.city[rows] == city]
        self.enterprises.column("productivity")[in_city] *= 1.0 + growth

    def place_enterprise(self, city: int, sector: int, owner_city: int, rng: np.random.Generator) -> int:
        """Set up one new enterprise (a fresh draw) owned in ``owner_city``; counted as a branch entry."""
        new = self.add_enterprises(np.array([city]), np.array([sector]), np.array([owner_city]), rng)
        self._count("entries_branch", np.array([city]))
        return int(new[0])

    def add_association(self, name: str, sector: int, home_city: int, partner_cities: list[int], discount: float) -> IndustryAssociation:
        """Create an industry association agent (rules give it members and a role)."""
        association = IndustryAssociation(self, len(self.associations), name, sector, home_city, partner_cities, discount)
        self.associations.append(association)
        return association

    def _numeraire_per_budget_unit(self) -> float:
        """Numeraire per 100 million yuan (亿元) of annual GDP at step 0 for data regions; 1 for theory regions."""
        if self.region.gdp_2020 is None:
            return 1.0
        model_annual_gdp = QUARTERS_PER_YEAR * float(np.sum(self.recorder.last("gdp")))
        return model_annual_gdp / float(self.region.gdp_2020.sum())

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

    # ----- inspection -----------------------------------------------------------------------
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

    def cities_table(self) -> pd.DataFrame:
        """The region's cities with their place, group and initial people (saved with each run, for maps)."""
        region = self.region
        return pd.DataFrame(
            {
                "name": region.city_names,
                "group": region.groups or ["city"] * region.size,
                "sub_centre": [name in region.sub_centres for name in region.city_names],
                "lat": region.lat,
                "lon": region.lon,
                "workers_start": region.workers,
                "talent_start": region.talent,
                "gdp_2020": region.gdp_2020 if region.gdp_2020 is not None else np.nan,
            }
        )

    def links_table(self) -> pd.DataFrame:
        """The transport network as it is now: one row per link and mode, with minutes."""
        names = self.region.city_names
        rows = [(names[a], names[b], d["mode"], d["minutes"]) for a, b, d in self.region.network.edges(data=True)]
        return pd.DataFrame(rows, columns=["a", "b", "mode", "minutes"])

    def events_table(self) -> pd.DataFrame:
        """Dated events of the run, to mark on time paths: ``step, kind, event`` (kind ``timetable`` for the region's
        scheduled link changes, ``agreement`` for a rule's line opening)."""
        rows = [(link.quarter, "timetable", f"{link.a}-{link.b} {link.mode} {link.minutes:g} min") for link in self.region.scheduled_links]
        for key, rule in self.rules.items():
            opening = getattr(rule, "opening_quarter", None)
            if opening is not None:
                rows.append((int(opening), "agreement", f"agreement.rules.{key}: line opens"))
        return pd.DataFrame(rows, columns=["step", "kind", "event"]).sort_values("step", kind="stable").reset_index(drop=True)

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
        """A labour group's log real wage, less housing congestion, at this quarter's market (:func:`coopsim.calibration.log_real_wage`).

        The wage is the one the group is paid (``utility_wage: earned``), or for talent in the
        textbook limit the free-entry wage at which a mean entrant breaks even (``free_entry``:
        Krugman 1991 assumes entry at every instant).
        """
        if group == "workers":
            wage = self.market.worker_wage
        elif self.economy.talent.utility_wage == "free_entry":
            wage = self.market.entrant_wage
        else:
            wage = self.market.wage
        return log_real_wage(
            wage, self.market, self.sectors, self.residents_per_city(), self.region.land_km2, self.economy.congestion_elasticity
        )

    def utility(self, group: str) -> np.ndarray:
        """A labour group's indirect utility in each city: log real wage plus its amenity (K,)."""
        return location_utility(self.log_real_wage(group), self.amenity[group])

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

    # ----- flow accounting ----------------------------------------------------------------
    def _reset_flows(self) -> None:
        self.flows = defaultdict(lambda: np.zeros(self.region.size))
        self.transfers = np.zeros(self.region.size)

    def _count(self, flow: str, cities: np.ndarray, weights: np.ndarray | None = None) -> None:
        self.flows[flow] += np.bincount(np.asarray(cities, dtype=np.int64), weights=weights, minlength=self.region.size)

    def release(self) -> None:
        """Drop Mesa's class-level registry entry for this model (Mesa 3.3.1 keeps every model alive otherwise)."""
        mesa.Agent._ids.pop(self, None)
