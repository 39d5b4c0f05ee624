"""Named, independent random streams derived from one seed.

Each process of the model (initial state, entry, exit, relocation, migration, and each
rule) draws from its own :class:`numpy.random.Generator`, seeded by
``SeedSequence(seed, spawn_key=(crc32(name),))``. Adding a rule therefore leaves every
other process's draws unchanged (common random numbers across scenarios).
"""

from __future__ import annotations

import zlib

import numpy as np


class RandomStreams:
    """A lazily-created generator per stream name, all reproducible from ``seed``."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._streams:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()),))
            self._streams[name] = np.random.Generator(np.random.PCG64(sequence))
        return self._streams[name]
