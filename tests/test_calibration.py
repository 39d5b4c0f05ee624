"""Calibration (coopsim.calibration): fundamentals inverted so that a given step 0 is at rest, and its helpers against
their formulas. The Guangdong fit against its data targets is tested in tests/test_region.py."""

import numpy as np
import pandas as pd
import pytest

from coopsim.agents.migration import choice_probabilities
from coopsim.calibration import (
    STEADY_STATE_BREAK_EVEN_TOLERANCE,
    STEADY_STATE_MAX_ROUNDS,
    calibration_summary,
    format_report,
    relative_resident_growth,
    relative_wage_error,
)
from coopsim.config import ConfigError

AT_REST = ("region=two_symmetric", "region.steady_state=true")


def entrant_margin_error(model) -> np.ndarray:
    """A mean entrant's operating profit over its fixed cost, less 1, per (sector, city), as entry_decisions sees it."""
    operating = model.mean_entrant_mass * model.market.revenue_per_mass(model.sectors) / model.sectors.sigma[:, None]
    fixed = model.sectors.fixed_talent[:, None] * model.market.wage[None, :]
    return operating / fixed - 1.0


@pytest.mark.parametrize("share", [0.5, 0.7])
def test_an_inline_region_asked_to_start_at_rest_breaks_even_and_has_no_net_flows(make_model, share):
    """region.steady_state: whatever the split of talent and enterprises, enterprises break even (within the tolerance)
    and the amenities make each group's distribution the rest point of its migration, with gross flows positive."""
    model = make_model(*AT_REST, f"region.initial_share={share}")
    calibration = model.calibration
    assert 1 <= calibration.rounds < STEADY_STATE_MAX_ROUNDS
    assert np.max(np.abs(entrant_margin_error(model))) < STEADY_STATE_BREAK_EVEN_TOLERANCE
    assert np.array_equal(calibration.outside_productivity, np.ones(2))  # no GDP target: the outside sector is left alone
    for group in ("talent", "workers"):
        people = model.talent_per_city() if group == "talent" else model.workers_per_city()
        choice = choice_probabilities(model.utility(group), model.moving_cost(group), getattr(model.economy, group).migration_elasticity)
        assert people @ choice == pytest.approx(people, rel=1e-9)
        assert np.all(np.diag(choice) < 1.0)
        assert calibration.amenity[group].mean() == pytest.approx(0.0, abs=1e-12)
    # each sector's productivity is a relative placement: its count-weighted mean of z ** (sigma - 1) is 1
    power = calibration.productivity ** (model.sectors.sigma[:, None] - 1.0)
    counts = calibration.enterprise_counts
    assert (power * counts).sum(axis=1) / counts.sum(axis=1) == pytest.approx(np.ones(len(counts)), rel=1e-9)
    assert counts.sum() == 3200 and counts[:, 0].sum() == pytest.approx(share * 3200, abs=len(counts))


def test_the_symmetric_region_needs_no_amenity_and_no_productivity_gap(make_model):
    """Two identical cities with equal halves: the inversion finds the symmetric fundamentals exactly."""
    calibration = make_model(*AT_REST).calibration
    assert np.allclose(calibration.productivity, 1.0, rtol=1e-12)
    assert np.allclose(calibration.amenity["talent"], 0.0, atol=1e-12) and np.allclose(calibration.amenity["workers"], 0.0, atol=1e-12)


def test_the_more_talented_city_needs_a_better_amenity_to_hold_its_talent(make_model):
    """70% of the talent in A is not where wages alone would put it: A's talent amenity is the higher one."""
    amenity = make_model(*AT_REST, "region.initial_share=0.7").calibration.amenity["talent"]
    assert amenity[0] > 0 > amenity[1]


def test_a_region_started_at_rest_stays_near_its_start(make_model):
    """Eight quarters from a calibrated, lopsided start (70% of the talent in A): shares move by noise only, loss exits
    (from entry's noise around the zero-profit count) are a small share of the enterprises and entry replaces the exit
    shocks (gross turnover about 16% in two years, net change within noise), while gross migration goes on."""
    model = make_model(*AT_REST, "region.initial_share=0.7", steps=8)
    firms = model.enterprises_per_city().sum()
    for _ in range(8):
        model.step()
    frame = model.recorder.frame()
    flows = frame[frame["step"] > 0].groupby("metric")["value"].sum()
    talent = model.talent_per_city()
    assert talent[0] / talent.sum() == pytest.approx(0.7, abs=0.01)
    assert flows["exits_loss"] < 0.03 * firms  # losses from entry's Poisson noise around the zero-profit count
    assert flows["exits_shock"] > 0.1 * firms
    assert abs(flows["entries_new"] - flows["exits_shock"] - flows["exits_loss"]) < 0.02 * firms
    assert flows["migration_out"] > 0


def test_relative_wage_errors_compare_ratios_not_levels():
    """Model wages are in numeraire units, data in yuan: only ratios count, so wages proportional to the data fit exactly;
    a city paid 10% more than its share of the gradient shows about +10% (less its weight in the region's mean)."""
    target = np.array([11620.0, 6735.0, 8000.0])
    weight = np.array([5.0, 1.0, 2.0])
    assert relative_wage_error(0.001 * target, target, weight) == pytest.approx(np.zeros(3), abs=1e-12)
    high = 0.001 * target * np.array([1.1, 1.0, 1.0])
    error = relative_wage_error(high, target, weight)
    assert error[0] > 0 > error[1] and error[1] == pytest.approx(error[2])
    assert np.sum(weight * np.log1p(error)) == pytest.approx(0.0, abs=1e-12)  # errors against the weighted geometric mean
    assert (1 + error[0]) / (1 + error[1]) == pytest.approx(1.1)


def test_relative_resident_growth_is_zero_for_uniform_growth_and_needs_the_2010_census():
    residents_2010 = np.array([100.0, 50.0, 30.0])
    assert relative_resident_growth(1.3 * residents_2010, residents_2010) == pytest.approx(np.zeros(3), abs=1e-15)
    growth = relative_resident_growth(np.array([200.0, 50.0, 30.0]), residents_2010)
    assert growth[0] > 0 > growth[1] and growth[1] == pytest.approx(growth[2])
    assert (1 + growth[0]) ** 40 / (1 + growth[1]) ** 40 == pytest.approx(2.0)  # ten years of quarters: the doubling
    with pytest.raises(ConfigError, match="region.data.trend"):
        relative_resident_growth(residents_2010, None)


def test_the_summary_keeps_each_targets_largest_error_and_the_rounds():
    report = pd.DataFrame(
        {
            "target": ["gdp_share", "gdp_share", "skill_premium", "skill_premium"],
            "city": ["A", "B", "A", "B"],
            "data": [0.6, 0.4, np.nan, np.nan],
            "model": [0.603, 0.397, 1.4, 1.5],
            "error": [0.005, -0.0075, np.nan, np.nan],
            "fallback": [False, True, False, False],
        }
    )
    calibration = type("Fit", (), {"rounds": 12})()
    assert calibration_summary(report, calibration) == {"largest_error": {"gdp_share": 0.0075}, "rounds": 12}
    assert calibration_summary(report.iloc[:0], calibration) == {}
    text = format_report(report, calibration, {"wage": ["B"]})
    assert "calibration: 12 rounds" in text and "gdp_share: largest |model/data - 1| = 0.0075" in text
    assert "skill_premium: no data (reported)" in text and "0.4000*" in text and "fallback for wage (no figure in the table): B" in text
    assert format_report(report.iloc[:0], None, {}) == "no data targets (an inline region)"
