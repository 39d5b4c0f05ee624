"""Structure-of-arrays populations: rows, ids, removal and compaction."""

import numpy as np

from coopsim.agents.population import RECYCLE_MIN_ENTRIES, ArrayPopulation, recycled_empty


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


def test_a_recycled_array_is_never_handed_out_while_someone_holds_it():
    """recycled_empty reuses memory only when no array or view refers to it: results a caller keeps stay intact."""
    n = RECYCLE_MIN_ENTRIES + 5
    kept = recycled_empty(n)
    kept[:] = 1.0
    view = recycled_empty(n)[:10]  # a view keeps its memory in use too
    view[:] = 2.0
    others = [recycled_empty(n) for _ in range(3)]
    for other in others:
        other[:] = 3.0
    assert np.all(kept == 1.0) and np.all(view == 2.0)  # untouched by the arrays handed out since
    address = kept.__array_interface__["data"][0]
    del kept
    again = recycled_empty(n)
    assert again.__array_interface__["data"][0] == address  # released: its memory is used again
    assert recycled_empty(10).base is None  # small arrays are plain new arrays


def test_rows_are_read_only_and_follow_additions_and_removals():
    pop = make(100)
    before = pop.rows
    assert not before.flags.writeable and not pop.alive.flags.writeable
    pop.add(city=np.array([0, 1]), size=np.array([1.0, 2.0]))
    assert np.array_equal(pop.rows, np.arange(102)) and len(before) == 100  # a handed-out view keeps its length
    pop.remove(np.array([0, 50]))
    assert np.array_equal(pop.rows, np.setdiff1d(np.arange(102), [0, 50])) and len(pop) == 100
    assert np.array_equal(before, np.arange(100))  # and its values
