"""The flow ledger: what moved in each city this quarter (enterprises, people, money, minutes).

Every flow the model or an agreement rule causes is added here by city and becomes a metric
of the quarter (:data:`coopsim.metrics.FLOW_METRICS`), so money, people and enterprises are
accounted and testable (conservation tests sum an ``_in`` flow against its ``_out``). The
ledger also holds this quarter's spending transfers, which enter the market's income.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np


class FlowLedger:
    """Per-city flows of the current quarter: ``ledger[flow]`` is a (K,) array (zeros for a flow nothing caused).

    ``transfers`` is income moved into (or, negative, out of) each city's spending this quarter, in numeraire units;
    :meth:`reset` starts a new quarter.
    """

    def __init__(self, n_cities: int) -> None:
        self.n_cities = int(n_cities)
        self.reset()

    def reset(self) -> None:
        """Start a quarter: every flow and transfer back to zero."""
        self._flows: defaultdict[str, np.ndarray] = defaultdict(lambda: np.zeros(self.n_cities))
        self.transfers = np.zeros(self.n_cities)

    def add(self, flow: str, cities, amounts=None) -> None:
        """Add one unit (or ``amounts``) to ``flow`` in each of ``cities`` (repeats allowed)."""
        cities = np.asarray(cities, dtype=np.int64)
        weights = None if amounts is None else np.asarray(amounts, dtype=float)
        self._flows[flow] += np.bincount(cities, weights=weights, minlength=self.n_cities)

    def __getitem__(self, flow: str) -> np.ndarray:
        """This quarter's ``flow`` by city; zeros (not kept) for a flow nothing caused, so reading never changes it."""
        values = self._flows.get(flow)
        return values if values is not None else np.zeros(self.n_cities)

    def __contains__(self, flow: str) -> bool:
        """Whether anything caused ``flow`` this quarter."""
        return flow in self._flows
