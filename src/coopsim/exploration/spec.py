"""The typed declaration of an exploration: uncertainties, levers, outcomes, design; checked before any run.

An experiment config declares under ``exploration:`` (the EMA Workbench's vocabulary: Kwakkel
2017, *Environmental Modelling & Software* 96: 239-250):

* ``uncertainties``: name -> ``{path, low, high, distribution, source}``: the config field the
  uncertainty sets (``economy.knowledge.spillover_strength``), its range, its distribution
  (``uniform``, ``loguniform``, ``integer``) and where the range comes from (a citation, or
  ``assumption``);
* ``levers``: name -> ``{path, values}`` (categorical: a config group such as ``agreement`` or a
  field's values) or ``{path, low, high, distribution}`` (numeric, e.g. ``levers.investment_budget``);
* ``outcomes``: measure -> names. A name is a sub-centre indicator of :mod:`coopsim.indicators`
  (``partner_circle_share``, ``spread_ratio``, ...) or ``metric:city`` (``gdp_share:Shantou``); the
  measure is ``effect`` (the run minus its paired no-agreement baseline: same seed, same
  uncertainties), ``effect_pct`` (the effect in % of the baseline) or ``level`` (the run's value).
  (Lists by measure, because Hydra's command line takes ``metric:city`` in a list,
  ``exploration.outcomes.effect_pct=[gdp_share:Shantou]``, but not as a key.)
* ``design`` and ``samples``: ``latin`` (N points), ``sobol`` (Saltelli's scheme: N base samples, a
  power of 2) or ``morris`` (N trajectories); the run settings and the analysis settings.

:func:`parse_spec` turns the plain mapping into frozen dataclasses and rejects, naming the field,
an empty range, an unknown distribution or design, an outcome that names no indicator or metric,
and a sample size the design cannot use. :func:`check_against_config` then checks every bound
against the composed config with the project's own validation (:func:`coopsim.runner.typed_config`
and the agreement rules' checks), so that a value the model would refuse fails here, before any run.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from coopsim.config import ConfigError
from coopsim.indicators import INDICATORS
from coopsim.metrics import CITY_METRICS, FLOW_METRICS

ROOT = "exploration"
DISTRIBUTIONS = ("uniform", "loguniform", "integer")
DESIGNS = ("latin", "sobol", "morris")
MEASURES = ("effect", "effect_pct", "level")
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # usable as a Hydra override key and an SQL column
# Columns of ensemble.parquet that are not inputs or outcomes
RUN_COLUMNS = ("run", "group", "seed", "status", "error", "warnings", "seconds")
CLASS_COLUMN = "sub_centre_class"
CLASS_INPUTS = ("class_partner_gdp_share_pct", "class_partner_circle_share_pct", "class_rest_of_circle_gdp_pct", "class_spread_ratio")
UNIT_PREFIX = "unit:"  # the design's value in [0, 1] of each factor (SALib's sample), for the analysis
RESERVED = (*RUN_COLUMNS, CLASS_COLUMN, *CLASS_INPUTS)
MIN_SAMPLES = {"latin": 2, "sobol": 2, "morris": 2}  # fewer points leave no variance to decompose or bootstrap


class ExplorationError(ConfigError):
    """An exploration's declaration or its store is not acceptable; the message names the field or the file."""


@dataclass(frozen=True)
class Uncertainty:
    """A deep uncertainty: the config field it sets, its range, its distribution and its source.

    ``loguniform`` samples the logarithm uniformly (for a scale known to an order of magnitude);
    ``integer`` draws each integer in ``[low, high]`` with equal probability.
    """

    name: str
    path: str
    low: float
    high: float
    distribution: str
    source: str

    @property
    def categorical(self) -> bool:
        return False


@dataclass(frozen=True)
class Lever:
    """A policy lever: categorical (``values``: a config group's options or a field's values) or numeric (low, high, distribution)."""

    name: str
    path: str
    values: tuple = ()
    low: float | None = None
    high: float | None = None
    distribution: str = "uniform"
    source: str = ""

    @property
    def categorical(self) -> bool:
        return bool(self.values)


@dataclass(frozen=True)
class Outcome:
    """An outcome column: a sub-centre indicator or ``metric:city``, as an effect, an effect in %, or a level."""

    name: str
    measure: str

    @property
    def indicator(self) -> str | None:
        return self.name if self.name in INDICATORS else None

    @property
    def metric(self) -> tuple[str, str] | None:
        """``(metric, city)`` for a named metric, None for an indicator."""
        if self.indicator:
            return None
        metric, _, city = self.name.partition(":")
        return metric, city


@dataclass(frozen=True)
class ClassRules:
    """Per-run thresholds of the sub-centre classes (the rules of :func:`coopsim.indicators.classify`, one run at a time).

    min_relative_effect: the smallest change, as a share of the baseline value, of the partner's share
        of the region's GDP or of its circle's GDP, or of the rest of the circle's GDP, that counts as a
        rise or a fall (one run has no confidence interval; this tolerance stands for one).
    spread_ratio_min: as :class:`coopsim.indicators.ClassThresholds`: the rest of the circle must gain at least
        this share of the partner's GDP gain for growth to count as spreading.
    """

    min_relative_effect: float
    spread_ratio_min: float


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of ``coopsim-analyse`` (SALib's bootstraps, EMA Workbench's PRIM, the figures)."""

    num_resamples: int
    conf_level: float
    prim_threshold: float
    peel_alpha: float
    paste_alpha: float
    mass_min: float
    max_quasi_p: float
    scatter_parameters: int


@dataclass(frozen=True)
class ExplorationSpec:
    """An exploration: what is sampled, how, what is measured, how it is run and analysed."""

    design: str
    samples: int
    second_order: bool
    morris_levels: int
    baseline: str
    uncertainties: tuple[Uncertainty, ...]
    levers: tuple[Lever, ...]
    outcomes: tuple[Outcome, ...]
    classes: ClassRules
    analysis: AnalysisSettings
    chunk_size: int
    output_dir: str
    n_jobs: int = -1
    chunk: int | None = None
    merge: bool = False
    dry_run: bool = False
    save_metrics: bool = False

    @property
    def factors(self) -> tuple[Uncertainty | Lever, ...]:
        """Uncertainties then levers: the columns of the design, in order."""
        return (*self.uncertainties, *self.levers)

    @property
    def factor_names(self) -> list[str]:
        return [factor.name for factor in self.factors]

    def to_dict(self) -> dict:
        """A plain mapping that :func:`parse_spec` reads back into an equal spec (written to exploration.json)."""
        data = dataclasses.asdict(self)
        data["uncertainties"] = {u.pop("name"): u for u in data["uncertainties"]}
        levers = {}
        for lever in data["levers"]:
            name = lever.pop("name")
            levers[name] = {"path": lever["path"], "values": list(lever["values"]), "source": lever["source"]}
            if not lever["values"]:
                levers[name] = {k: lever[k] for k in ("path", "low", "high", "distribution", "source")}
        data["levers"] = levers
        data["outcomes"] = {m: [o["name"] for o in data["outcomes"] if o["measure"] == m] for m in MEASURES}
        data["outcomes"] = {m: names for m, names in data["outcomes"].items() if names}
        return data


# ----- parsing ---------------------------------------------------------------------------------------------------------

SPEC_KEYS = {
    "design": "required",
    "samples": "required",
    "second_order": "required",
    "morris_levels": "required",
    "baseline": "required",
    "uncertainties": "optional",
    "levers": "optional",
    "outcomes": "required",
    "classes": "required",
    "analysis": "required",
    "chunk_size": "required",
    "output_dir": "required",
    "n_jobs": "optional",
    "chunk": "optional",
    "merge": "optional",
    "dry_run": "optional",
    "save_metrics": "optional",
}
UNCERTAINTY_KEYS = ("path", "low", "high", "distribution", "source")
LEVER_KEYS = ("path", "values", "low", "high", "distribution", "source")


def _fail(path: str, expected: str, got: Any) -> None:
    raise ExplorationError(f"{path}: expected {expected}, got {got!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _mapping(value: Any, path: str) -> Mapping:
    if not isinstance(value, Mapping):
        _fail(path, "a mapping", value)
    return value


def _known_keys(data: Mapping, allowed, path: str) -> None:
    for key in data:
        if key not in allowed:
            raise ExplorationError(f"{path}.{key}: unknown key; expected one of {sorted(allowed)}")


def _name(name: Any, path: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        _fail(path, "a name of letters, digits and underscores, not starting with a digit", name)
    return name


def _range(data: Mapping, path: str, distribution: str) -> tuple[float, float]:
    low, high = data.get("low"), data.get("high")
    for key, value in (("low", low), ("high", high)):
        if not _is_number(value):
            _fail(f"{path}.{key}", "a finite number", value)
    if low >= high:
        raise ExplorationError(f"{path}: empty range: low ({low!r}) >= high ({high!r}); expected low < high")
    if distribution == "loguniform" and low <= 0:
        _fail(f"{path}.low", "a value > 0 for a loguniform distribution (its logarithm is sampled)", low)
    if distribution == "integer":
        for key, value in (("low", low), ("high", high)):
            if not float(value).is_integer():
                _fail(f"{path}.{key}", "an integer for an integer distribution", value)
        return int(low), int(high)
    return float(low), float(high)


def _distribution(data: Mapping, path: str) -> str:
    distribution = data.get("distribution", "uniform")
    if distribution not in DISTRIBUTIONS:
        _fail(f"{path}.distribution", f"one of {DISTRIBUTIONS}", distribution)
    return distribution


def _path(data: Mapping, path: str) -> str:
    target = data.get("path")
    if not isinstance(target, str) or not target or target.startswith(".") or target.endswith("."):
        _fail(f"{path}.path", "the dotted config path the factor sets, e.g. economy.knowledge.spillover_strength", target)
    return target


def _uncertainty(name: str, data: Any, path: str) -> Uncertainty:
    data = _mapping(data, path)
    _known_keys(data, UNCERTAINTY_KEYS, path)
    distribution = _distribution(data, path)
    low, high = _range(data, path, distribution)
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        _fail(f"{path}.source", "where the range comes from: a citation, or 'assumption'", source)
    return Uncertainty(name, _path(data, path), low, high, distribution, source.strip())


def _lever(name: str, data: Any, path: str) -> Lever:
    data = _mapping(data, path)
    _known_keys(data, LEVER_KEYS, path)
    source = data.get("source") or ""
    if not isinstance(source, str):
        _fail(f"{path}.source", "a string", source)
    values = data.get("values")
    if values is not None:
        if any(key in data for key in ("low", "high", "distribution")):
            raise ExplorationError(f"{path}: a lever has either values (categorical) or low/high/distribution (numeric), not both")
        if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)) or not values:
            _fail(f"{path}.values", "a non-empty list of values", values)
        for k, value in enumerate(values):
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                _fail(f"{path}.values[{k}]", "a string or a number", value)
        if len(set(values)) != len(values):
            _fail(f"{path}.values", "distinct values", list(values))
        return Lever(name, _path(data, path), values=tuple(values), source=source)
    distribution = _distribution(data, path)
    low, high = _range(data, path, distribution)
    return Lever(name, _path(data, path), low=low, high=high, distribution=distribution, source=source)


def _outcome(name: Any, measure: str, path: str) -> Outcome:
    if not isinstance(name, str) or name in RESERVED or name.startswith(UNIT_PREFIX):
        _fail(path, f"an outcome name that is not a reserved column {RESERVED}", name)
    if name not in INDICATORS:
        metric, colon, city = name.partition(":")
        known = (*CITY_METRICS, *FLOW_METRICS)
        if not colon or not city or metric not in known:
            raise ExplorationError(
                f"{path}: {name!r} names no indicator or metric; expected an indicator {INDICATORS} "
                f"or metric:city with a metric of {sorted(known)} (e.g. gdp_share:Shantou)"
            )
    if name == "spread_ratio" and measure == "effect_pct":
        _fail(path, "spread_ratio under effect or level (its effect is already a ratio of effects)", name)
    return Outcome(name, measure)


def _outcomes(data: Any, path: str) -> tuple[Outcome, ...]:
    data = _mapping(data, path)
    outcomes = []
    for measure, names in data.items():
        if measure not in MEASURES:
            _fail(f"{path}.{measure}", f"a measure, one of {MEASURES}", measure)
        if isinstance(names, str) or not isinstance(names, (list, tuple)):
            _fail(f"{path}.{measure}", "a list of outcome names (indicators, or metric:city)", names)
        outcomes += [_outcome(name, measure, f"{path}.{measure}") for name in names]
    if not outcomes:
        raise ExplorationError(f"{path}: expected at least one outcome")
    return tuple(outcomes)


def _positive_int(value: Any, path: str) -> int:
    if not _is_int(value) or value < 1:
        _fail(path, "an integer >= 1", value)
    return value


def _flag(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, "true or false", value)
    return value


def _share_open(value: Any, path: str) -> float:
    if not _is_number(value) or not 0.0 < value < 1.0:
        _fail(path, "a number in (0, 1)", value)
    return float(value)


def _classes(data: Any, path: str) -> ClassRules:
    data = _mapping(data, path)
    _known_keys(data, ("min_relative_effect", "spread_ratio_min"), path)
    tolerance = data.get("min_relative_effect")
    if not _is_number(tolerance) or tolerance < 0:
        _fail(f"{path}.min_relative_effect", "a share >= 0", tolerance)
    spread = data.get("spread_ratio_min")
    if not _is_number(spread):
        _fail(f"{path}.spread_ratio_min", "a finite number", spread)
    return ClassRules(float(tolerance), float(spread))


def _analysis(data: Any, path: str) -> AnalysisSettings:
    data = _mapping(data, path)
    keys = [f.name for f in dataclasses.fields(AnalysisSettings)]
    _known_keys(data, keys, path)
    resamples = _positive_int(data.get("num_resamples"), f"{path}.num_resamples")
    scatter = _positive_int(data.get("scatter_parameters"), f"{path}.scatter_parameters")
    keys = ("conf_level", "prim_threshold", "peel_alpha", "paste_alpha", "max_quasi_p")
    shares = {key: _share_open(data.get(key), f"{path}.{key}") for key in keys}
    mass_min = _share_open(data.get("mass_min"), f"{path}.mass_min")
    return AnalysisSettings(
        num_resamples=resamples,
        conf_level=shares["conf_level"],
        prim_threshold=shares["prim_threshold"],
        peel_alpha=shares["peel_alpha"],
        paste_alpha=shares["paste_alpha"],
        mass_min=mass_min,
        max_quasi_p=shares["max_quasi_p"],
        scatter_parameters=scatter,
    )


def _check_samples(design: str, samples: Any, path: str, morris_levels: int) -> int:
    if not _is_int(samples) or samples < MIN_SAMPLES[design]:
        _fail(f"{path}.samples", f"an integer >= {MIN_SAMPLES[design]} for the {design} design", samples)
    if design == "sobol" and samples & (samples - 1):
        lower = 1 << (samples.bit_length() - 1)
        raise ExplorationError(
            f"{path}.samples: the sobol design (Saltelli et al. 2010, on Sobol' points) needs a power of 2 base samples, "
            f"got {samples}; use {lower} or {2 * lower}"
        )
    if design == "morris" and (not _is_int(morris_levels) or morris_levels < 2 or morris_levels % 2):
        _fail(f"{path}.morris_levels", "an even number of levels >= 2 (Morris 1991)", morris_levels)
    return samples


def parse_spec(data: Mapping | DictConfig, path: str = ROOT) -> ExplorationSpec:
    """The typed spec of an ``exploration:`` mapping; raises :class:`ExplorationError` naming the field.

    Checks what needs no model: names, ranges (low < high, loguniform above 0, integer bounds),
    distributions, outcomes (an indicator of :mod:`coopsim.indicators` or ``metric:city`` with a
    metric the model records), the design and its sample size (Saltelli's scheme on Sobol' points
    needs a power of 2: Saltelli et al. 2010, *Computer Physics Communications* 181: 259-270),
    distinct column names.
    """
    if data is None:
        raise ExplorationError(
            f"{path}: no exploration declared; use an experiment that declares one, e.g. experiment=sub_centre_exploration"
        )
    if isinstance(data, DictConfig):
        data = OmegaConf.to_container(data, resolve=True)
    data = _mapping(data, path)
    _known_keys(data, SPEC_KEYS, path)
    for key, need in SPEC_KEYS.items():
        if need == "required" and data.get(key) is None:
            raise ExplorationError(f"{path}.{key}: missing (required)")
    design = data["design"]
    if design not in DESIGNS:
        _fail(f"{path}.design", f"one of {DESIGNS}", design)
    samples = _check_samples(design, data["samples"], path, data["morris_levels"])
    uncertainties = tuple(
        _uncertainty(_name(name, f"{path}.uncertainties.{name}"), value, f"{path}.uncertainties.{name}")
        for name, value in _mapping(data.get("uncertainties") or {}, f"{path}.uncertainties").items()
    )
    levers = tuple(
        _lever(_name(name, f"{path}.levers.{name}"), value, f"{path}.levers.{name}")
        for name, value in _mapping(data.get("levers") or {}, f"{path}.levers").items()
    )
    if not uncertainties and not levers:
        raise ExplorationError(f"{path}: nothing to sample; declare at least one uncertainty or lever")
    outcomes = _outcomes(data["outcomes"], f"{path}.outcomes")
    names = [f.name for f in (*uncertainties, *levers)] + [o.name for o in outcomes]
    for name in names:
        if name in RESERVED or names.count(name) > 1:
            raise ExplorationError(f"{path}: the name {name!r} is used twice or is a reserved column {RESERVED}; names must be distinct")
    baseline = data["baseline"]
    if not isinstance(baseline, str) or not baseline:
        _fail(f"{path}.baseline", "the agreement preset of the paired baseline runs, e.g. none", baseline)
    chunk = data.get("chunk")
    if chunk is not None and (not _is_int(chunk) or chunk < 0):
        _fail(f"{path}.chunk", "null (every chunk) or a chunk number >= 0", chunk)
    n_jobs = data.get("n_jobs", -1)
    if not _is_int(n_jobs) or n_jobs == 0:
        _fail(f"{path}.n_jobs", "a number of processes >= 1, or -1 for every core (joblib's convention)", n_jobs)
    output_dir = data["output_dir"]
    if not isinstance(output_dir, str) or not output_dir:
        _fail(f"{path}.output_dir", "a folder", output_dir)
    return ExplorationSpec(
        design=design,
        samples=samples,
        second_order=_flag(data["second_order"], f"{path}.second_order"),
        morris_levels=_positive_int(data["morris_levels"], f"{path}.morris_levels"),
        baseline=baseline,
        uncertainties=uncertainties,
        levers=levers,
        outcomes=outcomes,
        classes=_classes(data["classes"], f"{path}.classes"),
        analysis=_analysis(data["analysis"], f"{path}.analysis"),
        chunk_size=_positive_int(data["chunk_size"], f"{path}.chunk_size"),
        output_dir=output_dir,
        n_jobs=n_jobs,
        chunk=chunk,
        merge=_flag(data.get("merge", False), f"{path}.merge"),
        dry_run=_flag(data.get("dry_run", False), f"{path}.dry_run"),
        save_metrics=_flag(data.get("save_metrics", False), f"{path}.save_metrics"),
    )


# ----- checks against the composed config ------------------------------------------------------------------------------

_MISSING = object()


def factor_path(factor: Uncertainty | Lever) -> str:
    """Where a factor lives in the spec (for messages): ``exploration.uncertainties.<name>`` or ``exploration.levers.<name>``."""
    kind = "uncertainties" if isinstance(factor, Uncertainty) else "levers"
    return f"{ROOT}.{kind}.{factor.name}"


def has_path(cfg: DictConfig, path: str) -> bool:
    """Whether ``path`` is a field of ``cfg``."""
    return OmegaConf.select(cfg, path, default=_MISSING, throw_on_missing=False) is not _MISSING


def set_value(cfg: DictConfig, path: str, value: Any) -> None:
    """Set one config field in place where the config has it (a rule's parameter applies to the presets with that rule).

    :func:`check_paths` has made sure beforehand that some composed config has it: a typo is an error, not a new key.
    """
    if has_path(cfg, path):
        OmegaConf.update(cfg, path, value, merge=False, force_add=False)


def check_paths(spec: ExplorationSpec, configs: list[DictConfig], group_levers: set[str]) -> None:
    """Each factor's path is a field of at least one of the composed ``configs`` (a categorical lever's may be a config group)."""
    for factor in spec.factors:
        if factor.name not in group_levers and not any(has_path(cfg, factor.path) for cfg in configs):
            raise ExplorationError(f"{factor_path(factor)}.path: {factor.path!r} is not a field of the config")


def middle(factor: Uncertainty | Lever) -> Any:
    """A factor's reference value while another factor is checked: the middle of its range (the first value if categorical)."""
    if factor.categorical:
        return factor.values[0]
    if factor.distribution == "integer":
        return (int(factor.low) + int(factor.high)) // 2
    if factor.distribution == "loguniform":
        return math.sqrt(factor.low * factor.high)
    return (factor.low + factor.high) / 2


def _refusal(
    bases: Mapping[tuple, DictConfig], settings: Mapping[str, Any], model, build_rules, typed_config
) -> tuple[str | None, Exception] | None:
    """Why the config with ``settings`` (path -> value) is refused, ``(scenario or None, error)``, or None when accepted.

    First the project's validation of the config, then every preset's agreement rules checked against ``model``.
    """
    try:
        first = copy.deepcopy(next(iter(bases.values())))
        for path, value in settings.items():
            set_value(first, path, value)
        typed_config(first)
    except Exception as error:  # ConfigError from the validation, or OmegaConf's type errors (a string for a float field)
        return None, error
    for key, base in bases.items():
        variant = copy.deepcopy(base)
        try:
            for path, value in settings.items():
                set_value(variant, path, value)  # a rule's typed field refuses a value of the wrong type here
            for rule_key, rule in build_rules(variant).items():
                rule.bind(model, f"agreement.rules.{rule_key}")
        except (ConfigError, OmegaConfBaseException) as error:
            return ", ".join(f"{p}={v}" for p, v in key) or "as composed", error
    return None


def _bound_values(factor: Uncertainty | Lever) -> list:
    return list(factor.values) if factor.categorical else [factor.low, factor.high]


def _bound_names(factor: Uncertainty | Lever) -> list[str]:
    return [f"values[{k}]" for k in range(len(factor.values))] if factor.categorical else ["low", "high"]


def check_against_config(
    spec: ExplorationSpec, bases: Mapping[tuple, DictConfig], group_levers: set[str], model, build_rules, typed_config
) -> None:
    """Every bound of every factor is a value the model accepts; raises :class:`ExplorationError` naming the field.

    Each factor in turn is set to ``low`` and to ``high`` (each value, if categorical), the others
    to the middle of their ranges (:func:`middle`), and the config goes through the project's
    validation (``typed_config``: the schema and :func:`coopsim.config.validate`); the agreement
    rules of every preset in ``bases`` are then built from it and checked against ``model`` (a
    model built once from the baseline config: the region, horizon and sectors the rules check
    against), as a run would before its first quarter. Config-group levers were composed into
    ``bases`` already. ``build_rules`` and ``typed_config`` are :mod:`coopsim.runner`'s. When the
    middles are refused together, the factor to blame is the first one whose own bound makes the
    config acceptable; its other bound is reported.
    """
    factors = [factor for factor in spec.factors if factor.name not in group_levers]

    def refused(values: Mapping[str, Any]):
        by_path = {factor.path: values[factor.name] for factor in factors if factor.name in values}
        return _refusal(bases, by_path, model, build_rules, typed_config)

    reference = {factor.name: middle(factor) for factor in factors}
    blamed = None
    if refused(reference):
        for factor in factors:
            accepted = [value for value in _bound_values(factor) if not refused(reference | {factor.name: value})]
            if accepted:  # this factor's middle is to blame: one of its bounds makes the config acceptable
                blamed, reference[factor.name] = factor, accepted[0]
                break
        if blamed is None:
            scenario, error = refused(reference)
            raise ExplorationError(
                f"{ROOT}: the config with every factor at the middle of its range is refused ({scenario or 'as composed'}): "
                f"{error}; a factor's range lies outside the field's valid values"
            )
        factors = [blamed] + [f for f in factors if f is not blamed]  # its refused bound is reported first
    for factor in factors:
        for bound, value in zip(_bound_names(factor), _bound_values(factor), strict=True):
            why = refused(reference | {factor.name: value})
            if why:
                scenario = f" ({why[0]})" if why[0] else ""
                raise ExplorationError(
                    f"{factor_path(factor)}.{bound}: {value!r} is not a valid value of {factor.path}{scenario}: {why[1]}"
                )
        if factor is blamed:
            raise ExplorationError(
                f"{factor_path(factor)}: its bounds are accepted but the middle of its range, {middle(factor)!r}, is not: "
                f"{refused({factor.name: middle(factor)})}"
            )


def check_outcomes(spec: ExplorationSpec, city_names: list[str]) -> None:
    """Each ``metric:city`` outcome names a city of the region (the region's circle, which the indicators need, is
    checked before: an exploration always classifies its runs)."""
    for outcome in spec.outcomes:
        if outcome.metric:
            metric, city = outcome.metric
            if city not in city_names:
                raise ExplorationError(
                    f"{ROOT}.outcomes.{outcome.measure}: {outcome.name}: no city {city!r} in the region; expected one of {city_names}"
                )
