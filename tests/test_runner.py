"""run(cfg) writes a complete, atomic results folder; the console script works end to end."""

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from coopsim import runner
from coopsim.config import ConfigError
from coopsim.results import is_complete, read_metrics
from coopsim.runner import build_model, compose_config, run


def test_run_writes_config_seed_versions_and_metrics(tmp_path):
    cfg = compose_config("steps=6", "seed=5")
    out = run(cfg, tmp_path / "run")
    status = json.loads((out / "run.json").read_text())
    assert status["status"] == "complete" and status["seed"] == 5
    assert {"mesa", "numpy", "hydra-core", "python"} <= set(status["versions"])
    assert yaml.safe_load((out / "config.yaml").read_text())["economy"]["sigma"] == cfg.economy.sigma
    metrics = read_metrics(out)
    assert list(metrics.columns) == ["step", "quarter", "city", "metric", "value"]
    assert metrics["step"].max() == 6 and set(metrics.query("step == 6")["quarter"]) == {"2022 Q3"}


def test_same_seed_gives_identical_parquet(tmp_path):
    first = run(compose_config("steps=8", "seed=2"), tmp_path / "a")
    second = run(compose_config("steps=8", "seed=2"), tmp_path / "b")
    pd.testing.assert_frame_equal(pd.read_parquet(first / "metrics.parquet"), pd.read_parquet(second / "metrics.parquet"))


def test_interrupted_run_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    out = tmp_path / "run"
    run(compose_config("steps=3"), out)
    assert is_complete(out)

    def broken_step(self):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(runner.RegionalEconomy, "step", broken_step)
    with pytest.raises(KeyboardInterrupt):
        run(compose_config("steps=3"), out, reuse=False)
    # the earlier result is still whole; a crash mid-write never leaves a partial parquet behind
    assert is_complete(out) and not list(out.glob(".*.tmp"))


def test_crash_while_writing_leaves_no_completion_marker(tmp_path, monkeypatch):
    out = tmp_path / "run"

    def failing_parquet(path, frame):
        raise OSError("disk full")

    monkeypatch.setattr("coopsim.results.atomic_write_parquet", failing_parquet)
    with pytest.raises(OSError):
        run(compose_config("steps=2"), out)
    assert not is_complete(out)
    assert not (out / "metrics.parquet").exists()
    with pytest.raises(FileNotFoundError, match="no complete run"):
        read_metrics(out)


def test_bad_config_fails_before_any_output(tmp_path):
    with pytest.raises(ValueError, match="economy.sigma"):
        run(compose_config("economy.sigma=0.9"), tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_console_script_runs_and_writes_into_hydra_output_dir(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from coopsim.runner import main; main()", "steps=3", f"hydra.run.dir={tmp_path}/out"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert is_complete(tmp_path / "out")
    assert (tmp_path / "out" / ".hydra" / "config.yaml").exists()


def test_console_script_rejects_unknown_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from coopsim.runner import main; main()", "economy.sigmaa=3", f"hydra.run.dir={tmp_path}/out"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "sigmaa" in result.stderr
    assert not (tmp_path / "out" / "metrics.parquet").exists()


def test_complete_run_with_the_same_config_is_reused(tmp_path, monkeypatch):
    out = run(compose_config("region=two_symmetric", "steps=2"), tmp_path / "run")
    stamp = (out / "run.json").stat().st_mtime_ns

    def must_not_step(self):
        raise AssertionError("a complete run with the same config must not be recomputed")

    monkeypatch.setattr(runner.RegionalEconomy, "step", must_not_step)
    run(compose_config("region=two_symmetric", "steps=2"), out)
    assert (out / "run.json").stat().st_mtime_ns == stamp
    with pytest.raises(AssertionError, match="must not be recomputed"):
        run(compose_config("region=two_symmetric", "steps=2", "seed=9"), out)  # a different config is recomputed


def test_omegaconf_refusals_become_config_errors_naming_the_field():
    """A value OmegaConf itself refuses (here, the rail line's first station interpolated to nothing) is a ConfigError
    naming the field, like the project's own checks, not a traceback from deep in OmegaConf."""
    with pytest.raises(ConfigError, match=r"^agreement\.rules\.rail\.stations\[0\]: .*'None'"):
        build_model(compose_config("region.core_city=null", "agreement=rail"))
