"""Agent scale: the full-scale preset, the memory check before building, and determinism and common random numbers at a
larger scale than the default."""

from __future__ import annotations

import pandas as pd
import pytest

from coopsim import region as region_module
from coopsim.config import ConfigError
from coopsim.region import build_region, memory_estimate_bytes
from coopsim.region_data import provincial_totals
from coopsim.runner import compose_config, simulate

LARGER = ("region.data.enterprise_agents=400000", "region.data.people_per_talent_agent=100", "region.data.people_per_worker_agent=500")
GIB = 2**30


def test_the_full_scale_preset_has_one_agent_per_registered_enterprise():
    cfg = compose_config("region=guangdong_full")
    assert cfg.region.data.enterprise_agents == provincial_totals()["registered_enterprises_2023"] == 7_808_000
    assert cfg.region.core_city == "Shenzhen" and cfg.region.partner_city == "Shantou"  # the default region otherwise
    region = build_region(cfg.region)  # data only: no agents yet
    assert region.enterprises.sum() == 7_808_000
    assert region.cohort_size == region.worker_cohort_size == 100.0


def test_a_scale_that_would_not_fit_is_refused_with_its_estimate_before_anything_is_built(monkeypatch):
    monkeypatch.setattr(region_module, "physical_memory_bytes", lambda: 8 * GIB)
    one_person = compose_config("region=guangdong_full", "region.data.people_per_talent_agent=1", "region.data.people_per_worker_agent=1")
    with pytest.raises(
        ConfigError, match=r"region\.data\.enterprise_agents / people_per_talent_agent.*would need about ([\d.]+) GiB"
    ) as error:
        build_region(one_person.region)
    # one cohort per resident: 126 million cohorts and 7.8 million enterprises
    expected = memory_estimate_bytes(126_012_510, 7_808_000) / GIB
    assert float(error.value.args[0].split("about ")[1].split(" GiB")[0]) == pytest.approx(expected, rel=0.01)
    build_region(compose_config("region=guangdong_full").region)  # cohorts of 100 fit in the same 8 GiB


@pytest.mark.slow
def test_a_larger_scale_is_deterministic_and_paired_scenarios_share_draws():
    first = simulate(compose_config(*LARGER, "steps=3", "seed=4"))[1]
    again = simulate(compose_config(*LARGER, "steps=3", "seed=4"))[1]
    pd.testing.assert_frame_equal(first, again)  # same config, data and seed: identical, bit for bit
    # the rail preset with its line opening in quarter 3: the same draws as no agreement until the line changes anything
    rail = simulate(compose_config(*LARGER, "steps=3", "seed=4", "agreement=rail", "levers.rail_opening_quarter=3"))[1]
    before = first[first["step"] < 3].reset_index(drop=True)
    pd.testing.assert_frame_equal(rail[rail["step"] < 3].reset_index(drop=True), before)
    moved = rail[(rail["step"] == 3) & (rail["metric"] == "partner_travel_minutes")]["value"].iloc[0]
    assert moved < first[(first["step"] == 3) & (first["metric"] == "partner_travel_minutes")]["value"].iloc[0]
