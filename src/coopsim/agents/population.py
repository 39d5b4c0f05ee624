"""Structure-of-arrays storage for a population of agents, with Mesa agent handles.

The state of every enterprise or talent cohort lives in numpy columns; a Mesa agent per
row is only a handle (``agent.row``) for inspection and for Mesa's ``AgentSet`` tools.
Rows are append-only while a run goes on; removed rows are marked dead and compacted away
when they outnumber the living, and each handle's ``row`` is updated then.
"""

from __future__ import annotations

from typing import Callable

import mesa
import numpy as np


class ArrayPopulation:
    """Columns of per-agent state plus an ``alive`` mask, with one Mesa handle per living row."""

    def __init__(self, columns: dict[str, np.dtype], handle_factory: Callable[[int], mesa.Agent] | None = None) -> None:
        self._dtypes = dict(columns)
        self._size = 0
        self._data: dict[str, np.ndarray] = {name: np.empty(0, dtype=dt) for name, dt in self._dtypes.items()}
        self.alive = np.empty(0, dtype=bool)
        self.uid = np.empty(0, dtype=np.int64)
        self._next_uid = 0
        self._handle_factory = handle_factory
        self.handles: dict[int, mesa.Agent] = {}

    def __getattr__(self, name: str) -> np.ndarray:
        data = self.__dict__.get("_data")
        if data is not None and name in data:
            return data[name][: self._size]
        raise AttributeError(name)

    def __len__(self) -> int:
        return int(self.alive[: self._size].sum())

    @property
    def rows(self) -> np.ndarray:
        """Indices of living rows."""
        return np.flatnonzero(self.alive[: self._size])

    def column(self, name: str) -> np.ndarray:
        """A writable view of one column over all rows (dead rows included)."""
        return self._data[name][: self._size]

    def add(self, **values: np.ndarray) -> np.ndarray:
        """Append rows (every column must be given) and create their handles; returns the new rows."""
        count = len(next(iter(values.values())))
        missing = set(self._dtypes) - set(values)
        if missing:
            raise ValueError(f"missing columns for new rows: {sorted(missing)}")
        self._reserve(self._size + count)
        new_rows = np.arange(self._size, self._size + count)
        for name, value in values.items():
            self._data[name][new_rows] = value
        self.alive[new_rows] = True
        self.uid[new_rows] = np.arange(self._next_uid, self._next_uid + count)
        self._next_uid += count
        self._size += count
        if self._handle_factory is not None:
            for row in new_rows.tolist():
                self.handles[row] = self._handle_factory(row)
        return new_rows

    def remove(self, rows: np.ndarray) -> None:
        """Mark rows dead, remove their handles from the model, and compact when worthwhile."""
        rows = np.asarray(rows, dtype=np.int64)
        self.alive[rows] = False
        for row in rows.tolist():
            handle = self.handles.pop(row, None)
            if handle is not None:
                handle.remove()
        if self._size > 1024 and len(self) < self._size // 2:
            self._compact()

    def _reserve(self, capacity: int) -> None:
        if capacity <= len(self.alive):
            return
        new_capacity = max(capacity, 2 * len(self.alive), 64)
        for name, column in self._data.items():
            grown = np.zeros(new_capacity, dtype=column.dtype)
            grown[: self._size] = column[: self._size]
            self._data[name] = grown
        for attr in ("alive", "uid"):
            old = getattr(self, attr)
            grown = np.zeros(new_capacity, dtype=old.dtype)
            grown[: self._size] = old[: self._size]
            setattr(self, attr, grown)

    def _compact(self) -> None:
        keep = self.rows
        for name in self._data:
            self._data[name][: len(keep)] = self._data[name][keep]
        self.uid[: len(keep)] = self.uid[keep]
        self.alive[: len(keep)] = True
        self.alive[len(keep) : self._size] = False
        self._size = len(keep)
        handles = {}
        for new_row, old_row in enumerate(keep.tolist()):
            handle = self.handles.get(old_row)
            if handle is not None:
                handle.row = new_row
                handles[new_row] = handle
        self.handles = handles
