"""A region: its cities, its transport network and the travel-time matrix over it.

The network is a :mod:`networkx` multigraph of cities whose edges carry travel times in
minutes by mode (road, conventional rail, high-speed rail). The travel time between two
cities is the all-pairs shortest time over the fastest edge of each pair (Dijkstra), and
is recomputed whenever a rule changes a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from coopsim.config import ConfigError, RegionConfig


@dataclass
class Region:
    """Cities (in a fixed order) with their initial state and the transport network."""

    name: str
    city_names: list[str]
    immobile_population: np.ndarray
    talent: np.ndarray
    enterprises: np.ndarray
    amenity: np.ndarray
    land_km2: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    network: nx.MultiGraph
    trade_cost_override: float | None = None
    travel_minutes: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.travel_minutes = self.shortest_travel_minutes()

    @property
    def size(self) -> int:
        """Number of cities K."""
        return len(self.city_names)

    def index(self, city: str) -> int:
        """Position of a city in every per-city array."""
        return self.city_names.index(city)

    def fastest_graph(self) -> nx.Graph:
        """Simple graph with, for each connected pair, the fastest mode's minutes as ``weight``."""
        graph = nx.Graph()
        graph.add_nodes_from(range(self.size))
        for a, b, data in self.network.edges(data=True):
            minutes = data["minutes"]
            if not graph.has_edge(a, b) or graph[a][b]["weight"] > minutes:
                graph.add_edge(a, b, weight=minutes, mode=data["mode"])
        return graph

    def shortest_travel_minutes(self) -> np.ndarray:
        """All-pairs shortest travel time in minutes (K, K); raises if the network is disconnected."""
        graph = self.fastest_graph()
        if self.size > 1 and not nx.is_connected(graph):
            parts = [sorted(self.city_names[i] for i in part) for part in nx.connected_components(graph)]
            raise ConfigError(f"region.links: the transport network of {self.name!r} is not connected; components {parts}")
        minutes = np.zeros((self.size, self.size))
        for source, lengths in nx.all_pairs_dijkstra_path_length(graph, weight="weight"):
            for target, length in lengths.items():
                minutes[source, target] = length
        return minutes

    def set_link(self, a: str, b: str, mode: str, minutes: float) -> None:
        """Add or replace the ``mode`` edge between two cities and recompute travel times."""
        i, j = self.index(a), self.index(b)
        for key, data in list(self.network.get_edge_data(i, j, default={}).items()):
            if data["mode"] == mode:
                self.network.remove_edge(i, j, key)
        self.network.add_edge(i, j, mode=mode, minutes=float(minutes))
        self.travel_minutes = self.shortest_travel_minutes()

    def trade_costs(self, trade_time_elasticity: np.ndarray, sigma: float, time_scale_minutes: float) -> np.ndarray:
        """Iceberg trade cost per sector (S, K, K) from travel time.

        ``tau_sij = (1 + t_ij / t0) ** (epsilon_s / (sigma - 1))`` so that bilateral trade,
        proportional to ``tau ** (1 - sigma)``, falls with travel time at elasticity
        ``epsilon_s`` (gravity: Head & Mayer 2014, Handbook of International Economics 4,
        ch. 3, distance elasticity about -1). A two-city theory region may instead fix
        ``tau = T`` between its cities for every sector (Krugman 1991).
        """
        if self.trade_cost_override is not None:
            tau = np.full((self.size, self.size), float(self.trade_cost_override))
            np.fill_diagonal(tau, 1.0)
            return np.broadcast_to(tau, (len(trade_time_elasticity), self.size, self.size)).copy()
        base = 1.0 + self.travel_minutes / time_scale_minutes
        exponent = np.asarray(trade_time_elasticity)[:, None, None] / (sigma - 1.0)
        return base[None, :, :] ** exponent


def build_region(cfg: RegionConfig) -> Region:
    """Build a :class:`Region` from its (validated) config, applying two-city theory overrides."""
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
        network.add_edge(names.index(link.a), names.index(link.b), mode=link.mode, minutes=float(link.minutes))
    return Region(
        name=cfg.name,
        city_names=names,
        immobile_population=np.array([c.immobile_population for c in cities], dtype=float),
        talent=talent,
        enterprises=enterprises,
        amenity=np.array([c.amenity for c in cities], dtype=float),
        land_km2=np.array([c.land_km2 for c in cities], dtype=float),
        lat=np.array([c.lat for c in cities], dtype=float),
        lon=np.array([c.lon for c in cities], dtype=float),
        network=network,
        trade_cost_override=cfg.trade_cost,
    )
