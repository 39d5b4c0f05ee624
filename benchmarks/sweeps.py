"""Benchmark: the README's main job and its sweep throughput with 1 and 2 processes (joblib launcher).

Run: ``python benchmarks/sweeps.py``. The main job's sweep (scenario_comparison: 5 presets x 10
seeds x 60 quarters on Guangdong, 50 runs) runs in a fresh temporary folder each time (nothing is
reused), as ``coopsim-run -m`` would, timed from the command's start to its end, once with one
process and once with two, repeated and interleaved (medians). The last line is ``throughput_ratio=<runs/s with 2 processes / with 1>``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APP = [sys.executable, "-c", "from coopsim.runner import main; main()"]
MAIN_JOB = ["experiment=scenario_comparison"]
MAIN_JOB_RUNS = 50


def timed_sweep(overrides: list[str], jobs: int) -> float:
    """Wall time of one multirun with ``jobs`` joblib processes, into a fresh folder."""
    with tempfile.TemporaryDirectory() as folder:
        command = [
            *APP,
            "-m",
            *overrides,
            f"hydra.sweep.dir={Path(folder) / 'sweep'}",
            "hydra/launcher=joblib",
            f"hydra.launcher.n_jobs={jobs}",
        ]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=3600)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="sweeps per process count, interleaved (1, 2, 1, 2, ...)")
    args = parser.parse_args()
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.repeats):  # interleaved, so that drifts in the machine's speed hit both alike
        for jobs in (1, 2):
            times[jobs].append(timed_sweep(MAIN_JOB, jobs=jobs))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"sweep wall times, 1 process: {[round(t, 1) for t in times[1]]} s; 2 processes: {[round(t, 1) for t in times[2]]} s")
    print(
        f"main job, {MAIN_JOB_RUNS} runs: 1 process {one:.1f} s ({MAIN_JOB_RUNS / one:.2f} runs/s), "
        f"2 processes {two:.1f} s ({MAIN_JOB_RUNS / two:.2f} runs/s)"
    )
    print(f"throughput_ratio={one / two:.2f}")


if __name__ == "__main__":
    main()
