"""TalentExchange: secondments and training exchanges of talent between partner cities."""

from __future__ import annotations

import numpy as np

from coopsim.rules.base import AgreementRule

QUARTERS_PER_YEAR = 4


class TalentExchange(AgreementRule):
    """Second talent from one city to another for a while, and bring them back.

    Parameters (units):
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

    def __init__(
        self,
        origin: str,
        host: str,
        two_way: bool,
        annual_quota: float,
        duration_quarters: int,
        return_share: float,
        host_productivity_effect: float,
        return_productivity_effect: float,
        start_quarter: int,
        end_quarter: int | None,
        max_share_of_source_talent: float,
    ) -> None:
        self.origin, self.host, self.two_way = origin, host, two_way
        self.max_share_of_source_talent = max_share_of_source_talent
        self.annual_quota = annual_quota
        self.duration_quarters = duration_quarters
        self.return_share = return_share
        self.host_productivity_effect = host_productivity_effect
        self.return_productivity_effect = return_productivity_effect
        self.start_quarter, self.end_quarter = start_quarter, end_quarter

    def check(self, model) -> None:
        self.origin_index, self.host_index = self.city_pair(model, "origin", self.origin, "host", self.host)
        self.check_non_negative("annual_quota", self.annual_quota)
        self.check_share("max_share_of_source_talent", self.max_share_of_source_talent)
        talent = model.talent_per_city()
        for source, _ in self.directions():
            bound = self.max_share_of_source_talent * talent[source]
            if self.annual_quota > bound:
                name = model.region.city_names[source]
                self.fail(
                    "annual_quota",
                    f"at most {bound:.0f} people a year ({self.max_share_of_source_talent:g} of {name}'s talent)",
                    self.annual_quota,
                )
        if not (isinstance(self.duration_quarters, int) and self.duration_quarters >= 1):
            self.fail("duration_quarters", "at least 1 quarter", self.duration_quarters)
        self.check_share("return_share", self.return_share)
        self.check_non_negative("host_productivity_effect", self.host_productivity_effect)
        self.check_non_negative("return_productivity_effect", self.return_productivity_effect)
        self.check_period(model, self.start_quarter, self.end_quarter)

    def directions(self) -> list[tuple[int, int]]:
        """(from, to) city pairs the quota flows along."""
        pairs = [(self.origin_index, self.host_index)]
        return pairs + [(self.host_index, self.origin_index)] if self.two_way else pairs

    def apply(self, model) -> None:
        if self.annual_quota == 0:
            return
        self._finish_secondments(model)
        if self.active(model, self.start_quarter, self.end_quarter):
            for source, destination in self.directions():
                self._second(model, source, destination)
        self._host_learning(model)

    def _second(self, model, source: int, destination: int) -> None:
        pop = model.talent
        rows = pop.rows
        eligible = rows[(pop.city[rows] == source) & (pop.exchange_until[rows] < 0)]
        eligible = eligible[self.rng(model).permutation(len(eligible))]
        quota = self.annual_quota / QUARTERS_PER_YEAR
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
        until[chosen] = model.steps + self.duration_quarters
        pop.column("exchange_origin")[chosen] = source
        model.move_talent(chosen, destination, "exchange")

    def _finish_secondments(self, model) -> None:
        pop = model.talent
        rows = pop.rows
        ending = rows[(pop.exchange_until[rows] == model.steps) & np.isin(pop.exchange_origin[rows], [self.origin_index, self.host_index])]
        if len(ending) == 0:
            return
        until, origin = pop.column("exchange_until"), pop.column("exchange_origin")
        returning = ending[self.rng(model).random(len(ending)) < self.return_share]
        staying = np.setdiff1d(ending, returning)
        pop.column("home_city")[staying] = pop.city[staying]
        for home in np.unique(origin[returning]):
            group = returning[origin[returning] == home]
            share = pop.size[group].sum() / max(model.talent_per_city()[home], 1e-300)
            model.move_talent(group, int(home), "exchange")
            model.boost_productivity(int(home), self.return_productivity_effect * share)
        until[ending] = -1
        origin[ending] = -1

    def _host_learning(self, model) -> None:
        pop = model.talent
        rows = pop.rows
        mine = [self.origin_index, self.host_index]
        seconded = rows[(pop.exchange_until[rows] >= 0) & np.isin(pop.exchange_origin[rows], mine) & np.isin(pop.city[rows], mine)]
        for host in np.unique(pop.city[seconded]):
            share = pop.size[seconded[pop.city[seconded] == host]].sum() / max(model.talent_per_city()[host], 1e-300)
            model.boost_productivity(int(host), self.host_productivity_effect * share)
