"""TalentExchange: secondments and training exchanges of talent between partner cities."""

from __future__ import annotations

import numpy as np

from coopsim.config import TalentParams
from coopsim.region import QUARTERS_PER_YEAR
from coopsim.rules.base import AgreementRule


class TalentExchange(AgreementRule):
    """Second talent from one city to another for a while, and bring them back.

    Parameters (:class:`coopsim.config.TalentParams`; units):
        origin, host: city names; with ``two_way`` the same quota also goes from host to origin.
        annual_quota: people sent per year (each way).
        duration_quarters: quarters a secondment lasts.
        return_share: share of secondees who go home at the end (the rest settle in the host;
            their home becomes the host).
        host_productivity_effect: quarterly productivity growth of the host's enterprises per
            unit of secondees' share of the host's talent (knowledge brought in; no source).
        return_productivity_effect: one-off productivity gain of the home city's enterprises per
            unit of returnees' share of its talent (knowledge brought back; no source).
        start_quarter, end_quarter: quarters in which new secondments start (``end_quarter``
            null: to the horizon); secondments under way always finish.
        max_share_of_source_talent: the largest yearly quota accepted, as a share of each sending city's talent.

    People are conserved: secondees are whole people split off their cohorts (a cohort row
    is divided when the quota needs part of it), moved with ``exchange_in``/``exchange_out``
    flows, kept out of migration while seconded, and moved back at the end.
    """

    params_type = TalentParams
    params: TalentParams

    def check(self, model) -> None:
        """Two different cities of the model, a quota within each sending city's bound, a period within the horizon.

        The values that need no model are checked before (:meth:`TalentParams.validate`).
        """
        p = self.params
        self.origin_index, self.host_index = self.city_pair(model, "origin", p.origin, "host", p.host)
        talent = model.talent_per_city()
        for source, _ in self.directions():
            bound = p.max_share_of_source_talent * talent[source]
            if p.annual_quota > bound:
                name = model.region.city_names[source]
                self.fail(
                    "annual_quota",
                    f"at most {bound:.0f} people a year ({p.max_share_of_source_talent:g} of {name}'s talent)",
                    p.annual_quota,
                )
        self.check_period(model, p.start_quarter, p.end_quarter)

    def directions(self) -> list[tuple[int, int]]:
        """(from, to) city pairs the quota flows along."""
        pairs = [(self.origin_index, self.host_index)]
        return pairs + [(self.host_index, self.origin_index)] if self.params.two_way else pairs

    def apply(self, model) -> None:
        """End the secondments due, start this quarter's (in the period), and let hosts learn from the secondees."""
        p = self.params
        if p.annual_quota == 0:
            return
        self._finish_secondments(model)
        if self.active(model, p.start_quarter, p.end_quarter):
            for source, destination in self.directions():
                self._second(model, source, destination)
        self._host_learning(model)

    def _second(self, model, source: int, destination: int) -> None:
        pop = model.talent
        rows = pop.rows
        eligible = rows[(pop.city[rows] == source) & (pop.exchange_until[rows] < 0)]
        eligible = eligible[self.rng(model).permutation(len(eligible))]
        quota = self.params.annual_quota / QUARTERS_PER_YEAR
        cumulative = np.cumsum(pop.size[eligible])
        whole = eligible[cumulative <= quota]
        chosen = list(whole)
        remainder = quota - (cumulative[len(whole) - 1] if len(whole) else 0.0)
        if remainder > 0 and len(whole) < len(eligible):
            chosen.append(model.split_talent(eligible[len(whole)], remainder))
        chosen = np.asarray(chosen, dtype=np.int64)
        if len(chosen) == 0:
            return
        until = pop.column("exchange_until")
        until[chosen] = model.steps + self.params.duration_quarters
        pop.column("exchange_origin")[chosen] = source
        model.move_talent(chosen, destination, "exchange")

    def _finish_secondments(self, model) -> None:
        pop = model.talent
        rows = pop.rows
        ending = rows[(pop.exchange_until[rows] == model.steps) & np.isin(pop.exchange_origin[rows], [self.origin_index, self.host_index])]
        if len(ending) == 0:
            return
        until, origin = pop.column("exchange_until"), pop.column("exchange_origin")
        returning = ending[self.rng(model).random(len(ending)) < self.params.return_share]
        staying = np.setdiff1d(ending, returning)
        pop.column("home_city")[staying] = pop.city[staying]
        for home in np.unique(origin[returning]):
            group = returning[origin[returning] == home]
            share = pop.size[group].sum() / max(model.talent_per_city()[home], 1e-300)
            model.move_talent(group, int(home), "exchange")
            model.boost_productivity(int(home), self.params.return_productivity_effect * share)
        until[ending] = -1
        origin[ending] = -1

    def _host_learning(self, model) -> None:
        pop = model.talent
        rows = pop.rows
        mine = [self.origin_index, self.host_index]
        seconded = rows[(pop.exchange_until[rows] >= 0) & np.isin(pop.exchange_origin[rows], mine) & np.isin(pop.city[rows], mine)]
        for host in np.unique(pop.city[seconded]):
            share = pop.size[seconded[pop.city[seconded] == host]].sum() / max(model.talent_per_city()[host], 1e-300)
            model.boost_productivity(int(host), self.params.host_productivity_effect * share)
