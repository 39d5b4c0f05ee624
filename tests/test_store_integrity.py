"""The results store never mixes, loses, reuses stale or hides runs (each case a reproduction that failed before)."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from coopsim.compare import IncompleteSweepError, compare
from coopsim.results import DamagedRunError, is_complete, reuse_mismatch, verify_run
from coopsim.runner import compose_config, run
from coopsim.sweep import INDEX_FILE, OVERRIDES_FILE, update_index

APP = [sys.executable, "-c", "from coopsim.runner import main; main()"]
PACKAGED_CITIES = Path(__file__).resolve().parents[1] / "src" / "coopsim" / "data" / "guangdong_cities.csv"


def status(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text())


def test_a_changed_config_is_run_again_not_kept(tmp_path):
    """Case 1: a folder holding a run of another config is redone, so a sweep never mixes configs."""
    out = run(compose_config("steps=2"), tmp_path / "run")
    first = status(out)["seconds"], (out / "config.yaml").read_text()
    run(compose_config("steps=2", "economy.congestion_elasticity=0.3"), out)
    assert "congestion_elasticity: 0.3" in (out / "config.yaml").read_text() and (out / "config.yaml").read_text() != first[1]
    kept = run(compose_config("steps=2", "economy.congestion_elasticity=0.3"), out)
    assert reuse_mismatch(kept, (out / "config.yaml").read_text(), status(out)["inputs"]) is None


def test_an_edited_data_table_is_not_reused(tmp_path):
    """Case 2: the same config with an edited cities table (its SHA-256 differs) is run again."""
    table = tmp_path / "my_cities.csv"
    table.write_text(PACKAGED_CITIES.read_text(encoding="utf-8"), encoding="utf-8")
    cfg = compose_config("steps=2", f"region.data.cities_table={table}")
    out = run(cfg, tmp_path / "run")
    before = status(out)["inputs"]["region.data.cities_table"]
    assert before["path"] == str(table)
    table.write_text(table.read_text(encoding="utf-8").replace("2730.58", "2700.00"), encoding="utf-8")
    assert reuse_mismatch(out, (out / "config.yaml").read_text(), {**status(out)["inputs"], "region.data.cities_table": {}}) is not None
    run(cfg, out)
    after = status(out)["inputs"]["region.data.cities_table"]
    assert after["sha256"] != before["sha256"]


def test_a_relative_table_path_means_the_file_where_the_user_runs(tmp_path, monkeypatch):
    """Case 3: ./guangdong_cities.csv next to the user is read, not the packaged file of the same name, and recorded."""
    monkeypatch.chdir(tmp_path)
    edited = tmp_path / "guangdong_cities.csv"
    edited.write_text(PACKAGED_CITIES.read_text(encoding="utf-8").replace("2730.58", "2700.00"), encoding="utf-8")
    out = run(compose_config("steps=1", "region.data.cities_table=./guangdong_cities.csv"), tmp_path / "run")
    used = status(out)["inputs"]["region.data.cities_table"]
    assert Path(used["path"]).resolve() == edited.resolve()
    gdp = pd.read_parquet(out / "cities.parquet").set_index("name").loc["Shantou", "gdp_2020"]
    assert gdp == pytest.approx(2700.00)


def test_single_runs_started_together_get_their_own_folders(tmp_path):
    """Case 4: two runs started in the same second leave two folders, each complete with its own seed."""
    commands = [[*APP, "steps=2", f"seed={seed}"] for seed in (1, 2)]
    processes = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for command in commands]
    assert all(process.wait(timeout=300) == 0 for process in processes)
    folders = sorted((tmp_path / "results" / "runs").iterdir())
    assert len(folders) == 2 and all(is_complete(folder) for folder in folders)
    assert sorted(status(folder)["seed"] for folder in folders) == [1, 2]


def test_a_damaged_metrics_file_is_run_again_and_named_when_compared(tmp_path):
    """Case 9: a truncated metrics.parquet is not 'complete forever': reuse redoes it, compare names it."""
    sweep = tmp_path / "sweep"
    runs = []
    for agreement in ("none", "rail"):
        folder = sweep / f"agreement={agreement},seed=0"
        (folder / OVERRIDES_FILE).parent.mkdir(parents=True)
        (folder / OVERRIDES_FILE).write_text(f"- agreement={agreement}\n- seed=0\n")
        runs.append(run(compose_config(f"agreement={agreement}", "seed=0", "steps=2", "levers.rail_opening_quarter=1"), folder))
    damaged = runs[1] / "metrics.parquet"
    damaged.write_bytes(damaged.read_bytes()[:100])
    with pytest.raises(DamagedRunError, match=r"agreement=rail,seed=0: metrics.parquet differs from the checksum"):
        verify_run(runs[1])
    with pytest.raises(DamagedRunError, match="agreement=rail"):
        compare(sweep)
    run(compose_config("agreement=rail", "seed=0", "steps=2", "levers.rail_opening_quarter=1"), runs[1])  # redone, not kept
    verify_run(runs[1])
    assert pd.read_parquet(damaged)["step"].max() == 2


def test_compare_refuses_a_sweep_with_failed_runs_unless_told(tmp_path):
    """Case 7: a failed run's scenario is not silently dropped; --allow-missing compares what is there."""
    sweep = tmp_path / "sweep"
    for agreement in ("none", "rail"):
        folder = sweep / f"agreement={agreement},seed=0"
        (folder / OVERRIDES_FILE).parent.mkdir(parents=True)
        (folder / OVERRIDES_FILE).write_text(f"- agreement={agreement}\n- seed=0\n")
        if agreement == "none":
            run(compose_config("agreement=none", "seed=0", "steps=2"), folder)
        else:
            (folder / "run.json").write_text(json.dumps({"status": "failed", "seed": 0, "error": "boom"}))
    with pytest.raises(IncompleteSweepError, match=r"1 of 2 runs are not complete: agreement=rail,seed=0 \(failed\)"):
        compare(sweep)
    assert compare(sweep, allow_missing=True)


def test_the_index_says_what_has_finished_as_runs_finish(tmp_path):
    """Case 10: index.csv is rewritten as each run finishes, so an aborted sweep's index is not stale."""
    sweep = tmp_path / "sweep"
    folders = []
    for seed in (0, 1):
        folder = sweep / f"seed={seed}"
        (folder / OVERRIDES_FILE).parent.mkdir(parents=True)
        (folder / OVERRIDES_FILE).write_text(f"- seed={seed}\n")
        folders.append(folder)
    run(compose_config("seed=0", "steps=1"), folders[0])
    update_index(sweep)
    index = pd.read_csv(sweep / INDEX_FILE).set_index("run")
    assert index.loc["seed=0", "status"] == "complete" and index.loc["seed=1", "status"] == "missing"
