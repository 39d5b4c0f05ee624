"""A synthetic 21-city region with 50,000+ enterprises, for benchmarks.

Cities sit on a jittered ring (about Guangdong's extent) joined by road links to their
neighbours; enterprises and talent are spread by a Zipf-like size distribution.
"""

from __future__ import annotations

import numpy as np
from omegaconf import OmegaConf

from coopsim.runner import compose_config

N_CITIES = 21
ENTERPRISES = 52_500
TALENT_PER_ENTERPRISE = 0.6  # people; above the default economy's fixed talent needs
WORKERS_PER_TALENT = 3.0
ROAD_KM_PER_MINUTE = 80.0 / 60.0  # expressway speed, 80 km/h
KM_PER_DEGREE = 111.0


def synthetic_region(seed: int = 0) -> dict:
    """A region config (plain dict) of 21 cities with road links to the next two cities on the ring."""
    rng = np.random.default_rng(seed)
    angle = np.linspace(0, 2 * np.pi, N_CITIES, endpoint=False)
    lat = 23.0 + 1.5 * np.sin(angle) + rng.normal(0, 0.1, N_CITIES)
    lon = 113.5 + 3.0 * np.cos(angle) + rng.normal(0, 0.1, N_CITIES)
    size = 1.0 / np.arange(1, N_CITIES + 1)
    size /= size.sum()
    firms = np.maximum(np.round(size * ENTERPRISES).astype(int), 50)
    names = [f"C{k:02d}" for k in range(N_CITIES)]
    cities = {
        name: {
            "workers": float(firms[k] * TALENT_PER_ENTERPRISE * WORKERS_PER_TALENT),
            "talent": float(firms[k] * TALENT_PER_ENTERPRISE),
            "enterprises": int(firms[k]),
            "amenity": 0.0,
            "land_km2": 5000.0,
            "lat": float(lat[k]),
            "lon": float(lon[k]),
        }
        for k, name in enumerate(names)
    }
    links = []
    for k in range(N_CITIES):
        for step in (1, 2):
            j = (k + step) % N_CITIES
            km = KM_PER_DEGREE * np.hypot(lat[k] - lat[j], (lon[k] - lon[j]) * np.cos(np.radians(23.0)))
            links.append({"a": names[k], "b": names[j], "mode": "road", "minutes": float(km / ROAD_KM_PER_MINUTE)})
    return {
        "name": "synthetic21",
        "cities": cities,
        "links": links,
        "associations": {},
        "trade_cost": None,
        "initial_share": None,
        "people_per_agent": 1.0,  # people in one talent or worker cohort
    }


RELOCATION_OVERRIDES = [  # cheaper, more frequent moves, so that the workload exercises relocation and branching
    "economy.enterprise.relocation_rate=0.05",
    "economy.enterprise.relocation_cost=0.0",
    "economy.enterprise.relocation_cost_per_hour=0.0",
]


def workload_config(seed: int = 0):
    """The default economy on the synthetic 21-city region, with frequent relocation."""
    cfg = compose_config(f"seed={seed}", *RELOCATION_OVERRIDES)
    cfg.region = OmegaConf.merge(OmegaConf.structured(type(OmegaConf.to_object(cfg.region))), synthetic_region(seed))
    return cfg
