"""coopsim: an agent-based simulator of cooperation agreements between cities.

Mesa agents (cities, enterprises, talent cohorts, industry associations) on a transport
network, a new-economic-geography market core, and agreement rules configured with Hydra.
"""

__version__ = "0.1.0"
