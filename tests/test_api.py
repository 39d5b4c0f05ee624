"""The notebook API: same metrics as coopsim-run, repeated composition, in-process sweeps."""

import subprocess
import sys

import pandas as pd
import pytest

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
    # the exchange is two-way with equal quotas (configs/agreement/talent.yaml): by quarter 4 each partner has sent and
    # received four quarterly batches of its year's quota, none back yet from a year-long secondment ...
    partners = metrics.query("scenario == 'agreement=talent' and city in ['Shantou', 'Shenzhen'] and step > 0")
    exchanged = partners[partners["metric"].isin(["exchange_in", "exchange_out"])].groupby(["seed", "city", "metric"])["value"].sum()
    assert exchanged.tolist() == [QUOTA] * 8
    # ... so the talent share of Shantou is where it is without the agreement, to within one cohort choosing otherwise
    assert abs(effects["effect"].iloc[0]) * talent_total(metrics) < COHORT


QUOTA = 1000.0  # levers.exchange_quota: people a year each way
COHORT = 500.0  # region.data.people_per_talent_agent of shenzhen_shantou


def talent_total(metrics: pd.DataFrame) -> float:
    """The region's talent (conserved: the same in every scenario, seed and quarter)."""
    totals = metrics.query("metric == 'talent'").groupby(["scenario", "seed", "step"])["value"].sum()
    assert totals.max() == pytest.approx(totals.min(), rel=1e-12)
    return float(totals.iloc[0])


def test_a_one_way_exchange_raises_the_hosts_talent_share_by_its_quota():
    """Shenzhen seconds a year's quota to Shantou, nothing comes back before quarter 5: paired with the same seed and no
    exchange (quota 0), Shantou's talent share at quarter 4 is up by the quota over the region's talent (secondees stay
    put, so to within a cohort), Shenzhen's is down by the quota, give or take the decisions of the cohorts whose
    utility the secondment changed (at most two cohorts either way; migration may refill part of it)."""
    runs, metrics = api.sweep(
        {"levers.exchange_quota": [0, int(QUOTA)]},
        "region=shenzhen_shantou",
        "steps=4",
        "agreement=talent",
        "agreement.rules.talent.two_way=false",
        seeds=range(2),
    )
    shares = metrics.query("step == 4 and metric == 'talent_share'").pivot_table(index=["seed", "city"], columns="scenario", values="value")
    change = (shares["levers.exchange_quota=1000"] - shares["levers.exchange_quota=0"]) * talent_total(metrics)  # people
    for seed in (0, 1):
        assert QUOTA - COHORT < change[(seed, "Shantou")] < QUOTA + COHORT
        assert -QUOTA - 2 * COHORT < change[(seed, "Shenzhen")] < 0
        assert change.xs(seed, level="seed").sum() == pytest.approx(0.0, abs=1e-6)  # people moved, none made
