"""Shared for the exploration tests: a small valid declaration, and a way to change it."""

import copy

import pytest
from declarations import BASE


def _changed(**changes) -> dict:
    """The base declaration with ``changes`` (dotted keys into it; a value of None deletes the key)."""
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    return data


@pytest.fixture
def declaration():
    """``declaration(**changes)``: the base declaration with ``changes`` (keys separated by ``__``; None deletes)."""
    return _changed
