"""Named, independent random streams derived from one seed: common random numbers across scenarios.

Each process of the model (initial state, entry, exit, relocation, migration, and each
rule) draws from its own :class:`numpy.random.Generator`, seeded by
``SeedSequence(seed, spawn_key=(crc32(name),))``, so adding a rule leaves every other
process's draws unchanged.

Agents' decisions go further: :meth:`RandomStreams.agent_uniforms` gives each agent its own
uniforms for a quarter, from a counter-based generator keyed by (seed, process, quarter) and
indexed by the agent's id. Two runs that differ only in their agreement therefore give every
agent they share the same draws in every quarter, whatever else differs (common random
numbers; Law 2015, *Simulation Modeling and Analysis*, ch. 11), so that scenario differences
are effects of the rules, not noise.
"""

from __future__ import annotations

import zlib

import numpy as np


class RandomStreams:
    """A lazily-created generator per stream name, all reproducible from ``seed``."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def agent_uniforms(self, name: str, quarter: int, ids: np.ndarray, k: int) -> np.ndarray:
        """Uniforms (N, k) for agents with ids ``ids`` in ``quarter`` of process ``name``; same id, same draws."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.empty((0, k))
        sequence = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()), int(quarter)))
        table = np.random.Generator(np.random.Philox(sequence)).random((int(ids.max()) + 1, k))
        return table[ids]

    def quarter_generator(self, name: str, quarter: int) -> np.random.Generator:
        """A generator for process ``name`` in one quarter (the same in every scenario with this seed)."""
        sequence = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()), int(quarter)))
        return np.random.Generator(np.random.Philox(sequence))

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._streams:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()),))
            self._streams[name] = np.random.Generator(np.random.PCG64(sequence))
        return self._streams[name]
