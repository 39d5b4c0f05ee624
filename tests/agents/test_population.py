"""Structure-of-arrays populations: rows, ids, removal and compaction."""

import numpy as np

from coopsim.agents.population import ArrayPopulation


def make(n: int) -> ArrayPopulation:
    pop = ArrayPopulation({"city": np.int64, "size": np.float64})
    pop.add(city=np.arange(n) % 3, size=np.arange(n, dtype=float))
    return pop


def test_add_assigns_increasing_unique_ids():
    pop = make(10)
    pop.add(city=np.array([2]), size=np.array([99.0]))
    assert len(pop) == 11
    assert np.all(np.diff(pop.uid) > 0)


def test_remove_and_compaction_keep_survivors_state_and_ids():
    pop = make(3000)
    survivors_uid = pop.uid[pop.size % 2 == 0].copy()
    survivors_size = pop.size[pop.size % 2 == 0].copy()
    pop.remove(np.flatnonzero(pop.size % 2 == 1))
    pop.remove(np.flatnonzero(pop.size[: len(pop.alive)] == -1))  # no-op removal
    assert len(pop) == 1500
    # compaction happened (dead rows > half) and kept order
    assert np.array_equal(pop.uid[pop.rows], survivors_uid)
    assert np.array_equal(pop.size[pop.rows], survivors_size)
    for uid, size in zip(survivors_uid[:50], survivors_size[:50], strict=True):
        assert pop.size[pop.row_of(int(uid))] == size


def test_row_of_gone_agent_is_none():
    pop = make(5)
    gone = int(pop.uid[2])
    pop.remove(np.array([2]))
    assert pop.row_of(gone) is None
    assert pop.row_of(int(pop.uid[3])) == 3


def test_missing_column_rejected():
    pop = ArrayPopulation({"city": np.int64, "size": np.float64})
    try:
        pop.add(city=np.array([1]))
    except ValueError as error:
        assert "size" in str(error)
    else:
        raise AssertionError("adding rows without every column must fail")
