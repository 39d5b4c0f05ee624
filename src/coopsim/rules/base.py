"""The interface every agreement rule follows.

A rule is a class with typed parameters: ``params_type``, a dataclass of :mod:`coopsim.config`
(:class:`~coopsim.config.RuleParams`), types and checks the rule's config node, and the rule is built
with the checked parameters (``RailConnectivity(params)``; :func:`coopsim.runner.build_rules` reads
``_target_`` for the class). It is then bound to a model before the run, where it checks what needs
the model (cities of the region, sectors of the economy, quarters within the horizon, bounds
relative to a city), failing with a message that names the field, and acts once per quarter
through :meth:`apply`. It records what it moved in the model's per-quarter flows
(``model.record_flow``), so that money, people and minutes are accounted and testable. Each rule
draws random numbers only from its own stream, so adding or removing a rule leaves every other draw
unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

import numpy as np

from coopsim.config import RuleParams, fail


class AgreementRule:
    """Base class of agreement rules: built with its parameters, ``bind`` once, then ``apply`` each quarter.

    The parameters are ``self.params``; each also reads as an attribute of the rule
    (``rule.opening_quarter`` is ``rule.params.opening_quarter``), as the model, the dashboard and
    the tests read them.
    """

    params_type: ClassVar[type[RuleParams]] = RuleParams
    path: str = "agreement.rules.?"

    def __init__(self, params: RuleParams) -> None:
        if not isinstance(params, self.params_type):
            raise TypeError(f"{type(self).__name__}: expected {self.params_type.__name__}, got {type(params).__name__}")
        self.params = params

    def __getattr__(self, name: str) -> Any:
        """A parameter read as an attribute (called only when the rule itself has no attribute ``name``)."""
        params = self.__dict__.get("params")  # not self.params: copies and unpickling call this before __init__ has run
        if params is not None and name in params.__dataclass_fields__:
            return getattr(params, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def bind(self, model, path: str) -> None:
        """Attach to a model: remember the config path for messages, then check the parameters' values (again, for a
        rule built in Python rather than by :func:`coopsim.runner.build_rules`) and what needs the model."""
        self.path = path
        self.params.validate(path)
        self.check(model)

    def check(self, model) -> None:
        """Validate parameters against the model (cities exist, quarters within the horizon)."""

    def apply(self, model) -> None:
        """Act on the model for the current quarter (``model.steps``)."""
        raise NotImplementedError

    # ----- helpers for subclasses ---------------------------------------------------------
    def fail(self, field: str, expected: str, got) -> NoReturn:
        """Raise a :class:`~coopsim.config.ConfigError` naming ``<path>.<field>``."""
        fail(f"{self.path}.{field}", expected, got)

    def city_index(self, model, field: str, name: str) -> int:
        """Index of a city of the region, or a ConfigError naming the field."""
        if name not in model.region.city_names:
            self.fail(field, f"a city of the region {model.region.city_names}", name)
        return model.region.index(name)

    def city_pair(self, model, first_field: str, first: str, second_field: str, second: str) -> tuple[int, int]:
        """Indices of two different cities of the region, or a ConfigError naming the field."""
        i, j = self.city_index(model, first_field, first), self.city_index(model, second_field, second)
        if i == j:
            self.fail(second_field, f"a city other than the {first_field}", second)
        return i, j

    def check_period(self, model, start: int, end: int | None) -> None:
        """Fail unless ``start`` (and ``end``, when given) are quarters of the run, ``end`` not before ``start``."""
        self.check_quarter(model, "start_quarter", start)
        if end is not None:
            self.check_quarter(model, "end_quarter", end)
            if end < start:
                self.fail("end_quarter", f"a quarter >= start_quarter {start}", end)

    def sector_index(self, model, field: str, name: str) -> int:
        """Index of a sector of the economy, or a ConfigError naming the field."""
        if name not in model.sector_names:
            self.fail(field, f"a sector of the economy {model.sector_names}", name)
        return model.sector_names.index(name)

    def check_quarter(self, model, field: str, quarter: int) -> None:
        """Fail unless ``quarter`` is a step of the run (1..steps; step 0 is the initial state)."""
        if not (isinstance(quarter, int) and 1 <= quarter <= model.cfg.steps):
            self.fail(field, f"a quarter within the horizon 1..{model.cfg.steps}", quarter)

    def rng(self, model) -> np.random.Generator:
        """This rule's own random stream."""
        return model.streams[f"rule:{self.path}"]

    def active(self, model, start: int, end: int | None) -> bool:
        """Whether the current quarter lies in ``[start, end]`` (``end`` None: open-ended)."""
        return model.steps >= start and (end is None or model.steps <= end)
