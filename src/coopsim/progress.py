"""A progress bar that shows in a terminal and stays quiet in logs (tqdm, disabled when not a TTY)."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from tqdm.auto import tqdm


def progress(iterable: Iterable, desc: str, enabled: bool = True) -> Iterable:
    """Wrap ``iterable`` in a tqdm bar only when enabled and stderr is a terminal."""
    return tqdm(iterable, desc=desc, disable=not (enabled and sys.stderr.isatty()), leave=False)
