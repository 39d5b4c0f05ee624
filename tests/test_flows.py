"""The flow ledger: per-city flows of a quarter, added by city, read without side effects, reset each quarter."""

import numpy as np

from coopsim.flows import FlowLedger


def test_flows_add_by_city_with_repeats_and_weights_and_reset_each_quarter():
    ledger = FlowLedger(3)
    ledger.add("entries_new", [0, 2, 2])
    ledger.add("migration_in", np.array([1, 1]), np.array([250.0, 100.0]))
    ledger.add("entries_new", [1])
    assert ledger["entries_new"].tolist() == [1.0, 1.0, 2.0]
    assert ledger["migration_in"].tolist() == [0.0, 350.0, 0.0]
    ledger.transfers[2] += 5.0
    ledger.reset()
    assert "entries_new" not in ledger and ledger["entries_new"].tolist() == [0.0, 0.0, 0.0]
    assert ledger.transfers.tolist() == [0.0, 0.0, 0.0]


def test_reading_a_flow_nothing_caused_gives_zeros_and_changes_nothing():
    ledger = FlowLedger(2)
    zeros = ledger["exits_loss"]
    zeros += 1.0  # a reader's copy: the ledger is not changed through it
    assert "exits_loss" not in ledger and ledger["exits_loss"].tolist() == [0.0, 0.0]
