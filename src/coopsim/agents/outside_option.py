"""An open province: the rest of China as one more location in each labour group's choice set.

With ``region.data.open_province``, a reconsidering cohort chooses among the region's ``K`` cities, staying included,
and a ``K+1``-th location, the rest of China, by the same multinomial logit (McFadden 1974) as within the region
(:mod:`coopsim.agents.migration`):

    P_ij = exp(kappa (u_j - m_ij)) / sum_k exp(kappa (u_k - m_ik)),   k over the K cities and the rest of China.

* **Utility** of the rest of China: ``u_R = w_R + a_R``, an exogenous log real wage ``w_R`` (Guangdong's
  resident-weighted mean log real wage of the group at step 0, plus ``real_wage_growth`` a year: the rest of China
  catching up or falling behind) plus an amenity ``a_R`` inverted with the cities' amenities so that the 2020
  distribution, the reservoir included, is the rest point of the flows (:func:`calibrate_open_province`). Any level of
  ``w_R`` at step 0 is absorbed by ``a_R``; only its change afterwards moves people.
* **Moving costs** to and from it: ``m_iR = m_Ri = fixed + settlement barrier + b``, the same fixed part and hukou
  barrier as a move within the region plus an inter-provincial cost ``b`` (leaving the home province: the "border
  effect" of Su, Tesfazion & Zhao 2018, China Economic Review 47). The rest of China is one place, equally far from
  every city (a stated simplification). ``b`` is not assumed: it is inverted, per group, so that the gross flows at
  rest sustain the 7th census' stock of inter-provincial migrants (below).
* **Reservoir**: the rest of China's residents of each group (7th census, national less the region), cohorts of the
  region's cohort size whose members reconsider at the same rate ``migration_rate`` as the region's. They are
  counted, not stored: reservoir cohort ``n`` (``n < reservoir / cohort size``) draws its own uniforms keyed by
  (seed, process, quarter, ``n``) (:func:`arrivals`), so common random numbers hold. An arrival creates a cohort in
  its city; a cohort choosing the rest of China leaves the region's population and joins the reservoir.
  Conservation: region residents + reservoir are constant (the reservoir does not grow: a stated simplification).
* **Size of the flows**: the census counts ``S`` inter-provincial migrants living in the region (外省流入) and surveys
  give their average stay at the destination, ``D`` years. A stock sustained by a steady in- and outflow is
  ``S = flow x D``, so at rest ``S / D`` people a year leave the region for the rest of China and as many arrive.
  Each group leaves at the same share, ``S / (D L)`` of its residents ``L`` a year (``S / (4 D L)`` a quarter,
  :func:`quarterly_leaving_target`). For Guangdong, ``S = 29.62`` million (2020), ``L = 126.0`` million and
  ``D = 5`` years give 4.7% of residents a year each way, about 5.9 million people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from coopsim.agents.migration import choice_probabilities, stationary_amenity
from coopsim.agents.population import recycled_empty
from coopsim.config import ConfigError, LabourGroupConfig

BARRIER_TOLERANCE = 1e-9  # largest |log(leaving / target)| at which the barrier's inversion stops
BARRIER_MAX_ITERATIONS = 200
OUTSIDE_NAME = "rest of China"
RESERVOIR_CHUNK = 1 << 22  # reservoir cohorts drawn at a time (32 MiB of uniforms a column)


@dataclass(frozen=True)
class OutsideOption:
    """A labour group's rest of China at step 0: its inverted barrier and amenity, its log real wage and reservoir."""

    barrier: float  # b: the inter-provincial cost added to a within-region move's fixed part and settlement barrier
    amenity: float  # a_R
    log_real_wage: float  # w_R at step 0 (the region's resident-weighted mean)
    reservoir: float  # people of the group in the rest of China at step 0
    leaving_target: float  # people of the group leaving the region a quarter at rest (S / (4 D) times the group's share)
    amenity_trend: float = 0.0  # drift of a_R with the region's trend (data regions with ``trend``)


def open_moving_cost(moving_cost: np.ndarray, group: LabourGroupConfig, barrier: float) -> np.ndarray:
    """The ``(K+1, K+1)`` moving costs: the region's ``(K, K)``, and ``fixed + settlement barrier + barrier`` to and from
    the rest of China (the last row and column), 0 for staying there."""
    K = len(moving_cost)
    cost = np.empty((K + 1, K + 1))
    cost[:K, :K] = moving_cost
    cost[K, :K] = cost[:K, K] = group.moving_cost + group.settlement_barrier + barrier
    cost[K, K] = 0.0
    return cost


def quarterly_leaving_target(people: float, migrants: float, residents: float, stay_years: float) -> float:
    """People of a group (``people`` in the region) leaving for the rest of China a quarter at rest: ``people * S / (4 D L)``."""
    return people * migrants / (4.0 * stay_years * residents)


def leaving_per_quarter(people: np.ndarray, utility: np.ndarray, cost: np.ndarray, group: LabourGroupConfig) -> float:
    """Expected people leaving the region's cities for the rest of China in one quarter: ``r sum_i L_i P_iR``."""
    p = choice_probabilities(utility, cost, group.migration_elasticity)
    return float(group.migration_rate * people @ p[: len(people), -1])


def calibrate_open_province(
    utility_without_amenity: np.ndarray,
    people: np.ndarray,
    moving_cost: np.ndarray,
    group: LabourGroupConfig,
    reservoir: float,
    leaving_target: float,
    path: str,
    arriving: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, OutsideOption]:
    """The cities' amenities (K,), their trend drift (K,; zeros without ``arriving``) and the rest of China's option that
    make ``people`` and ``reservoir`` the rest point of the flows among the ``K + 1`` locations, with ``leaving_target``
    people leaving the region a quarter.

    For a barrier ``b`` the amenities are those of :func:`stationary_amenity` over the cities and the reservoir; the
    barrier is then moved by Newton steps in ``log leaving`` (whose slope in ``b`` is near ``-kappa``) until the expected
    leavers equal the target. ``arriving`` (K,), a trend: the people each city should receive from one round of
    decisions (the reservoir receives its own people). Raises :class:`ConfigError` naming ``path``.
    """
    if group.choice != "logit" or group.migration_elasticity <= 0.0 or group.migration_rate <= 0.0:
        raise ConfigError(f"{path}: an open province needs choice: logit with migration_elasticity and migration_rate > 0")
    if not (reservoir > 0 and leaving_target > 0):
        raise ConfigError(f"{path}: an open province needs a reservoir and a leaving flow > 0, got {reservoir!r} and {leaving_target!r}")
    kappa = group.migration_elasticity
    wage = float(np.sum(people * utility_without_amenity) / np.sum(people))
    utility = np.append(utility_without_amenity, wage)
    everyone = np.append(people, reservoir)
    barrier = 0.0
    for _ in range(BARRIER_MAX_ITERATIONS):
        cost = open_moving_cost(moving_cost, group, barrier)
        amenity = stationary_amenity(utility, everyone, cost, group, path)
        gap = np.log(leaving_per_quarter(people, utility + amenity, cost, group) / leaving_target)
        if abs(gap) < BARRIER_TOLERANCE:
            break
        barrier += gap / kappa
    else:
        raise ConfigError(f"{path}: the inter-provincial barrier matching the census flows was not found (log gap {gap:.3g})")
    city_amenity = amenity[:-1] - amenity[:-1].mean()
    outside_amenity = float(amenity[-1] - amenity[:-1].mean())
    city_trend, outside_trend = np.zeros(len(people)), 0.0
    if arriving is not None:
        trending = stationary_amenity(utility, everyone, cost, group, path, arriving=np.append(arriving, reservoir))
        trending = trending - trending[:-1].mean()
        city_trend, outside_trend = trending[:-1] - city_amenity, float(trending[-1] - outside_amenity)
    outside = OutsideOption(float(barrier), outside_amenity, wage, float(reservoir), float(leaving_target), outside_trend)
    return city_amenity, city_trend, outside


def arrivals(
    reservoir: float,
    cohort_size: float,
    probability: np.ndarray,
    rate: float,
    draws: Callable[[np.ndarray, int, int], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """The reservoir cohorts arriving this quarter and the city (index < K) each settles in, as (ids, cities).

    The reservoir is ``floor(reservoir / cohort_size)`` cohorts with ids ``0, 1, ...``; ``draws(ids, k, first)`` gives
    each its own uniforms (columns ``first..``): column 0 decides who reconsiders (probability ``rate``), column 1 the
    destination by inverse CDF of ``probability`` (K+1,), the logit row of the rest of China (last: staying there).
    Ids are drawn in chunks of :data:`RESERVOIR_CHUNK`, so memory stays bounded at any cohort size.
    """
    count = int(np.floor(reservoir / cohort_size + 1e-9))
    cumulative = np.cumsum(probability)
    chosen_ids, chosen_cities = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    for start in range(0, count, RESERVOIR_CHUNK):
        n = min(RESERVOIR_CHUNK, count - start)
        ids = np.add(_chunk_offsets(n), start, out=recycled_empty(n, np.int64))  # reused memory: no page faults
        reconsider = ids[draws(ids, 1, 0)[:, 0] < rate]
        if len(reconsider) == 0:
            continue
        pick = np.searchsorted(cumulative, draws(reconsider, 1, 1)[:, 0] * cumulative[-1], side="right")
        pick = np.minimum(pick, len(probability) - 1)
        settling = pick < len(probability) - 1
        chosen_ids.append(reconsider[settling])
        chosen_cities.append(pick[settling])
    return np.concatenate(chosen_ids), np.concatenate(chosen_cities)


_OFFSETS = [np.empty(0, dtype=np.int64)]


def _chunk_offsets(n: int) -> np.ndarray:
    """``0, 1, ..., n-1`` (read-only), kept between calls."""
    if len(_OFFSETS[0]) < n:
        offsets = np.arange(max(n, min(RESERVOIR_CHUNK, 2 * n)), dtype=np.int64)
        offsets.flags.writeable = False
        _OFFSETS[0] = offsets
    return _OFFSETS[0][:n]
