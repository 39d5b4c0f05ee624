"""Labour cohorts: talent (tertiary-educated) and workers (everyone else), both mobile.

Each group's state lives in an :class:`~coopsim.agents.population.ArrayPopulation` with columns
``city, home_city, size`` (people in the cohort) and the secondment columns the talent exchange
uses; migration (:mod:`coopsim.agents.migration`) is vectorised over cohorts.
:class:`Talent` and :class:`Worker` are the Mesa handles of one cohort.
"""

from __future__ import annotations

import mesa
import numpy as np

from coopsim.agents.population import ArrayPopulation

LABOUR_COLUMNS = {
    "city": np.int64,
    "home_city": np.int64,
    "size": np.float64,
    "exchange_until": np.int64,  # last quarter of a secondment under way, -1 if none
    "exchange_origin": np.int64,  # city a secondee came from, -1 if none
}


class LabourCohort(mesa.Agent):
    """Handle on one cohort of a labour group (by its unique id): where it lives, where it comes from, how many people."""

    group = "talent"  # the model's population attribute holding the cohort

    def __init__(self, model: mesa.Model, uid: int) -> None:
        super().__init__(model)
        self.uid = uid

    def _get(self, column: str):
        pop = getattr(self.model, self.group)
        return pop.column(column)[pop.row_of(self.uid)]

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


class Talent(LabourCohort):
    """Handle on one talent cohort (tertiary-educated residents)."""

    group = "talent"


class Worker(LabourCohort):
    """Handle on one worker cohort (residents without tertiary education)."""

    group = "workers"


def new_labour_population() -> ArrayPopulation:
    """An empty labour population (columns of :data:`LABOUR_COLUMNS`)."""
    return ArrayPopulation(LABOUR_COLUMNS)
