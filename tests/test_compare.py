"""Comparing a saved sweep (coopsim.compare) without running the model: which runs are read, how scenarios are named
and paired, and the paired-seed effects with their t intervals, against numbers known in advance."""

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from coopsim.compare import (
    _markdown,
    horizon_table,
    load_sweep,
    paired_effects,
    run_events,
    scenario_table,
    start_date,
)
from coopsim.results import METRICS_FILE, DamagedRunError, write_run
from coopsim.sweep import OVERRIDES_FILE

CITIES = ["Core", "Partner"]
# the partner's GDP share at the horizon in the baseline, per seed, and what each scenario adds to it
BASELINE = {0: 0.20, 1: 0.22, 2: 0.19, 3: 0.21}
ADDED = {"rail": {0: 0.010, 1: 0.012, 2: 0.008, 3: 0.011}, "talent": {0: -0.002, 1: 0.001, 2: 0.000, 3: -0.001}}


def saved_run(sweep: Path, agreement: str, seed: int, speed: float = 300.0, complete: bool = True) -> Path:
    """A run folder as coopsim-run leaves it in a sweep over agreement, seed and the rail speed (steps fixed)."""
    folder = sweep / f"agreement={agreement},levers.rail_speed_kmh={speed:g},seed={seed}"
    (folder / OVERRIDES_FILE).parent.mkdir(parents=True)
    overrides = [f"agreement={agreement}", f"levers.rail_speed_kmh={speed:g}", f"seed={seed}", "steps=2", "hydra.job.chdir=false"]
    (folder / OVERRIDES_FILE).write_text(yaml.safe_dump(overrides))
    if not complete:
        return folder
    config = {
        "seed": seed,
        "agreement": {"name": agreement},
        "levers": {"rail_speed_kmh": speed},
        "region": {"core_city": "Core", "partner_city": "Partner", "data": {"start_date": "2021-01-01"}},
    }
    share = BASELINE[seed] + ADDED.get(agreement, {}).get(seed, 0.0) + (0.001 if speed > 300 else 0.0)
    rows = []
    for step in (0, 1, 2):
        partner = BASELINE[seed] if step == 0 else share
        rows += [(step, "Partner", "gdp_share", partner), (step, "Core", "gdp_share", 1 - partner), (step, "region", "market_converged", 1)]
        rows += [(step, city, "talent", 100.0 + seed) for city in CITIES]
    metrics = pd.DataFrame(rows, columns=["step", "city", "metric", "value"]).astype({"value": float})
    write_run(folder, yaml.safe_dump(config), seed, metrics, {"steps": 2})
    return folder


@pytest.fixture
def sweep(tmp_path) -> Path:
    root = tmp_path / "sweep"
    for agreement in ("none", "rail", "talent"):
        for seed in BASELINE:
            saved_run(root, agreement, seed)
    saved_run(root, "rail", 9, complete=False)  # started, never finished
    return root


def test_only_complete_runs_are_read_and_scenarios_name_what_varies_but_the_seed(sweep):
    runs, metrics = load_sweep(sweep)
    assert len(runs) == 12 and 9 not in set(runs["seed"])
    assert set(runs["scenario"]) == {"agreement=none", "agreement=rail", "agreement=talent"}  # steps and speed are fixed
    assert set(runs["pairing"]) == {""}  # paired on nothing but the seed
    assert {"scenario", "pairing", "seed"} <= set(metrics.columns) and len(metrics) == 12 * 15
    assert set(runs["core"]) == {"Core"} and set(runs["partner"]) == {"Partner"}
    only = load_sweep(sweep, ("gdp_share",))[1]
    assert set(only["metric"]) == {"gdp_share"}


def test_paired_effects_are_the_mean_seed_by_seed_difference_with_a_t_interval(sweep):
    runs, metrics = load_sweep(sweep)
    effects = paired_effects(runs, metrics, "gdp_share", "Partner", 2).set_index("scenario")
    assert set(effects.index) == {"agreement=rail", "agreement=talent"}  # the baseline is not an effect of itself
    for agreement, added in ADDED.items():
        row = effects.loc[f"agreement={agreement}"]
        diff = np.array([added[seed] for seed in BASELINE])
        half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
        assert row["seeds"] == 4
        assert row["effect"] == pytest.approx(diff.mean(), abs=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((diff.mean() - half, diff.mean() + half), abs=1e-12)
        pct = 100 * diff / np.array(list(BASELINE.values()))
        assert row["effect_pct"] == pytest.approx(pct.mean(), rel=1e-9)
    assert effects.loc["agreement=rail", "ci_low"] > 0  # a clear gain
    assert effects.loc["agreement=talent", "ci_low"] < 0 < effects.loc["agreement=talent", "ci_high"]  # none to speak of
    at_start = paired_effects(runs, metrics, "gdp_share", "Partner", 0)
    assert np.allclose(at_start["effect"], 0.0)


def test_scenarios_pair_only_with_the_baseline_of_the_same_other_settings_and_seed(tmp_path):
    """A sweep over the rail speed too: each speed pairs with the no-agreement run at that speed and seed; a seed
    without its baseline is left out (not compared with another seed's)."""
    root = tmp_path / "sweep"
    for speed in (300.0, 350.0):
        for seed in (0, 1, 2):
            saved_run(root, "rail", seed, speed)
            if seed < 2 or speed == 300.0:
                saved_run(root, "none", seed, speed)
    runs, metrics = load_sweep(root)
    assert set(runs["pairing"]) == {"levers.rail_speed_kmh=300", "levers.rail_speed_kmh=350"}
    effects = paired_effects(runs, metrics, "gdp_share", "Partner", 2).set_index("scenario")
    slow, fast = "agreement=rail, levers.rail_speed_kmh=300", "agreement=rail, levers.rail_speed_kmh=350"
    assert effects.loc[slow, "seeds"] == 3 and effects.loc[fast, "seeds"] == 2
    # each speed's baseline carries its own +0.001: the paired effect of the fast line is the rail's alone
    assert effects.loc[fast, "effect"] == pytest.approx(np.mean([ADDED["rail"][0], ADDED["rail"][1]]), abs=1e-12)


def test_a_damaged_run_is_named_and_an_empty_sweep_refused(sweep, tmp_path):
    with pytest.raises(FileNotFoundError, match="no complete runs"):
        load_sweep(tmp_path / "empty")
    damaged = next(sweep.glob("agreement=talent*seed=2"))
    (damaged / METRICS_FILE).write_bytes(b"not parquet")
    with pytest.raises(DamagedRunError, match="seed=2: metrics.parquet differs"):
        load_sweep(sweep)


def test_the_scenario_table_puts_the_baseline_last_with_one_label_and_colour_each(sweep):
    runs, _ = load_sweep(sweep)
    table = scenario_table(runs)
    assert table["scenario"].tolist() == ["agreement=rail", "agreement=talent", "agreement=none"]
    assert table["label"].tolist() == ["Rail 300 km/h", "Talent exchange", "No agreement"]
    assert table["colour"].is_unique and table.loc[2, "colour"] == "#000000"  # the baseline is black


def test_the_horizon_table_and_the_calendar(sweep):
    runs, metrics = load_sweep(sweep)
    effects = paired_effects(runs, metrics, "gdp_share", "Partner", 2)
    table = horizon_table(metrics, CITIES, 2, effects)
    partner = table[(table["city"] == "Partner") & (table["metric"] == "gdp_share")].set_index("scenario")
    assert partner["seeds"].eq(4).all()
    assert partner.loc["agreement=none", "horizon_mean"] == pytest.approx(np.mean(list(BASELINE.values())))
    assert np.isnan(partner.loc["agreement=none", "effect"]) and partner.loc["agreement=rail", "effect"] > 0
    assert start_date(runs) == datetime.date(2021, 1, 1)
    assert start_date(runs.assign(start_date=["2021-01-01"] * 6 + ["2022-01-01"] * 6)) is None  # no single calendar
    assert run_events(runs) == []  # runs saved without events
    markdown = _markdown(partner.reset_index()[["scenario", "seeds", "horizon_mean"]])
    assert markdown.splitlines()[0] == "| scenario | seeds | horizon_mean |" and "| agreement=none | 4 | 0.205 |" in markdown
