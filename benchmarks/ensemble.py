"""Benchmark: ensemble throughput of coopsim-explore against a coopsim-run sweep, and the time of a 10,000-run Sobol design.

Run: ``python benchmarks/ensemble.py``. The same workload on Guangdong, ``--runs`` N agreement
runs (deep cooperation) and their N no-agreement baselines, ``--steps`` quarters each, ``--jobs``
processes, each in a fresh temporary folder (nothing reused), timed from the command's start to its
end:

* ``coopsim-explore experiment=sub_centre_exploration`` with a Latin hypercube of N points (N runs
  paired with N baselines, in-process: one composition per preset, no process per run, one table);
* ``coopsim-run -m`` with ``agreement=none,deep_cooperation seed=range(N)`` (2N runs on the joblib
  launcher: a Hydra composition, a results folder with its metrics and checksums, and an update of
  the sweep index each, in a pool of worker processes).

Both pay a start-up (interpreter, imports, composition, checks, worker processes) once per
command; each is timed at N and at 3N runs, and the difference, divided by the simulations added,
is its cost per simulation beyond start-up (the cost of an ensemble of thousands of runs). Then
coopsim-explore runs at N and 3N at the experiment's own horizon (60 quarters) to project the wall
time of a 10,000-run Sobol design of ``sub_centre_exploration`` on ``--jobs`` processes: 10,000
runs plus the paired baselines the design needs (runs of one base sample that differ only in
levers share theirs), at its seconds per simulation beyond start-up measured the same way (a
Latin design builds one model per pair of runs, a Sobol design fewer: a bound).
The last line is ``ratio=<seconds per simulation of the sweep / of coopsim-explore, beyond start-up>``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coopsim.exploration.design import design_table
from coopsim.exploration.explore import LEVERS_PREFIX
from coopsim.exploration.spec import parse_spec
from coopsim.runner import compose_config

EXPLORE = [sys.executable, "-c", "from coopsim.exploration.explore import main; main()"]
SWEEP = [sys.executable, "-c", "from coopsim.runner import main; main()"]
EXPERIMENT = "sub_centre_exploration"
PRESET = "deep_cooperation"
FULL_HORIZON = 60  # quarters: 2021 Q1 to 2035, the experiment's horizon
PROJECTED_RUNS = 10_000
SOBOL_PROBE_SAMPLES = 8  # base samples used to count the baselines a Sobol design of the experiment needs
SECONDS_PER_HOUR = 3600.0
SIZE_FACTOR = 3  # the second size, in multiples of --runs: the difference between the two sizes gives the cost per run


def explore_overrides(runs: int, steps: int, jobs: int, folder: Path) -> list[str]:
    """N Latin-hypercube points of the experiment, one preset, the rail line opening within the run."""
    opening = max(1, min(steps - 1, 28))
    return [
        f"experiment={EXPERIMENT}",
        f"steps={steps}",
        "exploration.design=latin",
        f"exploration.samples={runs}",
        f"exploration.n_jobs={jobs}",
        f"exploration.levers.agreement.values=[{PRESET}]",
        f"exploration.uncertainties.rail_opening_quarter.low={max(1, opening - 1)}",
        f"exploration.uncertainties.rail_opening_quarter.high={opening}",
        f"exploration.output_dir={folder}",
    ]


def timed(command: list[str]) -> float:
    """Wall time of one command (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=3 * int(SECONDS_PER_HOUR))
    return time.perf_counter() - start


def timed_explore(runs: int, steps: int, jobs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        return timed([*EXPLORE, *explore_overrides(runs, steps, jobs, Path(folder) / "exploration")])


def timed_sweep(runs: int, steps: int, jobs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        overrides = [
            f"agreement=none,{PRESET}",
            f"seed=range({runs})",
            f"steps={steps}",
            f"levers.rail_opening_quarter={max(1, min(steps - 1, 28))}",
        ]
        launcher = [f"hydra.sweep.dir={Path(folder) / 'sweep'}", "hydra/launcher=joblib", f"hydra.launcher.n_jobs={jobs}"]
        return timed([*SWEEP, "-m", *overrides, *launcher])


def simulations_per_run() -> float:
    """Simulations per run of a Sobol design of the experiment: 1 plus its share of the paired baselines."""
    cfg = compose_config(f"experiment={EXPERIMENT}", "exploration.design=sobol", f"exploration.samples={SOBOL_PROBE_SAMPLES}")
    spec = parse_spec(cfg.exploration)
    table = design_table(spec, int(cfg.seed))
    keyed = [f.name for f in spec.factors if not f.categorical and not f.path.startswith(LEVERS_PREFIX)]
    baselines = len(table.drop_duplicates(["seed", *keyed]))
    return 1.0 + baselines / len(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="agreement runs N (each with its no-agreement baseline: 2N simulations)")
    parser.add_argument("--steps", type=int, default=12, help="quarters per run for the ratio (short runs)")
    parser.add_argument("--jobs", type=int, default=2, help="processes, for both tools")
    parser.add_argument("--repeats", type=int, default=2, help="timings per tool and size, interleaved")
    args = parser.parse_args()
    sizes = (args.runs, SIZE_FACTOR * args.runs)
    tools = {"explore": timed_explore, "sweep": timed_sweep}
    times: dict[tuple[str, int], list[float]] = {(tool, n): [] for tool in tools for n in sizes}
    for _ in range(args.repeats):  # interleaved, so that drifts in the machine's speed hit both alike
        for n in sizes:
            for tool, timer in tools.items():
                times[tool, n].append(timer(n, args.steps, args.jobs))
    median = {key: statistics.median(values) for key, values in times.items()}
    for tool, name in (("explore", "coopsim-explore"), ("sweep", "coopsim-run -m")):
        walls = ", ".join(f"{2 * n} simulations {median[tool, n]:.1f} s" for n in sizes)
        print(f"{name} ({args.steps} quarters, {args.jobs} processes, median of {args.repeats}): {walls}")
    extra = 2 * (sizes[1] - sizes[0])  # simulations added between the two sizes: start-up costs cancel
    marginal = {tool: (median[tool, sizes[1]] - median[tool, sizes[0]]) / extra for tool in tools}
    print(f"seconds per simulation beyond start-up: coopsim-explore {marginal['explore']:.3f}, coopsim-run -m {marginal['sweep']:.3f}")
    full = (timed_explore(sizes[1], FULL_HORIZON, args.jobs) - timed_explore(sizes[0], FULL_HORIZON, args.jobs)) / extra
    per_run = simulations_per_run()
    projected = PROJECTED_RUNS * per_run * full
    print(
        f"projected: a {PROJECTED_RUNS:,}-run Sobol design of {EXPERIMENT} ({FULL_HORIZON} quarters, {per_run:.2f} simulations "
        f"per run with the paired baselines, {full:.3f} s each beyond start-up on {args.jobs} processes): "
        f"{projected / SECONDS_PER_HOUR:.1f} h"
    )
    print(f"ratio={marginal['sweep'] / marginal['explore']:.2f}")


if __name__ == "__main__":
    main()
