"""Migration of labour cohorts (talent and workers): a random-utility choice among all cities, staying included.

Each quarter a share ``r`` of a group's cohorts reconsiders where to live (a Poisson
revision clock, as in the dynamic discrete choice of Caliendo, Dvorkin & Parro 2019,
Econometrica). A reconsidering cohort in city ``i`` draws idiosyncratic Gumbel preferences
for every city and picks the best, so it moves to ``j`` with the multinomial-logit
probability (McFadden 1974)

    P_ij = exp(kappa (u_j - m_ij)) / sum_k exp(kappa (u_k - m_ik)),    m_ii = 0,

where ``u_j`` is the group's indirect utility in ``j`` (log real wage net of the cost of housing, plus
amenity) and ``m_ij`` the cost of moving from ``i`` to ``j`` in log-utility units (a fixed
part, a settlement barrier, and a part growing with travel time: Sjaastad 1962; Tombe & Zhu
2019, AER, section IV; Ma & Tang 2020). ``kappa`` is the migration elasticity: with no moving
costs the stationary distribution is ``L_j ~ exp(kappa u_j)``, so ``kappa`` is the elasticity of
a city's population to its utility, the parameter Tombe & Zhu (2019) estimate for China.
Gross flows are positive at rest (churn), net flows respond smoothly and in proportion to
utility gaps: no thresholds.

Amenities are inverted so that a given distribution is the rest point *of the flows*
(:func:`stationary_amenity`): ``L_j = sum_i L_i P_ij`` for every city, as in the inversion of
quantitative spatial models (Redding & Rossi-Hansberg 2017, section 4).

The textbook limit (Krugman 1991) instead uses the pairwise-comparison protocol of
:mod:`coopsim.agents.choice` (``choice: pairwise``): no idiosyncratic preferences, the
replicator dynamics of Fujita, Krugman & Venables (1999, eq. 5.5).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from coopsim.agents.choice import pairwise_revision
from coopsim.agents.population import ArrayPopulation
from coopsim.config import ConfigError, LabourGroupConfig
from coopsim.region_data import MINUTES_PER_HOUR

AMENITY_TOLERANCE = 1e-12  # largest change of log population shares at which the inversion stops
AMENITY_MAX_ITERATIONS = 20_000


def people_by_city(pop: ArrayPopulation, n_cities: int) -> np.ndarray:
    """People of a labour group per city (K,)."""
    rows = pop.rows
    return np.bincount(pop.city[rows], weights=pop.size[rows], minlength=n_cities)


def location_utility(log_real_wage: np.ndarray, amenity: np.ndarray) -> np.ndarray:
    """Indirect utility of living in each city: log real wage plus amenity (Roback 1982; Moretti 2011)."""
    return log_real_wage + amenity


def moving_cost_matrix(travel_minutes: np.ndarray, group: LabourGroupConfig) -> np.ndarray:
    """Cost of moving from i to j in log-utility units: ``fixed + barrier + per_hour * hours_ij``, 0 on the diagonal.

    The settlement barrier stands for the hukou: a migrant without local registration loses
    access to public services (Tombe & Zhu 2019; Ma & Tang 2020).
    """
    return travel_cost_matrix(travel_minutes, group.moving_cost + group.settlement_barrier, group.moving_cost_per_hour)


def travel_cost_matrix(travel_minutes: np.ndarray, fixed: float, per_hour: float) -> np.ndarray:
    """Cost of moving from i to j, ``fixed + per_hour * hours_ij`` off the diagonal, 0 on it (Sjaastad 1962)."""
    cost = fixed + per_hour * travel_minutes / MINUTES_PER_HOUR
    np.fill_diagonal(cost, 0.0)
    return cost


def choice_probabilities(utility: np.ndarray, moving_cost: np.ndarray, elasticity: float) -> np.ndarray:
    """Logit probabilities ``P_ij`` (K, K) of a reconsidering cohort in ``i`` choosing ``j`` (rows sum to 1)."""
    value = elasticity * (utility[None, :] - moving_cost)
    value -= value.max(axis=1, keepdims=True)
    weight = np.exp(value)
    return weight / weight.sum(axis=1, keepdims=True)


def stationary_amenity(
    utility_without_amenity: np.ndarray,
    people: np.ndarray,
    moving_cost: np.ndarray,
    group: LabourGroupConfig,
    path: str,
    arriving: np.ndarray | None = None,
) -> np.ndarray:
    """Amenities (mean zero) that make ``people`` (K,) the rest point of the group's migration.

    ``choice: logit``: solves ``A_j = sum_i L_i P_ij(a)`` by the update
    ``a_j <- a_j + (ln A_j - ln sum_i L_i P_ij) / kappa`` (the balancing of a doubly constrained
    gravity model; exact in one step without moving costs), with ``A = L`` (rest) or the given
    ``arriving`` (K,), the people each city should receive from one round of decisions (a trend;
    it must sum to ``sum(L)``). ``choice: pairwise``: amenities that equalise utility (Roback
    1982), the rest point of the replicator dynamics (``arriving`` is not supported there).
    Raises :class:`ConfigError` naming ``path`` when a city has nobody or the inversion fails.
    """
    if np.any(people <= 0):
        raise ConfigError(f"{path}: every city needs people of the group to invert its amenity, got {people.tolist()}")
    if group.choice == "pairwise" or group.migration_elasticity == 0.0:
        if arriving is not None:
            raise ConfigError(f"{path}: a migration trend needs choice: logit with a migration_elasticity > 0")
        amenity = -utility_without_amenity
        return amenity - amenity.mean()
    kappa = group.migration_elasticity
    target = np.log(people if arriving is None else arriving)
    amenity = -utility_without_amenity.copy()
    for _ in range(AMENITY_MAX_ITERATIONS):
        arriving = people @ choice_probabilities(utility_without_amenity + amenity, moving_cost, kappa)
        gap = target - np.log(arriving)
        amenity += gap / kappa
        amenity -= amenity.mean()
        if np.max(np.abs(gap)) < AMENITY_TOLERANCE:
            return amenity
    raise ConfigError(f"{path}: amenities for a stationary distribution not found (largest log gap {np.max(np.abs(gap)):.3g})")


def migration_choices(
    pop: ArrayPopulation,
    eligible: np.ndarray,
    utility: np.ndarray,
    moving_cost: np.ndarray,
    group: LabourGroupConfig,
    draws: Callable[[np.ndarray, int, int], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Cohorts that migrate and their destination, as (rows, destinations) of those leaving their city.

    ``eligible`` masks rows that may reconsider (secondees stay). ``draws(rows, k, first)`` gives
    each cohort its own uniforms this quarter (columns ``first..first+k-1``): column 0 decides
    who reconsiders (probability ``migration_rate``), column 1 draws the destination by inverse
    CDF of the logit probabilities (``choice: logit``), or columns 1-2 drive the pairwise
    revision (``choice: pairwise``). Only reconsidering cohorts draw beyond column 0.
    """
    rows = pop.rows
    K = len(utility)
    candidates = rows[eligible[rows]]
    reconsider = candidates[draws(candidates, 1, 0)[:, 0] < group.migration_rate]
    if len(reconsider) == 0 or K < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    origin = pop.city[reconsider]
    if group.choice == "pairwise":
        weight = people_by_city(pop, K)
        destination = pairwise_revision(
            utility[None, :] - moving_cost[origin],
            origin,
            weight,
            group.migration_elasticity,
            group.gain_for_certain_move,
            draws(reconsider, 2, 1),
        )
    else:
        cumulative = np.cumsum(choice_probabilities(utility, moving_cost, group.migration_elasticity), axis=1)
        draw = draws(reconsider, 1, 1)[:, 0] * cumulative[origin, -1]
        destination = np.minimum((cumulative[origin] < draw[:, None]).sum(axis=1), K - 1)
    moving = destination != origin
    return reconsider[moving], destination[moving]
