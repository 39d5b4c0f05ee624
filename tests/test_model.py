"""The Mesa model as a whole: accounting, reproducibility, agents as handles on the arrays."""

import numpy as np
import pandas as pd
import pytest

from coopsim.agents.enterprise import Enterprise
from coopsim.runner import compose_config, simulate


def wide(metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    return metrics.query("metric == @metric").pivot(index="step", columns="city", values="value").sort_index()


@pytest.fixture(scope="module")
def default_run():
    return simulate(compose_config("steps=40", "seed=7"))[1]


@pytest.mark.parametrize("group, flow", [("talent", "migration"), ("workers", "worker_migration")])
def test_people_are_conserved_and_migration_balances(default_run, group, flow):
    """Within the region moves balance; with the rest of China (the default open province) the region's people and the
    reservoir together are conserved, and each city's people change exactly by its net flows."""
    people = wide(default_run, group)
    moved_in, moved_out = wide(default_run, f"{flow}_in"), wide(default_run, f"{flow}_out")
    arrived, left = wide(default_run, f"{flow}_from_outside"), wide(default_run, f"{flow}_to_outside")
    assert moved_in.sum(axis=1).iloc[1:].gt(0).all()  # gross flows every quarter (idiosyncratic preferences)
    assert arrived.sum(axis=1).iloc[1:].gt(0).all() and left.sum(axis=1).iloc[1:].gt(0).all()
    assert np.allclose(moved_in.sum(axis=1), moved_out.sum(axis=1))
    net_outside = (arrived - left).sum(axis=1).cumsum()
    assert np.allclose(people.sum(axis=1), people.sum(axis=1).iloc[0] + net_outside, rtol=1e-12, atol=1e-3)
    region = default_run.query("city == 'region'").pivot(index="step", columns="metric", values="value")
    everyone = region["residents_total"] + region["residents_outside"]
    assert np.allclose(everyone, everyone.iloc[0], rtol=1e-12, atol=0)
    # each city's people change exactly by its net migration (no exchange without an agreement)
    change = (moved_in - moved_out + arrived - left).iloc[1:]
    assert np.allclose(people.diff().iloc[1:], change, rtol=1e-9, atol=1e-6)
    assert wide(default_run, "exchange_in").eq(0).all().all()
    residents = wide(default_run, "residents")
    assert np.allclose(residents, wide(default_run, "talent") + wide(default_run, "workers"), rtol=1e-12)


def test_enterprises_change_only_by_reported_entry_and_exit(default_run):
    firms = wide(default_run, "enterprises")
    flows = {
        name: wide(default_run, name)
        for name in ("entries_new", "entries_branch", "exits_shock", "exits_loss", "exits_staffing", "relocations_in", "relocations_out")
    }
    expected = (
        flows["entries_new"]
        + flows["entries_branch"]
        - flows["exits_shock"]
        - flows["exits_loss"]
        - flows["exits_staffing"]
        + flows["relocations_in"]
        - flows["relocations_out"]
    )
    assert np.array_equal(firms.diff().iloc[1:].to_numpy(), expected.iloc[1:].to_numpy())
    assert flows["relocations_in"].sum().sum() == flows["relocations_out"].sum().sum()
    assert (flows["exits_loss"].sum().sum() + flows["entries_new"].sum().sum()) > 0  # the run does exercise entry and exit
    assert flows["exits_shock"].sum(axis=1).iloc[1:].gt(0).all()  # turnover every quarter


def test_every_quarter_converged(default_run):
    converged = default_run.query("metric == 'market_converged'")["value"]
    assert (converged == 1.0).all()


def test_same_seed_same_metrics_different_seed_differs():
    a = simulate(compose_config("steps=25", "seed=11"))[1]
    b = simulate(compose_config("steps=25", "seed=11"))[1]
    c = simulate(compose_config("steps=25", "seed=12"))[1]
    pd.testing.assert_frame_equal(a, b)
    assert not a["value"].equals(c["value"])


def test_tidy_metrics_columns_and_required_metrics(default_run):
    assert list(default_run.columns) == ["step", "quarter", "city", "metric", "value"]  # quarter: Guangdong has a calendar
    assert set(default_run.query("step == 40")["quarter"]) == {"2031 Q1"}
    required = {"talent_share", "talent", "enterprises", "gdp", "wage", "real_wage", "price_index"}
    assert required <= set(default_run["metric"])
    assert default_run["step"].min() == 0 and default_run["step"].max() == 40
    shares = wide(default_run, "talent_share")
    assert np.allclose(shares.sum(axis=1), 1.0)


def test_mesa_agents_are_handles_on_population_arrays(make_model):
    model = make_model("steps=5", "seed=3")
    for _ in range(5):
        model.step()
    enterprises = model.enterprise_agents()
    talent = model.talent_agents()
    assert len(model.agents_by_type[Enterprise]) == len(enterprises) == len(model.enterprises)
    assert len(talent) == len(model.talent)
    counts = enterprises.groupby("city").count()
    assert counts == dict(zip(model.region.city_names, model.enterprises_per_city().tolist(), strict=True))
    assert {c.name for c in model.cities} == set(model.region.city_names)
    assert all(c.cell is model.space[c.index] for c in model.cities)
    assert sum(t.size for t in talent) == pytest.approx(model.talent_per_city().sum())
    # a snapshot taken again replaces the old handles; exited enterprises say so
    first = list(enterprises)
    exits = 0
    while exits == 0 and model.steps < 80:
        model.step()
        exits += model.flows["exits_loss"].sum() + model.flows["exits_staffing"].sum()
    assert exits > 0
    live = set(model.enterprises.uid[model.enterprises.rows].tolist())
    assert {a.uid for a in first if not a.exists} == {a.uid for a in first} - live
    assert len(model.enterprise_agents()) == len(model.enterprises) == len(model.agents_by_type[Enterprise])


def test_spillovers_raise_productivity_where_access_to_talent_rises(make_model):
    off = make_model("economy.knowledge.spillover_strength=0.0", "seed=1")
    on = make_model("economy.knowledge.spillover_strength=0.05", "seed=1")
    before_on, before_off = on.location_mass.copy(), off.location_mass.copy()
    on.knowledge_spills_over()
    assert np.allclose(on.location_mass, before_on)  # at rest: access as at step 0
    for model in (on, off):
        model.region.set_link("Shenzhen", "Shantou", "hsr", 40.0)
        model.knowledge_spills_over()
    factor = (on.location_mass / before_on) ** (1.0 / (on.sectors.sigma[:, None] - 1.0))
    region = on.region
    shantou, shenzhen, zhanjiang = (region.index(c) for c in ("Shantou", "Shenzhen", "Zhanjiang"))
    assert factor[0, shantou] > factor[0, shenzhen] > 1.0  # the small partner gains most from the core's talent
    assert factor[0, zhanjiang] == pytest.approx(1.0, abs=1e-3)
    # faster links never cut access; access is a share of the region's talent, at most 1
    assert np.all(factor >= 1.0 - 1e-12) and np.all(factor <= (1.0 / on.initial_access[None, :]) ** 0.05 + 1e-12)
    assert np.array_equal(off.location_mass, before_off)
