"""Named, independent random streams derived from one seed: common random numbers across scenarios.

Each process of the model (initial state, entry, exit, relocation, migration, and each
rule) draws from its own :class:`numpy.random.Generator`, seeded by
``SeedSequence(seed, spawn_key=(crc32(name),))``, so adding a rule leaves every other
process's draws unchanged.

Agents' decisions go further: :meth:`RandomStreams.agent_uniforms` gives each agent its own
uniforms for a quarter from a counter-based generator: the SplitMix64 finaliser (Steele, Lea &
Flood 2014, OOPSLA) applied to (key of seed, process and quarter; agent id; column), so an
agent's draw depends on nothing but those and costs the same whichever agents are asked for.
Two runs that differ only in their agreement therefore give every agent they share the same
draws in every quarter, whatever else differs (common random numbers; Law 2015, *Simulation
Modeling and Analysis*, ch. 11), so that scenario differences are effects of the rules, not noise.
"""

from __future__ import annotations

import zlib

import numpy as np

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment (the golden ratio in 64 bits)
_COLUMN_GAMMA = np.uint64(0xD1B54A32D192ED03)  # an odd 64-bit constant separating an agent's columns
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)  # SplitMix64 finaliser constants (Steele, Lea & Flood 2014)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53  # 53 random bits to a double in [0, 1)


_SHIFTS = tuple(np.uint64(v) for v in (30, 27, 31, 11))


def _splitmix64_into(state: np.ndarray, scratch: np.ndarray, out: np.ndarray) -> None:
    """The SplitMix64 finaliser of each 64-bit state (1-D, modified in place), as uniform doubles in [0, 1) written to ``out``."""
    with np.errstate(over="ignore"):
        np.right_shift(state, _SHIFTS[0], out=scratch)
        state ^= scratch
        state *= _MIX_1
        np.right_shift(state, _SHIFTS[1], out=scratch)
        state ^= scratch
        state *= _MIX_2
        np.right_shift(state, _SHIFTS[2], out=scratch)
        state ^= scratch
        state >>= _SHIFTS[3]
    out[:] = state.view(np.int64)  # 53 bits: exact as a signed integer, which converts faster than unsigned
    out *= _TO_UNIT


class RandomStreams:
    """A lazily-created generator per stream name, all reproducible from ``seed``."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}
        self._work: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def agent_uniforms(self, name: str, quarter: int, ids: np.ndarray, k: int, first_column: int = 0) -> np.ndarray:
        """Uniforms in [0, 1) (N, k) for agents ``ids`` in ``quarter`` of process ``name``: same id, same draws.

        Columns ``first_column .. first_column + k - 1`` of each agent's sequence, so that a
        decision can ask for its first draw for everyone and the next ones only for some.
        """
        n = len(ids)
        key = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()), int(quarter))).generate_state(1, np.uint64)[0]
        base, state, scratch = self._work_arrays(n)
        out = np.empty((k, n))  # one contiguous row per column: numpy's loops run over agents, not columns
        with np.errstate(over="ignore"):
            np.multiply(np.asarray(ids).astype(np.uint64, copy=False), _GOLDEN_GAMMA, out=base)
            base += key
            for c in range(k):
                np.add(base, np.uint64(first_column + c) * _COLUMN_GAMMA, out=state)
                _splitmix64_into(state, scratch, out[c])
        return out.T

    def _work_arrays(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Three reusable uint64 work arrays of length ``n`` (fresh large arrays cost page faults on every call)."""
        if self._work is None or len(self._work[0]) < n:
            self._work = tuple(np.empty(max(n, 2 * (0 if self._work is None else len(self._work[0]))), dtype=np.uint64) for _ in range(3))
        return tuple(array[:n] for array in self._work)

    def quarter_generator(self, name: str, quarter: int) -> np.random.Generator:
        """A generator for process ``name`` in one quarter (the same in every scenario with this seed)."""
        sequence = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()), int(quarter)))
        return np.random.Generator(np.random.SFC64(sequence))  # fast; streams are independent by their keys

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._streams:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()),))
            self._streams[name] = np.random.Generator(np.random.PCG64(sequence))
        return self._streams[name]
