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

import numba
import numpy as np

from coopsim.agents.population import recycled_empty

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment (the golden ratio in 64 bits)
_COLUMN_GAMMA = 0xD1B54A32D192ED03  # an odd 64-bit constant separating an agent's columns
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)  # SplitMix64 finaliser constants (Steele, Lea & Flood 2014)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_SHIFT_1, _SHIFT_2, _SHIFT_3, _TO_53_BITS = (np.uint64(v) for v in (30, 27, 31, 11))
_TO_UNIT = 2.0**-53  # 53 random bits to a double in [0, 1)


@numba.njit(cache=True, nogil=True)
def _splitmix64_uniforms(ids: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:
    """``out[c, i]``: the SplitMix64 finaliser of ``ids[i] * G + offsets[c]`` (mod 2**64) as a double in [0, 1).

    The finaliser's two xor-shift-multiply rounds and last xor-shift (Steele, Lea & Flood 2014), then the top
    53 bits times ``2**-53``: wrapping 64-bit integer arithmetic and an exact conversion, so the same doubles as the
    same steps in numpy; compiled by numba, one pass over the agents for each column.
    """
    for c in range(out.shape[0]):
        offset = offsets[c]
        for i in range(ids.shape[0]):
            z = np.uint64(ids[i]) * _GOLDEN_GAMMA + offset
            z = (z ^ (z >> _SHIFT_1)) * _MIX_1
            z = (z ^ (z >> _SHIFT_2)) * _MIX_2
            z = z ^ (z >> _SHIFT_3)
            out[c, i] = np.int64(z >> _TO_53_BITS) * _TO_UNIT


class RandomStreams:
    """A lazily-created generator per stream name, all reproducible from ``seed``."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}
        self._keys: dict[tuple[str, int], int] = {}

    def agent_uniforms(self, name: str, quarter: int, ids: np.ndarray, k: int, first_column: int = 0) -> np.ndarray:
        """Uniforms in [0, 1) (N, k) for agents ``ids`` in ``quarter`` of process ``name``: same id, same draws.

        Columns ``first_column .. first_column + k - 1`` of each agent's sequence, so that a
        decision can ask for its first draw for everyone and the next ones only for some.
        Column ``c`` of agent ``id`` is the SplitMix64 finaliser of ``id * G + key + c * C``
        (mod 2**64) with ``G`` SplitMix64's increment and ``key`` from the seed, process and quarter,
        computed in one compiled pass over the agents (numba).
        """
        ids = np.ascontiguousarray(ids)
        unsigned = ids.view(np.uint64) if ids.dtype == np.int64 else ids.astype(np.uint64)  # two's complement, as astype
        key = self._key(name, quarter)
        offsets = np.array([(key + (first_column + c) * _COLUMN_GAMMA) % 2**64 for c in range(k)], dtype=np.uint64)
        out = recycled_empty(k * len(ids)).reshape(k, len(ids))  # one contiguous row per column
        _splitmix64_uniforms(unsigned, offsets, out)
        return out.T

    def _key(self, name: str, quarter: int) -> int:
        """The 64-bit key of process ``name`` in ``quarter`` (from the seed), cached: one ``SeedSequence`` per pair."""
        pair = (name, int(quarter))
        key = self._keys.get(pair)
        if key is None:
            if len(self._keys) > 256:  # keys of past quarters are not asked for again
                self._keys.clear()
            sequence = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()), int(quarter)))
            key = self._keys[pair] = int(sequence.generate_state(1, np.uint64)[0])
        return key

    def derived_keys(self, name: str, quarter: int, ids: np.ndarray) -> np.ndarray:
        """Draw keys (int64 in ``[2**62, 2**63)``) for agents created in ``quarter`` by process ``name``, one per ``ids``.

        An agent's key replaces its id in :meth:`agent_uniforms` (ids count creations, so they differ between runs once
        their entry differs): an entrant keyed by (quarter, its cell, its rank in the cell), a branch by (quarter, its
        parent's key) is the same agent with the same draws in every scenario that creates it. 62 bits from two of the
        ``ids``' uniforms, above every id (ids count agents from 0), so keys of different agents coincide with chance
        about ``n ** 2 / 2 ** 63``.
        """
        if len(ids) == 0:
            return np.empty(0, dtype=np.int64)
        u = self.agent_uniforms(name, quarter, ids, 2)
        high = (u[:, 0] * 2.0**53).astype(np.int64)  # 53 random bits
        low = (u[:, 1] * 2.0**9).astype(np.int64)  # 9 more
        return (np.int64(1) << np.int64(62)) | (high << np.int64(9)) | low

    def quarter_generator(self, name: str, quarter: int) -> np.random.Generator:
        """A generator for process ``name`` in one quarter (the same in every scenario with this seed)."""
        sequence = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()), int(quarter)))
        return np.random.Generator(np.random.SFC64(sequence))  # fast; streams are independent by their keys

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._streams:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()),))
            self._streams[name] = np.random.Generator(np.random.PCG64(sequence))
        return self._streams[name]
