"""The location-choice protocol: no move without gain, logit candidates, proportional flows."""

import numpy as np
import pytest

from coopsim.agents.choice import best_response_draw, candidate_destinations, logit_draw, pairwise_revision


def test_logit_draw_matches_multinomial_logit_probabilities():
    rng = np.random.default_rng(0)
    utility = np.array([0.0, 1.0, -0.5])
    draws = logit_draw(np.tile(utility, (200_000, 1)), rng.random(200_000))
    expected = np.exp(utility) / np.exp(utility).sum()
    assert np.bincount(draws, minlength=3) / len(draws) == pytest.approx(expected, abs=0.005)


def test_best_response_breaks_ties_uniformly():
    rng = np.random.default_rng(1)
    draws = best_response_draw(np.tile([1.0, 1.0, 0.0], (100_000, 1)), rng.random(100_000))
    shares = np.bincount(draws, minlength=3) / len(draws)
    assert shares[2] == 0 and shares[0] == pytest.approx(0.5, abs=0.01)


def test_candidates_exclude_current_city_and_follow_weights():
    rng = np.random.default_rng(2)
    n = 120_000
    current = np.zeros(n, dtype=np.int64)
    weight = np.array([5.0, 1.0, 3.0])
    candidate = candidate_destinations(np.zeros((n, 3)), current, weight, 0.0, rng.random(n))
    shares = np.bincount(candidate, minlength=3) / n
    assert shares[0] == 0
    assert shares[1:] == pytest.approx([0.25, 0.75], abs=0.01)


def test_empty_city_never_a_candidate_and_stuck_rows_stay():
    rng = np.random.default_rng(3)
    current = np.array([0, 1])
    candidate = candidate_destinations(np.array([[0.0, 9.0], [0.0, 0.0]]), current, np.array([0.0, 4.0]), 1.0, rng.random(2))
    assert candidate.tolist() == [1, 1]  # row 1 has nowhere else with agents: it keeps its city


def test_no_move_without_gain():
    rng = np.random.default_rng(4)
    n = 50_000
    value = np.tile([0.0, -0.01, -0.3], (n, 1))  # home (city 0) is the best
    destination = pairwise_revision(value, np.zeros(n, dtype=np.int64), np.ones(3), 2.0, 0.05, rng.random((n, 2)))
    assert np.all(destination == 0)


def test_moves_proportional_to_gain_below_certainty():
    rng = np.random.default_rng(5)
    n = 200_000
    current = np.zeros(n, dtype=np.int64)
    for gain, expected in [(0.01, 0.2), (0.025, 0.5), (0.2, 1.0)]:
        value = np.tile([0.0, gain], (n, 1))
        moved = (pairwise_revision(value, current, np.ones(2), 0.0, 0.05, rng.random((n, 2))) == 1).mean()
        assert moved == pytest.approx(expected, abs=0.01)


def test_agent_uniforms_depend_only_on_seed_process_quarter_and_id():
    from coopsim.random_streams import RandomStreams

    streams = RandomStreams(7)
    a = streams.agent_uniforms("migration", 3, np.array([5, 9, 2]), 3)
    b = streams.agent_uniforms("migration", 3, np.array([2, 5, 400, 9]), 3)
    assert np.array_equal(a[0], b[1]) and np.array_equal(a[1], b[3]) and np.array_equal(a[2], b[0])
    assert not np.array_equal(a, streams.agent_uniforms("migration", 4, np.array([5, 9, 2]), 3))
    assert not np.array_equal(a, streams.agent_uniforms("exit", 3, np.array([5, 9, 2]), 3))
    assert not np.array_equal(a, RandomStreams(8).agent_uniforms("migration", 3, np.array([5, 9, 2]), 3))


def test_agent_uniforms_are_uniform_and_columns_independent():
    from coopsim.random_streams import RandomStreams

    u = RandomStreams(3).agent_uniforms("exit", 1, np.arange(200_000), 2)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert u.mean(axis=0) == pytest.approx([0.5, 0.5], abs=0.005)
    assert np.histogram(u[:, 0], bins=10, range=(0, 1))[0] == pytest.approx(np.full(10, 20_000), rel=0.05)
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.01
    later = RandomStreams(3).agent_uniforms("exit", 1, np.arange(10), 1, first_column=1)
    assert np.array_equal(later[:, 0], u[:10, 1])
