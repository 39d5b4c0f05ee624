"""Experiments from Hydra configs: sweeps end to end, reproducibility across processes, resumption, failures."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from coopsim.compare import compare
from coopsim.results import is_complete
from coopsim.runner import compose_config
from coopsim.sweep import build_index, sweep_runs

SMALL = ["steps=4", "levers.rail_opening_quarter=2", "seed=0,1"]
APP = [sys.executable, "-c", "from coopsim.runner import main; main()"]


def sweep(directory: Path, *overrides: str, jobs: int = 2, check: bool = True) -> subprocess.CompletedProcess:
    """``coopsim-run -m`` with the joblib launcher into ``directory``."""
    command = [*APP, "-m", *overrides, f"hydra.sweep.dir={directory}", "hydra/launcher=joblib", f"hydra.launcher.n_jobs={jobs}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def metrics_by_run(directory: Path) -> dict[str, pd.DataFrame]:
    return {str(run.relative_to(directory)): pd.read_parquet(run / "metrics.parquet") for run in sweep_runs(directory)}


@pytest.fixture(scope="module")
def small_comparison(tmp_path_factory):
    directory = tmp_path_factory.mktemp("scenario_comparison")
    sweep(directory, "experiment=scenario_comparison", *SMALL)
    return directory


def test_scenario_comparison_runs_end_to_end_and_compare_draws_every_figure(small_comparison):
    index = build_index(small_comparison)
    assert len(index) == 10 and (index["status"] == "complete").all()
    assert (small_comparison / "index.csv").exists()
    written = compare(small_comparison)
    names = {path.name for path in written}
    for figure in ("effects", "flows", "map", "paths_gdp_share_Shantou", "paths_talent_share_Shenzhen", "paths_enterprise_share_Shantou"):
        assert {f"{figure}.png", f"{figure}.svg"} <= names, figure
    assert all(path.stat().st_size > 500 for path in written if path.suffix in (".png", ".svg"))  # figures are drawn
    summary = pd.read_csv(small_comparison / "compare" / "summary.csv")
    deep = summary.query("scenario == 'agreement=deep_cooperation' and city == 'Shantou' and metric == 'gdp_share'")
    assert len(deep) == 1 and deep["seeds"].iloc[0] == 2 and deep["ci_low"].iloc[0] <= deep["effect"].iloc[0] <= deep["ci_high"].iloc[0]
    assert summary.query("scenario == 'agreement=none'")["effect"].isna().all()
    # sub-centre indicators and a class per scenario (names and columns are the contract)
    assert {"indicators.csv", "classes.csv", "indicators.png"} <= names
    indicators = pd.read_csv(small_comparison / "compare" / "indicators.csv")
    assert list(indicators.columns) == ["scenario", "indicator", "seeds", "mean", "effect", "ci_low", "ci_high"]
    assert set(indicators["indicator"]) == {
        "partner_circle_share",
        "spread_ratio",
        "circle_gdp_share",
        "circle_resident_share",
        "partner_access_rank",
        "partner_core_access",
    }
    start = indicators.query("scenario == 'agreement=none' and indicator == 'partner_circle_share'")["mean"].iloc[0]
    assert start == pytest.approx(0.460, abs=0.01)  # Shantou's share of Shantou + Chaozhou + Jieyang GDP in 2020: 46.0%
    classes = pd.read_csv(small_comparison / "compare" / "classes.csv")
    assert list(classes.columns) == ["scenario", "sub_centre_class"]
    assert set(classes["scenario"]) == {"agreement=rail", "agreement=investment", "agreement=talent", "agreement=deep_cooperation"}
    assert set(classes["sub_centre_class"]) <= {"sub_centre_with_spread", "local_primacy", "drained_by_core", "no_effect"}


def test_compare_writes_a_report_and_a_workbook_an_analyst_can_read(small_comparison):
    """report.html embeds every figure and names the horizon as a date; summary.xlsx has a sheet per table covering
    every city; each scenario has one label and one colour, the same in the table and the figures."""
    import base64
    import re

    from openpyxl import load_workbook

    written = compare(small_comparison)
    out = small_comparison / "compare"
    report = (out / "report.html").read_text(encoding="utf-8")
    pngs = sorted(path for path in written if path.suffix == ".png")
    assert report.count("data:image/png;base64,") == len(pngs) >= 7  # effects, effect map, indicators, paths, flows, map
    assert "2022 Q1" in report  # 4 quarters after 2021 Q1: the horizon as a date
    for heading in ("What was run", "Key parameters and their sources", "Headline effects", "Sub-centre indicators", "Caveats"):
        assert heading in report
    assert "Rail 350 km/h" in report and "Deep cooperation" in report
    assert "tertiary_per_100k_2020: no figure for" in report  # the census fallback is a caveat
    first = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", report).group(1)
    assert base64.b64decode(first)[:8] == b"\x89PNG\r\n\x1a\n"
    book = load_workbook(out / "summary.xlsx", read_only=True)
    assert {"scenarios", "summary", "indicators", "classes", "calibration"} <= set(book.sheetnames)
    summary = pd.read_excel(out / "summary.xlsx", sheet_name="summary")
    assert summary["city"].nunique() == 21 and set(summary["metric"]) == {"gdp_share", "talent_share", "enterprise_share", "gdp_100m_yuan"}
    assert set(summary["date"]) == {"2022 Q1"}
    scenarios = pd.read_csv(out / "scenarios.csv")
    colours = dict(zip(scenarios["label"], scenarios["colour"], strict=True))
    assert colours["No agreement"] == "#000000" and len(set(colours.values())) == len(colours)
    # the same colour in two figures: the paths and the effects chart draw rail in the scenarios table's colour
    rail = colours["Rail 350 km/h"].lstrip("#").lower()
    for figure in ("paths_gdp_share_Shantou.svg", "effects.svg"):
        assert rail in (out / figure).read_text().lower(), figure


def test_same_sweep_gives_identical_metrics_with_one_or_two_processes(small_comparison, tmp_path):
    again = tmp_path / "again"
    sweep(again, "experiment=scenario_comparison", *SMALL, jobs=1)
    first, second = metrics_by_run(small_comparison), metrics_by_run(again)
    assert first.keys() == second.keys() and len(first) == 10
    for run in first:
        pd.testing.assert_frame_equal(first[run], second[run])


def test_common_random_numbers_pair_runs_by_seed(small_comparison):
    runs = metrics_by_run(small_comparison)
    none = runs["agreement=none,levers.rail_opening_quarter=2,seed=0,steps=4"]
    talent = runs["agreement=talent,levers.rail_opening_quarter=2,seed=0,steps=4"]
    # step 0 is identical, before any rule acts
    assert none.query("step == 0")["value"].equals(talent.query("step == 0")["value"])


def test_killed_sweep_resumes_without_redoing_finished_runs(tmp_path):
    directory = tmp_path / "killed"
    command = [
        *APP,
        "-m",
        "region=shenzhen_shantou",
        "steps=30",
        "seed=range(8)",
        f"hydra.sweep.dir={directory}",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=1",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and sum(is_complete(r) for r in sweep_runs(directory)) < 2:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    finished = {run: (run / "run.json").stat().st_mtime_ns for run in sweep_runs(directory) if is_complete(run)}
    assert 2 <= len(finished) < 8
    result = sweep(directory, "region=shenzhen_shantou", "steps=30", "seed=range(8)", jobs=2)
    index = build_index(directory)
    assert len(index) == 8 and (index["status"] == "complete").all(), index
    for run, stamp in finished.items():
        assert (run / "run.json").stat().st_mtime_ns == stamp  # kept, not redone
    assert (result.stdout + result.stderr).count("already complete with this config, data and version") >= len(finished)


def test_failed_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    directory = tmp_path / "failing"
    result = sweep(directory, "region=two_symmetric", "steps=2", "economy.sigma=0.9,5.0", check=False)
    assert result.returncode != 0  # the sweep finishes the other runs, then says it is not complete
    index = build_index(directory).set_index("run")
    failed = index.loc["economy.sigma=0.9,region=two_symmetric,steps=2"]
    assert failed["status"] == "failed" and "economy.sigma" in failed["error"]
    assert index.loc["economy.sigma=5.0,region=two_symmetric,steps=2", "status"] == "complete"
    status = json.loads((directory / "economy.sigma=0.9,region=two_symmetric,steps=2" / "run.json").read_text())
    assert "Traceback" in status["traceback"]
    assert "NOT complete (1): economy.sigma=0.9,region=two_symmetric,steps=2" in result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("experiment", ["scenario_comparison", "rail_speed_sweep", "agreement_ablation", "core_periphery", "rail_regimes"])
def test_every_experiment_runs_briefly(experiment, tmp_path):
    """Each experiment composes and its first scenarios run for a few quarters (the sweep itself is trimmed)."""
    cfg = compose_config(f"experiment={experiment}")
    assert cfg.experiment == experiment
    brief = ["steps=5", "seed=0"] + (["levers.rail_opening_quarter=2"] if experiment != "rail_regimes" else ["agreement=fast_link,none"])
    if experiment in ("scenario_comparison", "agreement_ablation", "rail_speed_sweep"):
        brief.append("agreement=none,deep_cooperation")
    if experiment == "core_periphery":
        brief.append("region.trade_cost=1.5,1.9")
    sweep(tmp_path / experiment, f"experiment={experiment}", *brief)
    index = build_index(tmp_path / experiment)
    assert len(index) >= 2 and (index["status"] == "complete").all(), index
    written = compare(tmp_path / experiment)
    assert any(p.name == "summary.csv" for p in written)
    if experiment == "core_periphery":
        assert any(p.name == "tomahawk.png" for p in written)
