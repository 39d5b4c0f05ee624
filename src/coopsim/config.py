"""Typed configuration schema (Hydra structured configs) and semantic validation.

The dataclasses below type every field of ``configs/``; they are registered with Hydra's
``ConfigStore`` so that an unknown key or a wrong type fails at composition with Hydra's
own message. :func:`validate` then checks what types cannot (sigma > 1, shares in [0, 1],
cities that exist, non-negative travel times) and names the offending field.
Model parameters have no defaults here: every value lives in a YAML file with a comment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


class ConfigError(ValueError):
    """A configuration value is not acceptable; the message starts with the field's dotted path."""


@dataclass
class SectorConfig:
    """One Dixit-Stiglitz sector: tastes, technology and how its trade cost grows with travel time."""

    expenditure_share: float = MISSING
    talent_input_share: float = MISSING
    fixed_talent: float = MISSING
    trade_time_elasticity: float = MISSING
    network: str = MISSING  # "freight" (goods: road and conventional rail) or "passenger" (services: every mode)
    productivity_dispersion: float = MISSING
    enterprise_share: float = MISSING


@dataclass
class SolverConfig:
    """Damped fixed point of the market (see :func:`coopsim.economy.market.solve_market`)."""

    damping: float = MISSING
    tolerance: float = MISSING
    max_iterations: int = MISSING
    on_failure: str = MISSING  # "warn" or "raise"


@dataclass
class EnterpriseConfig:
    """Entry, exit, relocation and branching of enterprises."""

    entry_rate: float = MISSING
    entry_pool_share: float = MISSING
    exit_patience: int = MISSING
    exit_rate: float = MISSING
    staffing_margin: float = MISSING
    relocation_rate: float = MISSING
    relocation_logit_scale: float = MISSING
    discount_rate: float = MISSING
    exit_hazard: float = MISSING
    relocation_cost: float = MISSING
    relocation_cost_per_hour: float = MISSING
    branch_share: float = MISSING


@dataclass
class LabourGroupConfig:
    """Migration of one labour group's cohorts (talent or workers): random utility, or the textbook pairwise protocol."""

    choice: str = MISSING  # "logit" (random utility, idiosyncratic preferences) or "pairwise" (textbook replicator)
    utility_wage: str = MISSING  # "earned" (the wage paid this quarter) or "free_entry" (talent only: the zero-profit wage)
    migration_rate: float = MISSING
    migration_elasticity: float = MISSING
    gain_for_certain_move: float = MISSING
    moving_cost: float = MISSING
    moving_cost_per_hour: float = MISSING
    settlement_barrier: float = MISSING


@dataclass
class KnowledgeConfig:
    """Productivity growth from talent within reach, discounted by travel time."""

    spillover_strength: float = MISSING
    half_life_minutes: float = MISSING


@dataclass
class EconomyConfig:
    """The market core and agents' behaviour."""

    name: str = MISSING
    sigma: float = MISSING
    trade_time_scale_minutes: float = MISSING
    congestion_elasticity: float = MISSING
    outside_land_share: float = MISSING
    capital_depreciation_rate: float = MISSING
    capital_output_elasticity: float = MISSING
    capital_output_ratio: float = MISSING
    sectors: dict[str, SectorConfig] = field(default_factory=dict)
    solver: SolverConfig = field(default_factory=SolverConfig)
    enterprise: EnterpriseConfig = field(default_factory=EnterpriseConfig)
    talent: LabourGroupConfig = field(default_factory=LabourGroupConfig)
    workers: LabourGroupConfig = field(default_factory=LabourGroupConfig)
    knowledge: KnowledgeConfig = field(default_factory=KnowledgeConfig)


@dataclass
class CityConfig:
    """A city's initial state: people, enterprises, amenity and place."""

    workers: float = MISSING
    talent: float = MISSING
    enterprises: int = MISSING
    amenity: float = MISSING
    land_km2: float = MISSING
    lat: float = MISSING
    lon: float = MISSING


@dataclass
class LinkConfig:
    """An edge of the transport network, with its travel time in minutes by one mode."""

    a: str = MISSING
    b: str = MISSING
    mode: str = MISSING  # road, rail or hsr
    minutes: float = MISSING


@dataclass
class AssociationConfig:
    """An industry association: sector scope, home city, partner cities, membership rate."""

    sector: str = MISSING
    home_city: str = MISSING
    partner_cities: list[str] = field(default_factory=list)
    membership_rate: float = MISSING
    brokering_discount: float = MISSING


@dataclass
class RegionDataConfig:
    """Build a region's cities and network from packaged data tables, scaled to agents and calibrated.

    cities_table / links_table: file names in ``coopsim/data`` (or paths).
    start_date: calendar date of step 0; links opened by then form the initial network,
        later openings in the table are applied in the quarter they open.
    cities: the cities to keep (empty: all); the others, their markets and their links are left out.
    talent: each city's tertiary-educated residents in the 7th census (a stated fallback where the table has no figure).
    people_per_talent_agent: people in one talent cohort (the agent scale).
    people_per_worker_agent: people in one worker cohort.
    enterprise_agents: enterprise agents in the whole region, split by census talent (the firm scale).
    people_per_km2: land is not in the data; each city's land is its 2020 population over this density.
    transfer_minutes: time lost at each change of link on a trip over several links.
    calibrate: invert the outside sector's productivity, enterprise counts and each labour group's
        amenities so that step 0 reproduces each city's 2020 GDP share and is the rest point of migration.
    fit_wage_gradient: with ``calibrate``, also fit each city's productivity level so that talent wages follow the
        cities' 2020 average wages (ratios between cities); otherwise productivity levels are equal across cities.
    wage_tolerance: largest relative error of a city's talent wage, relative to the region's, at the fit.
    trend: with ``calibrate``, carry each city's 2010-2020 growth of residents relative to the region's into the
        baseline (an amenity drift making it continue at step 0), fading with ``trend_half_life_years``; otherwise
        step 0 is a rest point.
    trend_half_life_years: years after which the drift is half its 2021 size.
    """

    cities_table: str = MISSING
    links_table: str = MISSING
    start_date: str = MISSING
    cities: list[str] = field(default_factory=list)
    sub_centres: list[str] = field(default_factory=list)  # provincial sub-centres (marked in tables and maps)
    people_per_talent_agent: float = MISSING
    people_per_worker_agent: float = MISSING
    enterprise_agents: int = MISSING
    people_per_km2: float = MISSING
    transfer_minutes: float = MISSING
    calibrate: bool = MISSING
    calibration_tolerance: float = MISSING
    break_even_tolerance: float = MISSING
    calibration_max_rounds: int = MISSING
    fit_wage_gradient: bool = MISSING
    wage_tolerance: float = MISSING
    trend: bool = MISSING
    trend_half_life_years: float = MISSING


@dataclass
class RegionConfig:
    """A region: its cities, transport links and optional theory overrides.

    Either ``cities`` and ``links`` are given inline (theory regions), or ``data`` builds them
    from packaged tables (empirical regions). ``core_city`` and ``partner_city`` name the
    agreement's partners, for rules' defaults and the partner metrics.
    """

    name: str = MISSING
    core_city: str | None = None
    partner_city: str | None = None
    circle_name: str | None = None  # the partner's metropolitan circle, for the sub-centre indicators
    circle: list[str] = field(default_factory=list)  # its cities, the partner among them
    wing: list[str] = field(default_factory=list)  # the cities whose market access the partner is ranked among
    data: RegionDataConfig | None = None
    cities: dict[str, CityConfig] = field(default_factory=dict)
    links: list[LinkConfig] = field(default_factory=list)
    associations: dict[str, AssociationConfig] = field(default_factory=dict)
    steady_state: bool = False  # inline regions: calibrate step 0 to rest (break-even enterprises, equal utility)
    people_per_agent: float | None = None  # inline regions: people in one talent or worker cohort (data regions set their own)
    trade_cost: float | None = None  # two-city theory: iceberg T between the cities, replacing travel time
    initial_share: float | None = None  # two-city theory: first city's share of talent and enterprises


@dataclass
class AgreementConfig:
    """A named set of agreement rules, each built from config with ``_target_``."""

    name: str = MISSING
    rules: dict[str, Any] = field(default_factory=dict)


@dataclass
class CoopsimConfig:
    """The whole run: what region, which economy, which agreement, how long, which seed."""

    seed: int = MISSING
    steps: int = MISSING
    region: RegionConfig = MISSING
    economy: EconomyConfig = MISSING
    agreement: AgreementConfig = MISSING
    levers: dict[str, Any] = field(default_factory=dict)  # policy levers that agreement presets read
    experiment: str | None = None
    exploration: Any = None  # an exploration's typed declaration (coopsim.exploration.spec); read by coopsim-explore, not by a run


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore (``defaults: [coopsim_schema, ...]``)."""
    cs = ConfigStore.instance()
    cs.store(name="coopsim_schema", node=CoopsimConfig)


TRANSPORT_MODES = ("road", "rail", "hsr")
LABOUR_CHOICES = ("logit", "pairwise")
TRADE_NETWORKS = ("freight", "passenger")
UTILITY_WAGES = ("earned", "free_entry")  # free_entry: the talent wage at which a mean entrant breaks even
MAX_STEPS = 4000  # quarters: a thousand years; the textbook limits need 600, scenarios 60
MAX_DISCOUNT_RATE = 1.0  # an annual discount rate above 100% is a typo, not an assumption


def _require(condition: bool, path: str, expected: str, value: Any) -> None:
    if not condition:
        raise ConfigError(f"{path}: expected {expected}, got {value!r}")


def _share(value: float, path: str) -> None:
    _require(isinstance(value, (int, float)) and 0.0 <= value <= 1.0, path, "a share in [0, 1]", value)


def _non_negative(value: float, path: str) -> None:
    _require(isinstance(value, (int, float)) and math.isfinite(value) and value >= 0.0, path, "a finite value >= 0", value)


def _positive(value: float, path: str) -> None:
    _require(isinstance(value, (int, float)) and math.isfinite(value) and value > 0.0, path, "a finite value > 0", value)


def _scale(value: float, path: str) -> None:
    _require(
        isinstance(value, (int, float)) and value >= 0.0 and not math.isnan(value),
        path,
        "a logit scale >= 0 (.inf for best response)",
        value,
    )


def _validate_region_data(data: RegionDataConfig) -> None:
    import datetime

    try:
        datetime.date.fromisoformat(data.start_date)
    except ValueError:
        raise ConfigError(f"region.data.start_date: expected an ISO date YYYY-MM-DD, got {data.start_date!r}") from None
    if len(set(data.sub_centres)) != len(data.sub_centres):
        raise ConfigError(f"region.data.sub_centres: expected distinct cities, got {list(data.sub_centres)!r}")
    _positive(data.people_per_talent_agent, "region.data.people_per_talent_agent")
    _positive(data.people_per_worker_agent, "region.data.people_per_worker_agent")
    _require(data.enterprise_agents >= 1, "region.data.enterprise_agents", "at least 1", data.enterprise_agents)
    _positive(data.people_per_km2, "region.data.people_per_km2")
    _non_negative(data.transfer_minutes, "region.data.transfer_minutes")
    _positive(data.calibration_tolerance, "region.data.calibration_tolerance")
    _positive(data.break_even_tolerance, "region.data.break_even_tolerance")
    _positive(data.wage_tolerance, "region.data.wage_tolerance")
    _positive(data.trend_half_life_years, "region.data.trend_half_life_years")
    _require(data.calibration_max_rounds >= 1, "region.data.calibration_max_rounds", "at least 1", data.calibration_max_rounds)


def validate(cfg: CoopsimConfig) -> None:
    """Check the semantic constraints of a run's config; raise :class:`ConfigError` naming the field."""
    _require(1 <= cfg.steps <= MAX_STEPS, "steps", f"1 to {MAX_STEPS} quarters", cfg.steps)
    _require(cfg.seed >= 0, "seed", "a non-negative integer", cfg.seed)
    _validate_economy(cfg.economy)
    _validate_region(cfg.region, cfg.economy)


def _validate_economy(eco: EconomyConfig) -> None:
    _require(eco.sigma > 1.0, "economy.sigma", "an elasticity of substitution > 1", eco.sigma)
    _positive(eco.trade_time_scale_minutes, "economy.trade_time_scale_minutes")
    _non_negative(eco.congestion_elasticity, "economy.congestion_elasticity")
    _require(
        isinstance(eco.outside_land_share, (int, float)) and 0.0 <= eco.outside_land_share < 1.0,
        "economy.outside_land_share",
        "a share in [0, 1)",
        eco.outside_land_share,
    )
    _share(eco.capital_output_elasticity, "economy.capital_output_elasticity")
    _positive(eco.capital_output_ratio, "economy.capital_output_ratio")
    _share(eco.capital_depreciation_rate, "economy.capital_depreciation_rate")
    _require(len(eco.sectors) >= 1, "economy.sectors", "at least one sector", dict(eco.sectors))
    for name, sector in eco.sectors.items():
        path = f"economy.sectors.{name}"
        _share(sector.expenditure_share, f"{path}.expenditure_share")
        _share(sector.talent_input_share, f"{path}.talent_input_share")
        _share(sector.enterprise_share, f"{path}.enterprise_share")
        _non_negative(sector.fixed_talent, f"{path}.fixed_talent")
        _non_negative(sector.trade_time_elasticity, f"{path}.trade_time_elasticity")
        _require(sector.network in TRADE_NETWORKS, f"{path}.network", f"one of {TRADE_NETWORKS}", sector.network)
        _non_negative(sector.productivity_dispersion, f"{path}.productivity_dispersion")
    total_mu = sum(s.expenditure_share for s in eco.sectors.values())
    _require(total_mu <= 1.0 + 1e-12, "economy.sectors.*.expenditure_share", "shares summing to at most 1", total_mu)
    rho = (eco.sigma - 1.0) / eco.sigma
    _require(
        rho > total_mu,
        "economy.sigma",
        f"(sigma-1)/sigma > total expenditure share {total_mu:.4g} (no-black-hole condition, FKV 1999 eq. 5.26)",
        eco.sigma,
    )
    total_share = sum(s.enterprise_share for s in eco.sectors.values())
    _require(abs(total_share - 1.0) < 1e-9, "economy.sectors.*.enterprise_share", "shares summing to 1", total_share)
    solver = eco.solver
    _require(0.0 < solver.damping <= 1.0, "economy.solver.damping", "a value in (0, 1]", solver.damping)
    _positive(solver.tolerance, "economy.solver.tolerance")
    _require(solver.max_iterations >= 1, "economy.solver.max_iterations", "at least 1", solver.max_iterations)
    _require(solver.on_failure in ("warn", "raise"), "economy.solver.on_failure", "'warn' or 'raise'", solver.on_failure)
    ent = eco.enterprise
    for key in ("entry_rate", "exit_rate", "relocation_rate", "branch_share", "staffing_margin", "exit_hazard"):
        _share(getattr(ent, key), f"economy.enterprise.{key}")
    _require(ent.exit_patience >= 1, "economy.enterprise.exit_patience", "at least 1 quarter", ent.exit_patience)
    _scale(ent.relocation_logit_scale, "economy.enterprise.relocation_logit_scale")
    _require(
        isinstance(ent.discount_rate, (int, float)) and 0.0 <= ent.discount_rate <= MAX_DISCOUNT_RATE,
        "economy.enterprise.discount_rate",
        f"an annual rate in [0, {MAX_DISCOUNT_RATE}]",
        ent.discount_rate,
    )
    _require(
        ent.discount_rate > 0 or ent.exit_hazard > 0,
        "economy.enterprise.discount_rate",
        "a rate > 0 unless exit_hazard > 0 (a perpetual gain needs a discount)",
        ent.discount_rate,
    )
    for key in ("entry_pool_share", "relocation_cost", "relocation_cost_per_hour"):
        _non_negative(getattr(ent, key), f"economy.enterprise.{key}")
    for name in ("talent", "workers"):
        _validate_labour_group(getattr(eco, name), f"economy.{name}")
    _non_negative(eco.knowledge.spillover_strength, "economy.knowledge.spillover_strength")
    _positive(eco.knowledge.half_life_minutes, "economy.knowledge.half_life_minutes")


def _validate_labour_group(group: LabourGroupConfig, path: str) -> None:
    _require(group.choice in LABOUR_CHOICES, f"{path}.choice", f"one of {LABOUR_CHOICES}", group.choice)
    wages = UTILITY_WAGES if path.endswith("talent") else UTILITY_WAGES[:1]
    _require(group.utility_wage in wages, f"{path}.utility_wage", f"one of {wages}", group.utility_wage)
    _share(group.migration_rate, f"{path}.migration_rate")
    if group.choice == "logit":
        _non_negative(group.migration_elasticity, f"{path}.migration_elasticity")
    else:
        _scale(group.migration_elasticity, f"{path}.migration_elasticity")
    _positive(group.gain_for_certain_move, f"{path}.gain_for_certain_move")
    for key in ("moving_cost", "moving_cost_per_hour", "settlement_barrier"):
        _non_negative(getattr(group, key), f"{path}.{key}")


def _reject_inline_settings(region: RegionConfig) -> None:
    """A data region builds its cities, links and costs from its tables: settings of inline regions would be ignored."""
    ignored = {
        "region.trade_cost": (region.trade_cost is not None, "its trade costs come from travel times"),
        "region.initial_share": (region.initial_share is not None, "its people come from the data"),
        "region.cities": (bool(region.cities), "its cities come from region.data.cities_table"),
        "region.links": (bool(region.links), "its links come from region.data.links_table"),
        "region.steady_state": (region.steady_state, "region.data.calibrate sets whether it starts at rest"),
        "region.people_per_agent": (
            region.people_per_agent is not None,
            "region.data.people_per_talent_agent and _worker_agent set its scale",
        ),
    }
    for path, (given, why) in ignored.items():
        if given:
            raise ConfigError(f"{path}: does not apply to a data region ({region.name}: {why}); remove the override")


def _validate_region(region: RegionConfig, eco: EconomyConfig) -> None:
    if region.data is not None:
        _validate_region_data(region.data)
        _reject_inline_settings(region)
        return  # cities and links come from the tables, which their loader validates
    _require(
        region.people_per_agent is not None and math.isfinite(region.people_per_agent) and region.people_per_agent > 0,
        "region.people_per_agent",
        "people in one cohort > 0 (inline regions set their agent scale)",
        region.people_per_agent,
    )
    _require(len(region.cities) >= 1, "region.cities", "at least one city", dict(region.cities))
    for key in ("core_city", "partner_city"):
        value = getattr(region, key)
        _require(value is None or value in region.cities, f"region.{key}", f"a city of the region {sorted(region.cities)}", value)
    for name, city in region.cities.items():
        path = f"region.cities.{name}"
        _non_negative(city.workers, f"{path}.workers")
        _non_negative(city.talent, f"{path}.talent")
        _require(city.enterprises >= 0, f"{path}.enterprises", "a count >= 0", city.enterprises)
        _positive(city.land_km2, f"{path}.land_km2")
        _require(-90 <= city.lat <= 90, f"{path}.lat", "a latitude in [-90, 90]", city.lat)
        _require(-180 <= city.lon <= 180, f"{path}.lon", "a longitude in [-180, 180]", city.lon)
    for k, link in enumerate(region.links):
        path = f"region.links[{k}]"
        for end in ("a", "b"):
            _require(
                getattr(link, end) in region.cities, f"{path}.{end}", f"a city of the region {sorted(region.cities)}", getattr(link, end)
            )
        _require(link.a != link.b, f"{path}.b", "a city other than a", link.b)
        _require(link.mode in TRANSPORT_MODES, f"{path}.mode", f"one of {TRANSPORT_MODES}", link.mode)
        _positive(link.minutes, f"{path}.minutes")
    names = list(region.cities)
    if region.trade_cost is not None:
        _require(
            len(names) == 2, "region.trade_cost", "a two-city region (trade_cost is the iceberg T between them)", f"{len(names)} cities"
        )
        _require(region.trade_cost >= 1.0, "region.trade_cost", "an iceberg factor >= 1", region.trade_cost)
    if region.initial_share is not None:
        _require(len(names) == 2, "region.initial_share", "a two-city region", f"{len(names)} cities")
        _share(region.initial_share, "region.initial_share")
    for name, assoc in region.associations.items():
        path = f"region.associations.{name}"
        _require(assoc.sector in eco.sectors, f"{path}.sector", f"a sector of the economy {sorted(eco.sectors)}", assoc.sector)
        _require(assoc.home_city in region.cities, f"{path}.home_city", "a city of the region", assoc.home_city)
        for k, partner in enumerate(assoc.partner_cities):
            _require(partner in region.cities, f"{path}.partner_cities[{k}]", "a city of the region", partner)
        _share(assoc.membership_rate, f"{path}.membership_rate")
        _share(assoc.brokering_discount, f"{path}.brokering_discount")
