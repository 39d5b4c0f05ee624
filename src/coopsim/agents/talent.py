"""Talent: cohorts of skilled workers who migrate by a discrete choice over real wage, amenity and moving cost.

State lives in an :class:`~coopsim.agents.population.ArrayPopulation` with columns
``city, home_city, size`` (people in the cohort); migration is vectorised over cohorts.
:class:`Talent` is the Mesa handle of one cohort.
"""

from __future__ import annotations

import mesa
import numpy as np

from coopsim.agents.choice import pairwise_revision
from coopsim.agents.population import ArrayPopulation

TALENT_COLUMNS = {
    "city": np.int64,
    "home_city": np.int64,
    "size": np.float64,
    "exchange_until": np.int64,  # last quarter of a secondment under way, -1 if none
    "exchange_origin": np.int64,  # city a secondee came from, -1 if none
}


class Talent(mesa.Agent):
    """Handle on one talent cohort (by its unique id): where it lives, where it comes from, how many people."""

    def __init__(self, model: mesa.Model, uid: int) -> None:
        super().__init__(model)
        self.uid = uid

    def _get(self, column: str):
        return self.model.talent.column(column)[self.model.talent.row_of(self.uid)]

    @property
    def city(self) -> str:
        """Name of the city where the cohort lives and works."""
        return self.model.region.city_names[self._get("city")]

    @property
    def home_city(self) -> str:
        """Name of the cohort's home city."""
        return self.model.region.city_names[self._get("home_city")]

    @property
    def size(self) -> float:
        """People in the cohort."""
        return float(self._get("size"))


def new_talent_population() -> ArrayPopulation:
    """An empty talent population (columns of :data:`TALENT_COLUMNS`)."""
    return ArrayPopulation(TALENT_COLUMNS)


def talent_by_city(pop: ArrayPopulation, n_cities: int) -> np.ndarray:
    """People per city (K,)."""
    rows = pop.rows
    return np.bincount(pop.city[rows], weights=pop.size[rows], minlength=n_cities)


def location_utility(log_real_wage: np.ndarray, amenity: np.ndarray) -> np.ndarray:
    """Indirect utility of living in each city: log real wage plus amenity (Roback 1982; Moretti 2011)."""
    return log_real_wage + amenity


def migration_choices(
    pop: ArrayPopulation,
    eligible: np.ndarray,
    utility: np.ndarray,
    moving_cost: np.ndarray,
    rate: float,
    logit_scale: float,
    gain_for_certain_move: float,
    uniforms: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Cohorts that migrate and their destination.

    A share ``rate`` of the ``eligible`` cohorts (a mask over rows) reconsiders each quarter
    (``uniforms`` (rows, 3): each living cohort's own draws, in row order): it draws a candidate city by a
    logit over ``u_j - m_ij`` weighted by the talent living there, and moves if that beats staying, with probability
    ``min(1, gain / gain_for_certain_move)`` (:func:`coopsim.agents.choice.pairwise_revision`).
    Returns (rows, destinations) of cohorts that leave their city.
    """
    rows = pop.rows
    reconsidering = eligible[rows] & (uniforms[:, 0] < rate)
    reconsider = rows[reconsidering]
    if len(reconsider) == 0 or len(utility) < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    origin = pop.city[reconsider]
    weight = talent_by_city(pop, len(utility))
    destination = pairwise_revision(
        utility[None, :] - moving_cost[origin], origin, weight, logit_scale, gain_for_certain_move, uniforms[reconsidering][:, 1:3]
    )
    moving = destination != origin
    return reconsider[moving], destination[moving]
