"""Industry associations: a sector scope, a home city, members and partner cities."""

from __future__ import annotations

import mesa
import numpy as np


class IndustryAssociation(mesa.Agent):
    """An association of enterprises of one sector in its home city.

    Its members see the moving and information cost of investing in the association's
    partner cities cut by ``brokering_discount`` (search and information frictions fall
    with business networks: Rauch 1999, JIE; Rauch & Trindade 2002, REStat).
    """

    def __init__(
        self, model: mesa.Model, index: int, name: str, sector: int, home_city: int, partner_cities: list[int], brokering_discount: float
    ) -> None:
        super().__init__(model)
        self.index = index
        self.name = name
        self.sector = sector
        self.home_city = home_city
        self.partner_cities = list(partner_cities)
        self.brokering_discount = brokering_discount

    @property
    def member_rows(self) -> np.ndarray:
        """Rows of living member enterprises."""
        pop = self.model.enterprises
        rows = pop.rows
        return rows[pop.association[rows] == self.index]

    def cost_multiplier(self, n_cities: int) -> np.ndarray:
        """Multiplier (K,) on members' relocation cost: ``1 - discount`` toward partner cities, else 1."""
        multiplier = np.ones(n_cities)
        multiplier[self.partner_cities] = 1.0 - self.brokering_discount
        return multiplier

    def recruit(self, rng: np.random.Generator, membership_rate: float) -> int:
        """Enrol non-member enterprises of its sector and home city with probability ``membership_rate``."""
        pop = self.model.enterprises
        rows = pop.rows
        eligible = rows[(pop.sector[rows] == self.sector) & (pop.city[rows] == self.home_city) & (pop.association[rows] < 0)]
        joining = eligible[rng.random(len(eligible)) < membership_rate]
        pop.column("association")[joining] = self.index
        return len(joining)
