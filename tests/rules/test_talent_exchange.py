"""TalentExchange: people conserved, secondees moved and returned, productivity effects."""

import numpy as np
import pandas as pd
import pytest

from coopsim.runner import build_model, compose_config, simulate

EXCHANGE = ["region=shenzhen_shantou", "agreement=talent", "agreement.rules.talent.duration_quarters=2", "steps=10"]


def test_people_conserved_and_secondees_return(make_model):
    model = make_model(*EXCHANGE, "agreement.rules.talent.return_share=1.0")
    total = model.talent_per_city().sum()
    shenzhen, shantou = model.region.core, model.region.partner
    for quarter in range(1, 11):
        model.step()
        assert model.talent_per_city().sum() == pytest.approx(total, rel=1e-12)
        pop = model.talent
        rows = pop.rows
        away = rows[pop.exchange_until[rows] >= 0]
        # 250 people a quarter each way, two quarters each: at most 500 seconded per direction
        from_core = pop.size[away[pop.exchange_origin[away] == shenzhen]].sum()
        assert from_core == pytest.approx(min(quarter, 2) * 250.0)
        assert np.all(pop.city[away[pop.exchange_origin[away] == shenzhen]] == shantou)
    metrics = model.recorder.frame()
    exchange_in = metrics.query("metric == 'exchange_in'").groupby("step")["value"].sum()
    exchange_out = metrics.query("metric == 'exchange_out'").groupby("step")["value"].sum()
    assert np.allclose(exchange_in, exchange_out)
    assert exchange_in.iloc[3] == pytest.approx(4 * 250.0)  # two new secondments out, two cohorts back


def test_talent_changes_only_by_migration_and_exchange():
    metrics = simulate(compose_config(*EXCHANGE))[1]
    w = metrics.query("city != 'region'").pivot_table(index="step", columns=["metric", "city"], values="value")
    change = w["talent"].diff().iloc[1:]
    flows = (w["migration_in"] - w["migration_out"] + w["exchange_in"] - w["exchange_out"]).iloc[1:]
    assert np.allclose(change, flows, atol=1e-6)


def test_zero_quota_changes_nothing_bit_for_bit():
    none = simulate(compose_config("region=shenzhen_shantou", "steps=10", "seed=4"))[1]
    zero = simulate(compose_config(*EXCHANGE, "agreement.rules.talent.annual_quota=0", "seed=4"))[1]
    pd.testing.assert_frame_equal(none, zero)


def test_host_learning_raises_host_productivity(make_model):
    model = make_model(*EXCHANGE, "agreement.rules.talent.two_way=false", "agreement.rules.talent.host_productivity_effect=5.0")
    quiet = make_model(*EXCHANGE, "agreement.rules.talent.two_way=false", "agreement.rules.talent.host_productivity_effect=0.0")
    for m in (model, quiet):
        for _ in range(3):
            m.step()
    shantou = model.region.partner

    def mean_efficiency(m):
        rows = m.enterprises.rows
        return m.enterprises.productivity[rows][m.enterprises.city[rows] == shantou].mean()

    assert mean_efficiency(model) > mean_efficiency(quiet)


@pytest.mark.parametrize(
    "override, field",
    [
        ("agreement.rules.talent.host=Shenzhen", "agreement.rules.talent.host"),
        ("agreement.rules.talent.end_quarter=0", "agreement.rules.talent.end_quarter"),
        ("agreement.rules.talent.duration_quarters=0", "agreement.rules.talent.duration_quarters"),
        ("agreement.rules.talent.annual_quota=-5", "agreement.rules.talent.annual_quota"),
        ("levers.exchange_quota=-5", "levers.exchange_quota"),  # the lever itself, before the rule that reads it
    ],
)
def test_bad_exchange_config_fails_naming_the_field(override, field):
    from coopsim.config import ConfigError

    with pytest.raises(ConfigError, match=field):
        build_model(compose_config("region=shenzhen_shantou", "agreement=talent", "steps=10", override))
