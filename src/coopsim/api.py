"""The Python API for notebooks: compose a config, run it, sweep it, load saved sweeps, plot.

Everything here is the same code the command-line tools use: ``compose`` is Hydra's compose
API over the project's ``configs/`` (it works any number of times in one kernel), ``run``
returns the tidy metrics that ``coopsim-run`` writes to ``metrics.parquet`` for the same config
and seed, ``sweep`` returns runs and metrics in the form ``coopsim-compare`` reads from disk
(``load``), and the plotting functions are those of :mod:`coopsim.plots` that
``coopsim-compare`` uses.

Example::

    from coopsim import api
    metrics = api.run("region=shenzhen_shantou", "agreement=deep_cooperation", "steps=40")
    runs, metrics = api.sweep({"agreement": ["none", "rail"]}, "region=shenzhen_shantou", seeds=range(3))
    api.effects(runs, metrics, "gdp_share", "Shantou")
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed
from omegaconf import DictConfig

from coopsim.compare import load_sweep, paired_effects, pairing_name, scenario_name, scenario_table, start_date
from coopsim.plots import band_paths, effect_map, effects_chart, flows_matrix, region_map, scenario_styles, time_paths, tomahawk
from coopsim.runner import compose_config, simulate

__all__ = [
    "compose",
    "run",
    "run_model",
    "sweep",
    "load",
    "effects",
    "styles",
    "start",
    "band_paths",
    "effect_map",
    "effects_chart",
    "flows_matrix",
    "region_map",
    "time_paths",
    "tomahawk",
]


def compose(*overrides: str) -> DictConfig:
    """The project's config with command-line style overrides (``"agreement=rail"``, ``"levers.rail_speed_kmh=250"``)."""
    _check_overrides(overrides)
    return compose_config(*overrides)


def _check_overrides(overrides: tuple) -> None:
    """Overrides are strings ``key=value``, given one per argument (``compose("steps=4", "seed=2")``)."""
    for position, override in enumerate(overrides):
        if not isinstance(override, str):
            raise TypeError(
                f"overrides[{position}]: expected a string such as 'steps=4', got {type(override).__name__} {override!r}; "
                "pass overrides as separate arguments: compose('steps=4', 'seed=2')"
            )


def run_model(*overrides: str, cfg: DictConfig | None = None):
    """Run one configuration in this process; returns ``(model, metrics)`` (the model for inspection).

    Either overrides or a composed ``cfg``, not both (compose the overrides into the config instead).
    """
    if cfg is not None and overrides:
        raise ValueError(f"run: got both overrides {list(overrides)} and cfg; put the overrides into compose(...) instead")
    return simulate(cfg if cfg is not None else compose(*overrides))


def run(*overrides: str, cfg: DictConfig | None = None) -> pd.DataFrame:
    """Run one configuration in this process; returns its tidy metrics (``step, city, metric, value``)."""
    return run_model(*overrides, cfg=cfg)[1]


def _one(settings: tuple[tuple[str, object], ...], fixed: tuple[str, ...], seed: int) -> pd.DataFrame:
    overrides = [*fixed, *(f"{key}={value}" for key, value in settings), f"seed={seed}"]
    return run(*overrides)


def sweep(
    grid: Mapping[str, Sequence], *overrides: str, seeds: Iterable[int] = range(3), processes: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every combination of ``grid`` (key -> values) for each seed, in this process or ``processes`` workers.

    Returns ``(runs, metrics)`` as :func:`load` does for a saved sweep: each run's scenario
    (the grid's settings) and pairing key (settings other than the agreement), and the tidy
    metrics with ``scenario``, ``pairing`` and ``seed`` columns. Results do not depend on
    ``processes`` (each run has its own seed).
    """
    if "seed" in grid:
        raise ValueError("sweep: 'seed' cannot be a grid key; pass the seeds as seeds=[...] (each grid point runs every seed)")
    _check_overrides(tuple(overrides))
    keys = list(grid)
    combos = [tuple(zip(keys, values, strict=True)) for values in itertools.product(*(grid[k] for k in keys))]
    jobs = [(combo, seed) for combo in combos for seed in seeds]
    frames = Parallel(n_jobs=processes)(delayed(_one)(combo, tuple(overrides), seed) for combo, seed in jobs)
    described = {combo: _describe(compose(*overrides, *(f"{k}={v}" for k, v in combo))) for combo in combos}
    rows, tagged = [], []
    for (combo, seed), frame in zip(jobs, frames, strict=True):
        settings = dict(combo)
        scenario, pairing = scenario_name(settings), pairing_name(settings)
        rows.append(
            {
                "scenario": scenario,
                "pairing": pairing,
                "scenario_settings": settings,
                **described[combo],
                "seed": seed,
                **{f"set:{k}": v for k, v in settings.items()},
            }
        )
        tagged.append(frame.assign(scenario=scenario, pairing=pairing, seed=seed))
    return pd.DataFrame(rows), pd.concat(tagged, ignore_index=True)


def _describe(cfg: DictConfig) -> dict:
    """What the figures need to name a scenario: its agreement preset, the rail lever's speed, the start date."""
    data = cfg.region.get("data")
    return {
        "agreement": cfg.agreement.name,
        "rail_speed_kmh": cfg.levers.get("rail_speed_kmh"),
        "start_date": data.start_date if data is not None else None,
    }


def styles(runs: pd.DataFrame) -> dict:
    """Each scenario's short label and fixed colour (:func:`coopsim.plots.scenario_styles`), as ``coopsim-compare`` uses.

    Pass it to the plotting functions (``styles=...``) so that a notebook's figures match the saved comparison's.
    """
    return scenario_styles(scenario_table(runs))


def start(runs: pd.DataFrame):
    """The calendar date of step 0 of these runs (None for theory regions): pass it as ``start=`` to :func:`band_paths`."""
    return start_date(runs)


def load(sweep_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A saved sweep (``results/<experiment>``): ``(runs, metrics)``, as ``coopsim-compare`` reads it."""
    return load_sweep(Path(sweep_dir))


def effects(runs: pd.DataFrame, metrics: pd.DataFrame, metric: str, city: str, step: int | None = None) -> pd.DataFrame:
    """Each scenario's paired-seed effect on ``metric`` in ``city`` at ``step`` (default: the last) against no agreement."""
    cities = sorted(set(metrics["city"]) - {"region"})
    if city not in cities:
        raise ValueError(f"effects: no city {city!r} in these runs; expected one of {cities}")
    known = sorted(set(metrics["metric"]))
    if metric not in known:
        raise ValueError(f"effects: no metric {metric!r} in these runs; expected one of {known}")
    return paired_effects(runs, metrics, metric, city, int(metrics["step"].max()) if step is None else step)
