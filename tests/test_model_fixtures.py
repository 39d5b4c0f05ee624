"""The shared fixtures of tests/conftest.py: models are built as coopsim-run builds them and always released."""

import mesa
import pytest

from coopsim.runner import compose_config
from model_fixtures import model_factory, overrides_of, release_registry


def registered(model) -> bool:
    """Whether Mesa's class-level registry still holds the model (it does until ``release()``)."""
    return model in mesa.Agent._ids


def test_every_model_the_factory_built_is_released_even_when_the_test_fails():
    with pytest.raises(RuntimeError, match="the test failed"):
        with model_factory() as make:
            a = make("region=two_symmetric", steps=2)
            b = make(cfg=compose_config("region=two_symmetric", "seed=3"))
            assert registered(a) and registered(b)
            assert (a.cfg.steps, b.cfg.seed) == (2, 3)
            raise RuntimeError("the test failed")
    assert not registered(a) and not registered(b)


def test_keyword_settings_are_overrides_and_a_cfg_excludes_them():
    assert overrides_of(("region=two_symmetric",), {"steps": 4, "seed": 3}) == ["region=two_symmetric", "steps=4", "seed=3"]
    with model_factory() as make:
        with pytest.raises(ValueError, match="not both"):
            make("steps=2", cfg=compose_config())


def test_the_registry_releases_what_it_was_given_in_reverse_order():
    released = []

    class Handle:
        def __init__(self, name):
            self.name = name

        def release(self):
            released.append(self.name)

    with release_registry() as register:
        first = register(Handle("first"))
        register(Handle("second"))
        assert first.name == "first" and released == []
    assert released == ["second", "first"]


def test_the_fixture_hands_out_a_working_factory(make_model):
    model = make_model("region=two_symmetric", steps=1)
    model.step()
    assert model.steps == 1 and registered(model)
