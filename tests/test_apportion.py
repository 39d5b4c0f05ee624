"""Splitting whole agents by weights (coopsim.apportion.largest_remainder, Hamilton's method)."""

import numpy as np
import pytest

from coopsim.apportion import largest_remainder


@pytest.mark.parametrize("total", [0, 1, 7, 100, 40_000])
def test_parts_sum_to_the_total_and_each_is_the_floor_or_ceiling_of_its_share(total):
    weights = np.random.default_rng(total).random((4, 21))
    parts = largest_remainder(total, weights)
    assert parts.shape == weights.shape and parts.sum() == total
    exact = total * weights / weights.sum()
    assert np.all((parts == np.floor(exact)) | (parts == np.ceil(exact)))


def test_the_largest_remainders_get_the_spare_units_and_ties_go_to_the_earlier():
    assert largest_remainder(10, np.array([0.34, 0.33, 0.33])).tolist() == [4, 3, 3]
    assert largest_remainder(2, np.array([1.0, 1.0, 1.0])).tolist() == [1, 1, 0]
    assert largest_remainder(5, np.array([0.0, 1.0])).tolist() == [0, 5]
