"""Cities: amenities and land, placed on the transport network; views of who lives and produces there."""

from __future__ import annotations

from mesa.discrete_space import FixedAgent


class City(FixedAgent):
    """A city on the region's network: its index into every per-city array, and handy views of them."""

    def __init__(self, model, index: int, cell) -> None:
        super().__init__(model)
        self.index = index
        self.cell = cell

    @property
    def name(self) -> str:
        """The city's name as in the region config."""
        return self.model.region.city_names[self.index]

    @property
    def workers(self) -> float:
        """Workers (residents without tertiary education) living here now."""
        return float(self.model.workers_per_city()[self.index])

    @property
    def amenity(self) -> float:
        """Talent's amenity in log-utility units (Roback 1982; inverted at calibration)."""
        return float(self.model.amenity["talent"][self.index])

    @property
    def worker_amenity(self) -> float:
        """Workers' amenity in log-utility units."""
        return float(self.model.amenity["workers"][self.index])

    @property
    def talent(self) -> float:
        """Talent (skilled workers) living here now."""
        return float(self.model.talent_per_city()[self.index])

    @property
    def enterprises(self) -> int:
        """Enterprises producing here now."""
        pop = self.model.enterprises
        return int((pop.city[pop.rows] == self.index).sum())

    def __repr__(self) -> str:
        return f"City({self.name!r})"
