"""Pairwise location revisions: how an agent meets a candidate city and decides whether to move there.

Two protocols, both with candidates met through those already there (agents hear of a place
through those who live or produce there: pairwise proportional imitation, Schlag 1998, JET;
destination size in gravity models of migration, Beine, Bertoli & Fernandez-Huertas Moraga
2016, The World Economy), and both revision protocols whose rest points are exactly the
equilibria where no agent gains by moving (Smith 1984, Transportation Science; Sandholm 2010,
*Population Games and Evolutionary Dynamics*, ch. 5), so the textbook limits (Krugman 1991;
Martin & Rogers 1995) hold:

* :func:`pairwise_logit_revision` (enterprises): a binary logit between staying and the
  candidate (McFadden 1974), graded and noisy, with flows that balance exactly when values are
  equal (detailed balance);
* :func:`pairwise_revision` (talent in the textbook limit): a move with probability
  ``min(1, gain / gain_for_certain_move)``, whose flows near rest are those of the replicator
  dynamics of Fujita, Krugman & Venables (1999, eq. 5.5).

Labour's random-utility choice among all cities is in :mod:`coopsim.agents.migration`.
"""

from __future__ import annotations

import numba
import numpy as np

TIE_TOLERANCE = 1e-12  # values this close to the best count as ties in the best-response limit


def logit_draw(utility: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Draw one alternative per row with multinomial-logit probabilities, by inverse CDF of ``uniform`` (N,).

    ``-inf`` marks an alternative that cannot be chosen; each row needs a finite one.
    """
    utility = utility - utility.max(axis=1, keepdims=True)
    weight = np.exp(utility)
    cumulative = np.cumsum(weight, axis=1)
    draw = uniform * cumulative[:, -1]
    return np.minimum((cumulative < draw[:, None]).sum(axis=1), utility.shape[1] - 1)


def best_response_draw(value: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """The best alternative per row, ties (within :data:`TIE_TOLERANCE`) broken uniformly by ``uniform`` (N,)."""
    best = value.max(axis=1, keepdims=True)
    tied = value >= best - TIE_TOLERANCE * np.maximum(1.0, np.abs(best))
    cumulative = np.cumsum(tied, axis=1)
    pick = np.floor(uniform * cumulative[:, -1]).astype(np.int64) + 1
    return np.argmax(cumulative >= pick[:, None], axis=1)


def candidate_destinations(value: np.ndarray, current: np.ndarray, weight: np.ndarray, scale: float, uniform: np.ndarray) -> np.ndarray:
    """A candidate city other than the current one per row: probability ``w_j exp(scale * value_j)``.

    ``scale = 0`` draws in proportion to ``weight`` (K,) among the other cities; ``scale = inf``
    takes the best one among those with positive weight. Rows with no other city of
    positive weight keep their current city. ``uniform`` (N,) drives the draw.
    """
    rows = np.arange(len(current))
    allowed = np.broadcast_to(weight > 0, value.shape).copy()
    allowed[rows, current] = False
    stuck = ~allowed.any(axis=1)
    allowed[stuck, current[stuck]] = True
    if np.isinf(scale):
        return best_response_draw(np.where(allowed, value, -np.inf), uniform)
    with np.errstate(divide="ignore"):
        log_weight = np.log(np.where(weight > 0, weight, 1.0))
    utility = np.where(allowed, scale * np.where(allowed, value, 0.0) + log_weight[None, :], -np.inf)
    return logit_draw(utility, uniform)


def pairwise_revision(
    value: np.ndarray,
    current: np.ndarray,
    weight: np.ndarray,
    scale: float,
    gain_for_certain_move: float,
    uniforms: np.ndarray,
) -> np.ndarray:
    """Destination per row after one revision (the current city when the agent stays).

    ``value`` (N, K) is each agent's value of each city net of the cost of moving there
    (zero cost at home), ``weight`` (K,) how many agents each city has. The agent draws a
    candidate (:func:`candidate_destinations`) with ``uniforms[:, 0]`` and moves, if
    ``uniforms[:, 1] < min(1, gain / gain_for_certain_move)`` where ``gain`` is the
    candidate's value minus the current city's, if positive.
    """
    if value.shape[1] < 2 or len(current) == 0:
        return current.copy()
    candidate = candidate_destinations(value, current, weight, scale, uniforms[:, 0])
    rows = np.arange(len(current))
    gain = value[rows, candidate] - value[rows, current]
    probability = np.clip(gain / gain_for_certain_move, 0.0, 1.0)
    return np.where(uniforms[:, 1] < probability, candidate, current)


def candidate_in_proportion(weight: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """A city per row drawn in proportion to ``weight`` (K,), the agent's own city included, by ``uniform`` (N,).

    Meeting someone from one's own city proposes no move; including it makes the chance of
    meeting ``j`` the same ``w_j / W`` for agents everywhere, which detailed balance needs.
    The inverse CDF ``min(searchsorted(cumsum(w), u * W, side="right"), K - 1)``, in one compiled pass.
    """
    weight = np.ascontiguousarray(weight, dtype=np.float64)
    uniform = np.ascontiguousarray(uniform, dtype=np.float64)
    if len(weight) == 0:
        raise IndexError("no city to meet")
    return _inverse_cdf_draws(weight, uniform)


@numba.njit(cache=True, nogil=True)
def _inverse_cdf_draws(weight, uniform):
    """``min(np.searchsorted(np.cumsum(weight), uniform * total, side="right"), K - 1)``: the running sum in numpy's
    order (``add.accumulate`` adds left to right) and numpy's binary search, NaN ordered last as numpy sorts it."""
    K = weight.shape[0]
    cumulative = np.empty(K)
    total = 0.0
    for k in range(K):
        total = total + weight[k] if k else weight[0]
        cumulative[k] = total
    out = np.empty(uniform.shape[0], dtype=np.int64)
    for i in range(uniform.shape[0]):
        x = uniform[i] * total
        lo, hi = 0, K
        while lo < hi:  # first index whose cumulative weight is above x (numpy's npy_binsearch, side="right")
            mid = (lo + hi) >> 1
            if x < cumulative[mid] or (cumulative[mid] != cumulative[mid] and x == x):
                hi = mid
            else:
                lo = mid + 1
        out[i] = min(lo, K - 1)
    return out


def logit_switch_probability(value: np.ndarray, scale: float) -> np.ndarray:
    """Binary-logit probability of taking a candidate worth ``value`` more than staying: ``1 / (1 + exp(-scale * value))``.

    The choice between staying and the candidate with Gumbel preference shocks on both
    (McFadden 1974); ``scale = inf`` is the best response (move iff ``value > 0``).
    """
    if np.isinf(scale):
        return (value > 0).astype(float)
    return 0.5 * (1.0 + np.tanh(0.5 * scale * value))  # the logistic function, without overflow


def pairwise_logit_revision(value_of_candidate, current: np.ndarray, weight: np.ndarray, scale: float, uniforms: np.ndarray) -> np.ndarray:
    """Destination per row after one pairwise-logit revision (the current city when the agent stays).

    The agent meets a candidate city in proportion to ``weight`` (the agents already there:
    business contacts; its own city included, which proposes no move) with ``uniforms[:, 0]``,
    values it at ``value_of_candidate(candidate)``
    (N,) net of moving to it relative to staying, and moves if ``uniforms[:, 1]`` is below
    :func:`logit_switch_probability`. With symmetric moving costs, flows between two places
    balance exactly when their values are equal (detailed balance), so the rest points are the
    equilibria where no agent gains by moving, whatever the logit scale (the pairwise logit
    protocol; Sandholm 2010, ch. 5; Blume 1993), while noise keeps gross flows positive.
    """
    if len(weight) < 2 or len(current) == 0:
        return current.copy()
    candidate = candidate_in_proportion(weight, uniforms[:, 0])
    probability = logit_switch_probability(value_of_candidate(candidate), scale)
    # meeting one's own city proposes no move: the candidate is the current city, whatever the draw
    return np.where(uniforms[:, 1] < probability, candidate, current)
