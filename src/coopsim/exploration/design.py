"""The designs of an exploration, sampled with SALib, and the seeds of its runs.

Every factor (uncertainty or lever) is sampled on ``[0, 1]`` by SALib and mapped to its value by
its distribution (:func:`factor_values`), so that the same design serves every kind of factor and
the analysis sees each factor on a common scale (Morris's elementary effects per unit of range):

* ``latin``: a Latin hypercube of N points (McKay, Beckman & Conover 1979), for the
  moment-independent delta of Borgonovo (2007) and for scenario discovery;
* ``sobol``: Saltelli's scheme on Sobol' points (Saltelli 2002; Saltelli et al. 2010), N base
  samples of D + 2 runs each (2D + 2 with second-order indices): A, A with column i of B for each
  i, (B with column i of A), B;
* ``morris``: N trajectories of D + 1 one-at-a-time steps on a grid of ``morris_levels`` levels
  (Morris 1991; Campolongo, Cariboni & Saltelli 2007).

A *group* is a base sample (sobol), a trajectory (morris) or a point (latin): its runs share one
seed, derived from the config's seed and the group's number (:func:`run_seed`), so that the
differences the estimators take within a group (A against AB_i, one step of a trajectory) are
not blurred by the agents' random draws (common random numbers; the model keys every agent's
draws by the seed). The no-agreement baseline each run is compared with uses the run's seed too.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pandas as pd
from SALib.sample import latin, morris, sobol

from coopsim.exploration.spec import UNIT_PREFIX, ExplorationSpec, Lever, Uncertainty

DESIGN_STREAM = "exploration:design"
RUN_STREAM = "exploration:runs"


def derived_seed(seed: int, stream: str, *keys: int) -> int:
    """A 32-bit seed for ``stream`` (and ``keys``) derived from the config's ``seed`` by NumPy's SeedSequence (as in random_streams)."""
    sequence = np.random.SeedSequence(int(seed), spawn_key=(zlib.crc32(stream.encode()), *keys))
    return int(sequence.generate_state(1, np.uint32)[0])


def run_seed(seed: int, group: int) -> int:
    """The seed of every run of design group ``group`` (and of their paired baselines)."""
    return derived_seed(seed, RUN_STREAM, int(group))


def problem(spec: ExplorationSpec) -> dict:
    """SALib's problem: every factor on ``[0, 1]`` (mapped to its range by :func:`factor_values`)."""
    names = spec.factor_names
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def group_size(spec: ExplorationSpec) -> int:
    """Runs per design group: 1 (latin), D + 2 or 2D + 2 (sobol, with second-order indices), D + 1 (morris)."""
    dimensions = len(spec.factors)
    if spec.design == "sobol":
        return 2 * dimensions + 2 if spec.second_order else dimensions + 2
    if spec.design == "morris":
        return dimensions + 1
    return 1


def unit_sample(spec: ExplorationSpec, seed: int) -> np.ndarray:
    """The design on ``[0, 1]^D``, one row per run, with a seed derived from the config's."""
    salib_problem, design_seed = problem(spec), derived_seed(seed, DESIGN_STREAM)
    if spec.design == "latin":
        return latin.sample(salib_problem, spec.samples, seed=design_seed)
    if spec.design == "sobol":
        return sobol.sample(salib_problem, spec.samples, calc_second_order=spec.second_order, scramble=True, seed=design_seed)
    return morris.sample(salib_problem, spec.samples, num_levels=spec.morris_levels, seed=design_seed)


def factor_values(factor: Uncertainty | Lever, unit: np.ndarray) -> list:
    """Map design values in ``[0, 1]`` to the factor's values (Python scalars, as a config takes them).

    uniform: ``low + u (high - low)``; loguniform: ``low (high/low)^u``; integer: each of
    ``low..high`` on an equal share of ``[0, 1]``; categorical: each value on an equal share.
    """
    unit = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
    if factor.categorical:
        index = np.minimum((unit * len(factor.values)).astype(int), len(factor.values) - 1)
        return [factor.values[k] for k in index]
    if factor.distribution == "integer":
        count = int(factor.high) - int(factor.low) + 1
        return [int(factor.low) + int(k) for k in np.minimum((unit * count).astype(int), count - 1)]
    if factor.distribution == "loguniform":
        values = factor.low * np.exp(unit * math.log(factor.high / factor.low))
    else:
        values = factor.low + unit * (factor.high - factor.low)
    return [float(v) for v in values]


def design_table(spec: ExplorationSpec, seed: int) -> pd.DataFrame:
    """One row per run: ``run, group, seed``, each factor's value, and its design value (``unit:<name>``)."""
    unit = unit_sample(spec, seed)
    runs = np.arange(len(unit))
    groups = runs // group_size(spec)
    seeds = {int(g): run_seed(seed, int(g)) for g in np.unique(groups)}
    table = {"run": runs, "group": groups, "seed": [seeds[int(g)] for g in groups]}
    for k, factor in enumerate(spec.factors):
        table[factor.name] = factor_values(factor, unit[:, k])
    for k, factor in enumerate(spec.factors):
        table[f"{UNIT_PREFIX}{factor.name}"] = unit[:, k]
    return pd.DataFrame(table)


def chunk_ranges(runs: int, size_of_group: int, chunk_size: int) -> list[range]:
    """Runs split into chunks of whole design groups, at least ``chunk_size`` runs each (the last may be smaller)."""
    per_chunk = max(1, math.ceil(chunk_size / size_of_group)) * size_of_group
    return [range(start, min(start + per_chunk, runs)) for start in range(0, runs, per_chunk)]
