"""Benchmark: cost of a quarter at the default agent scale and at full scale (one agent per registered enterprise).

Each scale runs in its own process (so that its peak memory is its own): the model is built (calibration included)
and stepped for the same quarters with the same seed and the no-agreement preset. Printed per scale: agents, build
seconds, seconds per quarter, the estimate the region checks memory against, and the process's peak resident memory.
The last line compares them::

    enterprises=<full> talent_agents=<full> worker_agents=<full> seconds_per_quarter=<full> peak_rss_gb=<full>
    cost_ratio=<full seconds per enterprise-quarter / default's> full_run_seconds=<build + all quarters at full scale>

Memory is in GB (10^9 bytes). Goals (issue "Full scale"): ``cost_ratio <= 1.5``, ``peak_rss_gb <= 4`` for 7.8
million enterprises with cohorts of 100 people, and 60 quarters at full scale in at most 60 s. Run:
``python benchmarks/scale.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

SCALES = {
    "default": ["region=guangdong"],
    "full": ["region=guangdong_full"],
}
BYTES_PER_KIB = 1024  # ru_maxrss is in KiB on Linux
BYTES_PER_GB = 1e9


def measure(overrides: list[str], quarters: int) -> dict:
    """Build one model and step it ``quarters`` times in this process; its agents, timings and peak memory."""
    from coopsim.region import memory_estimate_bytes
    from coopsim.runner import build_model, compose_config

    cfg = compose_config(*overrides, f"steps={quarters}", "agreement=none", "seed=0")
    started = time.perf_counter()
    model = build_model(cfg)
    built = time.perf_counter()
    enterprises_built = len(model.enterprises.rows)
    step_seconds, enterprises = [], []
    for _ in range(quarters):
        enterprises.append(len(model.enterprises.rows))
        before = time.perf_counter()
        model.step()
        step_seconds.append(time.perf_counter() - before)
    cohorts = len(model.talent.rows) + len(model.workers.rows)
    return {
        "enterprises": int(enterprises_built),
        "enterprises_at_end": int(len(model.enterprises.rows)),
        "enterprise_quarters": int(sum(enterprises)),  # enterprises at the start of each quarter, summed
        "talent_agents": int(len(model.talent.rows)),
        "worker_agents": int(len(model.workers.rows)),
        "build_seconds": built - started,
        "seconds_per_quarter": sum(step_seconds) / quarters,
        "median_quarter_seconds": statistics.median(step_seconds),
        "run_seconds": time.perf_counter() - started,
        "quarters": quarters,
        "estimate_gb": memory_estimate_bytes(cohorts, cfg.region.data.enterprise_agents) / BYTES_PER_GB,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * BYTES_PER_KIB / BYTES_PER_GB,
    }


def seconds_per_enterprise_quarter(fig: dict) -> float:
    """Seconds per enterprise-quarter: stepping time over the enterprises present at the start of each quarter, summed."""
    return fig["seconds_per_quarter"] * fig["quarters"] / fig["enterprise_quarters"]


def in_child(scale: str, quarters: int) -> dict:
    """:func:`measure` one scale in a fresh Python process (its own peak memory)."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", scale, "--quarters", str(quarters)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    """Measure each scale in its own process and print the comparison line (``--child`` measures one scale)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", type=int, default=60, help="quarters each scale is stepped (the main job's horizon)")
    parser.add_argument("--child", choices=sorted(SCALES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(SCALES[args.child], args.quarters)))
        return
    figures = {}
    for scale in SCALES:
        figures[scale] = fig = in_child(scale, args.quarters)
        print(
            f"{scale}: {fig['enterprises']:,} enterprises built ({fig['enterprises_at_end']:,} at the end), "
            f"{fig['talent_agents']:,} talent and {fig['worker_agents']:,} worker "
            f"agents; build {fig['build_seconds']:.1f} s, {fig['seconds_per_quarter']:.3f} s a quarter (median "
            f"{fig['median_quarter_seconds']:.3f}) over {args.quarters} quarters; memory estimate {fig['estimate_gb']:.2f} GB, "
            f"peak {fig['peak_rss_gb']:.2f} GB"
        )
    full = figures["full"]
    per_enterprise_quarter = {scale: seconds_per_enterprise_quarter(fig) for scale, fig in figures.items()}
    cost_ratio = per_enterprise_quarter["full"] / per_enterprise_quarter["default"]
    print(
        f"enterprises={full['enterprises']} talent_agents={full['talent_agents']} worker_agents={full['worker_agents']} "
        f"seconds_per_quarter={full['seconds_per_quarter']:.3f} peak_rss_gb={full['peak_rss_gb']:.2f} "
        f"cost_ratio={cost_ratio:.2f} full_run_seconds={full['run_seconds']:.1f} quarters={args.quarters}"
    )


if __name__ == "__main__":
    main()
