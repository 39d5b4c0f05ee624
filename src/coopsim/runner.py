"""``run(cfg)``: build the model from a composed config, step it, write results; and the Hydra app.

The ``@hydra.main`` wrapper :func:`main` only calls :func:`run`; everything else is plain
Python that a notebook or a test can call with a config from Hydra's compose API.
"""

from __future__ import annotations

import copy
import ctypes
import logging
import os
import signal
import time
import traceback
from pathlib import Path

import hydra
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from coopsim.calibration import calibration_report, calibration_summary, format_report
from coopsim.config import ConfigError, CoopsimConfig, RuleParams, register_configs, rule_params, validate
from coopsim.model import RegionalEconomy
from coopsim.progress import progress
from coopsim.region import region_inputs
from coopsim.region_data import DataError
from coopsim.results import (
    CALIBRATION_FILE,
    CITIES_FILE,
    EVENTS_FILE,
    LINKS_FILE,
    PAIR_TIMES_FILE,
    is_complete,
    reuse_mismatch,
    write_failure,
    write_run,
)
from coopsim.run_tables import cities_table, events_table, links_table, pair_times_table
from coopsim.sweep import update_index

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # prctl option: a signal for this process when its parent dies (linux/prctl.h)
INIT_PID = 1  # the parent of an orphan
FULL_ERROR_ENV = "HYDRA_FULL_ERROR"  # set to 1 for the full traceback of a configuration or data error

register_configs()
if not OmegaConf.has_resolver("pid"):
    # ``${pid:}``: this process's id, so that single runs started in the same second get their own folders
    OmegaConf.register_new_resolver("pid", lambda: str(os.getpid()))
if not OmegaConf.has_resolver("coalesce"):
    # ``${coalesce:${experiment},runs}``: the first argument that is not null (used for output folders)
    OmegaConf.register_new_resolver("coalesce", lambda *values: next((v for v in values if v is not None), None))


def config_dir() -> Path:
    """The Hydra config tree: packaged with the wheel, or the repository's ``configs/``."""
    packaged = Path(__file__).parent / "configs"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "configs"


def compose_config(*overrides: str) -> DictConfig:
    """Compose the project's config with command-line style overrides, outside any Hydra app.

    Uses Hydra's compose API (works any number of times in one process, e.g. a notebook):
    ``compose_config("economy=core_periphery", "region.trade_cost=1.6")``.
    """
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def typed_config(cfg: DictConfig) -> CoopsimConfig:
    """Convert a composed config into the typed schema (dataclasses), validating it.

    OmegaConf's own refusals (a value of the wrong type, an interpolation to nothing) become a :class:`ConfigError`
    naming the field, as the project's checks do.
    """
    try:
        typed = OmegaConf.to_object(cfg) if not isinstance(cfg, CoopsimConfig) else cfg
    except OmegaConfBaseException as error:
        field = getattr(error, "full_key", None) or "config"
        reason = getattr(error, "msg", None) or str(error)
        raise ConfigError(f"{field}: {reason.splitlines()[0]}") from error
    validate(typed)
    return typed


def build_model(cfg: DictConfig) -> RegionalEconomy:
    """Validate the config, build the agreement's rules from ``_target_`` and the model."""
    typed = typed_config(cfg)
    return RegionalEconomy(typed, build_rules(cfg))


def built(cfg: DictConfig) -> RegionalEconomy:
    """A model built (calibrated, its agents drawn) from a run config, without its agreement rules (see :func:`fork`)."""
    return RegionalEconomy(typed_config(cfg), {})


def fork(model: RegionalEconomy, cfg: DictConfig) -> RegionalEconomy:
    """A copy of a model built by :func:`built`, with the agreement rules of ``cfg`` bound as ``RegionalEconomy`` binds them.

    Building a model (calibration, drawing the agents) depends on the region, the economy and the
    seed, not on the agreement: a run and its paired baseline, and runs of a design group that
    differ only in levers, start from copies of one built model instead of building it again. The
    copy keeps every random stream's state, so the run's metrics are those of building it anew
    (``tests/exploration/test_explore_runs.py`` checks they are identical). The exploration and the dashboard's
    paired baseline use it.
    """
    copied = copy.deepcopy(model)
    copied.cfg = typed_config(cfg)
    copied.rules = build_rules(cfg)
    for key, rule in copied.rules.items():
        rule.bind(copied, f"agreement.rules.{key}")
    return copied


def build_rules(cfg: DictConfig) -> dict:
    """Build the agreement's rules, keyed by their config name: each ``_target_`` class with its typed, checked parameters.

    ``_target_`` names the rule class (a :class:`coopsim.rules.base.AgreementRule`); the class's
    ``params_type`` (a :class:`coopsim.config.RuleParams` dataclass) types the rest of the node
    (:func:`coopsim.config.rule_params`): an unknown, missing or wrongly typed field, or a value that
    needs no model to be refused (a negative budget, a share above 1), is a ConfigError naming
    ``agreement.rules.<key>.<field>``, before any model is built. The rule checks the rest when the
    model binds it.
    """
    rules = {}
    for key, rule_cfg in (cfg.agreement.rules or {}).items():
        path = f"agreement.rules.{key}"
        target = rule_cfg.get("_target_") if isinstance(rule_cfg, DictConfig) else None
        if not target:
            raise ConfigError(f"{path}._target_: expected the rule's class, e.g. coopsim.rules.rail.RailConnectivity, got nothing")
        try:
            rule_class = get_class(target)
        except Exception as error:  # Hydra's message says why the class cannot be imported
            raise ConfigError(f"{path}._target_: expected an agreement rule's class, got {target!r}: {error}") from error
        params_type = getattr(rule_class, "params_type", None)
        if not (isinstance(params_type, type) and issubclass(params_type, RuleParams)):
            raise ConfigError(f"{path}._target_: expected an agreement rule's class (with a params_type), got {target!r}")
        rules[key] = rule_class(rule_params(rule_cfg, params_type, path))
    return rules


def simulate(cfg: DictConfig, show_progress: bool = False):
    """Run a model for ``cfg.steps`` quarters in memory; returns (model, tidy metrics DataFrame)."""
    return advance(build_model(cfg), int(cfg.steps), show_progress)


def advance(model: RegionalEconomy, steps: int, show_progress: bool = False):
    """Step a built model ``steps`` quarters, then release its agents; returns (model, tidy metrics DataFrame)."""
    try:
        for _ in progress(range(steps), desc="quarters", enabled=show_progress):
            model.step()
        return model, model.recorder.frame()
    finally:
        model.release()


def run(cfg: DictConfig, output_dir: str | Path | None = None, reuse: bool = True) -> Path:
    """Run one configured simulation and write its results folder; returns the folder.

    Writes the resolved config, the seed, package versions and ``metrics.parquet``
    (columns ``step, city, metric, value``) into ``output_dir`` (default: Hydra's output
    directory), atomically and with the completion marker last. With ``reuse``, a folder that
    already holds a complete run of the same resolved config, input tables (SHA-256) and
    coopsim version, with its files whole, is kept as it is (resuming a sweep); any other
    complete run there is run again, and the log says why.
    """
    if output_dir is None:
        output_dir = HydraConfig.get().runtime.output_dir
    output_dir = Path(output_dir)
    resolved = OmegaConf.to_yaml(cfg, resolve=True)
    inputs = region_inputs(OmegaConf.to_object(cfg.region))
    if reuse and is_complete(output_dir):
        reason = reuse_mismatch(output_dir, resolved, inputs)
        if reason is None:
            log.info("already complete with this config, data and version, kept: %s", output_dir)
            return output_dir
        log.warning("run again in %s: the complete run there cannot be reused: %s", output_dir, reason)
    started = time.perf_counter()
    model = build_model(cfg)
    report = calibration_report(model)
    if not report.empty:
        log.info("calibrated start (saved in %s):\n%s", CALIBRATION_FILE, format_report(report, model.calibration, model.region.fallbacks))
    for field_name, cities in model.region.fallbacks.items():
        log.warning("%s: no figure for %s in the table; the fallback its SOURCES file states is used", field_name, cities)
    model, metrics = advance(model, int(cfg.steps), show_progress=True)
    tables = {
        CITIES_FILE: cities_table(model),
        LINKS_FILE: links_table(model),
        PAIR_TIMES_FILE: pair_times_table(model),
        EVENTS_FILE: events_table(model),
    }
    if not report.empty:
        tables[CALIBRATION_FILE] = report
    elapsed = time.perf_counter() - started
    info = {
        "steps": int(cfg.steps),
        "seconds": round(elapsed, 3),
        "market_nonconverged_quarters": int((metrics.query("metric == 'market_converged'")["value"] == 0).sum()),
        "inputs": inputs,  # the tables read, by config field: path and SHA-256
        "data_fallbacks": model.region.fallbacks,  # table field -> cities whose figure is the stated fallback
        "calibration": calibration_summary(report, model.calibration),
    }
    write_run(output_dir, resolved, int(cfg.seed), metrics, info, tables)
    log.info("run finished in %.2f s; results in %s", elapsed, output_dir)
    return output_dir


def die_with_parent() -> None:
    """Ask Linux to end this process when the process that started it dies (``prctl(PR_SET_PDEATHSIG)``).

    Local sweep workers (joblib's loky processes) otherwise go on computing after the sweep is
    killed with ``kill -9``. Elsewhere (no ``prctl``), nothing changes.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return
    if prctl(PR_SET_PDEATHSIG, signal.SIGTERM) == 0 and os.getppid() == INIT_PID:
        os._exit(1)  # the parent died before the request took effect


@hydra.main(config_path=str(config_dir()), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """Console entry point ``coopsim-run``: compose the config with Hydra and call :func:`run`.

    In a multirun, a run that raises is recorded as failed (with its traceback) and the sweep
    goes on; the sweep's index is updated as each run finishes, and the sweep exits non-zero
    naming its failures. A single run raises as usual.
    """
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode != RunMode.MULTIRUN:
        try:
            run(cfg)
        except (ConfigError, DataError) as error:  # the user's mistake: the message, not a traceback
            if os.environ.get(FULL_ERROR_ENV) == "1":
                raise
            raise SystemExit(f"coopsim-run: {error}") from None
        return
    if "joblib" in str(hydra_cfg.launcher.get("_target_", "")):
        die_with_parent()
    try:
        run(cfg)
    except Exception as error:  # recorded, so that the rest of the sweep goes on
        output_dir = Path(hydra_cfg.runtime.output_dir)
        write_failure(output_dir, OmegaConf.to_yaml(cfg), int(cfg.seed), error, traceback.format_exc())
        log.error("run failed, recorded in %s: %s", output_dir, error)
    finally:
        update_index(Path(hydra_cfg.sweep.dir))  # the index says what has finished, even if the sweep is stopped
