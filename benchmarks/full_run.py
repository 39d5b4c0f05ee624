"""Benchmark: wall time of whole runs as ``coopsim-run`` does them (model, steps and result files).

Run: ``python benchmarks/full_run.py``. Prints the median of ``--repeats`` runs for the
default configuration and for the two-city region over 400 quarters.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from coopsim.runner import compose_config, run

CASES = {
    "default run: Guangdong, 21 cities, 60 quarters (configs/config.yaml)": [],
    "Shenzhen-Shantou region (all 21 cities, Shantou the sub-centre), 60 quarters": ["region=shenzhen_shantou"],
    "two-city default economy, 400 quarters": ["region=two_symmetric", "steps=400"],
    "two-city core-periphery, 400 quarters": ["region=two_symmetric", "economy=core_periphery", "region.initial_share=0.55", "steps=400"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for case, (name, overrides) in enumerate(CASES.items()):
            times = []
            for k in range(args.repeats):
                cfg = compose_config(*overrides)
                start = time.perf_counter()
                run(cfg, Path(tmp) / f"{case}-{k}")  # a new folder per run: nothing is reused
                times.append(time.perf_counter() - start)
            print(f"{name}: median {statistics.median(times):.2f} s over {args.repeats} runs ({cfg.steps} quarters)")


if __name__ == "__main__":
    main()
