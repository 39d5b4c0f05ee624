"""Sweeps: the index of a sweep's runs, a live progress bar, and the end-of-sweep summary.

Registered as a Hydra callback (``configs/hydra/default.yaml``): when a multirun starts it
counts the jobs the sweeper will launch and shows a progress bar (only on a terminal, so logs
are not flooded). ``index.csv`` in the sweep folder (one row per run: folder, overrides, seed,
status, seconds, error) is rewritten as each run finishes and when the sweep ends; a sweep with
runs that failed or did not finish then exits non-zero, naming them.
"""

from __future__ import annotations

import fcntl
import logging
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from tqdm.auto import tqdm

from coopsim.results import STATUS_FILE, atomic_write_bytes, run_status

log = logging.getLogger(__name__)

INDEX_FILE = "index.csv"
LOCK_FILE = ".index.lock"
OVERRIDES_FILE = Path(".hydra") / "overrides.yaml"
POLL_SECONDS = 1.0


def run_overrides(run_dir: Path) -> list[str]:
    """The command-line overrides of one run of a sweep (Hydra's ``.hydra/overrides.yaml``)."""
    path = Path(run_dir) / OVERRIDES_FILE
    return yaml.safe_load(path.read_text()) if path.exists() else []


def sweep_runs(sweep_dir: Path) -> list[Path]:
    """The run folders of a sweep: every folder under it with Hydra's overrides file, sorted."""
    return sorted(path.parent.parent for path in Path(sweep_dir).rglob(str(OVERRIDES_FILE)))


def build_index(sweep_dir: Path) -> pd.DataFrame:
    """One row per run of a sweep: folder, overrides, seed, status (complete, failed, missing, damaged), seconds, error."""
    rows = []
    for run_dir in sweep_runs(sweep_dir):
        status = run_status(run_dir) if (run_dir / STATUS_FILE).exists() else {"status": "missing"}
        if not status:  # a run.json that cannot be read
            status = {"status": "damaged", "error": f"{STATUS_FILE} cannot be read"}
        rows.append(
            {
                "run": str(run_dir.relative_to(sweep_dir)),
                "overrides": " ".join(run_overrides(run_dir)),
                "seed": status.get("seed"),
                "status": status.get("status", "missing"),
                "seconds": status.get("seconds"),
                "error": status.get("error", ""),
            }
        )
    return pd.DataFrame(rows, columns=["run", "overrides", "seed", "status", "seconds", "error"])


def update_index(sweep_dir: Path) -> pd.DataFrame:
    """Rewrite the sweep's ``index.csv`` from its run folders, atomically and one writer at a time; returns the index.

    Called as each run finishes, so that an aborted sweep's index says what really finished.
    A lock file serialises the processes of a sweep; each rebuilds the index from the folders,
    so the last writer's index holds every run finished by then.
    """
    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    with open(sweep_dir / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            index = build_index(sweep_dir)
            atomic_write_bytes(sweep_dir / INDEX_FILE, index.to_csv(index=False).encode())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return index


def expected_jobs(config: DictConfig) -> int:
    """Number of jobs Hydra's basic sweeper launches: the product of each swept parameter's values."""
    params = dict(config.hydra.sweeper.get("params") or {})
    for override in config.hydra.overrides.task:
        key, _, value = override.partition("=")
        params[key] = value
    parser = OverridesParser.create()
    total = 1
    for key, value in params.items():
        override = parser.parse_override(f"{key}={value}")
        total *= len(list(override.sweep_string_iterator())) if override.is_sweep_override() else 1
    return total


class _ProgressMonitor(threading.Thread):
    """Counts finished runs in the sweep folder and shows them in a tqdm bar (terminal only)."""

    def __init__(self, sweep_dir: Path, total: int, started: float) -> None:
        super().__init__(daemon=True)
        self.sweep_dir, self.total, self.started = sweep_dir, total, started
        self.stopping = threading.Event()

    def finished(self) -> int:
        done = 0
        for run_dir in sweep_runs(self.sweep_dir):
            marker = run_dir / OVERRIDES_FILE
            if (run_dir / STATUS_FILE).exists() and marker.stat().st_mtime >= self.started:
                done += 1
        return done

    def run(self) -> None:
        with tqdm(total=self.total, desc="sweep runs", unit="run", disable=not sys.stderr.isatty()) as bar:
            while not self.stopping.wait(POLL_SECONDS):
                bar.update(min(self.finished(), self.total) - bar.n)
            bar.update(min(self.finished(), self.total) - bar.n)


class SweepIndex(Callback):
    """Hydra callback: progress during a multirun, then the sweep index and a summary naming failures."""

    def __init__(self) -> None:
        self.monitor: _ProgressMonitor | None = None

    def __getstate__(self) -> dict:
        """Launchers pickle callbacks into their workers; the progress thread stays in the launching process."""
        return {}

    def __setstate__(self, state: dict) -> None:
        self.monitor = None

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        self.monitor = _ProgressMonitor(sweep_dir, expected_jobs(config), time.time() - POLL_SECONDS)
        self.monitor.start()

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        if self.monitor is not None:
            self.monitor.stopping.set()
            self.monitor.join(timeout=10 * POLL_SECONDS)
        sweep_dir = Path(config.hydra.sweep.dir)
        index = update_index(sweep_dir)
        counts = index["status"].value_counts().to_dict()
        failed = index.loc[index["status"] != "complete", "run"].tolist()
        summary = f"sweep {sweep_dir}: {len(index)} runs, {counts.get('complete', 0)} complete"
        if failed:
            log.error("%s; NOT complete (%d): %s", summary, len(failed), ", ".join(failed))
            raise SystemExit(f"{summary}; NOT complete ({len(failed)}): {', '.join(failed)}")
        log.info("%s; index in %s", summary, sweep_dir / INDEX_FILE)
