"""Typed configuration schema (Hydra structured configs) and semantic validation.

The dataclasses below type every field of ``configs/``; they are registered with Hydra's
``ConfigStore`` so that an unknown key or a wrong type fails at composition with Hydra's
own message. :func:`validate` then checks what types cannot (sigma > 1, shares in [0, 1],
cities that exist, non-negative travel times) and names the offending field.
Model parameters have no defaults here: every value lives in a YAML file with a comment.

Agreement rules are typed the same way: each rule's parameters are a dataclass (:class:`RailParams`,
:class:`InvestmentParams`, :class:`TalentParams`, :class:`AssociationsParams`), registered as
``rule_schema/<name>`` and named in the preset's defaults list, and checked by their ``validate``
with the helpers below. The checks that need the model (a city of the region, a quarter of the
run, a bound relative to a city's GDP) are the rule's own (:meth:`coopsim.rules.base.AgreementRule.check`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, NoReturn

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, MissingMandatoryValue, OmegaConfBaseException


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
class HousingConfig:
    """A housing market per city (:mod:`coopsim.economy.housing`): floor space with a supply elasticity, residents'
    Cobb-Douglas spending on it, rents paid to local owners. ``expenditure_share: 0`` switches it off."""

    expenditure_share: float = MISSING  # delta, residents' share of income spent on floor space
    supply_elasticity: float = MISSING  # epsilon, elasticity of each city's floor space to its price


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
    local_capital_ownership: float = 1.0
    sectors: dict[str, SectorConfig] = field(default_factory=dict)
    solver: SolverConfig = field(default_factory=SolverConfig)
    enterprise: EnterpriseConfig = field(default_factory=EnterpriseConfig)
    talent: LabourGroupConfig = field(default_factory=LabourGroupConfig)
    workers: LabourGroupConfig = field(default_factory=LabourGroupConfig)
    knowledge: KnowledgeConfig = field(default_factory=KnowledgeConfig)
    housing: HousingConfig = field(default_factory=HousingConfig)


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
class OutsideOptionConfig:
    """The rest of China as a location of an open province (:mod:`coopsim.agents.outside_option`).

    national_residents_10k / national_tertiary_10k: the country's residents and tertiary-educated residents (7th
        census), in 10,000 persons; the reservoir of each group is the country's less the region's.
    interprovincial_migrants_10k: residents of the province who came from other provinces (7th census, 外省流入).
    average_stay_years: average stay of a migrant at the destination; with the stock it sets the gross flows at rest.
    real_wage_growth: yearly change of the rest of China's log real wage relative to its step-0 level (the region's
        mean then); 0 keeps the outside option as it was in 2020.
    """

    national_residents_10k: float = MISSING
    national_tertiary_10k: float = MISSING
    interprovincial_migrants_10k: float = MISSING
    average_stay_years: float = MISSING
    real_wage_growth: float = MISSING


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
    transfer_minutes: time lost at each change of link on a passenger trip over several links.
    truck_speed_kmh: average speed of trucks on the road links (goods); a road link's freight time is its km over it.
    freight_terminal_minutes: handling time of a shipment (loading and unloading), paid once per trip and again at each
        change between road and conventional rail; goods pay no time at the cities they pass through.
    calibrate: invert the outside sector's productivity, enterprise counts and each labour group's
        amenities so that step 0 reproduces each city's 2020 GDP share and is the rest point of migration.
    fit_wage_gradient: with ``calibrate``, also fit each city's productivity level so that talent wages follow the
        cities' 2020 average wages (ratios between cities); otherwise productivity levels are equal across cities.
    wage_tolerance: largest relative error of a city's fitted wage relative to the region's at the fit (talent's with
        fit_wage_gradient, workers' with fit_skill_premium).
    pre2021_table: the long table of city figures up to 2020 (file name in ``coopsim/data`` or a path; "" for none):
        its 2020 minimum wages are the low-pay gradient workers' wages follow with ``fit_skill_premium``.
    fit_skill_premium: with ``calibrate``, fit each city's productivity level so that its skill premium (talent wage
        over worker wage) is ``skill_premium``, and its capital share so that workers' wages follow the region's
        low-pay gradient (ratios between cities), the region's GDP-weighted capital share being ``non_labour_share``:
        what GDP per resident holds beyond wages is capital income. Replaces ``fit_wage_gradient`` (talent wages are
        then reported against the average wages, not fitted). Otherwise capital shares are zero.
    skill_premium: every city's talent/worker wage ratio at the fit.
    premium_tolerance: largest relative error of a city's skill premium at the fit (worker wages use wage_tolerance).
    max_capital_share: a capital share above this is implausible: the fit refuses to go past it and says so.
    non_labour_share: the region's GDP-weighted capital (non-labour) share of value added at the fit.
    trend: with ``calibrate``, carry each city's 2010-2020 growth of residents relative to the region's into the
        baseline (an amenity drift making it continue at step 0), fading with ``trend_half_life_years``; otherwise
        step 0 is a rest point.
    trend_half_life_years: years after which the drift is half its 2021 size.
    productivity_trend: with ``calibrate``, every place's productivity (enterprises' location productivity and the
        outside sector's) drifts at its city's pre-2021 real GDP growth relative to the region's (``pre2021_table``,
        averaged over ``productivity_trend_years``), fading with ``productivity_trend_half_life_years``.
    productivity_trend_years: the years whose growth rates set the drift (2020 at the latest: inputs end in 2020).
    productivity_trend_half_life_years: years after which the productivity drift is half its 2021 size.
    open_province: add the rest of China to each labour group's choice set (``outside`` sets it); false: nobody enters
        or leaves the region (data regions that do not set it stay closed).
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
    truck_speed_kmh: float = MISSING
    freight_terminal_minutes: float = MISSING
    calibrate: bool = MISSING
    calibration_tolerance: float = MISSING
    break_even_tolerance: float = MISSING
    calibration_max_rounds: int = MISSING
    fit_wage_gradient: bool = MISSING
    wage_tolerance: float = MISSING
    pre2021_table: str = ""  # long table of city figures up to 2020 (minimum wages, growth); "" for none
    fit_skill_premium: bool = False
    skill_premium: float = 2.0
    premium_tolerance: float = 0.01
    max_capital_share: float = 0.8
    non_labour_share: float = 0.5
    trend: bool = MISSING
    trend_half_life_years: float = MISSING
    productivity_trend: bool = False
    productivity_trend_years: list[int] = field(default_factory=lambda: [2019, 2020])
    productivity_trend_half_life_years: float = 10.0
    open_province: bool = False
    outside: OutsideOptionConfig | None = None


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
class RuleParams:
    """The parameters of one agreement rule: the base of each rule's typed parameters.

    ``_target_`` names the rule class that acts with them (an :class:`coopsim.rules.base.AgreementRule`
    subclass whose ``params_type`` is this dataclass); :func:`coopsim.runner.build_rules` builds it.
    :meth:`validate` checks what needs no model; the rule's ``check(model)`` the rest.
    """

    _target_: str = MISSING

    def validate(self, path: str) -> None:
        """Check the values that need no model (shares, signs, lengths); raise :class:`ConfigError` naming ``<path>.<field>``."""


@dataclass
class RailParams(RuleParams):
    """:class:`coopsim.rules.rail.RailConnectivity`: a rail line with through trains (units and sources: the rule's docstring
    and ``configs/agreement/rail.yaml``)."""

    _target_: str = "coopsim.rules.rail.RailConnectivity"
    stations: list[str] = MISSING  # cities served, in order along the line
    segment_km: list[float] = MISSING  # route length of each segment between consecutive stations (km)
    speed_kmh: float = MISSING  # design speed (km/h)
    average_speed_share: float = MISSING  # average speed with acceleration and stops, as a share of the design speed
    dwell_minutes: float = MISSING  # minutes lost at each intermediate stop
    opening_quarter: int = MISSING  # the quarter (step) the line opens
    mode: str = MISSING  # the network mode the line adds: "hsr" (people) or "rail" (people and goods)
    max_speed_kmh: float = MISSING  # the highest design speed accepted (a plausibility bound)

    def validate(self, path: str) -> None:
        """Two or more distinct stations, one positive length per segment, a design speed within ``max_speed_kmh``."""
        _require(len(self.stations) >= 2, f"{path}.stations", "at least two stations", list(self.stations))
        _require(len(set(self.stations)) == len(self.stations), f"{path}.stations", "distinct cities", list(self.stations))
        segments = len(self.stations) - 1
        _require(len(self.segment_km) == segments, f"{path}.segment_km", f"{segments} lengths, one per segment", list(self.segment_km))
        for k, km in enumerate(self.segment_km):
            _require(math.isfinite(km) and km > 0, f"{path}.segment_km[{k}]", "a length > 0 km", km)
        _positive(self.max_speed_kmh, f"{path}.max_speed_kmh")
        _require(
            0 < self.speed_kmh <= self.max_speed_kmh,
            f"{path}.speed_kmh",
            f"a design speed in (0, {self.max_speed_kmh:g}] km/h (max_speed_kmh)",
            self.speed_kmh,
        )
        _require(0 < self.average_speed_share <= 1, f"{path}.average_speed_share", "a share in (0, 1]", self.average_speed_share)
        _non_negative(self.dwell_minutes, f"{path}.dwell_minutes")
        _require(self.mode in RAIL_MODES, f"{path}.mode", "'hsr' or 'rail'", self.mode)


@dataclass
class InvestmentParams(RuleParams):
    """:class:`coopsim.rules.investment.InvestmentFlows`: a yearly budget invested from a source city in a target city
    (units and sources: the rule's docstring and ``configs/agreement/investment.yaml``)."""

    _target_: str = "coopsim.rules.investment.InvestmentFlows"
    source: str = MISSING  # the investing city (the core)
    target: str = MISSING  # the receiving city (the partner)
    annual_budget: float = MISSING  # a year, in 亿元 for data regions (numeraire units otherwise)
    transaction_cost_share: float = MISSING  # share of spending lost to stated costs
    capital_per_enterprise: float = MISSING  # capital that sets up one enterprise agent, in the budget's unit
    park_capacity: int = MISSING  # enterprise agents the co-built parks can host in all
    target_sectors: list[str] = MISSING  # sectors the investment goes to
    relocation_share: float = MISSING  # share of placements made by moving an existing source enterprise
    start_quarter: int = MISSING  # first quarter the budget is spent
    end_quarter: int | None = MISSING  # last quarter (null: to the horizon)
    max_share_of_source_gdp: float = MISSING  # the largest yearly budget accepted, as a share of the source's GDP

    def validate(self, path: str) -> None:
        """A budget >= 0, shares in [0, 1], capital per enterprise > 0, a park capacity >= 0, some target sector."""
        _non_negative(self.annual_budget, f"{path}.annual_budget")
        _share(self.max_share_of_source_gdp, f"{path}.max_share_of_source_gdp")
        _share(self.transaction_cost_share, f"{path}.transaction_cost_share")
        _positive(self.capital_per_enterprise, f"{path}.capital_per_enterprise")
        _require(self.park_capacity >= 0, f"{path}.park_capacity", "a count of enterprises >= 0", self.park_capacity)
        _require(len(self.target_sectors) >= 1, f"{path}.target_sectors", "at least one sector", list(self.target_sectors))
        _share(self.relocation_share, f"{path}.relocation_share")


@dataclass
class TalentParams(RuleParams):
    """:class:`coopsim.rules.talent.TalentExchange`: secondments of talent between two cities (units and sources: the rule's
    docstring and ``configs/agreement/talent.yaml``)."""

    _target_: str = "coopsim.rules.talent.TalentExchange"
    origin: str = MISSING  # the sending city (the core)
    host: str = MISSING  # the receiving city (the partner)
    two_way: bool = MISSING  # the same quota also goes from host to origin
    annual_quota: float = MISSING  # people sent a year (each way)
    duration_quarters: int = MISSING  # quarters a secondment lasts
    return_share: float = MISSING  # share of secondees who go home at the end (the rest settle in the host)
    host_productivity_effect: float = MISSING  # quarterly productivity growth per unit of secondees' share of the host's talent
    return_productivity_effect: float = MISSING  # one-off productivity gain per unit of returnees' share of home talent
    start_quarter: int = MISSING  # first quarter new secondments start
    end_quarter: int | None = MISSING  # last quarter new secondments start (null: to the horizon)
    max_share_of_source_talent: float = MISSING  # the largest yearly quota accepted, as a share of a sending city's talent

    def validate(self, path: str) -> None:
        """A quota >= 0, secondments of at least a quarter, shares in [0, 1], productivity effects >= 0."""
        _non_negative(self.annual_quota, f"{path}.annual_quota")
        _share(self.max_share_of_source_talent, f"{path}.max_share_of_source_talent")
        _require(self.duration_quarters >= 1, f"{path}.duration_quarters", "at least 1 quarter", self.duration_quarters)
        _share(self.return_share, f"{path}.return_share")
        _non_negative(self.host_productivity_effect, f"{path}.host_productivity_effect")
        _non_negative(self.return_productivity_effect, f"{path}.return_productivity_effect")


@dataclass
class AssociationsParams(RuleParams):
    """:class:`coopsim.rules.associations.IndustryAssociationRole`: an industry association that brokers and serves
    "design+" (units and sources: the rule's docstring and ``configs/agreement/associations.yaml``)."""

    _target_: str = "coopsim.rules.associations.IndustryAssociationRole"
    name: str = MISSING  # the association's name
    sector: str = MISSING  # the sector it organises
    home_city: str = MISSING  # where it is based (the core)
    partner_cities: list[str] = MISSING  # where it brokers investment
    membership_rate: float = MISSING  # chance an eligible enterprise joins, at the start and each quarter for newcomers
    brokering_discount: float = MISSING  # cut in members' moving/information cost toward partner cities
    chain_targeting: bool = MISSING  # broker only toward partners where the sector is a weak link of the chain
    design_sector: str = MISSING  # the traditional sector "design+" serves in the partner cities
    design_capacity: int = MISSING  # enterprises served a quarter
    design_uplift: float = MISSING  # productivity gain of each served enterprise
    start_quarter: int = MISSING  # when the association starts acting

    def validate(self, path: str) -> None:
        """Some partner city, shares in [0, 1], a design capacity >= 0, an uplift >= 0."""
        _require(len(self.partner_cities) >= 1, f"{path}.partner_cities", "at least one partner city", list(self.partner_cities))
        _share(self.membership_rate, f"{path}.membership_rate")
        _share(self.brokering_discount, f"{path}.brokering_discount")
        _require(self.design_capacity >= 0, f"{path}.design_capacity", "a count of enterprises >= 0", self.design_capacity)
        _non_negative(self.design_uplift, f"{path}.design_uplift")


# The rules' schemas in Hydra's ConfigStore: a preset types its rule with ``- /rule_schema/<name>@rules.<key>``.
RULE_SCHEMAS: dict[str, type[RuleParams]] = {
    "rail": RailParams,
    "investment": InvestmentParams,
    "talent": TalentParams,
    "associations": AssociationsParams,
}


@dataclass
class AgreementConfig:
    """A named set of agreement rules: config name -> the rule's parameters (a :class:`RuleParams`, with ``_target_``)."""

    name: str = MISSING
    rules: dict[str, Any] = field(default_factory=dict)  # typed per rule by its schema (OmegaConf has no unions of dataclasses)


@dataclass
class LeversConfig:
    """Policy levers the agreement presets read through interpolation (``${levers.rail_speed_kmh}``).

    A sweep, an exploration or the dashboard moves them for every preset at once. Values and their
    sources: ``configs/config.yaml``. The rules that read them bound them further (``max_speed_kmh``,
    ``max_share_of_source_gdp``, ``max_share_of_source_talent``, the horizon).
    """

    rail_speed_kmh: float = MISSING  # design speed of the agreement's rail line (km/h)
    rail_opening_quarter: int = MISSING  # the quarter (step) the line opens
    investment_budget: float = MISSING  # a year: 亿元 in data regions, numeraire units in theory regions
    exchange_quota: float = MISSING  # people seconded a year, each way


@dataclass
class CoopsimConfig:
    """The whole run: what region, which economy, which agreement, how long, which seed."""

    seed: int = MISSING
    steps: int = MISSING
    region: RegionConfig = MISSING
    economy: EconomyConfig = MISSING
    agreement: AgreementConfig = MISSING
    levers: LeversConfig = field(default_factory=LeversConfig)  # policy levers that agreement presets read
    experiment: str | None = None
    exploration: Any = None  # an exploration's typed declaration (coopsim.exploration.spec); read by coopsim-explore, not by a run


def register_configs() -> None:
    """Register the schemas with Hydra's ConfigStore.

    ``coopsim_schema`` types the whole run (``defaults: [coopsim_schema, ...]`` in ``config.yaml``);
    ``rule_schema/<name>`` types one rule's parameters (:data:`RULE_SCHEMAS`), placed by a preset's
    defaults list at its rule: ``- /rule_schema/rail@rules.rail``.
    """
    cs = ConfigStore.instance()
    cs.store(name="coopsim_schema", node=CoopsimConfig)
    for name, node in RULE_SCHEMAS.items():
        cs.store(group="rule_schema", name=name, node=node)


def rule_params(node: DictConfig, params_type: type[RuleParams], path: str) -> RuleParams:
    """A rule's config node as its typed parameters (a ``params_type`` instance), checked; or a ConfigError naming the field.

    A node composed with its schema (``rule_schema/<name>``) is typed already; any other (a rule
    added on the command line, a preset without the schema) is typed here. An unknown or missing
    field, a value of the wrong type or a node typed for another rule fails naming
    ``<path>.<field>``; then :meth:`RuleParams.validate` checks the values that need no model.
    """
    fields = [f.name for f in dataclasses.fields(params_type) if f.name != "_target_"]
    try:
        values = OmegaConf.to_container(node, resolve=True, throw_on_missing=True)
        params = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(params_type), values))
    except OmegaConfBaseException as error:
        key = str(error.full_key or "")
        where = key if key.startswith(path) else f"{path}.{key}" if key else path
        if isinstance(error, ConfigKeyError):
            fail(where, f"one of the parameters of {params_type.__name__} {fields}", key.rsplit(".", 1)[-1])
        if isinstance(error, MissingMandatoryValue):
            raise ConfigError(f"{where}: expected a value ({params_type.__name__} has no default), got none") from error
        message = str(error.msg).splitlines()[0] if error.msg else type(error).__name__
        raise ConfigError(f"{where}: {message}") from error
    params.validate(path)
    return params


BASELINE_AGREEMENT = "none"  # the agreement preset every scenario is paired with (configs/agreement/none.yaml)
TRANSPORT_MODES = ("road", "rail", "hsr")
RAIL_MODES = ("hsr", "rail")  # the modes a rail rule's line can add: people only, or people and goods
LABOUR_CHOICES = ("logit", "pairwise")
TRADE_NETWORKS = ("freight", "passenger")
UTILITY_WAGES = ("earned", "free_entry")  # free_entry: the talent wage at which a mean entrant breaks even
MAX_STEPS = 4000  # quarters: a thousand years; the textbook limits need 600, scenarios 60
LAST_INPUT_YEAR = 2020  # the model is fitted to data up to 2020 only; later figures are out-of-sample reports
TREND_FIRST_YEAR = 2010  # the earliest year a trend may be read from (the 6th census)
SKILL_PREMIUM_RANGE = (1.0, 4.0)  # a talent/worker wage ratio outside this is implausible for any Chinese city, not a choice
MAX_DISCOUNT_RATE = 1.0  # an annual discount rate above 100% is a typo, not an assumption
# Truck speed on road links, km/h: at most the legal maximum for vehicles other than small passenger cars on China's
# expressways (100 km/h, 道路交通安全法实施条例 art. 78; guangdong_links_SOURCES.md, L-SPEED); below 20 km/h is a unit
# slip, not a truck on an expressway (assumption).
TRUCK_SPEED_RANGE_KMH = (20.0, 100.0)
# Handling time of a shipment, minutes: from none to 12 hours (assumption: the bounds catch hours typed as minutes).
FREIGHT_TERMINAL_RANGE_MINUTES = (0.0, 720.0)
MAX_EXIT_HAZARD = 0.2  # annual exit-shock hazard: about twice the highest sourced rate for Chinese enterprises (9.3%,
# SAIC 2008; configs/economy/default.yaml); above it the enterprise stock turns over in under five years
MAX_OUTSIDE_WAGE_GROWTH = 0.2  # a yearly change of the rest of China's log real wage beyond 20% is a typo


def fail(path: str, expected: str, value: Any) -> NoReturn:
    """Raise a :class:`ConfigError` ``<path>: expected <expected>, got <value>``: the one form of every config message."""
    raise ConfigError(f"{path}: expected {expected}, got {value!r}")


def _require(condition: bool, path: str, expected: str, value: Any) -> None:
    if not condition:
        fail(path, expected, value)


def _share(value: float, path: str) -> None:
    _require(isinstance(value, (int, float)) and 0.0 <= value <= 1.0, path, "a share in [0, 1]", value)


def _non_negative(value: float, path: str) -> None:
    _require(isinstance(value, (int, float)) and math.isfinite(value) and value >= 0.0, path, "a finite value >= 0", value)


def _positive(value: float, path: str) -> None:
    _require(isinstance(value, (int, float)) and math.isfinite(value) and value > 0.0, path, "a finite value > 0", value)


def _in_range(value: float, bounds: tuple[float, float], path: str, unit: str) -> None:
    low, high = bounds
    _require(isinstance(value, (int, float)) and low <= value <= high, path, f"a value in [{low:g}, {high:g}] {unit}", value)


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
    _in_range(data.truck_speed_kmh, TRUCK_SPEED_RANGE_KMH, "region.data.truck_speed_kmh", "km/h")
    _in_range(data.freight_terminal_minutes, FREIGHT_TERMINAL_RANGE_MINUTES, "region.data.freight_terminal_minutes", "minutes")
    _positive(data.calibration_tolerance, "region.data.calibration_tolerance")
    _positive(data.break_even_tolerance, "region.data.break_even_tolerance")
    _positive(data.wage_tolerance, "region.data.wage_tolerance")
    _require(
        SKILL_PREMIUM_RANGE[0] <= data.skill_premium <= SKILL_PREMIUM_RANGE[1],
        "region.data.skill_premium",
        f"a talent/worker wage ratio in [{SKILL_PREMIUM_RANGE[0]}, {SKILL_PREMIUM_RANGE[1]}]",
        data.skill_premium,
    )
    _positive(data.premium_tolerance, "region.data.premium_tolerance")
    _require(0.0 < data.max_capital_share < 1.0, "region.data.max_capital_share", "a share in (0, 1)", data.max_capital_share)
    _require(
        0.0 <= data.non_labour_share < data.max_capital_share,
        "region.data.non_labour_share",
        f"a share in [0, max_capital_share = {data.max_capital_share})",
        data.non_labour_share,
    )
    _require(
        not (data.fit_skill_premium and data.fit_wage_gradient),
        "region.data.fit_skill_premium",
        "not together with fit_wage_gradient (the premium fit sets productivity levels; the average wages are then reported)",
        data.fit_skill_premium,
    )
    _positive(data.trend_half_life_years, "region.data.trend_half_life_years")
    _positive(data.productivity_trend_half_life_years, "region.data.productivity_trend_half_life_years")
    _require(
        len(data.productivity_trend_years) > 0
        and all(TREND_FIRST_YEAR <= year <= LAST_INPUT_YEAR for year in data.productivity_trend_years),
        "region.data.productivity_trend_years",
        f"one or more years in [{TREND_FIRST_YEAR}, {LAST_INPUT_YEAR}] (inputs are data up to 2020; later years are reports)",
        list(data.productivity_trend_years),
    )
    _require(data.calibration_max_rounds >= 1, "region.data.calibration_max_rounds", "at least 1", data.calibration_max_rounds)
    if data.open_province:
        _validate_outside(data)


def _validate_outside(data: RegionDataConfig) -> None:
    """The rest of China's figures: positive stocks, tertiary below residents, migrants below residents, a stay > 0."""
    _require(data.calibrate, "region.data.open_province", "calibrate: true (the rest of China's amenity is inverted at step 0)", True)
    out = data.outside
    _require(out is not None, "region.data.outside", "the rest of China's figures when open_province is true", out)
    path = "region.data.outside"
    _positive(out.national_residents_10k, f"{path}.national_residents_10k")
    _require(
        isinstance(out.national_tertiary_10k, (int, float)) and 0 < out.national_tertiary_10k < out.national_residents_10k,
        f"{path}.national_tertiary_10k",
        "a count in (0, national_residents_10k)",
        out.national_tertiary_10k,
    )
    _require(
        isinstance(out.interprovincial_migrants_10k, (int, float)) and 0 < out.interprovincial_migrants_10k < out.national_residents_10k,
        f"{path}.interprovincial_migrants_10k",
        "a count in (0, national_residents_10k)",
        out.interprovincial_migrants_10k,
    )
    _positive(out.average_stay_years, f"{path}.average_stay_years")
    _require(
        isinstance(out.real_wage_growth, (int, float)) and abs(out.real_wage_growth) <= MAX_OUTSIDE_WAGE_GROWTH,
        f"{path}.real_wage_growth",
        f"a yearly log change in [-{MAX_OUTSIDE_WAGE_GROWTH}, {MAX_OUTSIDE_WAGE_GROWTH}]",
        out.real_wage_growth,
    )


def validate(cfg: CoopsimConfig) -> None:
    """Check the semantic constraints of a run's config; raise :class:`ConfigError` naming the field."""
    _require(1 <= cfg.steps <= MAX_STEPS, "steps", f"1 to {MAX_STEPS} quarters", cfg.steps)
    _require(cfg.seed >= 0, "seed", "a non-negative integer", cfg.seed)
    _validate_economy(cfg.economy)
    _validate_region(cfg.region, cfg.economy)
    _validate_levers(cfg.levers)


def _validate_levers(levers: LeversConfig) -> None:
    """Signs only: the rules that read a lever bound it further, and a lever no rule reads is harmless."""
    _require(
        isinstance(levers.rail_speed_kmh, (int, float)) and levers.rail_speed_kmh > 0,
        "levers.rail_speed_kmh",
        "a design speed > 0 km/h (the rail rule's max_speed_kmh bounds it)",
        levers.rail_speed_kmh,
    )
    _require(
        levers.rail_opening_quarter >= 1,
        "levers.rail_opening_quarter",
        "a quarter >= 1 (step 0 is the initial state)",
        levers.rail_opening_quarter,
    )
    _non_negative(levers.investment_budget, "levers.investment_budget")
    _non_negative(levers.exchange_quota, "levers.exchange_quota")


# Stated ranges of the housing parameters (configs/economy/default.yaml gives sources): a value outside is refused.
HOUSING_SHARE_RANGE = (0.0, 0.5)  # residence is 24.6% of Chinese households' consumption in 2020 (NBS); 0 switches it off
HOUSING_SUPPLY_ELASTICITY_RANGE = (0.0, 10.0)  # Chinese estimates 0-0.8 (stock) to 2.65-5.6 (new construction); US 7.3


def _validate_housing(housing: HousingConfig) -> None:
    for value, path, bounds, what in (
        (
            housing.expenditure_share,
            "economy.housing.expenditure_share",
            HOUSING_SHARE_RANGE,
            "a share of income in [{low}, {high}] (0: no housing market; 2020 China: 24.6% of consumption)",
        ),
        (
            housing.supply_elasticity,
            "economy.housing.supply_elasticity",
            HOUSING_SUPPLY_ELASTICITY_RANGE,
            "an elasticity in [{low}, {high}] (Chinese estimates: about 0.5 for the stock, 2.65-5.6 for new construction)",
        ),
    ):
        low, high = bounds
        _require(isinstance(value, (int, float)) and low <= value <= high, path, what.format(low=low, high=high), value)


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
    _validate_housing(eco.housing)
    _positive(eco.capital_output_ratio, "economy.capital_output_ratio")
    _share(eco.local_capital_ownership, "economy.local_capital_ownership")
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
    for key in ("entry_rate", "exit_rate", "relocation_rate", "branch_share", "staffing_margin"):
        _share(getattr(ent, key), f"economy.enterprise.{key}")
    _require(
        isinstance(ent.exit_hazard, (int, float)) and 0.0 <= ent.exit_hazard <= MAX_EXIT_HAZARD,
        "economy.enterprise.exit_hazard",
        f"an annual rate in [0, {MAX_EXIT_HAZARD}] (0: no exit shocks; Chinese enterprises' deregistrations run 3-9% a year)",
        ent.exit_hazard,
    )
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
        if region.data.open_province:
            for name in ("talent", "workers"):
                group = getattr(eco, name)
                _require(
                    group.choice == "logit" and group.migration_elasticity > 0 and group.migration_rate > 0,
                    "region.data.open_province",
                    f"labour groups choosing by logit with migration_elasticity and migration_rate > 0 (economy.{name})",
                    True,
                )
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
