"""The interface every agreement rule follows.

A rule is built from config (``_target_``) with its parameters, bound to a model before the
run (where it checks its parameters against the region and the horizon, failing with a
message that names the field), and then acts once per quarter through :meth:`apply`. It
records what it moved in the model's per-quarter flows (``model.record_flow``), so that
money, people and minutes are accounted and testable. Each rule draws random numbers only
from its own stream, so adding or removing a rule leaves every other draw unchanged.
"""

from __future__ import annotations

import numpy as np

from coopsim.config import ConfigError


class AgreementRule:
    """Base class of agreement rules: ``bind`` once, then ``apply`` each quarter."""

    path: str = "agreement.rules.?"

    def bind(self, model, path: str) -> None:
        """Attach to a model: remember the config path for messages, then check parameters."""
        self.path = path
        self.check(model)

    def check(self, model) -> None:
        """Validate parameters against the model (cities exist, quarters within the horizon)."""

    def apply(self, model) -> None:
        """Act on the model for the current quarter (``model.steps``)."""
        raise NotImplementedError

    # ----- helpers for subclasses ---------------------------------------------------------
    def fail(self, field: str, expected: str, got) -> None:
        """Raise a :class:`ConfigError` naming ``<path>.<field>``."""
        raise ConfigError(f"{self.path}.{field}: expected {expected}, got {got!r}")

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

    def check_non_negative(self, field: str, value: float) -> None:
        """Fail unless ``value`` is a finite number >= 0."""
        if not (isinstance(value, (int, float)) and np.isfinite(value) and value >= 0):
            self.fail(field, "a finite value >= 0", value)

    def check_share(self, field: str, value: float) -> None:
        """Fail unless ``value`` is in [0, 1]."""
        if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
            self.fail(field, "a share in [0, 1]", value)

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
