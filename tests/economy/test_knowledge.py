"""Knowledge spillovers (coopsim.economy.knowledge) called directly: access to talent within reach, and productivity from it."""

import numpy as np
import pytest

from coopsim.economy.knowledge import spillover_access, spillover_productivity

HALF_LIFE = 30.0
MINUTES = np.array([[0.0, 30.0, 90.0], [30.0, 0.0, 60.0], [90.0, 60.0, 0.0]])
TALENT = np.array([600.0, 300.0, 100.0])


def test_access_is_the_talent_within_reach_halving_every_half_life():
    """sum_j L_j 2^(-t_ij / h) / sum_j L_j: 30 minutes away counts half, 60 a quarter, 90 an eighth; own talent fully."""
    access = spillover_access(TALENT, MINUTES, HALF_LIFE)
    expected = np.array([600 + 300 / 2 + 100 / 8, 600 / 2 + 300 + 100 / 4, 600 / 8 + 300 / 4 + 100]) / 1000.0
    assert access == pytest.approx(expected, rel=1e-12)


def test_access_limits_own_talent_alone_and_the_whole_region():
    """Cities out of reach see only their own share of the region's talent; cities at zero distance see all of it (1)."""
    far = np.where(np.eye(3) > 0, 0.0, 1e6)
    assert spillover_access(TALENT, far, HALF_LIFE) == pytest.approx(TALENT / TALENT.sum(), abs=1e-12)
    assert spillover_access(TALENT, np.zeros((3, 3)), HALF_LIFE) == pytest.approx(np.ones(3), rel=1e-12)


def test_access_is_a_share_scale_free_and_never_cut_by_faster_links():
    access = spillover_access(TALENT, MINUTES, HALF_LIFE)
    assert np.all((access > 0) & (access <= 1))
    assert spillover_access(7.0 * TALENT, MINUTES, HALF_LIFE) == pytest.approx(access, rel=1e-12)  # only shares matter
    faster = MINUTES.copy()
    faster[0, 2] = faster[2, 0] = 40.0  # a new line between cities 0 and 2
    new = spillover_access(TALENT, faster, HALF_LIFE)
    assert new[0] > access[0] and new[2] > access[2] and new[1] == pytest.approx(access[1], rel=1e-15)  # only the linked gain
    assert np.all(spillover_access(TALENT, MINUTES, 2 * HALF_LIFE) > access * (1 - 1e-12))  # a longer reach never less


def test_no_talent_means_no_access():
    assert np.array_equal(spillover_access(np.zeros(3), MINUTES, HALF_LIFE), np.zeros(3))


def test_productivity_has_a_constant_elasticity_to_access():
    initial = np.array([0.2, 0.5, 0.8])
    doubled = spillover_productivity(2 * initial, initial, 0.05)
    assert doubled == pytest.approx(np.full(3, 2**0.05), rel=1e-12)  # 3.5% for a doubling: within Rosenthal & Strange's 3-8%
    assert spillover_productivity(initial, initial, 0.05) == pytest.approx(np.ones(3))  # at rest: as at step 0
    assert np.array_equal(spillover_productivity(3 * initial, initial, 0.0), np.ones(3))  # 0 switches the channel off
    ratio = np.array([0.5, 1.0, 1.5])
    assert np.log(spillover_productivity(ratio * initial, initial, 0.08)) == pytest.approx(0.08 * np.log(ratio), abs=1e-12)


def test_a_city_with_no_access_at_step_0_keeps_its_productivity():
    """No talent within reach at the start: the ratio is undefined, the factor stays 1 (no division by zero)."""
    factor = spillover_productivity(np.array([0.3, 0.4]), np.array([0.0, 0.2]), 0.05)
    assert factor[0] == 1.0 and factor[1] == pytest.approx(2**0.05)
