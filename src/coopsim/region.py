"""A region: its cities, its transport network and the travel-time matrices over it.

The network is a :mod:`networkx` multigraph of cities whose edges carry travel times in
minutes by mode (road, conventional rail, high-speed rail) and service: ``timetable`` for
links from the data tables or the config and their scheduled changes, or the service of an
agreement rule's own line; road links from the data tables also carry their km. The
passenger time between two cities is the all-pairs shortest time over the fastest edge (any
mode, any service) of each pair (Dijkstra), with a transfer at each change of link. The
freight time is the shortest over road (km at the truck speed) and conventional rail, with a
handling time per shipment and per change of mode (:meth:`Region.freight_travel_minutes`).
Both are recomputed whenever a link changes.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import networkx as nx
import numpy as np

from coopsim.apportion import largest_remainder
from coopsim.config import ConfigError, RegionConfig, RegionDataConfig
from coopsim.region_data import (
    MINUTES_PER_HOUR,
    PEOPLE_PER_10K,
    PROVINCE,
    CityRecord,
    DataError,
    census_talent,
    city_wages,
    links_as_of,
    load_cities,
    load_links,
    load_pre2021,
    provincial_totals,
    regional_wages,
)
from coopsim.results import sha256_of
from coopsim.units import PERCENT

MONTHS_PER_QUARTER = 3
# Memory of a run, measured on 2026-11-26: 20 million talent cohorts (people_per_talent_agent=1) peaked at 3.0 GB for one
# quarter, about 150 bytes a cohort with the quarter's work arrays. At full scale (region=guangdong_full, 7.8 million
# enterprises and 1.26 million cohorts) 60 quarters peaked at 1.53 GB (benchmarks/scale.py), about 140 bytes an
# enterprise after the cohorts and the interpreter; the bound below is kept near three times that (draws and branches of
# a busier run).
BYTES_PER_COHORT = 150.0
BYTES_PER_ENTERPRISE = 400.0
MEMORY_SHARE = 0.8  # refuse a run estimated to need more than this share of the machine's physical memory
FREIGHT_MODES = ("road", "rail")  # high-speed rail carries passengers only
QUARTERS_PER_YEAR = 4
TIMETABLE = "timetable"  # the service of links from the data tables or config and their scheduled changes


@dataclass(frozen=True)
class ScheduledLink:
    """A timetable link that opens or changes during the run: applied at the start of ``quarter``."""

    quarter: int
    a: str
    b: str
    mode: str
    minutes: float
    km: float | None = None  # route km (road links from the data tables: their freight time is km at the truck speed)


@dataclass
class Region:
    """Cities (in a fixed order) with their initial state and the transport network."""

    name: str
    city_names: list[str]
    workers: np.ndarray
    talent: np.ndarray
    enterprises: np.ndarray
    amenity: np.ndarray
    land_km2: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    network: nx.MultiGraph
    trade_cost_override: float | None = None
    groups: list[str] | None = None
    gdp_2020: np.ndarray | None = None  # 100 million yuan, the calibration target (data regions)
    wage_2020: np.ndarray | None = None  # yuan a month, non-private on-post average: the talent-wage gradient (data regions)
    worker_wage_2020: np.ndarray | None = None  # yuan a month, the low-pay gradient workers' wages follow (data regions with it)
    output_growth: np.ndarray | None = None  # (K,) real GDP growth relative to the region's, log points a year, pre-2021
    population_2010: np.ndarray | None = None  # residents at the 2010 census, persons (data regions whose table has them)
    fallbacks: dict[str, list[str]] = field(default_factory=dict)  # data field -> cities that used its stated fallback
    start_date: datetime.date | None = None
    scheduled_links: list[ScheduledLink] = field(default_factory=list)
    core: int | None = None
    partner: int | None = None
    cohort_size: float | None = None  # people per talent agent (set by every builder)
    worker_cohort_size: float | None = None  # people per worker agent (set by every builder)
    transfer_minutes: float = 0.0  # time lost at each change of link on a multi-link passenger trip
    truck_speed_kmh: float | None = None  # goods' road speed (data regions); None: goods ride the links' minutes
    freight_terminal_minutes: float = 0.0  # goods' handling per shipment and per change of mode (with truck_speed_kmh)
    sub_centres: list[str] = field(default_factory=list)  # provincial sub-centres
    travel_minutes: np.ndarray = field(init=False)  # passengers: fastest over every mode, high-speed rail included
    freight_minutes: np.ndarray = field(init=False)  # goods: fastest over road and conventional rail, handling included

    def __post_init__(self) -> None:
        self._update_minutes()

    @property
    def size(self) -> int:
        """Number of cities K."""
        return len(self.city_names)

    def index(self, city: str) -> int:
        """Position of a city in every per-city array."""
        return self.city_names.index(city)

    def fastest_graph(self, modes: tuple[str, ...] | None = None) -> nx.Graph:
        """Simple graph with, for each connected pair, the fastest edge's minutes as ``weight`` (and its ``mode``, ``service``).

        ``modes`` keeps only edges of those modes (None: every mode, the passenger network).
        """
        graph = nx.Graph()
        graph.add_nodes_from(range(self.size))
        for a, b, data in self.network.edges(data=True):
            if modes is not None and data["mode"] not in modes:
                continue
            minutes = data["minutes"]
            if not graph.has_edge(a, b) or graph[a][b]["weight"] > minutes:
                graph.add_edge(a, b, weight=minutes, mode=data["mode"], service=data.get("service", TIMETABLE))
        return graph

    def shortest_travel_minutes(self, modes: tuple[str, ...] | None = None) -> np.ndarray:
        """All-pairs shortest travel time in minutes (K, K) over the edges of ``modes`` (None: all); raises if disconnected.

        Each change of link costs ``transfer_minutes`` (a trip over n links pays n - 1
        transfers), so chaining short segments does not beat a direct service's timetable.
        """
        graph = self.fastest_graph(modes)
        for _, _, data in graph.edges(data=True):
            data["weight"] += self.transfer_minutes
        if self.size > 1 and not nx.is_connected(graph):
            parts = [sorted(self.city_names[i] for i in part) for part in nx.connected_components(graph)]
            which = "transport" if modes is None else "freight (" + ", ".join(modes) + ")"
            raise ConfigError(f"region.links: the {which} network of {self.name!r} is not connected; components {parts}")
        minutes = np.zeros((self.size, self.size))
        for source, lengths in nx.all_pairs_dijkstra_path_length(graph, weight="weight"):
            for target, length in lengths.items():
                minutes[source, target] = length - self.transfer_minutes if target != source else 0.0
        return minutes

    def freight_travel_minutes(self) -> np.ndarray:
        """All-pairs freight time in minutes (K, K) over road and conventional rail (:data:`FREIGHT_MODES`).

        Without a truck speed (regions written inline) goods ride the links' minutes like
        passengers (:meth:`shortest_travel_minutes` over the freight modes). With one, a road
        link takes ``km / truck_speed_kmh * 60`` (its minutes if it has no km), a rail link its
        minutes; goods pay nothing at the cities they pass through (a truck does not stop there),
        but ``freight_terminal_minutes`` once per shipment (loading and unloading) and again at
        each change between road and rail. Raises :class:`ConfigError` if a city cannot be reached.
        """
        if self.truck_speed_kmh is None:
            return self.shortest_travel_minutes(FREIGHT_MODES)
        graph = nx.DiGraph()  # nodes (mode, city) per freight mode, plus ("from", city) and ("to", city) for the ends
        for city in range(self.size):
            for mode in FREIGHT_MODES:
                graph.add_edge(("from", city), (mode, city), weight=0.0)
                graph.add_edge((mode, city), ("to", city), weight=0.0)
                for other in FREIGHT_MODES:
                    if other != mode:
                        graph.add_edge((mode, city), (other, city), weight=self.freight_terminal_minutes)
        for a, b, data in self.network.edges(data=True):
            if data["mode"] not in FREIGHT_MODES:
                continue
            minutes = self.freight_link_minutes(data)
            for u, v in (((data["mode"], a), (data["mode"], b)), ((data["mode"], b), (data["mode"], a))):
                if not graph.has_edge(u, v) or graph[u][v]["weight"] > minutes:
                    graph.add_edge(u, v, weight=minutes)
        minutes = np.full((self.size, self.size), np.nan)
        for source in range(self.size):
            lengths = nx.single_source_dijkstra_path_length(graph, ("from", source), weight="weight")
            for target in range(self.size):
                if ("to", target) in lengths:
                    minutes[source, target] = lengths[("to", target)] + self.freight_terminal_minutes
            minutes[source, source] = 0.0
        if np.isnan(minutes).any():
            reached = {self.city_names[j] for j in range(self.size) if not np.isnan(minutes[0, j])}
            parts = [sorted(reached), sorted(set(self.city_names) - reached)]
            raise ConfigError(f"region.links: the freight (road, rail) network of {self.name!r} is not connected; components {parts}")
        return minutes

    def freight_link_minutes(self, data: dict) -> float:
        """A link's time for goods: a road link with km at the truck speed, any other link (or one without km) its minutes."""
        if data["mode"] == "road" and data.get("km") is not None and self.truck_speed_kmh is not None:
            return data["km"] / self.truck_speed_kmh * MINUTES_PER_HOUR
        return data["minutes"]

    def set_link(self, a: str, b: str, mode: str, minutes: float, *, service: str = TIMETABLE, km: float | None = None) -> None:
        """Add or replace the edge of this ``mode`` and ``service`` between two cities and recompute travel times.

        Edges of other services stay: a timetable change does not remove an agreement line,
        and the pair's travel time is that of its fastest edge. ``km`` (road links) sets the
        link's freight time at the truck speed.
        """
        i, j = self.index(a), self.index(b)
        for key, data in list(self.network.get_edge_data(i, j, default={}).items()):
            if data["mode"] == mode and data.get("service", TIMETABLE) == service:
                self.network.remove_edge(i, j, key)
        self.network.add_edge(i, j, mode=mode, service=service, minutes=float(minutes), km=None if km is None else float(km))
        self._update_minutes()

    def _update_minutes(self) -> None:
        """Passenger times over every mode; freight times over the modes that carry goods (:data:`FREIGHT_MODES`)."""
        self.travel_minutes = self.shortest_travel_minutes()
        self.freight_minutes = self.freight_travel_minutes()

    def trade_costs(
        self, trade_time_elasticity: np.ndarray, sigma: float, time_scale_minutes: float, freight: np.ndarray | None = None
    ) -> np.ndarray:
        """Iceberg trade cost per sector (S, K, K) from travel time.

        ``tau_sij = (1 + t_ij / t0) ** (epsilon_s / (sigma - 1))`` so that bilateral trade,
        proportional to ``tau ** (1 - sigma)``, falls with travel time at elasticity
        ``epsilon_s`` (gravity: Head & Mayer 2014, Handbook of International Economics 4,
        ch. 3, distance elasticity about -1). ``t`` is the freight time (road, conventional
        rail) for sectors whose ``freight`` flag is set (goods), the passenger time otherwise
        (services delivered face to face, which ride high-speed rail). A two-city theory region
        may instead fix ``tau = T`` between its cities for every sector (Krugman 1991).
        """
        if self.trade_cost_override is not None:
            tau = np.full((self.size, self.size), float(self.trade_cost_override))
            np.fill_diagonal(tau, 1.0)
            return np.broadcast_to(tau, (len(trade_time_elasticity), self.size, self.size)).copy()
        freight = np.zeros(len(trade_time_elasticity), dtype=bool) if freight is None else np.asarray(freight, dtype=bool)
        minutes = np.where(freight[:, None, None], self.freight_minutes[None, :, :], self.travel_minutes[None, :, :])
        exponent = np.asarray(trade_time_elasticity)[:, None, None] / (sigma - 1.0)
        return (1.0 + minutes / time_scale_minutes) ** exponent


def quarter_of(date: datetime.date, start: datetime.date) -> int:
    """Index of the calendar quarter holding ``date``, counting the quarter of ``start`` as 0."""
    return (date.year - start.year) * QUARTERS_PER_YEAR + (date.month - 1) // MONTHS_PER_QUARTER - (start.month - 1) // MONTHS_PER_QUARTER


def quarter_name(step: int, start: datetime.date) -> str:
    """The calendar quarter of a step counted from ``start`` (step 0 = the quarter holding ``start``): ``"2021 Q1"``."""
    index = start.year * QUARTERS_PER_YEAR + (start.month - 1) // MONTHS_PER_QUARTER + int(step)
    return f"{index // QUARTERS_PER_YEAR} Q{index % QUARTERS_PER_YEAR + 1}"


def build_region(cfg: RegionConfig) -> Region:
    """Build a :class:`Region` from its (validated) config: inline cities, or packaged data tables."""
    region = _region_from_data(cfg) if cfg.data is not None else _region_from_inline(cfg)
    for key in ("core_city", "partner_city"):
        name = getattr(cfg, key)
        if name is not None and name not in region.city_names:
            raise ConfigError(f"region.{key}: expected a city of the region {region.city_names}, got {name!r}")
    for key in ("circle", "wing"):
        for k, name in enumerate(getattr(cfg, key)):
            if name not in region.city_names:
                raise ConfigError(f"region.{key}[{k}]: expected a city of the region {region.city_names}, got {name!r}")
    if cfg.circle and cfg.partner_city not in cfg.circle:
        raise ConfigError(f"region.circle: expected the partner city {cfg.partner_city!r} among its cities, got {list(cfg.circle)}")
    region.core = region.index(cfg.core_city) if cfg.core_city is not None else None
    region.partner = region.index(cfg.partner_city) if cfg.partner_city is not None else None
    return region


def _region_from_inline(cfg: RegionConfig) -> Region:
    """Cities and links written in the config, with the two-city theory overrides."""
    names = list(cfg.cities)
    cities = [cfg.cities[name] for name in names]
    talent = np.array([c.talent for c in cities], dtype=float)
    enterprises = np.array([c.enterprises for c in cities], dtype=np.int64)
    if cfg.initial_share is not None:
        share = np.array([cfg.initial_share, 1.0 - cfg.initial_share])
        talent = talent.sum() * share
        enterprises = np.round(enterprises.sum() * share).astype(np.int64)
    network = nx.MultiGraph()
    network.add_nodes_from(range(len(names)))
    for link in cfg.links:
        network.add_edge(names.index(link.a), names.index(link.b), mode=link.mode, service=TIMETABLE, minutes=float(link.minutes))
    return Region(
        name=cfg.name,
        city_names=names,
        workers=np.array([c.workers for c in cities], dtype=float),
        talent=talent,
        enterprises=enterprises,
        amenity=np.array([c.amenity for c in cities], dtype=float),
        land_km2=np.array([c.land_km2 for c in cities], dtype=float),
        lat=np.array([c.lat for c in cities], dtype=float),
        lon=np.array([c.lon for c in cities], dtype=float),
        network=network,
        trade_cost_override=cfg.trade_cost,
        cohort_size=cfg.people_per_agent,
        worker_cohort_size=cfg.people_per_agent,
    )


def _region_from_data(cfg: RegionConfig) -> Region:
    """Cities and network from the packaged tables, scaled to agents (before calibration).

    Each city's talent is its tertiary-educated residents in the 7th census
    (:func:`coopsim.region_data.census_talent`, with the stated fallback for cities without a
    figure), the other residents are workers; enterprise agents are split by talent (at zero
    profit a city's enterprises employ its talent: FKV 1999, section 4.6); the wage target is
    each city's 2020 average wage (:func:`coopsim.region_data.city_wages`); land is 2020
    population over ``people_per_km2``, so that initial densities are equal and congestion
    acts on growth only (land area is not in the data). Links opened by ``start_date`` form
    the network; later rows are scheduled. Cities that used a fallback are listed in
    ``Region.fallbacks``.
    """
    data = cfg.data
    start = datetime.date.fromisoformat(data.start_date)
    cities_path = data_path(data.cities_table, "region.data.cities_table")
    records = load_cities(cities_path)
    links = load_links(data_path(data.links_table, "region.data.links_table"), records)
    known = [r.name for r in records]
    keep = list(data.cities) or known
    for k, name in enumerate(keep):
        if name not in known:
            raise ConfigError(f"region.data.cities[{k}]: expected a city of {data.cities_table} {known}, got {name!r}")
    for k, name in enumerate(data.sub_centres):
        if name not in keep:
            raise ConfigError(f"region.data.sub_centres[{k}]: expected a city of the region {keep}, got {name!r}")
    kept_records = [r for r in records if r.name in keep]
    initial = links_as_of(links, start)
    nodes = _city_nodes(kept_records)
    names = [node["name"] for node in nodes]
    population = np.array([node["population"] for node in nodes])
    gdp = np.array([node["gdp"] for node in nodes])
    talent, wages, fallbacks = _census_and_wages(records, keep, cities_path)
    low_pay, output_growth = None, None
    if data.pre2021_table:
        path = data_path(data.pre2021_table, "region.data.pre2021_table")
        figures = load_pre2021(path, known)
        low_pay, without_min_wage = low_pay_gradient(names, wages, figures, path)
        output_growth, without_growth = relative_output_growth(names, gdp, figures, list(data.productivity_trend_years), path)
        for field_name, cities in (("min_wage_monthly_yuan", without_min_wage), ("real_gdp_growth_pct", without_growth)):
            if cities:
                fallbacks[field_name] = cities
    elif data.productivity_trend and data.calibrate:
        raise ConfigError("region.data.productivity_trend: expected region.data.pre2021_table (its real growth rates set the trend)")
    check_memory(talent.sum() / data.people_per_talent_agent + (population - talent).sum() / data.people_per_worker_agent, data)
    enterprises = largest_remainder(data.enterprise_agents, talent)
    network = nx.MultiGraph()
    network.add_nodes_from(range(len(names)))
    for link in initial:
        if link.a in names and link.b in names:
            network.add_edge(
                names.index(link.a), names.index(link.b), mode=link.mode, service=TIMETABLE, minutes=float(link.minutes), km=float(link.km)
            )
    scheduled = [
        ScheduledLink(quarter_of(link.opened, start), link.a, link.b, link.mode, float(link.minutes), float(link.km))
        for link in links
        if link.opened is not None and link.opened > start and link.status != "planned" and link.a in names and link.b in names
    ]
    return Region(
        name=cfg.name,
        city_names=names,
        workers=population - talent,
        talent=talent,
        enterprises=enterprises,
        amenity=np.zeros(len(names)),
        land_km2=population / data.people_per_km2,
        lat=np.array([node["lat"] for node in nodes]),
        lon=np.array([node["lon"] for node in nodes]),
        network=network,
        groups=[node["group"] for node in nodes],
        gdp_2020=gdp,
        wage_2020=wages,
        worker_wage_2020=low_pay,
        output_growth=output_growth,
        population_2010=_population_2010(kept_records, data),
        fallbacks=fallbacks,
        start_date=start,
        scheduled_links=sorted(scheduled, key=lambda link: link.quarter),
        cohort_size=data.people_per_talent_agent,
        worker_cohort_size=data.people_per_worker_agent,
        transfer_minutes=data.transfer_minutes,
        truck_speed_kmh=data.truck_speed_kmh,
        freight_terminal_minutes=data.freight_terminal_minutes,
        sub_centres=list(data.sub_centres),
    )


def low_pay_gradient(names: list[str], wages: np.ndarray, figures, path: Path) -> tuple[np.ndarray, list[str]]:
    """Each city's 2020 monthly minimum wage (yuan) from the pre-2021 figures, the low-pay gradient workers' wages follow.

    A city without a figure takes its average wage times the median ratio of minimum to average wages of the cities that
    have both (a fallback, returned by name); a table with no minimum wage for any kept city is a :class:`DataError`.
    """
    found = figures[(figures["quantity"] == "min_wage_monthly_yuan") & (figures["year"] == LOW_PAY_YEAR)].set_index("city")["value"]
    values = np.array([found.get(name, np.nan) for name in names])
    have = np.isfinite(values)
    if not have.any():
        raise DataError(f"{path.name}: field 'quantity': expected min_wage_monthly_yuan for {LOW_PAY_YEAR} for some of {names}")
    ratio = float(np.median(values[have] / wages[have]))
    return np.where(have, values, wages * ratio), [name for name, ok in zip(names, have, strict=True) if not ok]


def relative_output_growth(names: list[str], gdp: np.ndarray, figures, years: list[int], path: Path) -> tuple[np.ndarray, list[str]]:
    """Each city's annual real GDP growth relative to the province's, averaged over ``years`` (K,, log points a year).

    ``ln(1 + g_iy) - ln(1 + g_GD,y)`` from the published real growth rates (比上年增长, comparable prices), averaged over
    the years a city has; a city with none takes 0 (the province's growth: a fallback, returned by name). The result
    is taken relative to its 2020-GDP-weighted mean, so that it moves shares, not the region's level. A relative growth
    beyond ``MAX_RELATIVE_GROWTH`` is a :class:`DataError` naming the city (a typo, not a trend).
    """
    growth = figures[(figures["quantity"] == "real_gdp_growth_pct") & figures["year"].isin(years)]
    province = growth[growth["city"] == PROVINCE].set_index("year")["value"]
    missing_years = [year for year in years if year not in province.index]
    if missing_years:
        raise DataError(f"{path.name}: field 'quantity': expected real_gdp_growth_pct for {PROVINCE} in {missing_years}")
    relative = np.zeros(len(names))
    fallback = []
    for k, name in enumerate(names):
        own = growth[growth["city"] == name].set_index("year")["value"]
        if own.empty:
            fallback.append(name)
            continue
        relative[k] = float(np.mean(np.log1p(own.to_numpy() / PERCENT) - np.log1p(province.loc[own.index].to_numpy() / PERCENT)))
    if np.any(np.abs(relative) > MAX_RELATIVE_GROWTH):
        worst = int(np.argmax(np.abs(relative)))
        raise DataError(
            f"{path.name}: field 'value': expected real growth within {MAX_RELATIVE_GROWTH:.0%} a year of the province's, "
            f"{names[worst]} is {relative[worst]:+.3f}"
        )
    return relative - np.sum(gdp * relative) / gdp.sum(), fallback


MAX_RELATIVE_GROWTH = 0.1  # a city growing 10 points a year faster or slower than its province for years is a typo
LOW_PAY_YEAR = 2020  # the minimum wages in force in the calibration year


def _census_and_wages(records: list[CityRecord], keep: list[str], cities_path: Path) -> tuple[np.ndarray, np.ndarray, dict[str, list[str]]]:
    """The kept cities' census talent and 2020 wages, and the cities that used a fallback (by table field).

    Fallbacks are computed over the whole table (the province's remainder is shared among every city without a figure),
    then the kept cities are taken.
    """
    sources = sources_path(cities_path)
    totals = provincial_totals(sources) if sources.is_file() else {}
    regional = regional_wages(sources) if sources.is_file() else {}
    try:
        talent, talent_fallback = census_talent(records, totals, sources.name)
        wages, wage_fallback = city_wages(records, totals, regional, sources.name)
    except DataError as error:
        if not sources.is_file():
            raise DataError(
                f"{sources}: expected the SOURCES file beside {cities_path.name}: its provincial totals and regional wages "
                f"fill the cities without a census or wage figure ({error})"
            ) from None
        raise DataError(f"{error} (needed by {cities_path.name}, which leaves some cities without a figure)") from None
    kept = [k for k, r in enumerate(records) if r.name in keep]
    talent_kept = np.array([talent[k] for k in kept])
    population = np.array([records[k].population_10k * PEOPLE_PER_10K for k in kept])
    if np.any(talent_kept >= population):
        over = [records[k].name for k, t, p in zip(kept, talent_kept, population, strict=True) if t >= p]
        raise DataError(
            f"{cities_path.name}: field 'tertiary_per_100k_2020': expected fewer tertiary-educated residents than residents in {over}"
        )
    fallbacks = {
        "tertiary_per_100k_2020": [name for name in talent_fallback if name in keep],
        "wage_monthly_yuan_2020": [name for name in wage_fallback if name in keep],
    }
    return talent_kept, np.array([wages[k] for k in kept]), {field: names for field, names in fallbacks.items() if names}


def _population_2010(kept: list[CityRecord], data: RegionDataConfig) -> np.ndarray | None:
    """The kept cities' 2010 census residents; a :class:`DataError` naming the cities without one when the trend needs them."""
    missing = [r.name for r in kept if r.population_2010 is None]
    if missing and data.trend and data.calibrate:
        raise DataError(
            f"{data.cities_table}: field 'population_2010_census': expected a figure for every city when region.data.trend is "
            f"true, missing for {missing} (or set region.data.trend: false)"
        )
    return None if missing else np.array([r.population_2010 for r in kept])


def sources_path(cities_path: Path) -> Path:
    """The SOURCES file of a cities table: ``<name>_SOURCES.md`` beside it (the provincial totals and regional wages)."""
    return cities_path.with_name(f"{cities_path.stem}_SOURCES.md")


def memory_estimate_bytes(cohorts: float, enterprise_agents: float) -> float:
    """Bytes a run's populations and the quarter's work arrays are estimated to need (:data:`BYTES_PER_COHORT`,
    :data:`BYTES_PER_ENTERPRISE`: measured peaks, rounded up)."""
    return cohorts * BYTES_PER_COHORT + enterprise_agents * BYTES_PER_ENTERPRISE


def physical_memory_bytes() -> int:
    """This machine's physical memory, in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(cohorts: float, data: RegionDataConfig) -> None:
    """Refuse, before building anything, an agent scale whose populations would not fit in this machine's memory."""
    needed = memory_estimate_bytes(cohorts, data.enterprise_agents)
    available = physical_memory_bytes()
    if needed > MEMORY_SHARE * available:
        raise ConfigError(
            f"region.data.enterprise_agents / people_per_talent_agent / people_per_worker_agent: {data.enterprise_agents:,} "
            f"enterprise agents and {cohorts:,.0f} cohorts would need about {needed / 2**30:,.1f} GiB, more than "
            f"{MEMORY_SHARE:.0%} of this machine's {available / 2**30:,.1f} GiB; use fewer enterprise agents or more people per agent"
        )


def _city_nodes(kept: list[CityRecord]) -> list[dict]:
    """One node per kept city: its 2020 people and GDP, place and group."""
    return [
        {
            "name": r.name,
            "population": r.population_10k * PEOPLE_PER_10K,
            "gdp": r.gdp_100m_yuan,
            "lat": r.lat,
            "lon": r.lon,
            "group": r.group,
        }
        for r in kept
    ]


def data_path(name: str, field: str) -> Path:
    """The table a region field names: the file at that path (absolute, or relative to the folder the user ran from),
    else the file of that name packaged in ``coopsim/data``; a :class:`ConfigError` naming the field when neither exists.
    """
    given = Path(name)
    if not given.is_absolute():
        given = _launch_dir() / given
    if given.is_file():
        return given
    packaged = Path(str(files("coopsim.data") / name))
    if packaged.is_file():
        return packaged
    raise ConfigError(f"{field}: expected a table file (a path, or a packaged name such as guangdong_cities.csv), got {name!r}")


def _launch_dir() -> Path:
    """The folder the user ran from: Hydra's original working directory inside a Hydra app, else the current one."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.cwd)
    return Path.cwd()


def region_inputs(cfg: RegionConfig) -> dict[str, dict[str, str]]:
    """The input tables a region reads, by config field: resolved path and SHA-256 (empty for inline regions)."""
    if cfg.data is None:
        return {}
    tables = {"region.data.cities_table": cfg.data.cities_table, "region.data.links_table": cfg.data.links_table}
    inputs = {}
    for field_name, name in tables.items():
        path = data_path(name, field_name)
        inputs[field_name] = {"path": str(path), "sha256": sha256_of(path)}
    sources = sources_path(data_path(cfg.data.cities_table, "region.data.cities_table"))
    if sources.is_file():  # its provincial totals and regional wages fill the cities without a figure
        inputs["region.data.cities_table:sources"] = {"path": str(sources), "sha256": sha256_of(sources)}
    return inputs
