"""The regression baseline: horizon summaries of short runs of every agreement preset, kept in ``tests/baseline.json``.

A refactor must not change results (issue "a codebase the next engineer can carry on"); a model change that should
change them updates the baseline on purpose, in the same commit, with the reason in its message (covasim keeps its
``baseline.json`` the same way)::

    python tests/regression_baseline.py --update

``tests/test_regression_baseline.py`` recomputes the summaries and compares them with the file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from coopsim.runner import compose_config, simulate

BASELINE_FILE = Path(__file__).with_name("baseline.json")
PRESETS = ("none", "rail", "investment", "talent", "deep_cooperation")
REGIONS = ("guangdong", "two_symmetric")
STEPS = 8  # two years: every channel acts (the rail line opens in quarter 4), and it stays quick
OVERRIDES = ("levers.rail_opening_quarter=4", "seed=3")
SUMMARY_METRICS = ("gdp", "gdp_share", "talent", "workers", "enterprises", "wage", "worker_wage", "real_wage")


def summaries() -> dict[str, dict[str, float]]:
    """For each region and preset: every city's :data:`SUMMARY_METRICS` at step :data:`STEPS`, keyed ``metric:city``."""
    out = {}
    for region in REGIONS:
        for preset in PRESETS:
            if region == "two_symmetric" and preset != "none":
                continue  # the theory pair has no partner line to build; its baseline run guards the textbook economy
            _, metrics = simulate(compose_config(f"region={region}", f"agreement={preset}", f"steps={STEPS}", *OVERRIDES))
            last = metrics[(metrics["step"] == STEPS) & metrics["metric"].isin(SUMMARY_METRICS)]
            out[f"{region}/{preset}"] = {f"{row.metric}:{row.city}": float(row.value) for row in last.itertuples(index=False)}
    return out


def main(argv: list[str] | None = None) -> None:
    """``--update`` rewrites ``tests/baseline.json`` from the current model; without it, print the largest change."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="write tests/baseline.json from the current model")
    args = parser.parse_args(argv)
    now = summaries()
    if args.update:
        BASELINE_FILE.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {BASELINE_FILE} ({sum(len(v) for v in now.values())} values)")
        return
    kept = json.loads(BASELINE_FILE.read_text(encoding="utf-8"))
    changes = [
        (abs(value / kept[run][key] - 1.0) if kept[run][key] else abs(value), run, key)
        for run, values in now.items()
        for key, value in values.items()
        if run in kept and key in kept[run]
    ]
    if not changes:
        print("nothing to compare")
        return
    change, run, key = max(changes)
    print(f"largest relative change: {change:.3g} ({run}, {key})")


if __name__ == "__main__":
    main()
