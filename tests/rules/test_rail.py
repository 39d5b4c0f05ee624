"""RailConnectivity: travel times and trade costs fall from the opening quarter, not before."""

import numpy as np
import pytest

from coopsim.config import ConfigError
from coopsim.runner import build_model, compose_config

RAIL = ["agreement=rail", "agreement.rules.rail.opening_quarter=3", "steps=6"]


def test_link_lowers_partner_travel_time_and_trade_cost_from_opening_quarter():
    model = build_model(compose_config("region=shenzhen_shantou", *RAIL))
    try:
        core, partner = model.region.core, model.region.partner
        minutes, tau = [], []
        for _ in range(5):
            model.step()
            minutes.append(model.region.travel_minutes[core, partner])
            tau.append(model.trade_costs()[:, core, partner].copy())
        assert minutes[0] == minutes[1] == pytest.approx(169.8)  # quarters 1, 2: before the opening
        expected = 347.5 / (350.0 * 0.72) * 60.0
        assert minutes[2] == pytest.approx(expected) and minutes[4] == pytest.approx(expected)
        assert np.all(tau[2] < tau[1]) and np.array_equal(tau[0], tau[1])
        saved = model.recorder.frame().query("metric == 'rail_minutes_saved' and city == 'Shantou'").set_index("step")["value"]
        assert saved[3] == pytest.approx(169.8 - expected) and saved.drop(3).eq(0).all()
    finally:
        model.release()


def test_intermediate_stations_get_through_trains():
    model = build_model(
        compose_config(
            "agreement=rail",
            "agreement.rules.rail.stations=[Shenzhen,Shanwei,Shantou]",
            "agreement.rules.rail.segment_km=[185.5,162.0]",
            "agreement.rules.rail.opening_quarter=1",
            "steps=2",
        )
    )
    try:
        model.step()
        r = model.region
        running = [185.5 / 252.0 * 60.0, 162.0 / 252.0 * 60.0]
        assert r.travel_minutes[r.index("Shenzhen"), r.index("Shanwei")] == pytest.approx(running[0])
        # in 2021 Q2 the Shantou-Shanwei HSR (36 min from 2023 Q4) is not open yet: the new segment is the fastest
        assert r.travel_minutes[r.index("Shanwei"), r.index("Shantou")] == pytest.approx(running[1])
        assert r.travel_minutes[r.index("Shenzhen"), r.index("Shantou")] == pytest.approx(sum(running) + 2.0)
    finally:
        model.release()


@pytest.mark.parametrize(
    "override, field",
    [
        ("agreement.rules.rail.opening_quarter=99", "agreement.rules.rail.opening_quarter"),
        ("agreement.rules.rail.stations=[Shenzhen,Atlantis]", r"agreement.rules.rail.stations\[1\]"),
        ("agreement.rules.rail.speed_kmh=-350", "agreement.rules.rail.speed_kmh"),
        ("agreement.rules.rail.segment_km=[100,100]", "agreement.rules.rail.segment_km"),
    ],
)
def test_bad_rail_config_fails_before_the_run_naming_the_field(override, field):
    with pytest.raises(ConfigError, match=field):
        build_model(compose_config("agreement=rail", "steps=20", override))


def test_unknown_rule_parameter_named():
    with pytest.raises(ConfigError, match="agreement.rules.rail"):
        build_model(compose_config("agreement=rail", "+agreement.rules.rail.colour=red"))
