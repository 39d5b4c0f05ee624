"""The designs (SALib's Latin hypercube, Saltelli's scheme on Sobol' points, Morris trajectories), values and seeds."""

import math

import numpy as np
import pytest

from coopsim.exploration.design import chunk_ranges, design_table, factor_values, group_size
from coopsim.exploration.spec import UNIT_PREFIX, Lever, Uncertainty, parse_spec


def test_latin_design_has_one_run_per_point_each_with_its_own_seed(declaration):
    spec = parse_spec(declaration())
    table = design_table(spec, seed=0)
    assert len(table) == spec.samples and group_size(spec) == 1
    assert list(table["group"]) == list(range(spec.samples)) and table["seed"].nunique() == spec.samples
    # a Latin hypercube: each of the N equal slices of [0, 1] holds one point, in every dimension
    for name in spec.factor_names:
        slices = np.floor(table[f"{UNIT_PREFIX}{name}"] * spec.samples).astype(int)
        assert sorted(slices) == list(range(spec.samples))


def test_sobol_design_groups_saltelli_rows_and_shares_their_seed(declaration):
    spec = parse_spec(declaration(design="sobol", samples=8))
    table = design_table(spec, seed=3)
    dimensions = len(spec.factors)
    assert group_size(spec) == dimensions + 2 and len(table) == 8 * (dimensions + 2)
    units = table[[f"{UNIT_PREFIX}{n}" for n in spec.factor_names]].to_numpy()
    for _, rows in table.groupby("group"):
        assert rows["seed"].nunique() == 1
        block = units[rows.index]
        a, b = block[0], block[-1]
        for i in range(dimensions):  # A with column i from B
            expected = a.copy()
            expected[i] = b[i]
            np.testing.assert_array_equal(block[1 + i], expected)
    assert table.groupby("group")["seed"].first().nunique() == 8
    second = parse_spec(declaration(design="sobol", samples=8, second_order=True))
    assert group_size(second) == 2 * dimensions + 2 and len(design_table(second, seed=3)) == 8 * (2 * dimensions + 2)


def test_morris_design_moves_one_factor_per_step_on_the_grid(declaration):
    spec = parse_spec(declaration(design="morris", samples=6))
    table = design_table(spec, seed=1)
    dimensions = len(spec.factors)
    assert group_size(spec) == dimensions + 1 and len(table) == 6 * (dimensions + 1)
    units = table[[f"{UNIT_PREFIX}{n}" for n in spec.factor_names]].to_numpy()
    levels = np.linspace(0, 1, spec.morris_levels)
    assert np.isin(np.round(units, 12), np.round(levels, 12)).all()
    for _, rows in table.groupby("group"):
        steps = np.diff(units[rows.index], axis=0)
        assert ((np.abs(steps) > 0).sum(axis=1) == 1).all()


def test_factor_values_follow_each_distribution():
    unit = np.linspace(0, 1, 1001)
    uniform = Uncertainty("u", "p", 2.0, 4.0, "uniform", "assumption")
    assert factor_values(uniform, unit)[0] == 2.0 and factor_values(uniform, unit)[-1] == 4.0
    log = Uncertainty("l", "p", 1.0, 100.0, "loguniform", "assumption")
    values = factor_values(log, unit)
    assert values[0] == pytest.approx(1.0) and values[-1] == pytest.approx(100.0) and values[500] == pytest.approx(10.0)
    integer = Uncertainty("i", "p", 3, 6, "integer", "assumption")
    counts = np.bincount(factor_values(integer, np.random.default_rng(0).random(40000)))[3:]
    assert all(isinstance(v, int) for v in factor_values(integer, unit)) and len(counts) == 4
    assert counts / counts.sum() == pytest.approx([0.25] * 4, abs=0.01)  # each integer equally likely
    lever = Lever("a", "agreement", values=("rail", "talent", "deep_cooperation"))
    assert factor_values(lever, np.array([0.0, 0.34, 0.99, 1.0])) == ["rail", "talent", "deep_cooperation", "deep_cooperation"]


def test_designs_are_reproducible_from_the_seed_and_change_with_it(declaration):
    spec = parse_spec(declaration(design="sobol", samples=4))
    first, again, other = design_table(spec, 7), design_table(spec, 7), design_table(spec, 8)
    assert first.equals(again)
    assert not np.allclose(first[f"{UNIT_PREFIX}spillover"], other[f"{UNIT_PREFIX}spillover"])
    assert set(first["seed"]).isdisjoint(set(other["seed"]))


def test_chunks_hold_whole_design_groups():
    assert chunk_ranges(10, 1, 4) == [range(0, 4), range(4, 8), range(8, 10)]
    assert chunk_ranges(24, 6, 4) == [range(0, 6), range(6, 12), range(12, 18), range(18, 24)]  # at least one group
    assert chunk_ranges(24, 6, 7) == [range(0, 12), range(12, 24)]
    assert all(len(r) % 6 == 0 for r in chunk_ranges(60, 6, 13)) and math.fsum(len(r) for r in chunk_ranges(60, 6, 13)) == 60
