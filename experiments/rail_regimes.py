"""Which regime does a fast link produce? The partner drained, or the partner grown.

Uncertain: the strength of knowledge spillovers (economy.knowledge.spillover_strength, no
published level for this model); policy lever: a rail line cutting a large core's travel time
to a small partner from 120 to 48 minutes in quarter 4; outcome: the partner's share of the
region's enterprises, as a paired difference (with line minus without, same seed).

Run: ``python experiments/rail_regimes.py [--seeds 5] [--out docs/rail_regimes.png]``.
The runs are kept in memory; the figure reads only their tidy metrics.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from coopsim.plots import band_paths
from coopsim.runner import compose_config, simulate

LARGE_CORE_SMALL_PARTNER = [
    "region=two_symmetric", "region.trade_cost=null", "region.initial_share=null",
    "region.cities.A.immobile_population=5000", "region.cities.A.talent=2000", "region.cities.A.enterprises=1600",
    "region.cities.B.immobile_population=1000", "region.cities.B.talent=400", "region.cities.B.enterprises=320",
    "steps=80",
]
FAST_LINK = ["agreement=rail", "agreement.rules.rail.segment_km=[200]", "agreement.rules.rail.opening_quarter=4"]
REGIMES = {"no spillovers (market access)": 0.0, "strong spillovers (0.03)": 0.03}


def partner_share(agreement: list[str], strength: float, seed: int) -> pd.Series:
    """The partner's enterprise share by quarter in one run."""
    cfg = compose_config(*LARGE_CORE_SMALL_PARTNER, *agreement, f"economy.knowledge.spillover_strength={strength}", f"seed={seed}")
    _, metrics = simulate(cfg)
    return metrics.query("metric == 'enterprise_share' and city == 'B'").set_index("step")["value"]


def paired_effects(seeds: int) -> pd.DataFrame:
    """Partner's enterprise share with the link minus without, per regime, seed and quarter."""
    rows = []
    for scenario, strength in REGIMES.items():
        for seed in range(seeds):
            effect = partner_share(FAST_LINK, strength, seed) - partner_share(["agreement=none"], strength, seed)
            rows.append(pd.DataFrame({"scenario": scenario, "seed": seed, "step": effect.index, "value": effect.to_numpy()}))
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("docs/rail_regimes.png"))
    args = parser.parse_args()
    effects = paired_effects(args.seeds)
    figure = band_paths(effects, "partner's enterprise share: with link - without (paired seeds)", zero_line=True)
    figure.axes[0].set_title("A 120 -> 48 min link opening in quarter 4: mean and 90% band across seeds")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=120, bbox_inches="tight")
    print(effects.query("step == step.max()").groupby("scenario")["value"].describe())
    print(args.out)


if __name__ == "__main__":
    main()
