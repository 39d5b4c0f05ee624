"""IndustryAssociationRole: an industry association brokers members' investment in partner cities and serves "design+"."""

from __future__ import annotations

import numpy as np

from coopsim.agents.association import IndustryAssociation
from coopsim.config import AssociationsParams
from coopsim.rules.base import AgreementRule


class IndustryAssociationRole(AgreementRule):
    """Create an industry association and give it its agreement role.

    Parameters (:class:`coopsim.config.AssociationsParams`; units):
        name: the association's name.
        sector: the sector it organises (members are enterprises of this sector in ``home_city``).
        home_city: where it is based (the core).
        partner_cities: where it brokers investment.
        membership_rate: chance that an eligible enterprise joins, at the start and each quarter for newcomers.
        brokering_discount: cut in members' moving/information cost of investing in a partner
            city (search costs fall with business networks: Rauch 1999, JIE; Rauch & Trindade 2002, REStat; level: no source).
        chain_targeting: if true, brokering applies only toward partners where the sector is a weak
            link of the chain (its share of the partner's enterprises below its share in the region).
        design_sector: the traditional sector that "design+" serves in the partner cities.
        design_capacity: enterprises served per quarter.
        design_uplift: productivity gain of each served enterprise (no source; sensitivity).
        start_quarter: when the association starts acting.

    Records ``association_members`` (members per city) and ``design_served`` (enterprises
    served per city) each quarter it acts.
    """

    params_type = AssociationsParams
    params: AssociationsParams

    def __init__(self, params: AssociationsParams) -> None:
        super().__init__(params)
        self.association: IndustryAssociation | None = None

    def check(self, model) -> None:
        """Sectors and cities of the model, a start within the horizon (the rest: :meth:`AssociationsParams.validate`)."""
        p = self.params
        self.sector_id = self.sector_index(model, "sector", p.sector)
        self.home_id = self.city_index(model, "home_city", p.home_city)
        self.partner_ids = [self.city_index(model, f"partner_cities[{k}]", c) for k, c in enumerate(p.partner_cities)]
        self.design_sector_id = self.sector_index(model, "design_sector", p.design_sector)
        self.check_quarter(model, "start_quarter", p.start_quarter)

    def apply(self, model) -> None:
        """From the start quarter: create the association once, recruit, set whom it brokers for, serve "design+"."""
        p = self.params
        if model.steps < p.start_quarter:
            return
        if self.association is None:
            self.association = model.add_association(p.name, self.sector_id, self.home_id, self.partner_ids, 0.0)
        association = self.association
        association.recruit(self.rng(model), p.membership_rate)
        association.brokering_discount = p.brokering_discount
        association.partner_cities = self._brokered_partners(model)
        members = association.member_rows
        model.record_flow("association_members", model.enterprises.city[members], np.ones(len(members)))
        self._serve_design(model)

    def _brokered_partners(self, model) -> list[int]:
        """Partners whose link in the sector's chain is weak (all partners without chain targeting)."""
        if not self.params.chain_targeting:
            return self.partner_ids
        counts = model.enterprise_counts  # (S, K)
        region_share = counts[self.sector_id].sum() / max(counts.sum(), 1e-300)
        weak = []
        for city in self.partner_ids:
            city_total = counts[:, city].sum()
            if city_total > 0 and counts[self.sector_id, city] / city_total < region_share:
                weak.append(city)
        return weak

    def _serve_design(self, model) -> None:
        p = self.params
        if p.design_capacity == 0 or p.design_uplift == 0:
            return
        pop = model.enterprises
        rows = pop.rows
        eligible = rows[(pop.sector[rows] == self.design_sector_id) & np.isin(pop.city[rows], self.partner_ids)]
        served = self.rng(model).permutation(eligible)[: p.design_capacity]
        pop.column("productivity")[served] *= 1.0 + p.design_uplift
        model.record_flow("design_served", pop.city[served], np.ones(len(served)))
