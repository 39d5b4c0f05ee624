"""Calibrating an empirical region's initial state to its data: a steady state at step 0.

As in quantitative spatial economics (Redding & Rossi-Hansberg 2017, Annual Review of
Economics, section 4: fundamentals are inverted from observed outcomes), unobserved
fundamentals are chosen so that the model's initial equilibrium reproduces the data and is
at rest:

* the productivity ``b_i`` of each city's outside sector (the freely traded numeraire made by
  workers and land) is chosen so that each city's GDP share matches its 2020 share;
* each (sector, city) productivity ``z_si`` is chosen so that its enterprises, as many as the
  region's configured agents split by talent and sector shares, make zero profit on average
  (free entry, FKV 1999 eq. 4.16): there is no entry or exit at rest. At zero profit a city's
  enterprises employ exactly its talent whatever the wage (fixed and variable talent are both
  proportional to revenue over the wage), so break-even sets only the relative productivity of
  a city's sectors; the level of a city's productivity sets its talent wage, and is chosen so
  that talent wages follow the cities' observed wage ratios (data regions with
  ``fit_wage_gradient``), or is equal across cities;
* each sector's talent per enterprise for fixed costs is scaled so that the sector as a whole
  breaks even: with Cobb-Douglas spending its operating profit is ``mu_s Y / sigma`` whatever
  its productivity, so only fixed costs can set its zero-profit level, while ``z_si`` (one
  normalisation per sector) places enterprises across cities;
* each labour group's amenities make its 2020 distribution the rest point of its migration
  flows (:func:`coopsim.agents.migration.stationary_amenity`): gross flows are positive,
  expected net flows zero (with the textbook pairwise protocol: equal utility, Roback 1982);
* with an open province (data regions with ``open_province``), the rest of China joins each group's choice set: the
  cities' amenities, the rest of China's amenity and the inter-provincial barrier make the 2020 distribution and the
  reservoir the rest point of the flows, with gross flows to and from the rest of China sustaining the census stock of
  inter-provincial migrants (:func:`coopsim.agents.outside_option.calibrate_open_province`);
* with a trend (data regions with ``trend``), a drift of each group's amenities makes each city's
  2010-2020 census growth of residents relative to the region's continue at step 0: the
  amenities at which one round of decisions brings each city ``L_j (1 + g_j / m)`` people
  (``g_j`` its relative quarterly growth, ``m`` the share of cohorts deciding a quarter), less
  the stationary ones. The model lets this drift fade with a stated half-life.

The iteration is a damped fixed point on ``b``, ``z`` and the fixed-talent scales, each
updated from the market solution of the previous round. :func:`calibration_report` tabulates
each target against its fit; ``python -m coopsim.calibration`` prints it for the default region.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from coopsim.agents.migration import moving_cost_matrix, stationary_amenity
from coopsim.agents.outside_option import OutsideOption, calibrate_open_province, quarterly_leaving_target
from coopsim.apportion import largest_remainder
from coopsim.config import ConfigError, EconomyConfig, RegionDataConfig
from coopsim.economy.market import MarketInputs, MarketSolution, SectorParameters, solve_market_from, value_added
from coopsim.economy.welfare import group_wage, log_real_wage
from coopsim.region import QUARTERS_PER_YEAR, Region
from coopsim.region_data import PEOPLE_PER_10K, census_growth_factor

log = logging.getLogger(__name__)

OUTSIDE_STEP = 0.5  # geometric damping of the update of the outside sector's productivity
OUTSIDE_FLOOR = 0.5  # a round may at most halve a city's outside-sector productivity
PRODUCTIVITY_STEP = 0.5  # geometric damping of the update of (sector, city) productivity
COUNTS_STEADY = 1e-4  # capital shares and intensity moving less than this no longer re-apportion enterprises (counts settle)
INTENSITY_STEP = 0.25  # geometric damping of the talent intensity towards the region's premium level (0.5 can cycle)
PREMIUM_STEP = 0.5  # geometric damping of the update of a city's labour share (1 - theta) towards its skill-premium target
WAGE_STEP = 0.5  # geometric damping of the update of a city's productivity level towards its talent-wage target
STEADY_STATE_BREAK_EVEN_TOLERANCE = 0.01  # inline regions started at rest: as region.data.break_even_tolerance
STEADY_STATE_MAX_ROUNDS = 400


@dataclass(frozen=True)
class Calibration:
    """Calibrated fundamentals of a region's initial state, and how well they fit."""

    outside_productivity: np.ndarray  # (K,) b_i
    productivity: np.ndarray  # (S, K) z_si, multiplying enterprises' idiosyncratic productivity
    enterprise_counts: np.ndarray  # (S, K) integers
    fixed_talent_scale: np.ndarray  # (S,)
    talent_intensity: float  # the common factor on the sectors' talent shares of variable cost (1 without a premium fit)
    amenity: dict[str, np.ndarray]  # labour group -> (K,) amenities
    talent_wage_error: np.ndarray  # (K,) relative error of each city's talent wage relative to the region's (0 if not fitted)
    rounds: int
    amenity_trend: dict[str, np.ndarray]  # labour group -> (K,) amenity drift at step 0 (zeros without a trend)
    capital_share: np.ndarray  # (K,) theta_i, capital's share of value added (zeros without a skill-premium fit)
    skill_premium_error: np.ndarray  # (K,) relative error of each city's skill premium (0 if not fitted)
    worker_wage_error: np.ndarray  # (K,) relative error of each city's worker wage relative to the region's (0 if not fitted)
    skill_premium_target: np.ndarray  # (K,) the skill premium each city was fitted to (NaN without the fit)
    outside: dict[str, OutsideOption] | None = None  # labour group -> its rest of China (open provinces only)


def scaled_sectors(sectors: SectorParameters, scale, talent_intensity: float = 1.0) -> SectorParameters:
    """Sector parameters with each sector's fixed talent need multiplied by its ``scale`` and every sector's talent share
    of variable cost by ``talent_intensity`` (the configured shares set only their pattern when the premium is fitted)."""
    return replace(sectors, fixed_talent=sectors.fixed_talent * scale, talent_input_share=sectors.talent_input_share * talent_intensity)


@dataclass(frozen=True)
class CalibrationTargets:
    """What to fit and how closely: GDP shares (None: keep outside productivity at 1), talent-wage ratios (None: equal
    productivity levels across cities), break-even, rounds."""

    gdp_share: np.ndarray | None
    gdp_tolerance: float
    break_even_tolerance: float
    max_rounds: int
    enterprises: int
    talent_wage: np.ndarray | None = None  # (K,) observed wages; only their ratios are fitted
    wage_tolerance: float = np.inf
    resident_growth: np.ndarray | None = None  # (K,) quarterly growth of residents relative to the region's, to carry on
    skill_premium: np.ndarray | None = None  # (K,) talent wage over worker wage, fitted by productivity levels (None: no fit)
    worker_wage: np.ndarray | None = None  # (K,) the low-pay gradient workers' wages follow (ratios), fitted by capital shares
    premium_tolerance: float = np.inf
    max_capital_share: float = 0.0
    non_labour_share: float = 0.0  # the region's GDP-weighted capital share at the fit
    outside: dict[str, tuple[float, float]] | None = None  # open province: group -> (reservoir, people leaving a quarter)

    @classmethod
    def from_data(cls, region: Region, data: RegionDataConfig) -> CalibrationTargets:
        """Targets of a data region: its 2020 GDP shares and (with ``fit_wage_gradient``) wage ratios, with the config's tolerances."""
        return cls(
            region.gdp_2020 / region.gdp_2020.sum(),
            data.calibration_tolerance,
            data.break_even_tolerance,
            data.calibration_max_rounds,
            data.enterprise_agents,
            region.wage_2020 if data.fit_wage_gradient else None,
            data.wage_tolerance,
            relative_resident_growth(region.talent + region.workers, region.population_2010) if data.trend else None,
            skill_premium_targets(region, data.skill_premium) if data.fit_skill_premium else None,
            low_pay_gradient(region) if data.fit_skill_premium else None,
            data.premium_tolerance,
            data.max_capital_share,
            data.non_labour_share,
            outside_targets(region, data) if data.open_province else None,
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
    intensity = 1.0
    occupied = counts > 0
    outside = np.ones(K)
    power = np.ones_like(counts, dtype=float)  # z_si ** (sigma - 1)
    market = None
    error = np.full(K, np.inf)
    wage_error = np.zeros(K)
    premium_error = np.zeros(K)
    relative_premium_error = np.zeros(K)
    at_floor = False  # the premium level is held up by the staffing limit (reported, not an error)
    worker_error = np.zeros(K)
    capital_share = np.zeros(K) if targets.skill_premium is None else np.full(K, targets.non_labour_share)
    counted_at = np.full(K + 1 + len(sectors.sigma), np.inf)  # capital shares, ln intensity and ln fixed-talent scales at the last count
    for rounds in range(1, targets.max_rounds + 1):  # noqa: B007 (reported in the result)
        scaled = scaled_sectors(sectors, scale, intensity)
        needs = np.concatenate([capital_share, [np.log(intensity)], np.log(scale)])
        if targets.skill_premium is not None and np.max(np.abs(needs - counted_at)) > COUNTS_STEADY:
            # enterprises where their talent needs at zero profit put them (recounted while capital shares, talent
            # intensity and fixed-talent scales still move)
            counts = zero_profit_counts(targets.enterprises, enterprise_share, scaled, capital_share, region.talent)
            occupied = counts > 0
            counted_at = needs
        _check_staffing(scaled, counts, region, economy.enterprise.staffing_margin, targets.skill_premium is not None)
        mass = counts * mean_entrant_mass * power
        market, inputs = _solve(scaled, mass, counts, region, trade_cost, outside, capital_share, market, economy)
        gdp = value_added(scaled, market, inputs)
        error = (gdp / gdp.sum()) / target - 1.0 if target is not None else np.zeros(K)
        operating = mean_entrant_mass * power * market.revenue_per_mass(scaled) / scaled.sigma[:, None]
        fixed = scaled.fixed_talent[:, None] * market.wage[None, :]
        profit_error = np.where(occupied, operating / fixed - 1.0, 0.0)
        if targets.talent_wage is not None:
            wage_error = relative_wage_error(market.wage, targets.talent_wage, region.talent)
        if targets.skill_premium is not None:
            premium = market.wage / market.worker_wage
            premium_error = premium / targets.skill_premium - 1.0
            relative_premium_error = relative_wage_error(premium, targets.skill_premium, region.talent)
            worker_error = relative_wage_error(market.worker_wage, targets.worker_wage, region.workers)
        if (
            np.max(np.abs(error)) < targets.gdp_tolerance
            and np.max(np.abs(profit_error)) < targets.break_even_tolerance
            and np.max(np.abs(wage_error)) < targets.wage_tolerance
            and np.max(np.abs(premium_error if not at_floor else relative_premium_error)) < targets.premium_tolerance
            and np.max(np.abs(worker_error)) < targets.wage_tolerance
        ):
            break
        if targets.skill_premium is not None:
            # workers earn the share (1 - theta) of what their city's production pays labour: a worker wage above its
            # relative target needs more capital; the region's GDP-weighted capital share is held at its target
            labour_share = (1.0 - capital_share) * (1.0 + worker_error) ** (-PREMIUM_STEP)
            capital_share = capital_shares_at_level(labour_share, gdp, targets.non_labour_share, targets.max_capital_share)
        log_ratio = np.log(fixed / np.maximum(operating, 1e-300))
        if targets.skill_premium is not None:
            # break-even places a city's sectors relative to each other; the city's level follows its skill premium
            city_mean = np.sum(log_ratio * counts, axis=0) / np.maximum(counts.sum(axis=0), 1)
            within_city = PRODUCTIVITY_STEP * (log_ratio - city_mean[None, :])
            power = power * np.exp(within_city - WAGE_STEP * np.log1p(relative_premium_error)[None, :])
            # the region's premium level follows how much of variable cost goes to talent (the configured shares'
            # pattern kept): one common factor, fitted
            level_gap = np.sum(region.talent * np.log(targets.skill_premium / premium)) / region.talent.sum()
            floor = staffable_intensity(sectors, scale, enterprise_share, capital_share, economy.enterprise.staffing_margin)
            wanted_intensity = intensity * np.exp(INTENSITY_STEP * level_gap)
            at_floor = wanted_intensity <= floor
            intensity = min(max(wanted_intensity, floor), 1.0 / sectors.talent_input_share.max())
        elif targets.talent_wage is None:
            power = power * np.exp(PRODUCTIVITY_STEP * log_ratio)
        else:
            # break-even places a city's sectors relative to each other; the city's level follows its wage target
            city_mean = np.sum(log_ratio * counts, axis=0) / np.maximum(counts.sum(axis=0), 1)
            within_city = PRODUCTIVITY_STEP * (log_ratio - city_mean[None, :])
            power = power * np.exp(within_city - WAGE_STEP * np.log1p(wage_error)[None, :])
        power = power / (np.sum(power * counts, axis=1, keepdims=True) / counts.sum(axis=1, keepdims=True))
        sector_ratio = (operating * counts).sum(axis=1) / (fixed * counts).sum(axis=1)
        scale = scale * sector_ratio**PRODUCTIVITY_STEP
        if target is not None:
            # the outside sector's output should make up the gap to the city's target GDP
            wanted = target * gdp.sum() - market.revenue.sum(axis=0)
            wanted = np.maximum(wanted, np.maximum(OUTSIDE_FLOOR * market.outside_output, MIN_OUTSIDE_SHARE * target * gdp.sum()))
            outside = outside * (wanted / market.outside_output) ** OUTSIDE_STEP
    else:
        raise ConfigError(
            f"region.data.calibration_max_rounds: calibration did not reach its tolerances in {targets.max_rounds} rounds "
            f"(largest GDP-share error {np.max(np.abs(error)):.3g}, largest break-even error {np.max(np.abs(profit_error)):.3g} "
            f"in {region.city_names[int(np.argmax(np.max(np.abs(profit_error), axis=0)))]}, "
            f"largest talent-wage error {np.max(np.abs(wage_error)):.3g}, largest skill-premium error "
            f"{np.max(np.abs(premium_error)):.3g}, largest worker-wage error {np.max(np.abs(worker_error)):.3g})"
            f"{_squeezed(market, target, gdp, region)}{_bounded(capital_share, worker_error, targets, region)}"
        )
    if at_floor:
        log.warning(
            "calibration: the region's skill premium is held above region.data.skill_premium by the staffing limit "
            "(fixed costs are paid in talent); premiums are fitted relative to each other only (calibration report)"
        )
    people = {"talent": region.talent, "workers": region.workers}
    amenity, trend, outside_options = {}, {}, {}
    for group, group_people in people.items():
        config = getattr(economy, group)
        wage = group_wage(market, group, economy.talent.utility_wage)
        # the housing price index is 1 in every city at step 0 (model.clear_housing_market sets floor space so)
        utility = log_real_wage(
            wage,
            market,
            scaled,
            region.talent + region.workers,
            region.land_km2,
            economy.congestion_elasticity,
            economy.housing.expenditure_share,
        )
        moving_cost = moving_cost_matrix(region.travel_minutes, config)
        arriving = None
        if targets.resident_growth is not None:
            growth = targets.resident_growth - np.sum(group_people * targets.resident_growth) / np.sum(group_people)
            arriving = group_people * (1.0 + growth / config.migration_rate)
        if targets.outside is not None:
            reservoir, leaving = targets.outside[group]
            amenity[group], trend[group], outside_options[group] = calibrate_open_province(
                utility, group_people, moving_cost, config, reservoir, leaving, f"economy.{group}", arriving=arriving
            )
            continue
        amenity[group] = stationary_amenity(utility, group_people, moving_cost, config, f"economy.{group}")
        trend[group] = np.zeros(K)
        if arriving is not None:
            trending = stationary_amenity(utility, group_people, moving_cost, config, f"economy.{group}", arriving=arriving)
            trend[group] = trending - amenity[group]
    productivity = power ** (1.0 / (scaled.sigma[:, None] - 1.0))
    return Calibration(
        outside,
        productivity,
        counts,
        scale,
        intensity,
        amenity,
        wage_error,
        rounds,
        trend,
        capital_share,
        premium_error,
        worker_error,
        np.full(K, np.nan) if targets.skill_premium is None else targets.skill_premium,
        outside_options or None,
    )


def skill_premium_targets(region: Region, core_premium: float) -> np.ndarray:
    """Each city's skill premium to fit (K,): ``core_premium`` times its talent-wage target over its worker-wage target,
    both relative to the core city's, so that talent's pay follows the average wages and workers' the low-pay gradient
    (:func:`low_pay_gradient`)."""
    core = region.core if region.core is not None else 0
    low_pay = low_pay_gradient(region)
    return core_premium * (region.wage_2020 / region.wage_2020[core]) / (low_pay / low_pay[core])


def staffable_intensity(sectors: SectorParameters, scale, share: np.ndarray, capital_share: np.ndarray, margin: float) -> float:
    """The smallest common factor on the talent shares of variable cost at which every city's enterprises, placed by
    :func:`zero_profit_counts`, keep their fixed talent within the staffing limit (``1 - margin`` of the city's talent).

    With the configured sector split a city's fixed talent is the share ``sum_s q_s F_s / sum_s q_s F_s (1 + k alpha_s
    (1 - theta_i)(sigma_s - 1))`` of its talent; it is at most ``1 - margin`` when ``k`` is at least
    ``(margin / (1 - margin)) sum_s q_s F_s / sum_s q_s F_s alpha_s (1 - theta_i)(sigma_s - 1)``, here with
    ``STAFFING_SAFETY`` room for the integer counts. Fixed costs are paid in talent alone (Krugman 1991), so a premium
    below what this allows cannot be reached by talent intensity.
    """
    fixed = sectors.fixed_talent * scale * share
    variable = fixed * sectors.talent_input_share * (sectors.sigma - 1.0)
    least = (margin / (1.0 - margin)) * fixed.sum() / (variable.sum() * (1.0 - capital_share))
    return float(np.max(least)) * STAFFING_SAFETY


STAFFING_SAFETY = 1.1  # the premium fit keeps 10% above the talent intensity at which a city's fixed talent would hit its limit


def zero_profit_counts(
    total: int, share: np.ndarray, sectors: SectorParameters, capital_share: np.ndarray, talent: np.ndarray
) -> np.ndarray:
    """Enterprises per (sector, city) (S, K) that employ each city's talent at zero profit, ``total`` in all.

    At zero profit an enterprise of sector ``s`` in city ``i`` employs ``F_s (1 + alpha_s (1 - theta_i) (sigma_s - 1))``
    talent (fixed plus variable: operating profit ``r / sigma`` pays the fixed talent, the talent share of variable cost
    ``alpha_s (1 - theta_i) rho_s r`` the rest), so with the configured sector split a city holds enterprises in
    proportion to its talent over that need; without capital the need is the same everywhere and the split follows talent.
    """
    need = sectors.fixed_talent[:, None] * (
        1.0 + sectors.talent_input_share[:, None] * (1.0 - capital_share[None, :]) * (sectors.sigma[:, None] - 1.0)
    )
    per_enterprise = share @ need  # (K,) talent per enterprise with the sector split
    per_city = largest_remainder(total, talent / per_enterprise)  # cities first, so each city's total is the closest integer
    return np.stack([largest_remainder(int(n), share) for n in per_city], axis=1)


def low_pay_gradient(region: Region) -> np.ndarray:
    """The wages workers' pay follows across cities (K, only ratios count): the region's low-pay figures
    (``Region.worker_wage_2020``, e.g. minimum wages) or, where it has none, its average wages (a fallback)."""
    return region.worker_wage_2020 if region.worker_wage_2020 is not None else region.wage_2020


def capital_shares_at_level(labour_share: np.ndarray, gdp: np.ndarray, level: float, largest: float) -> np.ndarray:
    """Capital shares ``theta_i = 1 - c l_i`` (K,) from labour shares ``l_i`` rescaled by the one factor ``c`` that makes
    the GDP-weighted mean capital share ``level``, each kept in ``[0, largest]`` (bisection on ``c``)."""
    weight = gdp / gdp.sum()

    def mean_share(scale: float) -> float:
        return float(np.sum(weight * np.clip(1.0 - scale * labour_share, 0.0, largest)))

    low, high = 0.0, 1.0 / max(float(labour_share.min()), 1e-12)  # mean_share falls from >= level to 0 over [low, high]
    for _ in range(LEVEL_BISECTIONS):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if mean_share(middle) > level else (low, middle)
    return np.clip(1.0 - 0.5 * (low + high) * labour_share, 0.0, largest)


LEVEL_BISECTIONS = 60  # halvings of the bracket of the labour-share scale: far below any tolerance


def _bounded(capital_share: np.ndarray, worker_error: np.ndarray, targets: CalibrationTargets, region: Region) -> str:
    """A note naming the cities whose capital share sits at a bound while their worker wage misses, or nothing."""
    if targets.skill_premium is None:
        return ""
    at_bound = ((capital_share <= 0.0) | (capital_share >= targets.max_capital_share)) & (np.abs(worker_error) >= targets.wage_tolerance)
    if not np.any(at_bound):
        return ""
    cities = np.array(region.city_names)[at_bound].tolist()
    return (
        f"; the capital share is at its bound (0 or region.data.max_capital_share) in {cities}: their GDP per resident "
        "cannot pay the targeted wages; check region.data.skill_premium and the wage figures"
    )


def outside_targets(region: Region, data: RegionDataConfig) -> dict[str, tuple[float, float]]:
    """Each group's reservoir in the rest of China (the country's less the region's) and the people leaving the region
    for it a quarter at rest (the census stock of inter-provincial migrants over the average stay, shared by residents).

    Raises :class:`ConfigError` naming the national figure when the region has more people of a group than the country.
    """
    out = data.outside
    residents = region.talent.sum() + region.workers.sum()
    national = {
        "talent": (out.national_tertiary_10k * PEOPLE_PER_10K, region.talent.sum(), "national_tertiary_10k"),
        "workers": (
            (out.national_residents_10k - out.national_tertiary_10k) * PEOPLE_PER_10K,
            region.workers.sum(),
            "national_residents_10k",
        ),
    }
    migrants = out.interprovincial_migrants_10k * PEOPLE_PER_10K
    if migrants >= residents:
        raise ConfigError(
            f"region.data.outside.interprovincial_migrants_10k: expected fewer than the region's {residents:.0f} residents, "
            f"got {migrants:.0f}"
        )
    targets = {}
    for group, (country, people, field_name) in national.items():
        if country <= people:
            raise ConfigError(
                f"region.data.outside.{field_name}: the country's {group} ({country:.0f}) must exceed the region's ({people:.0f})"
            )
        targets[group] = (country - people, quarterly_leaving_target(people, migrants, residents, out.average_stay_years))
    return targets


def relative_resident_growth(residents_2020: np.ndarray, residents_2010: np.ndarray | None) -> np.ndarray:
    """Each city's average quarterly growth of residents between the 2010 and 2020 censuses relative to the region's (K,).

    ``(L20_i / L10_i) ** (1 / 40) / (sum L20 / sum L10) ** (1 / 40) - 1``: the censuses are ten years apart to the day.
    """
    if residents_2010 is None:
        raise ConfigError("region.data.trend: the region's table has no 2010 census population (population_2010_census)")
    own = census_growth_factor(residents_2020, residents_2010, QUARTERS_PER_YEAR)
    region = census_growth_factor(residents_2020.sum(), residents_2010.sum(), QUARTERS_PER_YEAR)
    return own / region - 1.0


def relative_wage_error(wage: np.ndarray, target: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Each city's wage relative to the region's, over the target's relative to the region's, less 1 (K,).

    "The region's" is the ``weight``-weighted geometric mean, so only ratios between cities are compared: the level of
    the model's wages is in units of its numeraire, the data's in yuan.
    """
    gap = np.log(wage) - np.log(target)
    return np.expm1(gap - np.sum(weight * gap) / np.sum(weight))


def calibration_report(model) -> pd.DataFrame:
    """Each calibration target of a data region against the model's step 0: ``target, city, data, model, error, fallback``.

    Targets: ``gdp_share`` (2020 GDP shares), ``talent_share_of_residents`` (7th census tertiary-educated residents,
    with the stated fallback where a city has no figure), ``talent_wage_vs_core`` (each city's talent wage over the core
    city's, against the ratio of their 2020 average wages); ``error`` is model / data - 1; ``fallback`` marks a city
    whose data figure is a fallback (``Region.fallbacks``). Also ``skill_premium`` (talent wage over worker wage, against
    the premium fitted where the region fits one), ``worker_wage_vs_core`` (against the low-pay gradient, the 2020
    minimum wages, where the region has one), and, with no data (``data`` is NaN), ``capital_share`` (capital's share of
    value added), ``labour_share_of_gdp`` (talent's and workers' wages over GDP by place), ``productivity_drift`` (the
    baseline's drift of every place's productivity at step 0, log points a year, against the city's 2019-2020 real growth
    relative to the province's where the region has a productivity trend), ``income_over_gdp`` (residents' income over
    GDP by place: capital income owned elsewhere makes it fall below one) and ``housing_price``
    (the housing price index, 1 in every city at step 0: no 2020 prices by city were found). Empty for regions without
    data.
    """
    region = model.region
    if region.gdp_2020 is None:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    gdp = model.quarterly_gdp()
    talent = model.talent_per_city()
    residents = model.residents_per_city()
    core = region.core if region.core is not None else 0
    wage = model.market.wage
    rows = {
        "gdp_share": (region.gdp_2020 / region.gdp_2020.sum(), gdp / gdp.sum(), ()),
        "talent_share_of_residents": (
            region.talent / (region.talent + region.workers),
            talent / residents,
            region.fallbacks.get("tertiary_per_100k_2020", ()),
        ),
        "talent_wage_vs_core": (
            region.wage_2020 / region.wage_2020[core],
            wage / wage[core],
            region.fallbacks.get("wage_monthly_yuan_2020", ()),
        ),
        "skill_premium": (
            np.full(region.size, np.nan) if model.calibration is None else model.calibration.skill_premium_target,
            wage / model.market.worker_wage,
            (),
        ),
        "capital_share": (np.full(region.size, np.nan), model.capital_share, ()),
        "worker_wage_vs_core": (
            np.full(region.size, np.nan) if region.worker_wage_2020 is None else region.worker_wage_2020 / region.worker_wage_2020[core],
            model.market.worker_wage / model.market.worker_wage[core],
            region.fallbacks.get("min_wage_monthly_yuan", ()),
        ),
        "labour_share_of_gdp": (np.full(region.size, np.nan), labour_income(model) / gdp, ()),
        "productivity_drift": (
            np.full(region.size, np.nan) if region.output_growth is None else region.output_growth,
            model.productivity_drift * QUARTERS_PER_YEAR,
            region.fallbacks.get("real_gdp_growth_pct", ()),
        ),
        "income_over_gdp": (np.full(region.size, np.nan), (model.market.income - model.flows.transfers) / gdp, ()),
        # no 2020 housing prices by city were found: the index is 1 in every city at step 0 by construction
        "housing_price": (np.full(region.size, np.nan), model.housing.price.copy(), ()),
    }
    frames = [
        pd.DataFrame(
            {
                "target": target,
                "city": region.city_names,
                "data": data,
                "model": fitted,
                "error": fitted / data - 1.0,
                "fallback": [name in fallback for name in region.city_names],
            }
        )
        for target, (data, fitted, fallback) in rows.items()
    ]
    return pd.concat(frames, ignore_index=True)


REPORT_COLUMNS = ["target", "city", "data", "model", "error", "fallback"]
TARGETS_PER_TABLE = 4  # targets side by side in one printed table
REPORT_LABELS = {
    "gdp_share": "GDP share",
    "talent_share_of_residents": "talent/residents",
    "talent_wage_vs_core": "wage/core",
    "worker_wage_vs_core": "worker wage/core",
    "skill_premium": "premium",
    "productivity_drift": "drift/yr",
    "housing_price": "housing price",
    "capital_share": "capital share",
    "labour_share_of_gdp": "labour share",
    "income_over_gdp": "income/GDP",
}


def labour_income(model) -> np.ndarray:
    """Wages paid in each city this quarter (K,): talent's (where enterprises employ it) and every worker's."""
    market = model.market
    employed_talent = np.where(market.staffed, model.talent_per_city(), 0.0)
    return market.wage * employed_talent + market.worker_wage * model.workers_per_city()


def largest_errors(report: pd.DataFrame) -> pd.Series:
    """Each target's largest ``|model / data - 1|`` in the report's target order (NaN for a target without data)."""
    return report.groupby("target", sort=False)["error"].apply(lambda error: float(error.abs().max()))


def calibration_summary(report: pd.DataFrame, calibration: Calibration | None) -> dict:
    """What ``run.json`` keeps of the calibration: rounds, each target's largest relative error and, in an open province,
    each group's inverted inter-provincial barrier."""
    if report.empty:
        return {}
    worst = largest_errors(report).dropna()
    summary = {"largest_error": {target: round(value, 6) for target, value in worst.items()}}
    if calibration is not None:
        summary["rounds"] = int(calibration.rounds)
        if getattr(calibration, "outside", None):
            summary["inter_provincial_barrier"] = {group: round(option.barrier, 6) for group, option in calibration.outside.items()}
    return summary


def format_report(report: pd.DataFrame, calibration: Calibration | None, fallbacks: dict[str, list[str]]) -> str:
    """The calibration report as text: rounds, the largest error of each target, each city's fit, and the fallbacks."""
    if report.empty:
        return "no data targets (an inline region)"
    lines = []
    if calibration is not None:
        lines.append(f"calibration: {calibration.rounds} rounds")
        for group, option in (getattr(calibration, "outside", None) or {}).items():
            lines.append(
                f"{group}: inter-provincial barrier {option.barrier:.4f} (log utility), {option.leaving_target:.0f} people leaving "
                f"for the rest of China a quarter at rest, reservoir {option.reservoir:.0f}"
            )
    for target, worst in largest_errors(report).items():
        lines.append(f"{target}: largest |model/data - 1| = {worst:.4f}" if np.isfinite(worst) else f"{target}: no data (reported)")
    cities = report["city"].unique()
    targets = list(report["target"].unique())
    for first in range(0, len(targets), TARGETS_PER_TABLE):  # tables a terminal can show
        table = pd.DataFrame(index=cities)
        for target in targets[first : first + TARGETS_PER_TABLE]:
            part = report[report["target"] == target].set_index("city").loc[cities]
            label = REPORT_LABELS.get(target, target)
            marks = np.where(part["fallback"], "*", "")
            if part["data"].notna().any():
                table[f"{label} data"] = [f"{value:.4f}{mark}" for value, mark in zip(part["data"], marks, strict=True)]
            table[f"{label} model"] = part["model"].round(4)
        lines.append(table.to_string())
    lines.append("* a fallback: the table has no figure for this city")
    for field_name, cities in fallbacks.items():
        lines.append(f"fallback for {field_name} (no figure in the table): {', '.join(cities)}")
    return "\n".join(lines)


def _squeezed(market: MarketSolution, target: np.ndarray | None, gdp: np.ndarray, region: Region) -> str:
    """A note naming the cities whose enterprises' revenue at the last round leaves their outside sector less than its
    minimum share of their GDP target (the data's wage, talent and GDP figures disagree there), or nothing."""
    if target is None:
        return ""
    room = target * gdp.sum() - market.revenue.sum(axis=0)
    squeezed = room <= MIN_OUTSIDE_SHARE * target * gdp.sum()
    if not np.any(squeezed):
        return ""
    cities = np.array(region.city_names)[squeezed].tolist()
    return (
        f"; the outside sector is squeezed out in {cities}: check their census talent, wage and GDP figures, "
        "or set fit_wage_gradient: false"
    )


MIN_OUTSIDE_SHARE = 1e-3  # the outside sector's output is kept above this share of its city's GDP target during the fit


def _check_staffing(sectors: SectorParameters, counts: np.ndarray, region: Region, margin: float, premium_fit: bool = False) -> None:
    need = sectors.fixed_talent @ counts
    over = need > (1.0 - margin) * region.talent
    if np.any(over):
        hint = (
            "; with fit_skill_premium, fixed costs (paid in talent) leave talent too little room below the premium: "
            "raise region.data.skill_premium (1.8 or more at the default economy) or lower region.data.non_labour_share"
            if premium_fit
            else ""
        )
        raise ConfigError(
            f"region.data.enterprise_agents: fixed talent needs exceed the staffing limit in "
            f"{np.array(region.city_names)[over].tolist()}{hint}"
        )


def _solve(sectors, mass, counts, region, trade_cost, outside, capital_share, previous, economy) -> tuple[MarketSolution, MarketInputs]:
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
        capital_share=capital_share,
        local_capital_ownership=economy.local_capital_ownership,
    )
    market = solve_market_from(sectors, inputs, economy.solver, previous)
    if not market.converged:
        raise ConfigError(f"economy.solver: the market did not converge during calibration (residual {market.residual:.3g})")
    return market, inputs


def main(argv: list[str] | None = None) -> None:
    """``python -m coopsim.calibration [overrides]``: build the configured region's step 0 and print its calibration report."""
    import sys

    from coopsim.runner import build_model, compose_config

    model = build_model(compose_config(*(sys.argv[1:] if argv is None else argv)))
    try:
        print(format_report(calibration_report(model), model.calibration, model.region.fallbacks))
    finally:
        model.release()


if __name__ == "__main__":
    main()
