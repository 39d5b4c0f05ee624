"""Structure-of-arrays storage for a population of agents.

The state of every enterprise or talent cohort lives in numpy columns. Each row has a
unique, increasing id (``uid``); Mesa agents are handles that hold a uid and find their
row with :meth:`ArrayPopulation.row_of`. Rows are append-only while a run goes on;
removed rows are marked dead and compacted away when they outnumber the living
(compaction keeps row order, so uids stay sorted).
"""

from __future__ import annotations

import numpy as np


class ArrayPopulation:
    """Columns of per-agent state plus an ``alive`` mask and a unique id per row."""

    def __init__(self, columns: dict[str, np.dtype]) -> None:
        self._dtypes = dict(columns)
        self._size = 0
        self._data: dict[str, np.ndarray] = {name: np.empty(0, dtype=dt) for name, dt in self._dtypes.items()}
        self._alive = np.empty(0, dtype=bool)
        self._uid = np.empty(0, dtype=np.int64)
        self._next_uid = 0

    def __getattr__(self, name: str) -> np.ndarray:
        data = self.__dict__.get("_data")
        if data is not None and name in data:
            return data[name][: self._size]
        raise AttributeError(name)

    def __len__(self) -> int:
        return int(self._alive[: self._size].sum())

    @property
    def alive(self) -> np.ndarray:
        """Whether each row (dead rows included) holds a living agent."""
        return self._alive[: self._size]

    @property
    def uid(self) -> np.ndarray:
        """Unique id of each row (dead rows included), increasing with the row."""
        return self._uid[: self._size]

    @property
    def rows(self) -> np.ndarray:
        """Indices of living rows."""
        return np.flatnonzero(self._alive[: self._size])

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
        new_rows = np.arange(self._size, self._size + count)
        for name, value in values.items():
            self._data[name][new_rows] = value
        self._alive[new_rows] = True
        self._uid[new_rows] = np.arange(self._next_uid, self._next_uid + count)
        self._next_uid += count
        self._size += count
        return new_rows

    def remove(self, rows: np.ndarray) -> None:
        """Mark rows dead and compact when the dead outnumber the living."""
        rows = np.asarray(rows, dtype=np.int64)
        self._alive[rows] = False
        if self._size > 1024 and len(self) < self._size // 2:
            self._compact()

    def _reserve(self, capacity: int) -> None:
        if capacity <= len(self._alive):
            return
        new_capacity = max(capacity, 2 * len(self._alive), 64)
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

    def row_of(self, uid: int) -> int | None:
        """The row holding ``uid``, or None if that agent is gone."""
        uids = self.uid
        row = int(np.searchsorted(uids, uid))
        if row < self._size and uids[row] == uid and self._alive[row]:
            return row
        return None
