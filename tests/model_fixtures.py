"""Building models for tests the way coopsim-run does, and releasing each one (see tests/conftest.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from coopsim.runner import build_model, compose_config


def overrides_of(overrides: tuple[str, ...], settings: dict) -> list[str]:
    """Command-line style overrides: the strings given, then ``key=value`` for each keyword setting."""
    return [*overrides, *(f"{key}={value}" for key, value in settings.items())]


@contextlib.contextmanager
def model_factory() -> Iterator[Callable]:
    """A factory of models built from the project's configs; every model it built is released on exit."""
    built = []

    def make(*overrides: str, cfg=None, **settings):
        if cfg is not None and (overrides or settings):
            raise ValueError("make_model: give overrides or a composed cfg, not both")
        model = build_model(cfg if cfg is not None else compose_config(*overrides_of(overrides, settings)))
        built.append(model)
        return model

    try:
        yield make
    finally:
        for model in reversed(built):
            model.release()


@contextlib.contextmanager
def release_registry() -> Iterator[Callable]:
    """``register(obj)`` returns ``obj`` and releases it on exit (anything with ``release()``)."""
    held = []

    def register(obj):
        held.append(obj)
        return obj

    try:
        yield register
    finally:
        for obj in reversed(held):
            obj.release()
