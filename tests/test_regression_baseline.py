"""Results do not change by accident: short runs of every preset against tests/baseline.json (tests/regression_baseline.py)."""

import json

import pytest

from regression_baseline import BASELINE_FILE, PRESETS, summaries

# Same code, data and seed give bit-identical results on one machine; a different BLAS or numpy build may move the last
# digits of the market solution, so the comparison allows a relative 1e-7 (a real model change moves them by far more).
RELATIVE_TOLERANCE = 1e-7


def test_short_runs_of_every_preset_reproduce_the_baseline():
    kept = json.loads(BASELINE_FILE.read_text(encoding="utf-8"))
    now = summaries()
    assert set(now) == set(kept), "runs added or removed: update the baseline on purpose (python tests/regression_baseline.py --update)"
    assert {run.split("/")[1] for run in now} == set(PRESETS)
    for run, values in now.items():
        assert set(values) == set(kept[run]), run
        for key, value in values.items():
            assert value == pytest.approx(kept[run][key], rel=RELATIVE_TOLERANCE, abs=1e-12), (
                f"{run} {key}: {value!r} against the baseline's {kept[run][key]!r}; if the change is intended, "
                "run python tests/regression_baseline.py --update and say why in the commit"
            )
