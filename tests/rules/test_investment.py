"""InvestmentFlows: money conserved, capital built in the partner, enterprises owned by the source."""

import numpy as np
import pandas as pd
import pytest

from coopsim.config import ConfigError
from coopsim.runner import build_model, compose_config, simulate

STEPS = ["steps=12"]


def wide(metrics, metric):
    return metrics.query("metric == @metric").pivot(index="step", columns="city", values="value")


@pytest.fixture(scope="module")
def invested():
    return simulate(compose_config("region=shenzhen_shantou", "agreement=investment", *STEPS))[1]


def test_money_is_conserved_each_quarter(invested):
    out, arrived, cost = (wide(invested, m).sum(axis=1) for m in ("investment_out", "investment_in", "investment_cost"))
    assert np.allclose(out, arrived + cost)
    assert out.iloc[1:].gt(0).all() and out.iloc[1] == pytest.approx(50.0 / 4)
    assert wide(invested, "investment_in")["Shantou"].iloc[1] == pytest.approx(50.0 / 4 * 0.95)
    assert wide(invested, "investment_out")["Shenzhen"].iloc[1] == pytest.approx(50.0 / 4)


def test_investment_raises_partner_capital_stock_and_places_source_owned_enterprises():
    model = build_model(compose_config("region=shenzhen_shantou", "agreement=investment", *STEPS))
    try:
        for _ in range(12):
            model.step()
        shantou, shenzhen = model.region.partner, model.region.core
        capital = model.recorder.frame().query("metric == 'capital_stock' and city == 'Shantou'")["value"].to_numpy()
        assert np.all(np.diff(capital[1:]) > 0) and capital[0] == 0
        pop = model.enterprises
        rows = pop.rows
        owned = rows[(pop.city[rows] == shantou) & (pop.owner_city[rows] == shenzhen)]
        rule = model.rules["investment"]
        assert rule.placed == int(rule.annual_budget / 4 * 0.95 * 12 // rule.capital_per_enterprise)
        assert len(owned) > 0
        assert set(np.unique(pop.sector[owned])) <= set(rule.sector_indices)
    finally:
        model.release()


def test_zero_budget_changes_nothing_bit_for_bit():
    none = simulate(compose_config("region=shenzhen_shantou", "agreement=none", *STEPS, "seed=3"))[1]
    zero = simulate(
        compose_config("region=shenzhen_shantou", "agreement=investment", "agreement.rules.investment.annual_budget=0", *STEPS, "seed=3")
    )[1]
    pd.testing.assert_frame_equal(none, zero)


def test_negative_budget_fails_naming_the_field():
    with pytest.raises(ConfigError, match="agreement.rules.investment.annual_budget"):
        build_model(compose_config("agreement=investment", "agreement.rules.investment.annual_budget=-5"))
