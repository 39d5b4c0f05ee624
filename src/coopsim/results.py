"""Reading and writing a run's results: resolved config, seed, versions, tidy metrics, status.

Every file is written to a temporary name in the same folder and renamed into place
(``os.replace`` is atomic on POSIX), and ``run.json`` with ``"status": "complete"`` is
written last: a folder without it is an interrupted run, whatever else it holds. ``run.json``
also records the SHA-256 of every file the run wrote and of every input table it read, so a
run is reused only when its config, its input data and the package version are the same and
its files are whole (:func:`reuse_mismatch`), and a damaged file is named when read
(:func:`verify_run`).
"""

from __future__ import annotations

import hashlib
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
CALIBRATION_FILE = "calibration.parquet"  # each calibration target against the step-0 fit (coopsim.calibration)
PAIR_TIMES_FILE = "pair_times.parquet"  # each city's freight and passenger minutes to the core and partner cities
EVENTS_FILE = "events.parquet"  # dated events (timetable changes, line openings) to mark on time paths
CONFIG_FILE = "config.yaml"
STATUS_FILE = "run.json"
FILE_MODE = 0o666  # what a plain open() would create, before the umask
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


def _umask_mode() -> int:
    """The permissions a new file gets under the process's umask (``mkstemp`` would give 0600, which shared folders cannot read)."""
    mask = os.umask(0)
    os.umask(mask)
    return FILE_MODE & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename (umask honoured)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _umask_mode())
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
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DamagedRunError(RuntimeError):
    """A complete run's file is missing or differs from the checksum its ``run.json`` recorded."""


def write_run(
    output_dir: Path, resolved_config_yaml: str, seed: int, metrics: pd.DataFrame, info: dict, tables: dict[str, pd.DataFrame] | None = None
) -> None:
    """Write a complete run folder; ``run.json`` (the completion marker, with each file's SHA-256) goes last.

    ``tables`` are extra Parquet files by name (the region's cities and links, for maps).
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / STATUS_FILE).unlink(missing_ok=True)
    atomic_write_bytes(output_dir / CONFIG_FILE, resolved_config_yaml.encode())
    for name, table in (tables or {}).items():
        atomic_write_parquet(output_dir / name, table)
    atomic_write_parquet(output_dir / METRICS_FILE, metrics)
    written = [CONFIG_FILE, *(tables or {}), METRICS_FILE]
    files = {name: sha256_of(output_dir / name) for name in written}
    status = {"status": "complete", "seed": int(seed), "versions": package_versions(), "files": files, **info}
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
    """True when the run folder holds a readable completion marker (a damaged ``run.json`` is not one)."""
    return run_status(run_dir).get("status") == "complete"


def run_status(run_dir: Path) -> dict:
    """A run's ``run.json`` as a dict (empty when there is none or it cannot be read)."""
    path = Path(run_dir) / STATUS_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def verify_run(run_dir: Path) -> None:
    """Raise :class:`DamagedRunError` naming the run and the file when a recorded file is missing or its checksum differs."""
    run_dir = Path(run_dir)
    recorded = run_status(run_dir).get("files")
    if not recorded:
        raise DamagedRunError(f"{run_dir}: {STATUS_FILE} records no file checksums (written before they were kept); run it again")
    for name, expected in recorded.items():
        path = run_dir / name
        if not path.is_file():
            raise DamagedRunError(f"{run_dir}: {name} is missing")
        if sha256_of(path) != expected:
            raise DamagedRunError(f"{run_dir}: {name} differs from the checksum in {STATUS_FILE} (damaged or edited); run it again")


def reuse_mismatch(run_dir: Path, resolved_config_yaml: str, inputs: dict) -> str | None:
    """Why the complete run in ``run_dir`` cannot stand for a new run, or None when it can.

    A run is reused only when it completed with the same resolved config, the same input
    tables (by SHA-256), the same coopsim version, and its files are whole.
    """
    run_dir = Path(run_dir)
    status = run_status(run_dir)
    if status.get("status") != "complete":
        return "no complete run there"
    if not (run_dir / CONFIG_FILE).is_file():
        return f"its {CONFIG_FILE} is missing"
    if (run_dir / CONFIG_FILE).read_text() != resolved_config_yaml:
        return "its config differs"
    before, now = _checksums(status.get("inputs") or {}), _checksums(inputs)
    if before != now:
        return "its input data differ (" + ", ".join(sorted(_changed(before, now))) + ")"
    if status.get("versions", {}).get("coopsim") != package_versions()["coopsim"]:
        return f"it was made by coopsim {status.get('versions', {}).get('coopsim')}, this is {package_versions()['coopsim']}"
    try:
        verify_run(run_dir)
    except DamagedRunError as error:
        return str(error)
    return None


def _checksums(inputs: dict) -> dict[str, str]:
    """Input tables by config field -> SHA-256 (where a table lives does not matter, what it holds does)."""
    return {field: entry.get("sha256") for field, entry in inputs.items()}


def _changed(old: dict, new: dict) -> set[str]:
    return {key for key in set(old) | set(new) if old.get(key) != new.get(key)}


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
