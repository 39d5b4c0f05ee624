"""Benchmark: the enterprise decision step as implemented (array code and compiled loops) vs per agent with Mesa's shuffle_do.

Both sides make the same decisions from the same market solution: exit shocks, exit after
sustained losses, entry replacing the turnover and where profits are high, and relocation or branching by the pairwise logit
revision (a candidate city met in proportion to the enterprises there, a binary logit on the
present value of the move). The reference does them one agent at a time in Python, the way a Mesa model
written with ``AgentSet.shuffle_do("decide")`` would. One process, the same workload.

Run: ``python benchmarks/decisions.py``; the last line is ``ratio=<vectorised / per-agent speed>``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import mesa
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coopsim.agents.enterprise import entry_decisions, quarterly_hazard, relocation_annuity
from coopsim.runner import build_model
from workload import workload_config  # noqa: E402


class ReferenceEnterprise(mesa.Agent):
    """One enterprise deciding alone: the per-agent reference of ``RegionalEconomy``'s three enterprise phases (exit, enter, relocate)."""

    def __init__(self, model, city: int, sector: int, owner: int, productivity: float, overhead: float) -> None:
        super().__init__(model)
        self.city, self.sector, self.owner, self.productivity, self.overhead = city, sector, owner, productivity, overhead
        self.loss_streak = 0

    def profit_at(self, city: int) -> tuple[float, float]:
        m = self.model
        sigma = m.sigma
        revenue = self.productivity ** (sigma - 1.0) * m.scale[self.sector][city]
        return revenue, revenue / sigma - m.fixed[self.sector] * self.overhead * m.wage[city]

    def decide(self) -> None:
        m, p = self.model, self.model.params
        if self.random.random() < m.shock_hazard:  # an exit shock, whatever the profit
            m.counts[self.city] -= 1
            m.exits += 1
            self.remove()
            return
        revenue, profit = self.profit_at(self.city)
        self.loss_streak = self.loss_streak + 1 if profit < 0 else 0
        if self.loss_streak >= p.exit_patience:
            margin = min(profit / max(revenue / m.sigma, 1e-300), 0.5)
            gap = max(-1.0, min(1.0, margin / (1.0 - margin)))
            if self.random.random() < p.exit_rate * max(-gap, 0.0):
                m.counts[self.city] -= 1
                m.exits += 1
                self.remove()
                return
        if self.random.random() >= p.relocation_rate:
            return
        # meet a candidate city in proportion to the enterprises there (own city included: no move)
        draw, cumulative, candidate = self.random.random() * sum(m.counts), 0.0, m.n_cities - 1
        for j, count in enumerate(m.counts):
            cumulative += count
            if cumulative > draw:
                candidate = j
                break
        if candidate == self.city:
            return
        _, profit_there = self.profit_at(candidate)
        value = m.annuity * (profit_there - profit) / max(revenue, 1e-300) - m.moving_cost[self.city][candidate]
        if self.random.random() < 1.0 / (1.0 + math.exp(-p.relocation_logit_scale * value)):
            if self.random.random() < p.branch_share:
                ReferenceEnterprise(m, candidate, self.sector, self.owner, self.productivity, self.overhead)
                m.counts[candidate] += 1
                m.branches += 1
            else:
                m.counts[self.city] -= 1
                m.counts[candidate] += 1
                self.city = candidate
                m.relocations += 1


class ReferenceModel(mesa.Model):
    """The same enterprises and market as a coopsim model, as plain Mesa agents with Python attributes."""

    def __init__(self, source, seed: int) -> None:
        super().__init__(rng=seed)
        market, sectors = source.market, source.sectors
        self.params = source.economy.enterprise
        self.sigma = float(sectors.sigma[0])
        self.fixed = sectors.fixed_talent.tolist()
        self.wage = market.wage.tolist()
        self.scale = (market.revenue_per_mass(sectors) * source.location_mass).tolist()
        self.moving_cost = source.enterprise_moving_cost().tolist()
        self.annuity = relocation_annuity(self.params.discount_rate, self.params.exit_hazard)
        self.shock_hazard = quarterly_hazard(self.params.exit_hazard)
        self.n_cities = source.region.size
        self.source = source
        pop = source.enterprises
        rows = pop.rows
        self.counts = np.bincount(pop.city[rows], minlength=self.n_cities).tolist()
        columns = (pop.city, pop.sector, pop.owner_city, pop.productivity, pop.overhead)
        for city, sector, owner, phi, overhead in zip(*(column[rows].tolist() for column in columns), strict=True):
            ReferenceEnterprise(self, city, sector, owner, phi, overhead)
        self.exits = self.entries = self.relocations = self.branches = 0

    def decide(self) -> None:
        """One quarter of enterprise decisions, agent by agent, then entry per (sector, city)."""
        self.agents_by_type[ReferenceEnterprise].shuffle_do("decide")
        s = self.source
        entrants = entry_decisions(
            s.sectors,
            s.market,
            s.enterprise_counts,
            s.market_inputs.talent,
            s.mean_entrant_mass,
            self.params,
            self.rng,
            s.enterprise_overhead,
        )
        for sector, city in zip(*np.nonzero(entrants), strict=True):
            for _ in range(int(entrants[sector, city])):
                draw = float(np.exp(self.rng.normal() * s.productivity_dispersion[sector]))
                overhead = draw ** (self.sigma - 1.0) / float(s.mean_draw_mass[sector])
                ReferenceEnterprise(self, int(city), int(sector), int(city), draw, overhead)
                self.counts[city] += 1
                self.entries += 1


def time_calls(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    model = build_model(workload_config(seed=0))
    model.clear_market()
    n = len(model.enterprises)
    reference = ReferenceModel(model, seed=0)

    def next_quarter_decisions() -> None:
        model.steps += 1  # a new quarter: each enterprise draws afresh (its uniforms are keyed by quarter)
        model.enterprises_exit()  # the three enterprise phases of RegionalEconomy.step, in its order
        model.enterprises_enter()
        model.enterprises_relocate()

    vectorised_times = time_calls(next_quarter_decisions, args.repeats)
    reference_times = time_calls(reference.decide, args.repeats)
    vec, ref = statistics.median(vectorised_times), statistics.median(reference_times)
    flows = {name: int(sum(model.flows[name])) for name in ("exits_shock", "exits_loss", "entries_new", "relocations_in", "entries_branch")}
    flows["exits"] = flows["exits_shock"] + flows["exits_loss"]
    print(f"workload: {model.region.size} cities, {n} enterprises, {len(model.talent)} talent cohorts; {args.repeats} quarters each")
    print(f"vectorised: median {vec * 1e3:.1f} ms/quarter = {n / vec / 1e6:.2f} M enterprise-decisions/s")
    print(f"per-agent shuffle_do: median {ref * 1e3:.1f} ms/quarter = {n / ref / 1e6:.3f} M enterprise-decisions/s")
    print(
        f"decisions over {args.repeats} quarters (same market, independent draws) -- "
        f"vectorised: exits {flows['exits']}, entries {flows['entries_new']}, relocations {flows['relocations_in']}, "
        f"branches {flows['entries_branch']}; per-agent: exits {reference.exits}, entries {reference.entries}, "
        f"relocations {reference.relocations}, branches {reference.branches}"
    )
    model.release()
    mesa.Agent._ids.pop(reference, None)
    print(f"ratio={ref / vec:.1f}")


if __name__ == "__main__":
    main()
