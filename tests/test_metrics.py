"""Outcome reporters and the MetricsRecorder (coopsim.metrics): what is recorded, when, and that levels and shares agree."""

import datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from coopsim import metrics
from coopsim.metrics import REGION, MetricsRecorder

REGION_METRICS = (
    "market_iterations",
    "market_converged",
    "market_residual",
    "partner_travel_minutes",
    "residents_total",
    "residents_outside",
)


def wide(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return frame[frame["metric"] == metric].pivot(index="step", columns="city", values="value").sort_index()


@pytest.fixture
def textbook(make_model):
    """The two textbook cities stepped three quarters, with what each reporter returned after every quarter."""
    model = make_model("region=two_symmetric", steps=3, seed=2)
    seen = {0: {name: np.array(reporter(model), dtype=float) for name, reporter in metrics.CITY_METRICS.items()}}
    for _ in range(3):
        model.step()
        seen[model.steps] = {name: np.array(reporter(model), dtype=float) for name, reporter in metrics.CITY_METRICS.items()}
    return model, model.recorder.frame(), seen


def test_the_frame_is_tidy_one_row_per_step_city_and_metric(textbook):
    model, frame, _ = textbook
    K, T = model.region.size, 4
    per_city = len(metrics.CITY_METRICS) + len(metrics.FLOW_METRICS)
    assert list(frame.columns) == ["step", "city", "metric", "value"]  # no calendar in a theory region
    assert len(frame) == T * (K * per_city + len(REGION_METRICS))
    assert not frame.duplicated(["step", "city", "metric"]).any()
    assert sorted(frame["step"].unique()) == [0, 1, 2, 3] and frame["step"].dtype == np.int64
    assert set(frame["city"]) == {*model.region.city_names, REGION}
    assert set(frame.loc[frame["city"] == REGION, "metric"]) == set(REGION_METRICS)
    assert set(frame.loc[frame["city"] != REGION, "metric"]) == {*metrics.CITY_METRICS, *metrics.FLOW_METRICS}


def test_each_quarter_keeps_the_values_the_reporters_gave_then(textbook):
    """collect() copies: later quarters never overwrite an earlier quarter's record; last() is the latest quarter."""
    model, frame, seen = textbook
    for step, values in seen.items():
        at = frame[frame["step"] == step]
        for name, expected in values.items():
            recorded = at[at["metric"] == name].set_index("city").loc[model.region.city_names, "value"].to_numpy()
            np.testing.assert_array_equal(recorded, expected, err_msg=f"{name} at step {step}")
    for name in metrics.CITY_METRICS:
        np.testing.assert_array_equal(model.recorder.last(name), seen[3][name])
    region = frame[frame["city"] == REGION].pivot(index="step", columns="metric", values="value")
    assert (region["market_converged"] == 1.0).all() and (region["market_iterations"] >= 1).all()
    assert (region["partner_travel_minutes"] == 120.0).all()  # the A-B road of configs/region/two_symmetric.yaml


def test_levels_and_shares_agree_and_people_are_conserved(textbook):
    model, frame, _ = textbook
    talent, workers = wide(frame, "talent"), wide(frame, "workers")
    assert np.allclose(wide(frame, "talent_share"), talent.div(talent.sum(axis=1), axis=0), rtol=1e-12)
    assert np.allclose(wide(frame, "residents"), talent + workers, rtol=1e-12)
    gdp, firms = wide(frame, "gdp"), wide(frame, "enterprises")
    assert np.allclose(wide(frame, "gdp_share"), gdp.div(gdp.sum(axis=1), axis=0), rtol=1e-12)
    assert np.allclose(wide(frame, "enterprise_share"), firms.div(firms.sum(axis=1), axis=0), rtol=1e-12)
    assert np.allclose(talent.sum(axis=1), 4000.0) and np.allclose(workers.sum(axis=1), 6000.0)  # configs/region/two_symmetric.yaml
    # the real wage is the wage over the cost of living, goods and housing (and congestion, 0 by default):
    # w / (P ** (1 - delta) p_H ** delta density ** eta)
    density = wide(frame, "residents") / model.region.land_km2
    eta, delta = model.economy.congestion_elasticity, model.economy.housing.expenditure_share
    cost = wide(frame, "price_index") ** (1.0 - delta) * wide(frame, "housing_price") ** delta * density**eta
    assert np.allclose(wide(frame, "real_wage") * cost, wide(frame, "wage"), rtol=1e-10)
    # enterprises change only by the recorded flows
    flows = {name: wide(frame, name) for name in ("entries_new", "entries_branch", "exits_shock", "exits_loss", "exits_staffing")}
    moved = wide(frame, "relocations_in") - wide(frame, "relocations_out")
    change = flows["entries_new"] + flows["entries_branch"] - flows["exits_shock"] - flows["exits_loss"] - flows["exits_staffing"] + moved
    assert np.array_equal(firms.diff().iloc[1:].to_numpy(), change.iloc[1:].to_numpy())


class FakeModel(SimpleNamespace):
    """Just what MetricsRecorder.collect reads when the reporters are replaced by two simple ones."""


@pytest.fixture
def two_reporters(monkeypatch):
    """Only a level and a flow, so that the recorder's own bookkeeping is tested against known numbers."""
    monkeypatch.setattr(metrics, "CITY_METRICS", {"talent": lambda model: model.people})
    monkeypatch.setattr(metrics, "FLOW_METRICS", ("migration_in",))


def fake(step: int, people, arrivals, core=0, partner=1) -> FakeModel:
    region = SimpleNamespace(core=core, partner=partner, travel_minutes=np.array([[0.0, 75.0], [75.0, 0.0]]))
    market = SimpleNamespace(iterations=3 + step, converged=True, residual=1e-11)
    flows = {"migration_in": np.asarray(arrivals, dtype=float)}
    people = np.asarray(people, dtype=float)
    return FakeModel(
        steps=step,
        people=people,
        flows=flows,
        region=region,
        market=market,
        residents_per_city=lambda: people,
        residents_outside=lambda: float("nan"),
    )


def test_the_recorder_copies_what_it_collects(two_reporters):
    recorder = MetricsRecorder(["A", "B"])
    model = fake(0, [10.0, 20.0], [0.0, 0.0])
    recorder.collect(model)
    model.people[:] = -1.0  # the model keeps changing its arrays in place
    model.flows["migration_in"][:] = 99.0
    model.steps = 1
    recorder.collect(fake(1, [12.0, 18.0], [2.0, 0.0]))
    frame = recorder.frame()
    assert wide(frame, "talent").to_numpy().tolist() == [[10.0, 20.0], [12.0, 18.0]]
    assert wide(frame, "migration_in").to_numpy().tolist() == [[0.0, 0.0], [2.0, 0.0]]
    region = frame[frame["city"] == REGION].pivot(index="step", columns="metric", values="value")
    assert region["market_iterations"].tolist() == [3.0, 4.0] and region["partner_travel_minutes"].tolist() == [75.0, 75.0]
    assert recorder.last("talent").tolist() == [12.0, 18.0]


def test_a_calendar_region_gets_each_steps_quarter(two_reporters):
    recorder = MetricsRecorder(["A", "B"], start_date=datetime.date(2021, 1, 1))
    for step in (0, 1, 4, 7):
        recorder.collect(fake(step, [1.0, 1.0], [0.0, 0.0]))
    frame = recorder.frame()
    assert list(frame.columns) == ["step", "quarter", "city", "metric", "value"]
    quarters = frame.drop_duplicates("step").set_index("step")["quarter"].to_dict()
    assert quarters == {0: "2021 Q1", 1: "2021 Q2", 4: "2022 Q1", 7: "2022 Q4"}


def test_a_region_without_core_and_partner_records_no_travel_time(two_reporters):
    recorder = MetricsRecorder(["A", "B"])
    recorder.collect(fake(0, [1.0, 1.0], [0.0, 0.0], core=None))
    travel = recorder.frame().query("metric == 'partner_travel_minutes'")["value"]
    assert len(travel) == 1 and np.isnan(travel.iloc[0])


def test_shares_of_an_empty_region_are_zero_not_nan():
    empty = SimpleNamespace(talent_per_city=lambda: np.zeros(3), enterprises_per_city=lambda: np.zeros(3, dtype=np.int64))
    assert metrics.talent_share(empty).tolist() == [0.0, 0.0, 0.0]
    assert metrics.enterprise_share(empty).tolist() == [0.0, 0.0, 0.0]
    some = SimpleNamespace(talent_per_city=lambda: np.array([1.0, 3.0]), enterprises_per_city=lambda: np.array([2, 6]))
    assert metrics.talent_share(some).tolist() == [0.25, 0.75] and metrics.enterprise_share(some).tolist() == [0.25, 0.75]
