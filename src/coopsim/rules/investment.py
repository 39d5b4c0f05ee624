"""InvestmentFlows: the core's enterprises and public funds invest in the partner city."""

from __future__ import annotations

import numpy as np

from coopsim.config import InvestmentParams
from coopsim.region import QUARTERS_PER_YEAR
from coopsim.rules.base import AgreementRule


class InvestmentFlows(AgreementRule):
    """Move money from a source city to a target city each quarter and turn it into enterprises there.

    Parameters (:class:`coopsim.config.InvestmentParams`; units):
        source, target: city names (the core and the partner).
        annual_budget: money invested per year, in 100 million yuan (亿元) for data regions
            (converted with the model's numeraire per 亿元 at step 0), numeraire units otherwise.
        transaction_cost_share: share of spending lost to stated costs (fees, frictions).
        capital_per_enterprise: capital that sets up one enterprise agent, same unit as the budget.
        park_capacity: enterprise agents the co-built parks can host in all.
        target_sectors: sectors the investment goes to (industrial-chain targeting).
        relocation_share: share of placements made by moving an existing source enterprise of
            the sector (a relocation); the rest are new branch plants owned in the source city.
        start_quarter, end_quarter: the quarters the budget is spent (``end_quarter`` null: to the horizon).
        max_share_of_source_gdp: the largest yearly budget accepted, as a share of the source's GDP (a plausibility bound).

    Money is conserved and spent once: each quarter ``investment_out`` (source) equals
    ``investment_in`` (target) plus ``investment_cost``. The outlay leaves the source's spending
    and is spent in the target as construction demand while the capital is built (market
    ``transfers``; residents' ``income`` excludes it). What arrives builds the target's
    ``capital_stock``, which depreciates (``economy.capital_depreciation_rate``) and enters
    production (:mod:`coopsim.economy.capital`: every enterprise there gains
    ``(1 + K / K0) ** theta``). Each ``capital_per_enterprise`` of capital built also carries one
    of the source's enterprises of a target sector into the parks (a relocation or a branch
    plant, or a new plant if the source has none), until the parks are full: the plant uses the
    capital built, so no money is counted again; its owners live in the source, so its profits
    flow back there.
    """

    params_type = InvestmentParams
    params: InvestmentParams

    def __init__(self, params: InvestmentParams) -> None:
        super().__init__(params)
        self.placed = 0
        self.placed_uids: list[int] = []  # enterprises the rule placed (relocated, branched or new)
        self.unplaced_money = 0.0

    def check(self, model) -> None:
        """Two different cities and sectors of the model, a budget within its bound, a period within the horizon.

        The values that need no model are checked before (:meth:`InvestmentParams.validate`).
        """
        p = self.params
        self.source_index, self.target_index = self.city_pair(model, "source", p.source, "target", p.target)
        source_gdp = QUARTERS_PER_YEAR * model.quarterly_gdp()[self.source_index] / model.numeraire_per_budget_unit
        bound = p.max_share_of_source_gdp * source_gdp
        if p.annual_budget > bound:
            self.fail("annual_budget", f"at most {bound:.4g} a year ({p.max_share_of_source_gdp:g} of {p.source}'s GDP)", p.annual_budget)
        self.sector_indices = [self.sector_index(model, f"target_sectors[{k}]", s) for k, s in enumerate(p.target_sectors)]
        self.check_period(model, p.start_quarter, p.end_quarter)

    def apply(self, model) -> None:
        """Spend a quarter of the budget: money out of the source, capital built in the target, enterprises placed."""
        p = self.params
        if not self.active(model, p.start_quarter, p.end_quarter) or p.annual_budget == 0:
            return
        to_numeraire = model.numeraire_per_budget_unit
        spend = p.annual_budget / QUARTERS_PER_YEAR
        cost = spend * p.transaction_cost_share
        arriving = spend - cost
        model.record_flow("investment_out", [self.source_index], [spend])
        model.record_flow("investment_in", [self.target_index], [arriving])
        model.record_flow("investment_cost", [self.source_index], [cost])
        model.add_transfer(self.source_index, -spend * to_numeraire)
        model.add_transfer(self.target_index, arriving * to_numeraire)
        model.capital_stock[self.target_index] += arriving
        self.unplaced_money += arriving
        self._place_enterprises(model)

    def _place_enterprises(self, model) -> None:
        p = self.params
        rng = self.rng(model)
        while self.unplaced_money >= p.capital_per_enterprise and self.placed < p.park_capacity:
            self.unplaced_money -= p.capital_per_enterprise
            self.placed += 1
            sector = self.sector_indices[rng.integers(len(self.sector_indices))]
            pop = model.enterprises
            rows = pop.rows
            candidates = rows[(pop.sector[rows] == sector) & (pop.city[rows] == self.source_index)]
            key = model.streams.derived_keys("placement", model.steps, np.array([self.placed]))  # the n-th plant's own draws
            if len(candidates) == 0:
                row = model.place_enterprise(self.target_index, sector, self.source_index, rng, int(key[0]))
            else:
                parent = candidates[rng.integers(len(candidates))]
                if rng.random() < p.relocation_share:
                    model.relocate_enterprises(np.array([parent]), np.array([self.target_index]))
                    row = int(parent)
                else:
                    row = int(model.branch_enterprises(np.array([parent]), np.array([self.target_index]), key)[0])
            self.placed_uids.append(int(pop.uid[row]))
