"""Calibrating an empirical region's initial state to its data: a steady state at step 0.

As in quantitative spatial economics (Redding & Rossi-Hansberg 2017, Annual Review of
Economics, section 4: fundamentals are inverted from observed outcomes), unobserved
fundamentals are chosen so that the model's initial equilibrium reproduces the data and is
at rest:

* the productivity ``b_i`` of each city's outside sector (the freely traded numeraire made by
  workers and land) is chosen so that each city's GDP share matches its 2020 share;
* each (sector, city) productivity ``z_si`` is chosen so that its enterprises, as many as the
  region's configured agents split by GDP and sector shares, make zero profit on average
  (free entry, FKV 1999 eq. 4.16): there is no entry or exit at rest;
* each sector's talent per enterprise for fixed costs is scaled so that the sector as a whole
  breaks even: with Cobb-Douglas spending its operating profit is ``mu_s Y / sigma`` whatever
  its productivity, so only fixed costs can set its zero-profit level, while ``z_si`` (one
  normalisation per sector) places enterprises across cities;
* each labour group's amenities make its 2020 distribution the rest point of its migration
  flows (:func:`coopsim.agents.migration.stationary_amenity`): gross flows are positive,
  expected net flows zero (with the textbook pairwise protocol: equal utility, Roback 1982).

The iteration is a damped fixed point on ``b``, ``z`` and the fixed-talent scales, each
updated from the market solution of the previous round.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from coopsim.agents.migration import moving_cost_matrix, stationary_amenity
from coopsim.apportion import largest_remainder
from coopsim.config import ConfigError, EconomyConfig, RegionDataConfig
from coopsim.economy.market import MarketInputs, MarketSolution, SectorParameters, solve_market_from, value_added
from coopsim.region import Region

OUTSIDE_STEP = 0.5  # geometric damping of the update of the outside sector's productivity
OUTSIDE_FLOOR = 0.5  # a round may at most halve a city's outside-sector productivity
PRODUCTIVITY_STEP = 0.5  # geometric damping of the update of (sector, city) productivity
STEADY_STATE_BREAK_EVEN_TOLERANCE = 0.01  # inline regions started at rest: as region.data.break_even_tolerance
STEADY_STATE_MAX_ROUNDS = 400


@dataclass(frozen=True)
class Calibration:
    """Calibrated fundamentals of a region's initial state, and how well they fit."""

    outside_productivity: np.ndarray  # (K,) b_i
    productivity: np.ndarray  # (S, K) z_si, multiplying enterprises' idiosyncratic productivity
    enterprise_counts: np.ndarray  # (S, K) integers
    fixed_talent_scale: np.ndarray  # (S,)
    amenity: dict[str, np.ndarray]  # labour group -> (K,) amenities
    gdp_share_error: np.ndarray  # (K,) relative error of the model's GDP shares at the fit
    rounds: int


def scaled_sectors(sectors: SectorParameters, scale) -> SectorParameters:
    """Sector parameters with each sector's fixed talent need multiplied by its ``scale``."""
    return replace(sectors, fixed_talent=sectors.fixed_talent * scale)


@dataclass(frozen=True)
class CalibrationTargets:
    """What to fit and how closely: GDP shares (None: keep outside productivity at 1), break-even, rounds."""

    gdp_share: np.ndarray | None
    gdp_tolerance: float
    break_even_tolerance: float
    max_rounds: int
    enterprises: int

    @classmethod
    def from_data(cls, region: Region, data: RegionDataConfig) -> CalibrationTargets:
        """Targets of a data region: its 2020 GDP shares, with the config's tolerances."""
        return cls(
            region.gdp_2020 / region.gdp_2020.sum(),
            data.calibration_tolerance,
            data.break_even_tolerance,
            data.calibration_max_rounds,
            data.enterprise_agents,
        )

    @classmethod
    def steady_state(cls, region: Region) -> CalibrationTargets:
        """Targets of an inline region asked to start at rest: break-even only, equal local costs."""
        return cls(None, np.inf, STEADY_STATE_BREAK_EVEN_TOLERANCE, STEADY_STATE_MAX_ROUNDS, int(region.enterprises.sum()))


def calibrate_region(
    region: Region,
    sectors: SectorParameters,
    economy: EconomyConfig,
    targets: CalibrationTargets,
    trade_cost: np.ndarray,
    mean_entrant_mass: np.ndarray,
    enterprise_share: np.ndarray,
) -> Calibration:
    """Fit outside productivity, (sector, city) productivity, the fixed-talent scale and both groups' amenities."""
    target = targets.gdp_share
    K = region.size
    counts = largest_remainder(targets.enterprises, enterprise_share[:, None] * region.enterprises[None, :].astype(float))
    scale = np.ones(len(sectors.sigma))
    occupied = counts > 0
    outside = np.ones(K)
    power = np.ones_like(counts, dtype=float)  # z_si ** (sigma - 1)
    market = None
    error = np.full(K, np.inf)
    for rounds in range(1, targets.max_rounds + 1):  # noqa: B007 (reported in the result)
        scaled = scaled_sectors(sectors, scale)
        _check_staffing(scaled, counts, region, economy.enterprise.staffing_margin)
        market, inputs = _solve(scaled, counts * mean_entrant_mass * power, counts, region, trade_cost, outside, market, economy)
        gdp = value_added(scaled, market, inputs)
        error = (gdp / gdp.sum()) / target - 1.0 if target is not None else np.zeros(K)
        operating = mean_entrant_mass * power * market.revenue_per_mass(scaled) / scaled.sigma[:, None]
        fixed = scaled.fixed_talent[:, None] * market.wage[None, :]
        profit_error = np.where(occupied, operating / fixed - 1.0, 0.0)
        if np.max(np.abs(error)) < targets.gdp_tolerance and np.max(np.abs(profit_error)) < targets.break_even_tolerance:
            break
        ratio = fixed / np.maximum(operating, 1e-300)
        power = power * ratio**PRODUCTIVITY_STEP
        power = power / (np.sum(power * counts, axis=1, keepdims=True) / counts.sum(axis=1, keepdims=True))
        sector_ratio = (operating * counts).sum(axis=1) / (fixed * counts).sum(axis=1)
        scale = scale * sector_ratio**PRODUCTIVITY_STEP
        if target is not None:
            # the outside sector's output should make up the gap to the city's target GDP
            wanted = target * gdp.sum() - market.revenue.sum(axis=0)
            wanted = np.maximum(wanted, OUTSIDE_FLOOR * market.outside_output)
            outside = outside * (wanted / market.outside_output) ** OUTSIDE_STEP
    else:
        raise ConfigError(
            f"region.data.calibration_max_rounds: calibration did not reach its tolerances in {targets.max_rounds} rounds "
            f"(largest GDP-share error {np.max(np.abs(error)):.3g}, largest break-even error {np.max(np.abs(profit_error)):.3g})"
        )
    people = {"talent": region.talent, "workers": region.workers}
    wages = {
        "talent": market.entrant_wage if economy.talent.utility_wage == "free_entry" else market.wage,
        "workers": market.worker_wage,
    }
    amenity = {}
    for group, group_people in people.items():
        config = getattr(economy, group)
        utility = log_real_wage(
            wages[group], market, scaled, region.talent + region.workers, region.land_km2, economy.congestion_elasticity
        )
        moving_cost = moving_cost_matrix(region.travel_minutes, config)
        amenity[group] = stationary_amenity(utility, group_people, moving_cost, config, f"economy.{group}")
    productivity = power ** (1.0 / (scaled.sigma[:, None] - 1.0))
    return Calibration(outside, productivity, counts, scale, amenity, error, rounds)


def log_real_wage(wage, market: MarketSolution, sectors: SectorParameters, residents, land_km2, congestion_elasticity: float) -> np.ndarray:
    """``ln w - ln P - eta ln density``: a group's wage over the cost of living, less housing congestion (K,).

    The cost of living is the Cobb-Douglas price index (FKV 1999, eq. 4.4); congestion
    enters as a constant-elasticity housing cost of residents per km2 (Helpman 1998 in
    reduced form). Used by the model each quarter and by the calibration at step 0.
    """
    density = np.maximum(residents / land_km2, MIN_DENSITY)
    with np.errstate(divide="ignore"):
        log_wage = np.log(wage)
    return log_wage - np.log(market.cost_of_living(sectors.expenditure_share)) - congestion_elasticity * np.log(density)


MIN_DENSITY = 1e-12  # residents per km2 below which density counts as this (an empty city has no housing cost)


def _check_staffing(sectors: SectorParameters, counts: np.ndarray, region: Region, margin: float) -> None:
    need = sectors.fixed_talent @ counts
    over = need > (1.0 - margin) * region.talent
    if np.any(over):
        raise ConfigError(
            f"region.data.enterprise_agents: fixed talent needs exceed the staffing limit in {np.array(region.city_names)[over].tolist()}"
        )


def _solve(sectors, mass, counts, region, trade_cost, outside, previous, economy) -> tuple[MarketSolution, MarketInputs]:
    K = region.size
    owned_mass = np.zeros(counts.shape + (K,))
    owned_overhead = np.zeros(counts.shape + (K,))
    owned_mass[:, np.arange(K), np.arange(K)] = mass
    owned_overhead[:, np.arange(K), np.arange(K)] = counts
    inputs = MarketInputs(
        mass,
        counts,
        owned_mass,
        owned_overhead,
        region.talent,
        region.workers,
        trade_cost,
        outside,
        outside_land_share=economy.outside_land_share,
    )
    market = solve_market_from(sectors, inputs, economy.solver, previous)
    if not market.converged:
        raise ConfigError(f"economy.solver: the market did not converge during calibration (residual {market.residual:.3g})")
    return market, inputs
