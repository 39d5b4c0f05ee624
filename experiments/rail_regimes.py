"""Which regime does a fast link produce? The partner drained, or the partner grown.

The setting and its sweep are ``configs/experiment/rail_regimes.yaml`` (the footloose-capital
limit with a large core and a small partner). Uncertain: the spillover elasticity
(economy.knowledge.spillover_strength); policy lever: a line cutting the core-partner trip from
120 to 48 minutes in quarter 4 (agreement=fast_link vs none); outcome: the partner's share of
enterprises, as a paired difference (with the line minus without, same seed).

Run: ``python experiments/rail_regimes.py [--seeds 5] [--out docs/rail_regimes.png]``.
The runs are kept in memory; the figure reads only their tidy metrics.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from coopsim.plots import band_paths
from coopsim.runner import compose_config, simulate

STRENGTHS = (0.0, 0.02, 0.05, 0.1)


def partner_share(agreement: str, strength: float, seed: int) -> pd.Series:
    """The partner's enterprise share by quarter in one run."""
    cfg = compose_config(
        "experiment=rail_regimes", f"agreement={agreement}", f"economy.knowledge.spillover_strength={strength}", f"seed={seed}"
    )
    _, metrics = simulate(cfg)
    return metrics.query("metric == 'enterprise_share' and city == 'B'").set_index("step")["value"]


def paired_effects(seeds: int) -> pd.DataFrame:
    """Partner's enterprise share with the link minus without, per spillover strength, seed and quarter."""
    rows = []
    for strength in STRENGTHS:
        for seed in range(seeds):
            effect = partner_share("fast_link", strength, seed) - partner_share("none", strength, seed)
            scenario = f"spillover elasticity {strength}"
            rows.append(pd.DataFrame({"scenario": scenario, "seed": seed, "step": effect.index, "value": effect.to_numpy()}))
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("docs/rail_regimes.png"))
    args = parser.parse_args()
    effects = paired_effects(args.seeds)
    figure = band_paths(effects, "partner's enterprise share: with link - without", zero_line=True)
    figure.axes[0].set_title("A 120 -> 48 min link in quarter 4 (footloose capital): mean and 90% band across paired seeds")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=120, bbox_inches="tight")
    print(effects.query("step == step.max()").groupby("scenario")["value"].agg(["mean", "min", "max"]))
    print(args.out)


if __name__ == "__main__":
    main()
