"""The notebook API: same metrics as coopsim-run, repeated composition, in-process sweeps."""

import subprocess
import sys

import pandas as pd

from coopsim import api

OVERRIDES = ["region=shenzhen_shantou", "agreement=deep_cooperation", "steps=6", "levers.rail_opening_quarter=3", "seed=4"]


def test_api_gives_the_same_metrics_as_coopsim_run(tmp_path):
    command = [sys.executable, "-c", "from coopsim.runner import main; main()", *OVERRIDES, f"hydra.run.dir={tmp_path}/run"]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    saved = pd.read_parquet(tmp_path / "run" / "metrics.parquet")
    pd.testing.assert_frame_equal(api.run(*OVERRIDES), saved)


def test_compose_works_any_number_of_times():
    speeds = [api.compose("agreement=rail", f"levers.rail_speed_kmh={v}").agreement.rules.rail.speed_kmh for v in (160, 250, 350)]
    assert speeds == [160, 250, 350]


def test_in_process_sweep_pairs_scenarios_and_is_independent_of_processes():
    grid = {"agreement": ["none", "talent"]}
    common = ["region=shenzhen_shantou", "steps=4"]
    runs, metrics = api.sweep(grid, *common, seeds=range(2))
    runs_2, metrics_2 = api.sweep(grid, *common, seeds=range(2), processes=2)
    pd.testing.assert_frame_equal(metrics, metrics_2)
    assert sorted(runs["scenario"].unique()) == ["agreement=none", "agreement=talent"]
    effects = api.effects(runs, metrics, "talent_share", "Shantou")
    assert effects["scenario"].tolist() == ["agreement=talent"] and effects["seeds"].iloc[0] == 2
    # the exchange moves people into Shantou and out: its talent share changes against no agreement
    exchanged = metrics.query("scenario == 'agreement=talent' and metric == 'exchange_in'")["value"].sum()
    assert exchanged > 0
