"""The agent-based model in the footloose-capital limit reproduces the home-market effect.

Enterprises are units of mobile capital (no talent in production, no fixed talent cost, no
entry or exit) owned by immobile owners in their starting city (workers immobile too); they relocate toward higher
profit. Martin & Rogers (1995): s_n = 1/2 + (1+phi)/(1-phi)(s_E - 1/2), phi = T^(1-sigma).
Tolerance 0.005 in s_n: 3,200 integer enterprises and revision noise around the rest point.
"""

import pytest

from coopsim.economy.analytic import home_market_share
from coopsim.runner import compose_config, simulate

FOOTLOOSE_CAPITAL = [
    "economy=core_periphery",
    "region=two_symmetric",
    "economy.sectors.manufacturing.talent_input_share=0.0",
    "economy.sectors.manufacturing.fixed_talent=0.0",
    "economy.enterprise.entry_rate=0.0",
    "economy.enterprise.exit_rate=0.0",
    "economy.enterprise.relocation_rate=0.1",
    "economy.enterprise.relocation_logit_scale=1.0",
    "region.cities.A.talent=0",
    "region.cities.B.talent=0",
    "region.initial_share=null",
]


@pytest.mark.parametrize("workers_a, trade_cost", [(3600, 1.3), (3600, 2.0), (3300, 1.6)])
def test_home_market_effect(workers_a, trade_cost):
    cfg = compose_config(
        *FOOTLOOSE_CAPITAL,
        f"region.cities.A.workers={workers_a}",
        f"region.cities.B.workers={6000 - workers_a}",
        f"region.trade_cost={trade_cost}",
        "steps=200",
    )
    _, metrics = simulate(cfg)
    last = metrics[metrics.step >= 180]
    income = last.query("metric == 'income'").pivot(index="step", columns="city", values="value")
    firms = last.query("metric == 'enterprises'").pivot(index="step", columns="city", values="value")
    s_e = float((income["A"] / income.sum(axis=1)).mean())
    s_n = float((firms["A"] / firms.sum(axis=1)).mean())
    assert s_e > 0.5
    assert s_n == pytest.approx(home_market_share(s_e, trade_cost ** (1 - 5.0)), abs=0.005)
    assert s_n - 0.5 > s_e - 0.5  # magnification
