"""Sub-centre indicators: levels from a run's metrics, paired effects with intervals, and the class of each scenario."""

import numpy as np
import pandas as pd
import pytest

from coopsim.indicators import Geography, classify, indicator_table, run_indicators

GEOGRAPHY = Geography(partner="P", core="C", circle=("P", "N1", "N2"), wing=("P", "N1", "N2", "W"))


def tidy(gdp0: dict, gdp: dict, residents: dict, access: dict, horizon: int = 4) -> pd.DataFrame:
    rows = [(0, city, "gdp", value) for city, value in gdp0.items()]
    rows += [(horizon, city, "gdp", value) for city, value in gdp.items()]
    rows += [(horizon, city, "residents", value) for city, value in residents.items()]
    rows += [(horizon, city, "market_access", value) for city, value in access.items()]
    rows += [(0, city, "residents", value) for city, value in residents.items()]
    rows += [(0, city, "market_access", value) for city, value in access.items()]
    return pd.DataFrame(rows, columns=["step", "city", "metric", "value"])


CITIES = ["C", "P", "N1", "N2", "W"]


def test_levels_follow_their_definitions():
    gdp0 = dict(zip(CITIES, [50.0, 10.0, 6.0, 6.0, 28.0], strict=True))
    gdp = dict(zip(CITIES, [52.0, 12.0, 7.0, 6.0, 28.0], strict=True))
    residents = dict(zip(CITIES, [20.0, 5.0, 3.0, 4.0, 8.0], strict=True))
    access = dict(zip(CITIES, [10.0, 4.0, 5.0, 1.0, 3.0], strict=True))
    levels = run_indicators(tidy(gdp0, gdp, residents, access), GEOGRAPHY, 4)
    assert levels["partner_circle_share"] == pytest.approx(12.0 / 25.0)
    assert levels["spread_ratio"] == pytest.approx(1.0 / 2.0)  # neighbours +1, partner +2
    assert levels["circle_gdp_share"] == pytest.approx(25.0 / 105.0)
    assert levels["circle_resident_share"] == pytest.approx(12.0 / 40.0)
    assert levels["partner_access_rank"] == 2.0  # N1 has more access than P within the wing
    assert levels["partner_core_access"] == pytest.approx(0.4)


def levels_frame(effects: dict[str, list[float]], seeds: int = 5) -> pd.DataFrame:
    """Runs of a baseline and one scenario whose indicators differ from it by the given per-seed amounts."""
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(seeds):
        base = {
            "partner_circle_share": 0.46 + rng.normal(0, 0.01),
            "circle_gdp_share": 0.05,
            "circle_resident_share": 0.1,
            "partner_access_rank": 2.0,
            "partner_core_access": 0.45,
            "partner_gdp": 100.0,
            "rest_of_circle_gdp": 120.0,
            "spread_ratio": 0.4,
            "partner_gdp_share": 0.025,
        }
        rows.append({"scenario": "none", "pairing": "", "seed": seed, "agreement": "none", **base})
        changed = dict(base)
        changed["partner_circle_share"] += effects["circle"][seed]
        changed["partner_gdp"] += effects["partner"][seed]
        changed["rest_of_circle_gdp"] += effects["rest"][seed]
        rows.append({"scenario": "rail", "pairing": "", "seed": seed, "agreement": "rail", **changed})
    return pd.DataFrame(rows)


def test_paired_effects_and_spread_ratio_with_intervals():
    frame = levels_frame({"circle": [0.01, 0.012, 0.011, 0.009, 0.01], "partner": [2.0] * 5, "rest": [1.0, 1.2, 0.8, 1.0, 1.0]})
    table = indicator_table(frame, "none").set_index(["scenario", "indicator"])
    circle = table.loc[("rail", "partner_circle_share")]
    assert circle["effect"] == pytest.approx(0.0104) and circle["ci_low"] > 0 and circle["seeds"] == 5
    spread = table.loc[("rail", "spread_ratio")]
    assert spread["effect"] == pytest.approx(0.5) and spread["ci_low"] < 0.5 < spread["ci_high"]
    assert np.isnan(table.loc[("none", "partner_circle_share"), "effect"])
    assert list(indicator_table(frame, "none").columns) == ["scenario", "indicator", "seeds", "mean", "effect", "ci_low", "ci_high"]


@pytest.mark.parametrize(
    "effects, share, expected",
    [
        (
            {"circle": [0.01, 0.012, 0.011, 0.009, 0.01], "partner": [2.0] * 5, "rest": [1.0, 1.2, 0.8, 1.0, 1.0]},
            (0.001, 0.0005),
            "sub_centre_with_spread",
        ),
        (
            {"circle": [0.01, 0.012, 0.011, 0.009, 0.01], "partner": [2.0] * 5, "rest": [-1.0, -1.2, -0.8, -1.0, -1.0]},
            (0.001, 0.0005),
            "local_primacy",
        ),
        (
            {"circle": [-0.01, -0.012, -0.011, -0.009, -0.01], "partner": [-2.0] * 5, "rest": [1.0] * 5},
            (-0.001, -0.0015),
            "drained_by_core",
        ),
        (
            {"circle": [0.001, -0.001, 0.002, -0.002, 0.0], "partner": [0.1, -0.1, 0.2, -0.2, 0.05], "rest": [0.1, -0.2, 0.1, 0.0, 0.0]},
            (0.0, -0.001),
            "no_effect",
        ),
    ],
)
def test_each_class_follows_its_stated_rule(effects, share, expected):
    table = indicator_table(levels_frame(effects), "none")
    effect, low = share
    partner_share = pd.DataFrame([{"scenario": "rail", "effect": effect, "ci_low": low, "ci_high": effect + (effect - low)}])
    classes = classify(table, partner_share)
    assert classes.set_index("scenario").loc["rail", "sub_centre_class"] == expected
