"""What an agreement rule may do to the economy: the small interface between rules and the model.

A rule (:class:`coopsim.rules.base.AgreementRule`) reads the model's state (``steps``,
``region``, ``talent``, ``enterprises``, ``talent_per_city()``, ``quarterly_gdp()``,
``numeraire_per_budget_unit``, ``enterprise_counts``, ``capital_stock``) and changes it only
through the methods below, each of which keeps the books: every move of people, enterprises or
money is added to the quarter's flow ledger (:class:`coopsim.flows.FlowLedger`), so that
conservation can be tested and every flow becomes a metric. The model (:mod:`coopsim.model`)
mixes this class in; its own decision phases use the same methods.
"""

from __future__ import annotations

import numpy as np

from coopsim.agents.association import IndustryAssociation


class AgreementActions:
    """Mutators and readings the agreement rules use; mixed into :class:`coopsim.model.RegionalEconomy`."""

    def record_flow(self, flow: str, cities, amounts) -> None:
        """Add ``amounts`` to this quarter's ``flow`` in the given cities (flows are metrics)."""
        self.flows.add(flow, cities, amounts)

    def add_transfer(self, city: int, amount: float) -> None:
        """Move income into (or, negative, out of) a city's spending this quarter, in numeraire units."""
        self.flows.transfers[city] += amount

    def quarterly_gdp(self) -> np.ndarray:
        """Each city's GDP at the latest market solution, numeraire per quarter (K,): before this quarter's market
        clears, last quarter's (computed once when the market clears, ``market_gdp``)."""
        return self.market_gdp.copy()

    def move_talent(self, rows: np.ndarray, destination: int, cause: str) -> None:
        """Move talent cohorts to a city, recording ``<cause>_out`` and ``<cause>_in`` flows in people."""
        size = self.talent.size[rows]
        self.flows.add(f"{cause}_out", self.talent.city[rows], size)
        self.flows.add(f"{cause}_in", np.full(len(rows), destination), size)
        self.talent.column("city")[rows] = destination
        self._people_cache.clear()

    def split_talent(self, row: int, people: float) -> int:
        """Split ``people`` off a cohort into a new cohort in the same city; returns its row (people conserved)."""
        size = self.talent.column("size")
        if not 0 < people < size[row]:
            raise ValueError(f"cannot split {people} people off a cohort of {size[row]}")
        size[row] -= people
        new = self.talent.add(
            city=np.array([self.talent.city[row]]),
            home_city=np.array([self.talent.home_city[row]]),
            size=np.array([people]),
            exchange_until=np.array([-1]),
            exchange_origin=np.array([-1]),
        )
        self._people_cache.clear()
        return int(new[0])

    def boost_productivity(self, city: int, growth: float) -> None:
        """Raise the efficiency of every enterprise in a city by the factor ``1 + growth``."""
        rows = self.enterprises.rows
        in_city = rows[self.enterprises.city[rows] == city]
        self.enterprises.column("productivity")[in_city] *= 1.0 + growth

    def place_enterprise(self, city: int, sector: int, owner_city: int, rng: np.random.Generator, key: int | None = None) -> int:
        """Set up one new enterprise (a fresh draw) owned in ``owner_city``; counted as a branch entry. ``key`` keys its
        own draws (its id if None)."""
        keys = None if key is None else np.array([key], dtype=np.int64)
        new = self.add_enterprises(np.array([city]), np.array([sector]), np.array([owner_city]), rng, key=keys)
        self.flows.add("entries_branch", np.array([city]))
        return int(new[0])

    def relocate_enterprises(self, rows: np.ndarray, destination: np.ndarray) -> None:
        """Move enterprises to other cities (they keep owners, efficiency and membership)."""
        self.flows.add("relocations_out", self.enterprises.city[rows])
        self.flows.add("relocations_in", destination)
        self.enterprises.column("city")[rows] = destination

    def branch_enterprises(self, rows: np.ndarray, destination: np.ndarray, keys: np.ndarray | None = None) -> np.ndarray:
        """Open branch plants of enterprises in other cities: same owners, efficiency, size and membership; returns their rows.

        Each branch's own draws are keyed by ``keys``, or by (quarter, its parent's key) (an enterprise branches at most
        once a quarter in the relocation phase), the same in every scenario that opens it.
        """
        pop = self.enterprises
        if keys is None:
            keys = self.streams.derived_keys("branch", self.steps, pop.key[rows])
        new = self.add_enterprises(
            destination,
            pop.sector[rows],
            pop.owner_city[rows],
            None,
            productivity=pop.productivity[rows],
            overhead=pop.overhead[rows],
            key=keys,
        )
        pop.column("association")[new] = pop.association[rows]
        self.flows.add("entries_branch", destination)
        return new

    def add_association(self, name: str, sector: int, home_city: int, partner_cities: list[int], discount: float) -> IndustryAssociation:
        """Create an industry association agent (rules give it members and a role)."""
        association = IndustryAssociation(self, len(self.associations), name, sector, home_city, partner_cities, discount)
        self.associations.append(association)
        return association
