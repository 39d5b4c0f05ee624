"""Shared test set-up: tests compose the project's real Hydra configs (coopsim.runner.compose_config).

Mesa 3.3 keeps every model alive in a class-level registry until ``model.release()``; the fixtures here build models
the way ``coopsim-run`` does and release every one of them when the test ends, pass or fail:

* ``make_model(*overrides, cfg=None, **settings)``: ``build_model(compose_config(*overrides))``, with keyword
  settings as further ``key=value`` overrides (``make_model("region=two_symmetric", steps=4, seed=3)``);
* ``released(obj)``: releases any other object with ``release()`` (a dashboard model, a forked model) at teardown.
"""

from __future__ import annotations

import pytest

from model_fixtures import model_factory, release_registry


@pytest.fixture
def make_model():
    """``make_model(*overrides, cfg=None, **settings)``: a model built as coopsim-run builds it, released at teardown."""
    with model_factory() as make:
        yield make


@pytest.fixture
def released():
    """``released(obj)``: returns ``obj`` and calls its ``release()`` at teardown."""
    with release_registry() as register:
        yield register
