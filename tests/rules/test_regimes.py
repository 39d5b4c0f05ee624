"""Which regime a fast link produces: the partner drained (market access) or grown (spillovers).

``experiment=rail_regimes``: the footloose-capital limit with a large core A and a small partner
B; a line cuts A-B from 120 to 48 minutes in quarter 4. Paired seeds: each seed runs with and
without the line, and B's enterprise share over the last ten quarters is compared.
"""

import numpy as np
import pytest

from coopsim.runner import compose_config, simulate

SEEDS = range(3)


def partner_share_effect(spillover_strength: float) -> np.ndarray:
    effects = []
    for seed in SEEDS:
        shares = []
        for agreement in ("fast_link", "none"):
            cfg = compose_config(
                "experiment=rail_regimes",
                f"agreement={agreement}",
                f"economy.knowledge.spillover_strength={spillover_strength}",
                f"seed={seed}",
            )
            _, metrics = simulate(cfg)
            shares.append(metrics.query("metric == 'enterprise_share' and city == 'B'").set_index("step")["value"].iloc[-10:].mean())
        effects.append(shares[0] - shares[1])
    return np.array(effects)


@pytest.mark.slow
def test_without_spillovers_a_fast_link_drains_the_partner():
    """Martin & Rogers (1995): integration magnifies the larger market's pull (as Faber 2014 found)."""
    effect = partner_share_effect(0.0)
    assert np.all(effect < -0.05), effect


@pytest.mark.slow
def test_with_strong_spillovers_a_fast_link_grows_the_partner():
    """Access to the core's talent raises the partner's productivity (Ahlfeldt & Feddersen 2018) more than the pull."""
    effect = partner_share_effect(0.1)
    assert np.all(effect > 0.05), effect


def test_link_and_spillovers_leave_the_start_unchanged_before_opening():
    """Before quarter 4 the two runs are identical: same seed, same draws (common random numbers)."""
    runs = [
        simulate(compose_config("experiment=rail_regimes", f"agreement={a}", "steps=6", "economy.knowledge.spillover_strength=0.1"))[1]
        for a in ("fast_link", "none")
    ]
    before = [run.query("step < 4 and metric != 'partner_travel_minutes'").reset_index(drop=True) for run in runs]
    assert before[0]["value"].equals(before[1]["value"])
    after = [run.query("step == 5 and metric == 'enterprise_share'")["value"].to_numpy() for run in runs]
    assert not np.array_equal(after[0], after[1])
