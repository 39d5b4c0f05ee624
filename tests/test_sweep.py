"""Sweep bookkeeping (coopsim.sweep) called directly: the index of runs, the expected job count, the end-of-sweep summary."""

import json
import pickle
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from coopsim.results import STATUS_FILE
from coopsim.sweep import (
    INDEX_FILE,
    OVERRIDES_FILE,
    SweepIndex,
    _ProgressMonitor,
    build_index,
    expected_jobs,
    run_overrides,
    sweep_runs,
    update_index,
)


def sweep_run(sweep: Path, name: str, overrides: list[str], status: dict | None) -> Path:
    """A run folder as Hydra and coopsim-run leave it: ``.hydra/overrides.yaml`` and, once finished, ``run.json``."""
    folder = sweep / name
    (folder / OVERRIDES_FILE).parent.mkdir(parents=True)
    (folder / OVERRIDES_FILE).write_text("".join(f"- {override}\n" for override in overrides))
    if status is not None:
        (folder / STATUS_FILE).write_text(json.dumps(status))
    return folder


@pytest.fixture
def sweep(tmp_path) -> Path:
    """Three runs: one complete, one failed, one that never finished (plus a stray folder that is not a run)."""
    root = tmp_path / "sweep"
    sweep_run(root, "1", ["agreement=rail", "seed=1"], {"status": "complete", "seed": 1, "seconds": 2.5})
    sweep_run(root, "0", ["agreement=none", "seed=0"], {"status": "complete", "seed": 0, "seconds": 1.5})
    sweep_run(root, "2", ["agreement=rail", "seed=2"], {"status": "failed", "seed": 2, "error": "ValueError: boom"})
    sweep_run(root, "nested/3", ["agreement=none", "seed=3"], None)
    (root / "compare").mkdir()
    return root


def test_the_index_has_one_row_per_run_with_its_overrides_seed_status_and_error(sweep):
    assert [run.relative_to(sweep).as_posix() for run in sweep_runs(sweep)] == ["0", "1", "2", "nested/3"]
    assert run_overrides(sweep / "2") == ["agreement=rail", "seed=2"] and run_overrides(sweep / "compare") == []
    index = build_index(sweep).set_index("run")
    assert list(index.columns) == ["overrides", "seed", "status", "seconds", "error"]
    assert index["status"].to_dict() == {"0": "complete", "1": "complete", "2": "failed", "nested/3": "missing"}
    assert index.loc["1", "overrides"] == "agreement=rail seed=1" and index.loc["1", "seconds"] == 2.5
    assert index.loc["2", "error"] == "ValueError: boom" and pd.isna(index.loc["nested/3", "seed"])


def test_a_run_whose_status_file_cannot_be_read_is_listed_as_damaged_not_a_crash(sweep):
    (sweep / "1" / STATUS_FILE).write_text('{"status": "compl')  # cut off, e.g. by a partial copy
    index = build_index(sweep).set_index("run")
    assert index.loc["1", "status"] == "damaged" and "cannot be read" in index.loc["1", "error"]
    assert index.loc["0", "status"] == "complete"


def test_an_empty_sweep_has_an_empty_index_with_its_columns(tmp_path):
    index = build_index(tmp_path)
    assert index.empty and list(index.columns) == ["run", "overrides", "seed", "status", "seconds", "error"]


def test_the_index_file_follows_the_runs_as_they_finish(sweep):
    update_index(sweep)
    assert pd.read_csv(sweep / INDEX_FILE).set_index("run").loc["nested/3", "status"] == "missing"
    (sweep / "nested" / "3" / STATUS_FILE).write_text(json.dumps({"status": "complete", "seed": 3}))
    update_index(sweep)
    assert pd.read_csv(sweep / INDEX_FILE).set_index("run").loc["nested/3", "status"] == "complete"


def test_concurrent_index_writers_leave_a_whole_index(sweep):
    """Runs finishing together each rewrite the index under the lock: the file is always a whole index of every run."""
    errors = []

    def writer():
        try:
            for _ in range(10):
                update_index(sweep)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    index = pd.read_csv(sweep / INDEX_FILE)
    assert len(index) == 4 and set(index["status"]) == {"complete", "failed", "missing"}
    assert not list(sweep.glob(".index.csv.*.tmp"))


def hydra_config(params: dict, task: list[str], sweep_dir: str = "unused"):
    return OmegaConf.create({"hydra": {"sweeper": {"params": params}, "overrides": {"task": task}, "sweep": {"dir": sweep_dir}}})


@pytest.mark.parametrize(
    "params, task, jobs",
    [
        ({}, ["steps=4"], 1),
        ({}, ["agreement=none,rail", "seed=0,1,2"], 6),
        ({"seed": "range(0,4)"}, ["agreement=none,rail,talent"], 12),
        ({"seed": "range(0,4)"}, ["seed=5"], 1),  # the command line replaces the config's sweep of the same key
        ({"agreement": "none,rail"}, ["levers.rail_speed_kmh=choice(200,250,300)", "seed=0"], 6),
    ],
)
def test_expected_jobs_is_the_product_of_each_swept_parameters_values(params, task, jobs):
    assert expected_jobs(hydra_config(params, task)) == jobs


def test_a_sweep_with_unfinished_runs_ends_non_zero_naming_them(sweep):
    callback = SweepIndex()
    with pytest.raises(SystemExit, match=r"4 runs, 2 complete; NOT complete \(2\): 2, nested/3"):
        callback.on_multirun_end(hydra_config({}, [], str(sweep)))
    assert (sweep / INDEX_FILE).exists()


def test_a_complete_sweep_ends_quietly_with_its_index(tmp_path):
    root = tmp_path / "sweep"
    for seed in (0, 1):
        sweep_run(root, str(seed), [f"seed={seed}"], {"status": "complete", "seed": seed})
    SweepIndex().on_multirun_end(hydra_config({}, [], str(root)))
    assert (pd.read_csv(root / INDEX_FILE)["status"] == "complete").all()


def test_the_callback_travels_to_workers_without_its_progress_thread(sweep):
    callback = SweepIndex()
    callback.monitor = _ProgressMonitor(sweep, 4, time.time())
    copy = pickle.loads(pickle.dumps(callback))
    assert copy.monitor is None and callback.monitor is not None


def test_progress_counts_only_runs_finished_since_the_sweep_started(sweep):
    """Runs left by an earlier sweep in the same folder do not count (their overrides file is older than the start)."""
    assert _ProgressMonitor(sweep, 4, 0.0).finished() == 3  # every run with a run.json, failed ones included
    assert _ProgressMonitor(sweep, 4, time.time() + 60).finished() == 0
