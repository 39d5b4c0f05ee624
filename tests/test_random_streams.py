"""Named random streams (coopsim.random_streams): common random numbers across scenarios, counter-based agent draws."""

import numpy as np
import pytest
from scipy import stats

from coopsim.random_streams import RandomStreams

IDS = np.array([3, 17, 0, 123_456_789, 42, 2**40 + 5])


def test_an_agents_draws_do_not_depend_on_which_other_agents_are_asked_or_in_what_order():
    """Counter-based: the same (seed, process, quarter, id, column) gives the same uniform, whoever else is drawn."""
    streams = RandomStreams(11)
    alone = {int(i): streams.agent_uniforms("relocation", 5, np.array([i]), 3)[0] for i in IDS}
    rng = np.random.default_rng(0)
    for _ in range(5):
        crowd = np.unique(np.r_[IDS, rng.integers(0, 10**9, size=rng.integers(1, 5000))])
        crowd = crowd[rng.permutation(len(crowd))]
        draws = streams.agent_uniforms("relocation", 5, crowd, 3)
        for i in IDS:
            assert np.array_equal(draws[np.flatnonzero(crowd == i)[0]], alone[int(i)])


def test_agent_draws_are_the_same_in_a_fresh_instance_and_after_larger_calls():
    """Reused work arrays never leak from one call into another: a small call after a big one equals a fresh one."""
    first = RandomStreams(5).agent_uniforms("exit", 2, IDS, 2)
    streams = RandomStreams(5)
    streams.agent_uniforms("exit", 2, np.arange(100_000), 4)
    assert np.array_equal(streams.agent_uniforms("exit", 2, IDS, 2), first)
    assert np.array_equal(streams.agent_uniforms("exit", 2, IDS[:2], 2), first[:2])
    assert streams.agent_uniforms("exit", 2, np.array([], dtype=np.int64), 2).shape == (0, 2)


@pytest.mark.parametrize("split", [1, 2, 4])
def test_columns_asked_in_parts_are_the_columns_asked_at_once(split):
    """A decision asks for its first draw for everyone and the later ones only for some: the same numbers."""
    streams = RandomStreams(2)
    whole = streams.agent_uniforms("migration", 9, IDS, 5)
    parts = np.hstack([streams.agent_uniforms("migration", 9, IDS, min(split, 5 - c), c) for c in range(0, 5, split)])
    assert np.array_equal(parts, whole)


def test_agent_draws_differ_by_seed_process_quarter_and_column():
    streams = RandomStreams(1)
    base = streams.agent_uniforms("migration", 3, IDS, 2)
    others = [
        RandomStreams(2).agent_uniforms("migration", 3, IDS, 2),
        streams.agent_uniforms("worker migration", 3, IDS, 2),
        streams.agent_uniforms("migration", 4, IDS, 2),
    ]
    for other in others:
        assert not np.any(other == base)  # every single draw changes (collisions of 53-bit doubles: ~1e-15)
    assert not np.any(base[:, 0] == base[:, 1])


def test_agent_draws_are_uniform_and_independent_across_columns_ids_and_quarters():
    """Kolmogorov-Smirnov against U(0, 1) for consecutive ids (a counter is the worst case for a weak mixer), and no
    correlation between columns, neighbouring ids or consecutive quarters (|r| < 4 / sqrt(n))."""
    n = 200_000
    streams = RandomStreams(3)
    u = streams.agent_uniforms("exit", 1, np.arange(n), 2)
    later = streams.agent_uniforms("exit", 2, np.arange(n), 1)[:, 0]
    assert u.min() >= 0.0 and u.max() < 1.0
    for sample in (u[:, 0], u[:, 1], later):
        assert stats.kstest(sample, "uniform").pvalue > 1e-4
    bound = 4.0 / np.sqrt(n)
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < bound
    assert abs(np.corrcoef(u[:-1, 0], u[1:, 0])[0, 1]) < bound
    assert abs(np.corrcoef(u[:, 0], later)[0, 1]) < bound
    # a binary decision made with them has the binomial spread: the share below 0.3 within 4 standard errors
    assert np.mean(u[:, 0] < 0.3) == pytest.approx(0.3, abs=4 * np.sqrt(0.3 * 0.7 / n))


def test_quarter_generators_are_reproducible_and_keyed_by_process_and_quarter():
    streams = RandomStreams(4)
    a = streams.quarter_generator("entry", 7).random(5)
    assert np.array_equal(a, RandomStreams(4).quarter_generator("entry", 7).random(5))
    assert np.array_equal(a, streams.quarter_generator("entry", 7).random(5))  # a fresh generator each time
    assert not np.array_equal(a, streams.quarter_generator("entry", 8).random(5))
    assert not np.array_equal(a, streams.quarter_generator("exit", 7).random(5))
    assert not np.array_equal(a, RandomStreams(5).quarter_generator("entry", 7).random(5))


def test_a_named_stream_is_unaffected_by_draws_from_other_streams():
    """Adding a rule (a new stream) or drawing more from one process leaves every other process's draws unchanged."""
    quiet = RandomStreams(9)
    busy = RandomStreams(9)
    busy["new rule"].random(10_000)
    busy["exit"].random(3)
    assert np.array_equal(busy["initial"].random(4), quiet["initial"].random(4))
    assert busy["initial"] is busy["initial"]  # one generator per name, continuing its sequence
    assert not np.array_equal(busy["initial"].random(4), RandomStreams(9)["initial"].random(4))


def test_derived_keys_are_reproducible_distinct_and_above_every_id():
    """Keys for created agents: the same (name, quarter, id) gives the same key in any run with the seed, different ids,
    quarters or names give different keys, all in [2**62, 2**63) so that none is an agent's id."""
    a, b = RandomStreams(4), RandomStreams(4)
    ids = np.arange(100_000)
    keys = a.derived_keys("entrant", 7, ids)
    assert np.array_equal(keys, b.derived_keys("entrant", 7, ids))
    assert len(np.unique(keys)) == len(ids) and keys.min() >= 2**62 and keys.dtype == np.int64
    assert not set(keys[:1000].tolist()) & set(a.derived_keys("entrant", 8, ids[:1000]).tolist())
    assert not set(keys[:1000].tolist()) & set(a.derived_keys("branch", 7, ids[:1000]).tolist())
