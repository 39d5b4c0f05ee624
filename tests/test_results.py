"""The results store (coopsim.results) called directly: complete runs are whole and marked last; stale, damaged, failed
or half-written runs are refused or named."""

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from coopsim import results
from coopsim.results import (
    CONFIG_FILE,
    METRICS_FILE,
    STATUS_FILE,
    DamagedRunError,
    is_complete,
    latest_run,
    package_versions,
    read_metrics,
    read_table,
    reuse_mismatch,
    run_status,
    verify_run,
    write_failure,
    write_run,
)

CONFIG = "seed: 3\nsteps: 2\n"
INPUTS = {"region.data.cities_table": {"path": "/data/cities.csv", "sha256": "aa" * 32}}


def metrics(value: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({"step": [0, 1], "city": ["A", "A"], "metric": ["talent", "talent"], "value": [value, value + 1]})


def complete_run(folder: Path, value: float = 1.0, config: str = CONFIG) -> Path:
    tables = {"cities.parquet": pd.DataFrame({"name": ["A"], "lat": [0.0]})}
    write_run(folder, config, 3, metrics(value), {"steps": 2, "inputs": INPUTS}, tables)
    return folder


def test_a_complete_run_reads_back_what_was_written_with_a_checksum_per_file(tmp_path):
    run = complete_run(tmp_path / "run")
    assert is_complete(run)
    pd.testing.assert_frame_equal(read_metrics(run), metrics())
    assert read_table(run, "cities.parquet")["name"].tolist() == ["A"]
    status = run_status(run)
    assert status["status"] == "complete" and status["seed"] == 3 and status["steps"] == 2
    assert set(status["files"]) == {CONFIG_FILE, METRICS_FILE, "cities.parquet"}
    assert all(status["files"][name] == results.sha256_of(run / name) for name in status["files"])
    assert status["versions"] == package_versions() and {"python", "coopsim", "numpy"} <= set(status["versions"])
    verify_run(run)
    assert not list(run.glob(".*.tmp"))  # no temporary file left behind


def test_rewriting_a_run_removes_its_completion_marker_first(tmp_path, monkeypatch):
    """A rewrite that dies half-way leaves no run.json: the folder is an interrupted run, not the old one or a mix."""
    run = complete_run(tmp_path / "run")

    def disk_full(path, frame):
        raise OSError("disk full")

    monkeypatch.setattr(results, "atomic_write_parquet", disk_full)
    with pytest.raises(OSError, match="disk full"):
        complete_run(run, value=5.0)
    assert not is_complete(run) and run_status(run) == {}
    with pytest.raises(FileNotFoundError, match="no complete run"):
        read_metrics(run)
    with pytest.raises(FileNotFoundError, match="no complete run"):
        read_table(run, "cities.parquet")


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "file.txt"
    results.atomic_write_bytes(target, b"old")

    def crash(*args):
        raise RuntimeError("killed")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(RuntimeError, match="killed"):
        results.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda run: (run / METRICS_FILE).write_bytes((run / METRICS_FILE).read_bytes()[:50]), "metrics.parquet differs"),
        (lambda run: (run / CONFIG_FILE).write_text(CONFIG + "# edited\n"), "config.yaml differs"),
        (lambda run: (run / "cities.parquet").unlink(), "cities.parquet is missing"),
    ],
    ids=["truncated", "edited", "missing"],
)
def test_a_damaged_file_is_named(tmp_path, damage, message):
    run = complete_run(tmp_path / "run")
    damage(run)
    with pytest.raises(DamagedRunError, match=message):
        verify_run(run)
    assert message in reuse_mismatch(run, (run / CONFIG_FILE).read_text(), INPUTS)


def test_a_run_without_checksums_is_refused(tmp_path):
    run = complete_run(tmp_path / "run")
    status = run_status(run)
    del status["files"]
    (run / STATUS_FILE).write_text(json.dumps(status))
    with pytest.raises(DamagedRunError, match="records no file checksums"):
        verify_run(run)


def test_a_run_is_reused_only_with_the_same_config_inputs_and_version(tmp_path):
    run = complete_run(tmp_path / "run")
    assert reuse_mismatch(run, CONFIG, INPUTS) is None
    moved = {"region.data.cities_table": {"path": "/elsewhere/cities.csv", "sha256": "aa" * 32}}
    assert reuse_mismatch(run, CONFIG, moved) is None  # where a table lives does not matter, what it holds does
    assert reuse_mismatch(run, CONFIG + "seed: 4\n", INPUTS) == "its config differs"
    edited = {"region.data.cities_table": {"path": "/data/cities.csv", "sha256": "bb" * 32}}
    assert reuse_mismatch(run, CONFIG, edited) == "its input data differ (region.data.cities_table)"
    added = {**INPUTS, "region.data.links_table": {"sha256": "cc" * 32}}
    assert reuse_mismatch(run, CONFIG, added) == "its input data differ (region.data.links_table)"
    status = run_status(run)
    status["versions"]["coopsim"] = "0.0.1"
    (run / STATUS_FILE).write_text(json.dumps(status))
    assert reuse_mismatch(run, CONFIG, INPUTS).startswith("it was made by coopsim 0.0.1")
    assert reuse_mismatch(tmp_path / "nothing", CONFIG, INPUTS) == "no complete run there"


def test_a_failed_run_is_recorded_but_never_complete(tmp_path):
    run = tmp_path / "failed"
    try:
        raise ValueError("boom")
    except ValueError as error:
        write_failure(run, CONFIG, 7, error, "Traceback: ...")
    status = run_status(run)
    assert (status["status"], status["seed"], status["error"]) == ("failed", 7, "ValueError: boom")
    assert not is_complete(run) and (run / CONFIG_FILE).read_text() == CONFIG
    assert reuse_mismatch(run, CONFIG, {}) == "no complete run there"


def test_the_latest_run_is_the_last_completed_and_ignores_failed_or_interrupted_ones(tmp_path):
    with pytest.raises(FileNotFoundError, match="no complete run"):
        latest_run(tmp_path)
    older = complete_run(tmp_path / "runs" / "older")
    newer = complete_run(tmp_path / "runs" / "nested" / "newer")
    past = time.time() - 100
    os.utime(older / STATUS_FILE, (past, past))
    try:
        raise RuntimeError("later, but failed")
    except RuntimeError as error:
        write_failure(tmp_path / "runs" / "failed", CONFIG, 0, error, "")
    (tmp_path / "runs" / "interrupted").mkdir()
    (tmp_path / "runs" / "interrupted" / METRICS_FILE).write_bytes(b"half")
    assert latest_run(tmp_path) == newer
    os.utime(newer / STATUS_FILE, (past - 100, past - 100))
    assert latest_run(tmp_path) == older


def test_an_unreadable_status_file_means_no_run(tmp_path):
    (tmp_path / STATUS_FILE).write_text("{not json")
    assert run_status(tmp_path) == {}
    assert reuse_mismatch(tmp_path, CONFIG, {}) == "no complete run there"


def test_a_complete_run_missing_its_config_is_named_not_a_crash(tmp_path):
    """reuse_mismatch promises a reason (runner.run then runs again), also when config.yaml was deleted."""
    run = complete_run(tmp_path / "run")
    (run / CONFIG_FILE).unlink()
    assert "config.yaml is missing" in reuse_mismatch(run, CONFIG, INPUTS)


def test_an_unreadable_status_file_is_not_a_complete_run(tmp_path):
    """A damaged run.json is no status: is_complete (and latest_run, runner.run) see an incomplete run, never a crash."""
    run = complete_run(tmp_path / "run")
    (run / STATUS_FILE).write_text('{"status": "compl')
    assert not is_complete(run)
