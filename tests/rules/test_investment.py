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


def test_investment_raises_partner_capital_stock_and_places_source_owned_enterprises(make_model):
    model = make_model("region=shenzhen_shantou", "agreement=investment", *STEPS)
    for _ in range(12):
        model.step()
    shantou, shenzhen = model.region.partner, model.region.core
    capital = model.recorder.frame().query("metric == 'capital_stock' and city == 'Shantou'")["value"].to_numpy()
    assert np.all(np.diff(capital[1:]) > 0) and capital[0] == 0
    pop = model.enterprises
    rule = model.rules["investment"]
    assert rule.placed == int(rule.annual_budget / 4 * 0.95 * 12 // rule.capital_per_enterprise)
    placed = [pop.row_of(uid) for uid in rule.placed_uids]
    placed = np.array([row for row in placed if row is not None])
    assert len(placed) > 0
    assert np.all(pop.owner_city[placed] == shenzhen)
    assert set(np.unique(pop.sector[placed])) <= set(rule.sector_indices)
    assert np.mean(pop.city[placed] == shantou) > 0.9  # a few may move on by themselves later


def test_capital_built_enters_production_with_its_output_elasticity(make_model):
    """Every enterprise in the host gains (1 + K/K0)^theta (Cobb-Douglas; Solow 1957); the outlay is not household income."""
    model = make_model("region=shenzhen_shantou", "agreement=investment", *STEPS)
    for _ in range(8):
        model.step()
    shantou = model.region.partner
    theta = model.economy.capital_output_elasticity
    factor = (1.0 + model.capital_stock[shantou] / model.initial_capital[shantou]) ** theta
    assert factor > 1.0
    others = model.spillover_factor[shantou] * model.productivity_trend[shantou]  # spillovers and the baseline's trend
    ratio = model.location_mass[:, shantou] / (model.base_location_mass[:, shantou] * others ** (model.sectors.sigma - 1))
    assert ratio == pytest.approx(factor ** (model.sectors.sigma - 1), rel=1e-12)
    # initial capital is capital_output_ratio years of GDP, in budget units (亿元)
    gdp = model.recorder.frame().query("step == 0 and metric == 'gdp'").set_index("city").loc[model.region.city_names, "value"]
    expected = model.economy.capital_output_ratio * 4 * gdp.to_numpy() / model.numeraire_per_budget_unit
    assert model.initial_capital == pytest.approx(expected)
    metrics = model.recorder.frame()
    income = metrics.query("metric == 'income' and step == 8").set_index("city")["value"]
    assert income.sum() == pytest.approx(model.market.income.sum() - model.flows.transfers.sum())
    assert model.flows.transfers[shantou] > 0  # spent in the host as construction demand


def test_investment_raises_the_partners_gdp_against_no_agreement():
    """Paired seeds: capital and placed plants raise Shantou's GDP relative to none."""
    runs = {a: simulate(compose_config("region=shenzhen_shantou", f"agreement={a}", *STEPS, "seed=2"))[1] for a in ("none", "investment")}
    gdp = {a: wide(m, "gdp")["Shantou"].iloc[-1] for a, m in runs.items()}
    assert gdp["investment"] > gdp["none"]


def test_zero_budget_changes_nothing_bit_for_bit():
    none = simulate(compose_config("region=shenzhen_shantou", "agreement=none", *STEPS, "seed=3"))[1]
    zero = simulate(
        compose_config("region=shenzhen_shantou", "agreement=investment", "agreement.rules.investment.annual_budget=0", *STEPS, "seed=3")
    )[1]
    pd.testing.assert_frame_equal(none, zero)


def test_negative_budget_fails_naming_the_field():
    with pytest.raises(ConfigError, match="agreement.rules.investment.annual_budget"):
        build_model(compose_config("agreement=investment", "agreement.rules.investment.annual_budget=-5"))
