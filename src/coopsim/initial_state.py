"""The region at step 0: sector parameters, the calibrated (or split) start, and the populations that fill it.

:func:`initial_economy` decides what step 0 looks like before any agent exists: for a data region (or
``region.steady_state``) it calibrates productivities, amenities and enterprise counts
(:func:`coopsim.calibration.calibrate_region`); otherwise each city's enterprises are split across sectors by
the configured shares. :func:`populate` then creates the enterprises and labour cohorts, and
:func:`create_associations` the region's industry associations. The model wires them (:mod:`coopsim.model`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coopsim.agents.association import IndustryAssociation
from coopsim.apportion import largest_remainder
from coopsim.calibration import Calibration, CalibrationTargets, calibrate_region, scaled_sectors
from coopsim.config import CoopsimConfig
from coopsim.economy.market import SectorParameters
from coopsim.region import Region


def sector_parameters(cfg: CoopsimConfig) -> SectorParameters:
    """Arrays of sector parameters in the config's sector order."""
    sectors = list(cfg.economy.sectors.values())
    return SectorParameters(
        sigma=np.full(len(sectors), float(cfg.economy.sigma)),
        expenditure_share=np.array([s.expenditure_share for s in sectors], dtype=float),
        talent_input_share=np.array([s.talent_input_share for s in sectors], dtype=float),
        fixed_talent=np.array([s.fixed_talent for s in sectors], dtype=float),
    )


def mean_draw_mass(sigma: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """``E[d^(sigma-1)]`` of an enterprise's own efficiency drawn as ``ln d ~ N(0, s^2)``: ``exp(((sigma-1) s)^2 / 2)``
    (the lognormal's moment generating function), per sector (S,)."""
    return np.exp(((sigma - 1.0) * dispersion) ** 2 / 2.0)


@dataclass
class InitialEconomy:
    """What step 0 looks like before agents exist.

    ``location_mass`` is each (sector, city)'s productivity ``z_si ** (sigma - 1)`` (S, K); ``amenity`` and
    ``amenity_trend`` are per labour group (K,); ``enterprise_counts`` are enterprises per (sector, city) (S, K);
    ``calibration`` is the fit for data regions (None otherwise).
    """

    sectors: SectorParameters
    productivity_dispersion: np.ndarray  # (S,) standard deviation of an enterprise's log efficiency
    mean_draw_mass: np.ndarray  # (S,) E[d^(sigma-1)]
    sector_split: np.ndarray  # (S,) the configured split of enterprises across sectors
    outside_productivity: np.ndarray  # (K,)
    capital_share: np.ndarray  # (K,) theta_i, capital's share of value added (zeros unless calibrated)
    location_mass: np.ndarray
    amenity: dict[str, np.ndarray]
    amenity_trend: dict[str, np.ndarray]
    enterprise_counts: np.ndarray
    calibration: Calibration | None
    outside: dict | None = None  # labour group -> OutsideOption, the rest of China (open provinces only)


def initial_economy(cfg: CoopsimConfig, region: Region, trade_costs: np.ndarray) -> InitialEconomy:
    """Step 0: calibrated for data regions (or ``region.steady_state``), else each city's enterprises split by sector shares.

    Uncalibrated regions start with every place equally productive (``z = 1``), the outside sector at 1 and the
    configured amenities with no trend.
    """
    sector_configs = list(cfg.economy.sectors.values())
    sectors = sector_parameters(cfg)
    dispersion = np.array([s.productivity_dispersion for s in sector_configs])
    draw_mass = mean_draw_mass(sectors.sigma, dispersion)
    split = np.array([s.enterprise_share for s in sector_configs])
    data = cfg.region.data
    if data is not None and data.calibrate:
        targets = CalibrationTargets.from_data(region, data)
    elif cfg.region.steady_state:
        targets = CalibrationTargets.steady_state(region)
    else:
        targets = None
    if targets is None:  # every place equally productive, the configured amenities, no trend
        calibration = None
        outside = np.ones(region.size)
        capital_share = np.zeros(region.size)
        location_mass = np.ones((len(sector_configs), region.size))
        amenity = {"talent": region.amenity.copy(), "workers": region.amenity.copy()}
        trend = {group: np.zeros(region.size) for group in amenity}
        counts = np.stack([largest_remainder(int(n), split) for n in region.enterprises], axis=1)
    else:
        calibration = calibrate_region(region, sectors, cfg.economy, targets, trade_costs, draw_mass[:, None], split)
        sectors = scaled_sectors(sectors, calibration.fixed_talent_scale, calibration.talent_intensity)
        outside = calibration.outside_productivity
        capital_share = calibration.capital_share
        location_mass = calibration.productivity ** (sectors.sigma[:, None] - 1.0)
        amenity = {group: values.copy() for group, values in calibration.amenity.items()}
        trend = {group: values.copy() for group, values in calibration.amenity_trend.items()}
        counts = calibration.enterprise_counts
    return InitialEconomy(
        sectors=sectors,
        productivity_dispersion=dispersion,
        mean_draw_mass=draw_mass,
        sector_split=split,
        outside_productivity=outside,
        capital_share=capital_share,
        location_mass=location_mass,
        amenity=amenity,
        amenity_trend=trend,
        enterprise_counts=counts,
        calibration=calibration,
        outside=None if calibration is None else calibration.outside,
    )


def populate(model, counts: np.ndarray) -> None:
    """Create step 0's enterprises (``counts`` per (sector, city), owned where they produce) and labour cohorts.

    Enterprises draw their efficiency from the ``initial`` stream, city by city, each city's draws rescaled to their
    expected mass (:func:`match_expected_mass`). Each city's talent and workers are split into the fewest equal
    cohorts no larger than the region's cohort size.
    """
    rng = model.streams["initial"]
    sectors, cities = counts.shape
    for k in range(cities):
        sector = np.repeat(np.arange(sectors), counts[:, k])
        rows = model.add_enterprises(np.full(len(sector), k), sector, np.full(len(sector), k), rng)
        match_expected_mass(model, rows, sector)
    region = model.region
    for pop, people_per_city, size in (
        (model.talent, region.talent, region.cohort_size),
        (model.workers, region.workers, region.worker_cohort_size),
    ):
        for k in range(cities):
            people = people_per_city[k]
            cohorts = int(np.ceil(people / size - 1e-9)) if people > 0 else 0
            if cohorts:
                none = np.full(cohorts, -1)
                pop.add(
                    city=np.full(cohorts, k),
                    home_city=np.full(cohorts, k),
                    size=np.full(cohorts, people / cohorts),
                    exchange_until=none,
                    exchange_origin=none,
                )


def match_expected_mass(model, rows: np.ndarray, sector: np.ndarray) -> None:
    """Rescale one city's initial draws so each sector's productivity mass equals its expectation.

    Heavy-tailed ``phi ** (sigma - 1)`` makes a few dozen draws' sum noisy; matching the
    first moment per (sector, city) keeps the dispersion and removes the sampling error
    from the calibrated step 0 (entrants later draw freely).
    """
    productivity = model.enterprises.column("productivity")
    overhead = model.enterprises.column("overhead")
    for s in np.unique(sector):
        cell = rows[sector == s]
        mass = model.sectors.productivity_mass(np.full(len(cell), s), productivity[cell]).sum()
        expected = len(cell) * model.mean_draw_mass[s]
        productivity[cell] *= (expected / mass) ** (1.0 / (model.sectors.sigma[s] - 1.0))
        overhead[cell] *= expected / mass  # overhead follows the rescaled size: mean 1 in the cell


def create_associations(model) -> list[IndustryAssociation]:
    """The region's industry associations (``region.associations``), each recruiting members from the ``initial`` stream."""
    associations = []
    for index, (name, acfg) in enumerate(model.cfg.region.associations.items()):
        association = IndustryAssociation(
            model,
            index,
            name,
            sector=model.sector_names.index(acfg.sector),
            home_city=model.region.index(acfg.home_city),
            partner_cities=[model.region.index(c) for c in acfg.partner_cities],
            brokering_discount=acfg.brokering_discount,
        )
        association.recruit(model.streams["initial"], acfg.membership_rate)
        associations.append(association)
    return associations
