"""A run's outcomes against its paired baseline, and its sub-centre class (the rules of indicators.classify, per run)."""

import numpy as np
import pandas as pd
import pytest

from coopsim.exploration.outcomes import class_inputs, classify_runs, outcome_values
from coopsim.exploration.spec import CLASS_INPUTS, ClassRules, Outcome
from coopsim.indicators import ClassThresholds, classify

RUN = {"partner_circle_share": 0.5, "partner_gdp": 12.0, "rest_of_circle_gdp": 13.0, "partner_gdp_share": 0.03, "gdp_share:P": 0.03}
BASE = {"partner_circle_share": 0.4, "partner_gdp": 10.0, "rest_of_circle_gdp": 12.0, "partner_gdp_share": 0.025, "gdp_share:P": 0.025}


def test_each_measure_compares_the_run_with_its_baseline():
    outcomes = (
        Outcome("partner_circle_share", "effect"),
        Outcome("spread_ratio", "effect"),
        Outcome("gdp_share:P", "effect_pct"),
        Outcome("gdp_share:P", "level"),
    )
    values = outcome_values(outcomes[:3], RUN, BASE)
    assert values["partner_circle_share"] == pytest.approx(0.1)
    assert values["spread_ratio"] == pytest.approx((13.0 - 12.0) / (12.0 - 10.0))  # rest of the circle's gain over the partner's
    assert values["gdp_share:P"] == pytest.approx(20.0)  # +20% of the baseline share
    assert outcome_values(outcomes[3:], RUN, BASE)["gdp_share:P"] == 0.03
    assert np.isnan(outcome_values(outcomes[1:2], RUN, RUN)["spread_ratio"])  # the partner did not move: no ratio


def test_class_inputs_are_relative_effects_and_the_spread_ratio():
    inputs = class_inputs(RUN, BASE)
    share, circle, rest, spread = (inputs[name] for name in CLASS_INPUTS)
    assert share == pytest.approx(20.0) and circle == pytest.approx(25.0) and rest == pytest.approx(100 / 12)
    assert spread == pytest.approx(0.5)


def test_per_run_classes_follow_the_rules_of_indicators_classify():
    """Each run's class equals indicators.classify's for a scenario whose intervals are the effect plus or minus the tolerance.

    The spread ratio's interval lies above 0 when the rest of the circle's GDP gain exceeds the tolerance.
    """
    rng = np.random.default_rng(4)
    rules = ClassRules(min_relative_effect=0.005, spread_ratio_min=0.2)
    tolerance = 100 * rules.min_relative_effect
    frame = pd.DataFrame(
        {
            CLASS_INPUTS[0]: rng.choice([-2.0, -0.3, 0.0, 0.3, 2.0], 400),
            CLASS_INPUTS[1]: rng.choice([-2.0, -0.2, 0.2, 2.0], 400),
            CLASS_INPUTS[2]: rng.choice([-1.0, 0.3, 1.0], 400),
            CLASS_INPUTS[3]: rng.choice([-0.5, 0.0, 0.1, 0.3, 1.0], 400),
        }
    )
    labels = classify_runs(frame, rules)
    table, share = [], []
    for k, row in frame.iterrows():
        scenario = f"run {k}"
        effect, circle, rest, spread = (row[name] for name in CLASS_INPUTS)
        table.append({"scenario": scenario, "indicator": "partner_circle_share", "effect": circle, "ci_low": circle - tolerance})
        table[-1]["ci_high"] = circle + tolerance
        low = spread if rest > tolerance else min(spread, 0.0)  # measurable only when the rest's gain exceeds the tolerance
        table.append({"scenario": scenario, "indicator": "spread_ratio", "effect": spread, "ci_low": low, "ci_high": spread})
        share.append({"scenario": scenario, "effect": effect, "ci_low": effect - tolerance, "ci_high": effect + tolerance})
    expected = classify(pd.DataFrame(table), pd.DataFrame(share), ClassThresholds(spread_ratio_min=rules.spread_ratio_min))
    assert list(labels) == list(expected["sub_centre_class"])
    assert set(labels) == {"sub_centre_with_spread", "local_primacy", "drained_by_core", "no_effect"}


def test_a_run_without_inputs_has_no_class():
    frame = pd.DataFrame({name: [np.nan] for name in CLASS_INPUTS})
    assert list(classify_runs(frame, ClassRules(0.005, 0.0))) == [""]
