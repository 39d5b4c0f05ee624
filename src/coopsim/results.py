"""Reading and writing a run's results: resolved config, seed, versions, tidy metrics, status.

Every file is written to a temporary name in the same folder and renamed into place
(``os.replace`` is atomic on POSIX), and ``run.json`` with ``"status": "complete"`` is
written last: a folder without it is an interrupted run, whatever else it holds.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path

import pandas as pd

METRICS_FILE = "metrics.parquet"
CITIES_FILE = "cities.parquet"
LINKS_FILE = "links.parquet"
CONFIG_FILE = "config.yaml"
STATUS_FILE = "run.json"
PACKAGES = ("coopsim", "mesa", "numpy", "pandas", "pyarrow", "networkx", "hydra-core", "omegaconf", "scipy")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a result depends on, plus Python's."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write a DataFrame as Parquet atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_run(
    output_dir: Path, resolved_config_yaml: str, seed: int, metrics: pd.DataFrame, info: dict, tables: dict[str, pd.DataFrame] | None = None
) -> None:
    """Write a complete run folder; ``run.json`` (the completion marker) goes last.

    ``tables`` are extra Parquet files by name (the region's cities and links, for maps).
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / STATUS_FILE).unlink(missing_ok=True)
    atomic_write_bytes(output_dir / CONFIG_FILE, resolved_config_yaml.encode())
    for name, table in (tables or {}).items():
        atomic_write_parquet(output_dir / name, table)
    atomic_write_parquet(output_dir / METRICS_FILE, metrics)
    status = {"status": "complete", "seed": int(seed), "versions": package_versions(), **info}
    atomic_write_bytes(output_dir / STATUS_FILE, json.dumps(status, indent=2, sort_keys=True).encode())


def write_failure(output_dir: Path, resolved_config_yaml: str, seed: int, error: BaseException, trace: str) -> None:
    """Record a run that raised: its config and a ``run.json`` with status ``failed`` and the traceback."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(output_dir / CONFIG_FILE, resolved_config_yaml.encode())
    status = {
        "status": "failed",
        "seed": int(seed),
        "error": f"{type(error).__name__}: {error}",
        "traceback": trace,
        "versions": package_versions(),
    }
    atomic_write_bytes(output_dir / STATUS_FILE, json.dumps(status, indent=2, sort_keys=True).encode())


def is_complete(run_dir: Path) -> bool:
    """True when the run folder holds a completion marker."""
    path = Path(run_dir) / STATUS_FILE
    if not path.exists():
        return False
    return json.loads(path.read_text()).get("status") == "complete"


def latest_run(root: Path) -> Path:
    """The most recently completed run folder under ``root`` (searched recursively)."""
    runs = [path.parent for path in Path(root).rglob(STATUS_FILE) if is_complete(path.parent)]
    if not runs:
        raise FileNotFoundError(f"{root}: no complete run found (no {STATUS_FILE} with status complete)")
    return max(runs, key=lambda run: (run / STATUS_FILE).stat().st_mtime)


def read_table(run_dir: Path, name: str) -> pd.DataFrame:
    """One of a complete run's Parquet tables (``cities.parquet``, ``links.parquet``)."""
    run_dir = Path(run_dir)
    if not is_complete(run_dir):
        raise FileNotFoundError(f"{run_dir}: no complete run here ({STATUS_FILE} missing or not complete)")
    return pd.read_parquet(run_dir / name)


def read_metrics(run_dir: Path) -> pd.DataFrame:
    """The tidy metrics of a complete run; raises if the run did not complete."""
    run_dir = Path(run_dir)
    if not is_complete(run_dir):
        raise FileNotFoundError(f"{run_dir}: no complete run here ({STATUS_FILE} missing or not complete)")
    return pd.read_parquet(run_dir / METRICS_FILE)
