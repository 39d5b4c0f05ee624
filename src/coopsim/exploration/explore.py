"""``coopsim-explore``: run an exploration's design, paired with its baselines, into one table ``ensemble.parquet``.

``coopsim-explore experiment=sub_centre_exploration exploration.samples=32`` (a Hydra app: any
field can be overridden) reads the experiment's typed declaration (:mod:`coopsim.exploration.spec`),
checks every bound against the model's own validation, samples the design with SALib
(:mod:`coopsim.exploration.design`) and runs it in this machine's processes:

* **in-process**: the config is composed once per value of a config-group lever (the agreement
  preset) and once for the baseline; each run takes a copy and sets its values with OmegaConf
  (no Hydra composition, no process start, no files per run);
* **paired**: each run is compared with the baseline (``exploration.baseline``, no agreement) with
  the same seed and the same uncertainties; runs of one design group that differ only in levers
  share that baseline run, and a run and its baseline start from copies of one built model
  (calibration and agents are drawn once: :func:`fork`);
* **parallel and in chunks**: whole design groups make a chunk of at least
  ``exploration.chunk_size`` runs; joblib's process pool (``exploration.n_jobs``, -1 for every
  core) runs the chunks; each writes its shard (``shards/chunk-NNNNN.parquet``) atomically;
* **resumable**: ``shards/manifest.json`` holds the SHA-256 of the resolved config (run-control
  settings aside), of the input tables and of the coopsim and SALib versions; a rerun keeps the
  finished chunks and refuses a folder holding shards of another config;
* **failures isolated**: a run that raises is recorded with status ``failed`` and its error, and
  the others go on;
* a tqdm progress bar on a terminal; the table ``ensemble.parquet`` (one row per run: run, design
  group, seed, status, error, seconds, the sampled uncertainties and levers, the outcomes, the
  sub-centre class and what it was decided from, and each factor's design value ``unit:<name>``)
  and ``exploration.json`` (the spec, the design, N, seconds, versions).

On a cluster, ``exploration.chunk=k`` runs one chunk only, so that
``coopsim-explore -m experiment=... exploration.chunk='range(0,K)' hydra/launcher=slurm`` runs
the chunks as Slurm array tasks (``exploration.dry_run=true`` prints K), and a last
``coopsim-explore experiment=... exploration.merge=true`` writes the table. The same works on
``hydra/launcher=ray_cluster``. Per-run metrics are off by default (``exploration.save_metrics``).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import itertools
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import hydra
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from joblib import Parallel, delayed
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from coopsim.config import ConfigError
from coopsim.exploration.design import chunk_ranges, design_table, group_size
from coopsim.exploration.outcomes import NO_CLASS, class_inputs, classify_runs, outcome_values, run_levels
from coopsim.exploration.spec import (
    CLASS_COLUMN,
    CLASS_INPUTS,
    ROOT,
    UNIT_PREFIX,
    ExplorationError,
    ExplorationSpec,
    Lever,
    Uncertainty,
    check_against_config,
    check_outcomes,
    check_paths,
    has_path,
    parse_spec,
    set_value,
)
from coopsim.indicators import Geography, geography_of
from coopsim.model import RegionalEconomy
from coopsim.region import region_inputs
from coopsim.region_data import DataError
from coopsim.results import atomic_write_bytes, atomic_write_parquet, package_versions
from coopsim.runner import FULL_ERROR_ENV, advance, build_model, build_rules, built, compose_config, config_dir, fork, typed_config

log = logging.getLogger(__name__)

ENSEMBLE_FILE = "ensemble.parquet"
INFO_FILE = "exploration.json"
SHARDS_DIR = "shards"
MANIFEST_FILE = "manifest.json"
METRICS_DIR = "metrics"
HASH_METADATA_KEY = b"coopsim_exploration_hash"
# settings that change how or where the ensemble is run or analysed, not what it holds: left out of the config hash
RUN_CONTROL = ("n_jobs", "chunk", "merge", "dry_run", "output_dir", "save_metrics", "analysis")
AGREEMENT_GROUP = "agreement"  # the config group of agreement presets: the one a baseline run changes
LEVERS_PREFIX = "levers."  # levers the agreement presets read (configs/config.yaml): a baseline without rules never reads them
COMPLETE, FAILED = "complete", "failed"
FAILURES_LISTED = 5  # failed runs named in the log; the table names them all
SHORT_HASH = 12
MODEL_LOGGER = "coopsim"  # the package's loggers (the rules, the model), whose warnings a run keeps
WARNING_SEPARATOR = "; "


@dataclass
class Plan:
    """Everything a run of the design needs, prepared and checked once before any run."""

    spec: ExplorationSpec
    design: pd.DataFrame
    bases: dict[tuple, DictConfig]  # one composed config per combination of config-group lever values
    baselines: dict[tuple, DictConfig]  # the baseline agreement, per combination of the other config-group levers' values
    group_levers: tuple[str, ...]
    baseline_levers: tuple[str, ...]  # factors that also set the baseline's config (:func:`baseline_levers`)
    geography: Geography
    horizon: int
    seed: int
    config_hash: str
    chunks: list[range]
    output_dir: Path


@dataclass
class ChunkTask:
    """One chunk of runs, sent to a worker process (plain data and composed configs, pickled)."""

    index: int
    rows: list[dict]
    bases: dict[tuple, DictConfig]
    baselines: dict[tuple, DictConfig]
    factors: tuple[Uncertainty | Lever, ...]
    group_levers: tuple[str, ...]
    baseline_levers: tuple[str, ...]  # factors that also set the baseline's config (and so key the built model it shares):
    # not the config-group levers, not a path the baseline lacks, not levers.* when the baseline has no rules to read them
    spec: ExplorationSpec
    geography: Geography
    horizon: int
    shard: Path
    config_hash: str
    metrics_dir: Path | None


# ----- composing and checking ------------------------------------------------------------------------------------------


def compose_variant(overrides: list[str]) -> DictConfig:
    """The run config with ``overrides``: Hydra's compose inside the ``coopsim-explore`` app, the compose API elsewhere."""
    if GlobalHydra.instance().is_initialized():
        return hydra.compose(config_name="config", overrides=list(overrides))
    return compose_config(*overrides)


def is_group(path: str) -> bool:
    """Whether ``path`` names a config group (``agreement``, ``economy``, ``region``): a lever on it composes its options."""
    return "." not in path and (config_dir() / path).is_dir()


def _without_exploration(cfg: DictConfig) -> DictConfig:
    """The run config alone: the exploration block is not read by a run (smaller to copy and to send to workers)."""
    cfg = copy.deepcopy(cfg)
    if "exploration" in cfg:
        cfg.exploration = None
    return cfg


def _compose_each(overrides: list[str], levers: tuple[Lever, ...], extra: list[str], where: str) -> dict[tuple, DictConfig]:
    """One composed run config per combination of the config-group ``levers``' values, with ``extra`` overrides."""
    configs = {}
    for combo in itertools.product(*[[(lever.path, value) for value in lever.values] for lever in levers]):
        settings = [f"{path}={value}" for path, value in combo] + extra
        try:
            configs[combo] = _without_exploration(compose_variant([*overrides, *settings]))
        except Exception as error:  # Hydra's message names the missing option and lists the available ones
            raise ExplorationError(f"{where}: cannot compose {' '.join(settings)}: {error}") from None
    return configs


def config_hash(cfg: DictConfig) -> str:
    """SHA-256 of what the ensemble's rows depend on: the resolved config (run-control settings aside), input tables, versions."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    exploration = resolved.get("exploration") or {}
    for key in RUN_CONTROL:
        exploration.pop(key, None)
    inputs = region_inputs(OmegaConf.to_object(cfg.region))
    payload = {
        "config": resolved,
        "inputs": {field: entry["sha256"] for field, entry in sorted(inputs.items())},
        "coopsim": package_versions()["coopsim"],
        "SALib": metadata.version("SALib"),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def prepare(cfg: DictConfig, overrides: list[str], output_dir: str | Path | None = None) -> Plan:
    """Parse and check the exploration, compose its configs and sample its design; no run yet.

    Raises :class:`ExplorationError` (or the model's ``ConfigError``/``DataError``) naming the
    field: the spec's own errors, a path that is not a config field, a bound the model's
    validation or an agreement rule refuses, an outcome city not in the region.
    """
    spec = parse_spec(cfg.get("exploration"))
    groups = tuple(lever for lever in spec.levers if lever.categorical and is_group(lever.path))
    geography, why_not = geography_of(cfg.region)
    if geography is None:
        raise ExplorationError(f"{ROOT}: the sub-centre classes need {why_not}")
    names = ", ".join(f"{ROOT}.levers.{lever.name}.values" for lever in groups)
    bases = _compose_each(overrides, groups, [], names)
    others = tuple(lever for lever in groups if lever.path != AGREEMENT_GROUP)
    baselines = _compose_each(overrides, others, [f"{AGREEMENT_GROUP}={spec.baseline}"], f"{ROOT}.baseline")
    check_paths(spec, [*bases.values(), *baselines.values()], {lever.name for lever in groups})
    model = build_model(copy.deepcopy(next(iter(baselines.values()))))  # the region, horizon and sectors the rules check against
    try:
        city_names = list(model.region.city_names)
        check_outcomes(spec, city_names)
        for city in {geography.partner, geography.core, *geography.circle, *geography.wing} - set(city_names):
            raise ExplorationError(f"region: the circle or wing names {city!r}, not a city of the region {city_names}")
        check_against_config(spec, bases, {lever.name for lever in groups}, model, build_rules, typed_config)
    finally:
        model.release()
    design = design_table(spec, int(cfg.seed))
    chunks = chunk_ranges(len(design), group_size(spec), spec.chunk_size)
    return Plan(
        spec=spec,
        design=design,
        bases=bases,
        baselines=baselines,
        group_levers=tuple(lever.name for lever in groups),
        baseline_levers=baseline_levers(spec, baselines, {lever.name for lever in groups}),
        geography=geography,
        horizon=int(cfg.steps),
        seed=int(cfg.seed),
        config_hash=config_hash(cfg),
        chunks=chunks,
        output_dir=Path(output_dir if output_dir is not None else spec.output_dir),
    )


# ----- the shard store -------------------------------------------------------------------------------------------------


class ShardStore:
    """The chunks of one exploration in ``<output_dir>/shards``, tied to its config hash by a manifest and by each shard's metadata."""

    def __init__(self, output_dir: Path, config_hash: str, chunks: list[range]) -> None:
        self.folder = Path(output_dir) / SHARDS_DIR
        self.config_hash = config_hash
        self.chunks = chunks

    def open(self, write: bool = True) -> None:
        """Refuse a folder holding another exploration's shards; write the manifest of a new one (unless ``write`` is false)."""
        manifest = self.folder / MANIFEST_FILE
        if manifest.exists():
            recorded = json.loads(manifest.read_text()).get("config_hash")
            if recorded != self.config_hash:
                raise ExplorationError(
                    f"{self.folder}: holds the shards of another exploration (config hash {str(recorded)[:SHORT_HASH]}, "
                    f"this one {self.config_hash[:SHORT_HASH]}: its config, input data or versions differ); "
                    f"set another {ROOT}.output_dir, or delete {self.folder} to start over"
                )
            return
        if not write:
            return
        record = {
            "config_hash": self.config_hash,
            "chunks": len(self.chunks),
            "runs": sum(len(chunk) for chunk in self.chunks),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        atomic_write_bytes(manifest, json.dumps(record, indent=2).encode())

    def path(self, index: int) -> Path:
        return self.folder / f"chunk-{index:05d}.parquet"

    def is_done(self, index: int) -> bool:
        """Whether chunk ``index`` has a whole shard of this config; a shard of another config is refused."""
        path = self.path(index)
        if not path.exists():
            return False
        try:
            schema = pq.read_schema(path)
            rows = pq.ParquetFile(path).metadata.num_rows
        except (OSError, pa.ArrowException) as error:
            log.warning("chunk %d: shard %s cannot be read (%s): run again", index, path, error)
            return False
        recorded = (schema.metadata or {}).get(HASH_METADATA_KEY, b"").decode()
        if recorded != self.config_hash:
            raise ExplorationError(
                f"{path}: a shard of another exploration (config hash {recorded[:SHORT_HASH]}, this one "
                f"{self.config_hash[:SHORT_HASH]}); set another {ROOT}.output_dir, or delete {self.folder} to start over"
            )
        return rows == len(self.chunks[index])

    def read(self, index: int) -> pd.DataFrame:
        return pd.read_parquet(self.path(index))


def write_shard(path: Path, frame: pd.DataFrame, config_hash: str) -> None:
    """Write a chunk's rows as Parquet, with the config hash in its metadata, atomically."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), HASH_METADATA_KEY: config_hash.encode()})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    atomic_write_bytes(path, buffer.getvalue())


# ----- running a chunk (in a worker) -----------------------------------------------------------------------------------


def _scalar(value):
    """A Python scalar (OmegaConf refuses NumPy integers)."""
    return value.item() if hasattr(value, "item") else value


def _configured(base: DictConfig, row: dict, factors, skip: tuple[str, ...], seed: int) -> DictConfig:
    cfg = copy.deepcopy(base)
    for factor in factors:
        if factor.name not in skip:
            set_value(cfg, factor.path, _scalar(row[factor.name]))
    cfg.seed = int(seed)
    return cfg


def _simulate(model: RegionalEconomy, task: ChunkTask) -> tuple[dict[str, float], pd.DataFrame]:
    _, metrics = advance(model, task.horizon)
    return run_levels(metrics, task.geography, task.horizon, task.spec.outcomes), metrics


class _WarningsKept(logging.Handler):
    """Keeps the model's warnings of one run (a line not faster, a quarter not converged) for the table, off the terminal."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.messages:
            self.messages.append(message)


@contextlib.contextmanager
def _kept_warnings():
    """While a run runs, the ``coopsim`` loggers' warnings go to a :class:`_WarningsKept` (thousands of runs would flood the log)."""
    logger, handler = logging.getLogger(MODEL_LOGGER), _WarningsKept()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _run_row(task: ChunkTask, row: dict, shared: dict, values: dict) -> dict:
    """Run one row against its paired baseline, filling ``values``; returns its status.

    ``shared`` holds, per baseline key (seed, other config-group levers, the factors that set the
    baseline's config), the model built for it and the baseline's levels and metrics, so that
    the baseline runs once and the model is built once for every row that shares them.
    """
    combo = tuple((f.path, _scalar(row[f.name])) for f in task.factors if f.name in task.group_levers)
    others = tuple((path, value) for path, value in combo if path != AGREEMENT_GROUP)
    key = (int(row["seed"]), others, *(_scalar(row[name]) for name in task.baseline_levers))
    try:
        if key not in shared:
            try:
                unread = tuple(f.name for f in task.factors if f.name not in task.baseline_levers)  # they cannot change it
                baseline_cfg = _configured(task.baselines[others], row, task.factors, unread, row["seed"])
                model = built(baseline_cfg)
                shared[key] = (model, *_simulate(fork(model, baseline_cfg), task))
            except Exception as error:  # every run paired with this baseline fails with its message
                shared[key] = f"baseline ({task.spec.baseline}) failed: {type(error).__name__}: {error}"
        if isinstance(shared[key], str):
            return {"status": FAILED, "error": shared[key]}
        model, base_levels, base_metrics = shared[key]
        levels, metrics = _simulate(fork(model, _configured(task.bases[combo], row, task.factors, task.group_levers, row["seed"])), task)
        values |= outcome_values(task.spec.outcomes, levels, base_levels) | class_inputs(levels, base_levels)
        if task.metrics_dir is not None:
            tidy = pd.concat([metrics.assign(scenario="run"), base_metrics.assign(scenario="baseline")], ignore_index=True)
            atomic_write_parquet(task.metrics_dir / f"run-{int(row['run']):06d}.parquet", tidy)
    except Exception as error:  # isolated: recorded, the chunk goes on
        return {"status": FAILED, "error": f"{type(error).__name__}: {error}"}
    return {"status": COMPLETE, "error": ""}


def _release(shared: dict) -> None:
    """Let go of the built models of a finished design group (Mesa keeps a registry entry per model)."""
    for entry in shared.values():
        if not isinstance(entry, str):
            entry[0].release()
    shared.clear()


def run_chunk(task: ChunkTask) -> tuple[int, int, int]:
    """Run one chunk's rows with their paired baselines and write its shard; returns ``(chunk, runs, failed)``.

    A run (or its baseline) that raises is recorded as ``failed`` with its error; the chunk goes on.
    The model's warnings during a run are kept in its ``warnings`` column.
    """
    shared: dict[tuple, tuple[RegionalEconomy, dict, pd.DataFrame] | str] = {}
    records = []
    for row in task.rows:
        if shared and next(iter(shared))[0] != int(row["seed"]):  # a new design group: its own seed, nothing to share
            _release(shared)
        started = time.perf_counter()
        values = {outcome.name: float("nan") for outcome in task.spec.outcomes} | dict.fromkeys(CLASS_INPUTS, float("nan"))
        with _kept_warnings() as messages:
            status = _run_row(task, row, shared, values)
        if status["status"] == FAILED:
            log.warning("run %d failed: %s", int(row["run"]), status["error"])
        record = {"run": int(row["run"]), "group": int(row["group"]), "seed": int(row["seed"]), **status}
        record["warnings"] = WARNING_SEPARATOR.join(messages)
        record["seconds"] = time.perf_counter() - started
        record |= {factor.name: _scalar(row[factor.name]) for factor in task.factors}
        record |= values  # the outcomes, then the class inputs
        record |= {f"{UNIT_PREFIX}{factor.name}": float(row[f"{UNIT_PREFIX}{factor.name}"]) for factor in task.factors}
        records.append(record)
    _release(shared)
    frame = pd.DataFrame(records)
    frame.insert(frame.columns.get_loc(CLASS_INPUTS[0]), CLASS_COLUMN, classify_runs(frame, task.spec.classes))
    frame.loc[frame["status"] != COMPLETE, CLASS_COLUMN] = NO_CLASS
    write_shard(task.shard, frame, task.config_hash)
    return task.index, len(frame), int((frame["status"] != COMPLETE).sum())


def baseline_levers(spec: ExplorationSpec, baselines: dict[tuple, DictConfig], group_levers: set[str]) -> tuple[str, ...]:
    """The factors that also set the paired baseline's config (and so key the built model it shares): those on a path
    every baseline has, other than config-group levers, and other than levers when the baseline has no rules to read
    them."""
    no_rules = not any(baseline.agreement.get("rules") for baseline in baselines.values())
    return tuple(
        factor.name
        for factor in spec.factors
        if factor.name not in group_levers
        and not (no_rules and factor.path.startswith(LEVERS_PREFIX))
        and all(has_path(baseline, factor.path) for baseline in baselines.values())
    )


def _task(plan: Plan, store: ShardStore, index: int) -> ChunkTask:
    rows = plan.design.iloc[plan.chunks[index].start : plan.chunks[index].stop].to_dict("records")
    metrics_dir = plan.output_dir / METRICS_DIR if plan.spec.save_metrics else None
    if metrics_dir is not None:
        metrics_dir.mkdir(parents=True, exist_ok=True)
    return ChunkTask(
        index=index,
        rows=rows,
        bases=plan.bases,
        baselines=plan.baselines,
        factors=plan.spec.factors,
        group_levers=plan.group_levers,
        baseline_levers=plan.baseline_levers,
        spec=plan.spec,
        geography=plan.geography,
        horizon=plan.horizon,
        shard=store.path(index),
        config_hash=plan.config_hash,
        metrics_dir=metrics_dir,
    )


# ----- the exploration -------------------------------------------------------------------------------------------------


def run_chunks(plan: Plan, store: ShardStore, todo: list[int]) -> None:
    """Run chunks ``todo`` in joblib's process pool (``exploration.n_jobs``), with a progress bar on a terminal."""
    total = sum(len(plan.chunks[k]) for k in todo)
    tasks = (delayed(run_chunk)(_task(plan, store, k)) for k in todo)
    with tqdm(total=total, desc="exploration runs", unit="run", disable=not sys.stderr.isatty()) as bar:
        for index, runs, failed in Parallel(n_jobs=plan.spec.n_jobs, return_as="generator_unordered")(tasks):
            bar.update(runs)
            log.info("chunk %d of %d: %d runs, %d failed", index, len(plan.chunks), runs, failed)


def merge(plan: Plan, store: ShardStore, seconds: float) -> pd.DataFrame:
    """Join the shards into ``ensemble.parquet`` and write ``exploration.json``; refuses when chunks are missing."""
    missing = [k for k in range(len(plan.chunks)) if not store.is_done(k)]
    if missing:
        shown = ", ".join(map(str, missing[:FAILURES_LISTED])) + (", ..." if len(missing) > FAILURES_LISTED else "")
        raise ExplorationError(
            f"{store.folder}: {len(missing)} of {len(plan.chunks)} chunks are not finished ({shown}); "
            f"run them ({ROOT}.chunk=k, or without {ROOT}.chunk for all) before {ROOT}.merge=true"
        )
    ensemble = pd.concat([store.read(k) for k in range(len(plan.chunks))], ignore_index=True)
    info = {
        "design": plan.spec.design,
        "samples": plan.spec.samples,
        "group_size": group_size(plan.spec),
        "runs": len(ensemble),
        "chunks": len(plan.chunks),
        "seed": plan.seed,
        "steps": plan.horizon,
        "geography": {
            "partner": plan.geography.partner,
            "core": plan.geography.core,
            "circle": list(plan.geography.circle),
            "wing": list(plan.geography.wing),
        },
        "status": {str(k): int(v) for k, v in ensemble["status"].value_counts().items()},
        "seconds": round(seconds, 3),
        "run_seconds": round(float(ensemble["seconds"].sum()), 3),
        "config_hash": plan.config_hash,
    }
    write_ensemble(plan.output_dir, ensemble, plan.spec, info)
    counts = info["status"]
    failed = ensemble[ensemble["status"] != COMPLETE]
    if len(failed):
        named = "; ".join(f"run {row.run}: {row.error}" for row in failed.head(FAILURES_LISTED).itertuples())
        log.error("%d of %d runs failed (status and error in %s): %s", len(failed), len(ensemble), ENSEMBLE_FILE, named)
    log.info("%d runs (%s) in %.1f s; table in %s", len(ensemble), counts, seconds, plan.output_dir / ENSEMBLE_FILE)
    return ensemble


def write_ensemble(output_dir: Path, ensemble: pd.DataFrame, spec: ExplorationSpec, info: dict) -> None:
    """Write ``ensemble.parquet`` and ``exploration.json`` (``info`` with the spec and the package versions), atomically.

    The one writer of what ``coopsim-analyse`` reads: the table (one row per run) and the spec
    that says what its columns are.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_parquet(output_dir / ENSEMBLE_FILE, ensemble)
    record = {
        "spec": spec.to_dict(),
        **info,
        "versions": package_versions() | {name: metadata.version(name) for name in ("SALib", "joblib")},
    }
    atomic_write_bytes(output_dir / INFO_FILE, json.dumps(record, indent=2).encode())


def explore(cfg: DictConfig, overrides: list[str] = (), output_dir: str | Path | None = None) -> Path:
    """Run (or resume, or merge, or plan) the exploration ``cfg`` declares; returns its folder.

    ``overrides`` are those ``cfg`` was composed with (the config-group levers and the baseline
    are composed again with them). Without ``exploration.chunk`` every unfinished chunk runs and
    the table is written; with it, that chunk alone; ``exploration.merge=true`` only writes the
    table; ``exploration.dry_run=true`` only checks and reports the plan.
    """
    started = time.perf_counter()
    plan = prepare(cfg, list(overrides), output_dir)
    spec, store = plan.spec, ShardStore(plan.output_dir, plan.config_hash, plan.chunks)
    if spec.chunk is not None and spec.chunk >= len(plan.chunks):
        raise ExplorationError(f"{ROOT}.chunk: expected a chunk in 0..{len(plan.chunks) - 1}, got {spec.chunk}")
    store.open(write=not spec.dry_run)
    done = [k for k in range(len(plan.chunks)) if store.is_done(k)]
    log.info(
        "exploration %s: %s design, N=%d, %d runs in %d chunks (%d finished) plus paired baselines; config hash %s",
        plan.output_dir,
        spec.design,
        spec.samples,
        len(plan.design),
        len(plan.chunks),
        len(done),
        plan.config_hash[:SHORT_HASH],
    )
    if spec.dry_run:
        return plan.output_dir
    if not spec.merge:
        wanted = range(len(plan.chunks)) if spec.chunk is None else [spec.chunk]
        todo = [k for k in wanted if k not in done]
        if len(done):
            log.info("kept %d finished chunks; running %d", len([k for k in wanted if k in done]), len(todo))
        run_chunks(plan, store, todo)
        if spec.chunk is not None:
            log.info("chunk %d written; when every chunk is, write the table with %s.merge=true", spec.chunk, ROOT)
            return plan.output_dir
    merge(plan, store, time.perf_counter() - started)
    return plan.output_dir


def run_exploration(*overrides: str, output_dir: str | Path | None = None) -> Path:
    """From Python (a notebook, a test): compose the config with ``overrides`` and :func:`explore` it; returns its folder."""
    return explore(compose_config(*overrides), list(overrides), output_dir)


def _task_overrides() -> list[str]:
    """The command line's overrides of the job, without Hydra's own settings."""
    return [o for o in HydraConfig.get().overrides.task if not o.lstrip("~+").startswith("hydra")]


@hydra.main(config_path=str(config_dir()), config_name="explore", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """Console entry point ``coopsim-explore``: compose with Hydra (``configs/explore.yaml``) and :func:`explore`."""
    try:
        explore(cfg, _task_overrides())
    except (ConfigError, DataError) as error:  # the user's mistake: the message naming the field, not a traceback
        if os.environ.get(FULL_ERROR_ENV) == "1":
            raise
        raise SystemExit(f"coopsim-explore: {error}") from None
