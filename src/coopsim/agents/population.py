"""Structure-of-arrays storage for a population of agents.

The state of every enterprise or talent cohort lives in numpy columns. Each row has a
unique, increasing id (``uid``); Mesa agents are handles that hold a uid and find their
row with :meth:`ArrayPopulation.row_of`. Rows are append-only while a run goes on;
removed rows are marked dead and compacted away when they outnumber the living
(compaction keeps row order, so uids stay sorted). The indices of living rows are kept
between changes (read-only), so that asking for them again costs nothing.

:func:`recycled_empty` gives per-agent arrays whose memory is reused once nothing refers to it: a
fresh array the size of a growing population is new memory at every call, and touching new memory
costs a page fault per 4 KiB page, which in a decision step costs more than the arithmetic.
"""

from __future__ import annotations

import sys
import threading

import numba
import numpy as np

MIN_CAPACITY = 64  # rows reserved at least when a population or its row buffer grows (then doubling)
RECYCLE_MIN_ENTRIES = 1 << 14  # smaller arrays come from malloc's free lists anyway
RECYCLE_MAX_BYTES = 64 << 20  # memory kept for reuse per thread, at most (at full scale, one array; a larger pool
# was measured no faster there, 0.51 against 0.47 s a quarter)
_recycled = threading.local()
_PROBE = [np.empty(0)]
_FREE_REFCOUNT = sys.getrefcount(_PROBE[0])  # an array held by a list and nothing else, as getrefcount counts it


class _Holder:
    """An object holding an array in one attribute, as ``ArrayPopulation`` holds its row buffer."""


_HOLDER = _Holder()
_HOLDER.buffer = np.empty(0)
_FREE_ATTRIBUTE_REFCOUNT = sys.getrefcount(_HOLDER.buffer)  # an array held by one attribute and nothing else


def recycled_empty(n: int, dtype=np.float64) -> np.ndarray:
    """An uninitialised 1-D array of ``n`` entries; for large ``n``, a view of memory that this thread used before and
    that no array or view refers to any more (its reference count), so results a caller keeps stay intact.

    Arrays are kept by size class (a power of two of entries; pages past ``n`` are never touched, so cost nothing)
    up to :data:`RECYCLE_MAX_BYTES` per thread. glibc maps each allocation above its mmap threshold afresh and
    that threshold trails a growing size, so without this a per-agent result is new memory at every call.
    """
    dtype = np.dtype(dtype)
    if n < RECYCLE_MIN_ENTRIES:
        return np.empty(n, dtype=dtype)
    capacity = 1 << (n - 1).bit_length()
    pool = _recycled.__dict__.setdefault("arrays", {})
    kept = pool.setdefault((dtype.str, capacity), [])
    for i in range(len(kept)):
        if sys.getrefcount(kept[i]) == _FREE_REFCOUNT:
            return kept[i][:n]
    array = np.empty(capacity, dtype=dtype)
    if sum(a.nbytes for arrays in pool.values() for a in arrays) + array.nbytes <= RECYCLE_MAX_BYTES:
        kept.append(array)
    return array[:n]


class ArrayPopulation:
    """Columns of per-agent state plus an ``alive`` mask and a unique id per row."""

    def __init__(self, columns: dict[str, np.dtype]) -> None:
        self._dtypes = dict(columns)
        self._size = 0
        self._data: dict[str, np.ndarray] = {name: np.empty(0, dtype=dt) for name, dt in self._dtypes.items()}
        self._alive = np.empty(0, dtype=bool)
        self._uid = np.empty(0, dtype=np.int64)
        self._next_uid = 0
        self._rows: np.ndarray | None = None  # living rows (a read-only view of _row_buffer), until the next removal
        self._row_buffer = np.empty(0, dtype=np.int64)

    def __getattr__(self, name: str) -> np.ndarray:
        data = self.__dict__.get("_data")
        if data is not None and name in data:
            return data[name][: self._size]
        raise AttributeError(name)

    def __len__(self) -> int:
        if self._rows is not None:
            return len(self._rows)
        return int(np.count_nonzero(self._alive[: self._size]))

    @property
    def alive(self) -> np.ndarray:
        """Whether each row (dead rows included) holds a living agent (read-only: :meth:`remove` kills rows)."""
        alive = self._alive[: self._size]
        alive.flags.writeable = False
        return alive

    @property
    def uid(self) -> np.ndarray:
        """Unique id of each row (dead rows included), increasing with the row."""
        return self._uid[: self._size]

    @property
    def rows(self) -> np.ndarray:
        """Indices of living rows, increasing (read-only; the same array until rows are added or removed)."""
        if self._rows is None:
            # refill the buffer when the rows handed out before are all gone (no view refers to it: its count is that
            # of an array held by one attribute, measured at import), else leave it to them; fresh memory costs page faults
            if len(self._row_buffer) < self._size or sys.getrefcount(self._row_buffer) > _FREE_ATTRIBUTE_REFCOUNT:
                self._row_buffer = np.empty(max(2 * self._size, MIN_CAPACITY), dtype=np.int64)  # room for rows added later
            n = _living_rows(self._alive[: self._size], self._row_buffer)
            self._rows = self._frozen(self._row_buffer[:n])
        return self._rows

    @staticmethod
    def _frozen(rows: np.ndarray) -> np.ndarray:
        view = rows[:]
        view.flags.writeable = False
        return view

    def _append_rows(self, new_rows: np.ndarray) -> None:
        """Extend the kept living rows by rows just added (they come last): written after the rows handed out so
        far, whose views keep their length and values; the buffer grows by doubling."""
        n, count = len(self._rows), len(new_rows)
        if len(self._row_buffer) < n + count:
            grown = np.empty(max(n + count, 2 * len(self._row_buffer), MIN_CAPACITY), dtype=np.int64)
            grown[:n] = self._rows
            self._row_buffer = grown
        self._row_buffer[n : n + count] = new_rows
        self._rows = self._frozen(self._row_buffer[: n + count])

    def column(self, name: str) -> np.ndarray:
        """A writable view of one column over all rows (dead rows included)."""
        return self._data[name][: self._size]

    def add(self, **values: np.ndarray) -> np.ndarray:
        """Append rows (every column must be given); returns the new rows."""
        count = len(next(iter(values.values())))
        missing = set(self._dtypes) - set(values)
        if missing:
            raise ValueError(f"missing columns for new rows: {sorted(missing)}")
        self._reserve(self._size + count)
        start, stop = self._size, self._size + count
        for name, value in values.items():
            self._data[name][start:stop] = value
        self._alive[start:stop] = True
        self._uid[start:stop] = np.arange(self._next_uid, self._next_uid + count)
        self._next_uid += count
        self._size = stop
        new_rows = np.arange(start, stop)
        if self._rows is not None and count:  # new rows come last: the living rows stay sorted
            self._append_rows(new_rows)
        return new_rows

    def remove(self, rows: np.ndarray) -> None:
        """Mark rows dead and compact when the dead outnumber the living."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows):
            self._alive[rows] = False
            self._rows = None  # found again when next asked for (into the same buffer if no view of it is left)
        if self._size > 1024 and len(self) < self._size // 2:
            self._compact()

    def _reserve(self, capacity: int) -> None:
        if capacity <= len(self._alive):
            return
        new_capacity = max(capacity, 2 * len(self._alive), MIN_CAPACITY)
        for name, column in self._data.items():
            grown = np.zeros(new_capacity, dtype=column.dtype)
            grown[: self._size] = column[: self._size]
            self._data[name] = grown
        for attr in ("_alive", "_uid"):
            old = getattr(self, attr)
            grown = np.zeros(new_capacity, dtype=old.dtype)
            grown[: self._size] = old[: self._size]
            setattr(self, attr, grown)

    def _compact(self) -> None:
        keep = self.rows
        for name in self._data:
            self._data[name][: len(keep)] = self._data[name][keep]
        self._uid[: len(keep)] = self._uid[keep]
        self._alive[: len(keep)] = True
        self._alive[len(keep) : self._size] = False
        self._size = len(keep)
        self._row_buffer = np.arange(len(keep))
        self._rows = self._frozen(self._row_buffer)

    def row_of(self, uid: int) -> int | None:
        """The row holding ``uid``, or None if that agent is gone."""
        uids = self.uid
        row = int(np.searchsorted(uids, uid))
        if row < self._size and uids[row] == uid and self._alive[row]:
            return row
        return None


@numba.njit(cache=True, nogil=True)
def _living_rows(alive: np.ndarray, out: np.ndarray) -> int:
    """Write the indices of the true entries of ``alive`` to the start of ``out`` (``np.flatnonzero`` into a given
    array); returns how many."""
    n = 0
    for j in range(alive.shape[0]):
        if alive[j]:
            out[n] = j
            n += 1
    return n
