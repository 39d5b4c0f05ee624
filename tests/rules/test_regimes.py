"""Which regime a fast link produces: the partner drained (market access) or grown (spillovers).

A large core A and a small partner B with equal costs (no calibration), trade costs from
travel time; a rail line cuts A-B from 120 to 48 minutes in quarter 4. Paired seeds: each
seed runs with and without the line, and the partner's enterprise share over the last ten
quarters is compared.
"""

import numpy as np
import pytest

from coopsim.runner import compose_config, simulate

LARGE_CORE_SMALL_PARTNER = [
    "region=two_symmetric",
    "region.trade_cost=null",
    "region.initial_share=null",
    "region.cities.A.immobile_population=5000",
    "region.cities.A.talent=2000",
    "region.cities.A.enterprises=1600",
    "region.cities.B.immobile_population=1000",
    "region.cities.B.talent=400",
    "region.cities.B.enterprises=320",
    "steps=80",
]
FAST_LINK = ["agreement=rail", "agreement.rules.rail.segment_km=[200]", "agreement.rules.rail.opening_quarter=4"]
SEEDS = range(3)


def partner_share_effect(*overrides: str) -> np.ndarray:
    effects = []
    for seed in SEEDS:
        shares = []
        for agreement in (FAST_LINK, ["agreement=none"]):
            _, metrics = simulate(compose_config(*LARGE_CORE_SMALL_PARTNER, *agreement, *overrides, f"seed={seed}"))
            share = metrics.query("metric == 'enterprise_share' and city == 'B'").set_index("step")["value"]
            shares.append(share.iloc[-10:].mean())
        effects.append(shares[0] - shares[1])
    return np.array(effects)


@pytest.mark.slow
def test_without_spillovers_a_fast_link_drains_the_partner():
    """Martin & Rogers (1995): integration magnifies the larger market's pull (Faber 2014)."""
    effect = partner_share_effect("economy.knowledge.spillover_strength=0")
    assert np.all(effect < 0), effect


@pytest.mark.slow
def test_with_strong_spillovers_a_fast_link_grows_the_partner():
    """Access to the core's talent (Ahlfeldt & Feddersen 2018) outweighs the market-access pull."""
    effect = partner_share_effect("economy.knowledge.spillover_strength=0.03")
    assert np.all(effect > 0), effect
