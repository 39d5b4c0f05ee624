"""The typed declaration of an exploration: parsing, and the errors that name the field before any run."""

import pytest

from coopsim.exploration.explore import prepare
from coopsim.exploration.spec import ExplorationError, Lever, Uncertainty, parse_spec
from coopsim.runner import compose_config


def test_a_declaration_becomes_typed_data(declaration):
    spec = parse_spec(declaration())
    assert [u.name for u in spec.uncertainties] == ["spillover", "opening"]
    assert isinstance(spec.uncertainties[1], Uncertainty) and spec.uncertainties[1].low == 1 and isinstance(spec.uncertainties[1].low, int)
    assert spec.uncertainties[0].source == "Rosenthal & Strange 2004"
    assert isinstance(spec.levers[0], Lever) and spec.levers[0].categorical and spec.levers[0].values == ("rail", "deep_cooperation")
    assert not spec.levers[1].categorical and spec.levers[1].distribution == "loguniform"
    assert spec.factor_names == ["spillover", "opening", "agreement", "budget"]
    assert spec.outcomes[1].metric == ("gdp_share", "Shantou") and spec.outcomes[0].indicator == "partner_circle_share"
    assert spec.n_jobs == -1 and spec.chunk is None and not spec.merge and not spec.save_metrics


def test_the_spec_round_trips_through_its_record(declaration):
    spec = parse_spec(declaration())
    assert parse_spec(spec.to_dict()) == spec


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"uncertainties__spillover__low": 0.2}, "exploration.uncertainties.spillover: empty range: low (0.2) >= high (0.1)"),
        ({"uncertainties__spillover__high": 0.0}, "exploration.uncertainties.spillover: empty range"),
        ({"uncertainties__spillover__distribution": "normal"}, "exploration.uncertainties.spillover.distribution: expected one of"),
        ({"uncertainties__spillover__distribution": "loguniform"}, "exploration.uncertainties.spillover.low: expected a value > 0"),
        ({"uncertainties__opening__high": 3.5}, "exploration.uncertainties.opening.high: expected an integer"),
        ({"uncertainties__spillover__source": ""}, "exploration.uncertainties.spillover.source: expected where the range comes from"),
        ({"uncertainties__spillover__path": None}, "exploration.uncertainties.spillover.path"),
        ({"uncertainties__spillover__lo": 0.0}, "exploration.uncertainties.spillover.lo: unknown key"),
        ({"levers__agreement__values": []}, "exploration.levers.agreement.values: expected a non-empty list"),
        ({"levers__agreement__values": ["rail", "rail"]}, "exploration.levers.agreement.values: expected distinct values"),
        ({"levers__budget__low": 100.0}, "exploration.levers.budget: empty range"),
        ({"outcomes": {"effect": ["gdpp:Shantou"]}}, "exploration.outcomes.effect: 'gdpp:Shantou' names no indicator or metric"),
        ({"outcomes": {"effect": ["partner_circle"]}}, "exploration.outcomes.effect: 'partner_circle' names no indicator or metric"),
        ({"outcomes": {"change": ["gdp_share:Shantou"]}}, "exploration.outcomes.change: expected a measure"),
        ({"outcomes": {"effect_pct": ["spread_ratio"]}}, "exploration.outcomes.effect_pct: expected spread_ratio under effect or level"),
        ({"outcomes": {"effect": "gdp_share:Shantou"}}, "exploration.outcomes.effect: expected a list of outcome names"),
        ({"outcomes": {}}, "exploration.outcomes: expected at least one outcome"),
        (
            {"design": "sobol", "samples": 100},
            "exploration.samples: the sobol design (Saltelli et al. 2010, on Sobol' points) needs a power",
        ),
        ({"design": "sobol", "samples": 100}, "use 64 or 128"),
        ({"design": "morris", "morris_levels": 3}, "exploration.morris_levels: expected an even number of levels"),
        ({"design": "latin", "samples": 1}, "exploration.samples: expected an integer >= 2"),
        ({"design": "factorial"}, "exploration.design: expected one of"),
        ({"levers__spillover": {"path": "economy.sigma", "low": 4.0, "high": 6.0}}, "the name 'spillover' is used twice"),
        ({"uncertainties": {}, "levers": {}}, "exploration: nothing to sample"),
        ({"chunk_size": 0}, "exploration.chunk_size: expected an integer >= 1"),
        ({"n_jobs": 0}, "exploration.n_jobs: expected a number of processes"),
        ({"classes__min_relative_effect": -1}, "exploration.classes.min_relative_effect"),
        ({"analysis__conf_level": 1.5}, "exploration.analysis.conf_level: expected a number in (0, 1)"),
        ({"samplez": 3}, "exploration.samplez: unknown key"),
        ({"baseline": None}, "exploration.baseline: missing"),
    ],
)
def test_bad_declarations_are_refused_naming_the_field(declaration, changes, message):
    with pytest.raises(ExplorationError) as error:
        parse_spec(declaration(**changes))
    assert message in str(error.value)


def test_no_exploration_declared_says_which_experiment_declares_one():
    with pytest.raises(ExplorationError, match="experiment=sub_centre_exploration"):
        parse_spec(None)


# ----- against the composed config (the model's own validation), before any run ------------------------------------

SMALL = ("experiment=sub_centre_exploration", "steps=4", "exploration.design=latin", "exploration.samples=4")
OPENING = ("exploration.uncertainties.rail_opening_quarter.low=1", "exploration.uncertainties.rail_opening_quarter.high=3")


def plan(*overrides: str):
    overrides = (*SMALL, *OPENING, *overrides)
    return prepare(compose_config(*overrides), list(overrides))


def test_the_experiment_passes_every_check_and_samples_its_design():
    prepared = plan()
    assert len(prepared.design) == 4 and set(prepared.bases) == {
        (("agreement", value),) for value in ("rail", "investment", "talent", "deep_cooperation")
    }
    assert list(prepared.baselines) == [()] and prepared.baselines[()].agreement.name == "none"
    assert prepared.geography.partner == "Shantou" and prepared.geography.circle == ("Shantou", "Chaozhou", "Jieyang")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["exploration.uncertainties.spillover_strength.low=-0.1"],
            "exploration.uncertainties.spillover_strength.low: -0.1 is not a valid value of economy.knowledge.spillover_strength",
        ),
        (
            ["exploration.uncertainties.services_share.high=0.5"],  # shares sum above the no-black-hole bound
            "exploration.uncertainties.services_share.high: 0.5 is not a valid value of economy.sectors.business_services",
        ),
        (
            ["exploration.uncertainties.rail_speed_kmh.high=700"],  # the rail rule's plausibility bound (600 km/h)
            "exploration.uncertainties.rail_speed_kmh.high: 700.0 is not a valid value of levers.rail_speed_kmh (agreement=rail): "
            "agreement.rules.rail.speed_kmh",
        ),
        (
            ["exploration.uncertainties.rail_opening_quarter.high=9"],  # beyond the 4-quarter horizon
            "exploration.uncertainties.rail_opening_quarter.high: 9 is not a valid value of levers.rail_opening_quarter",
        ),
        (["exploration.uncertainties.spillover_strength.path=economy.knowledge.spilover"], "is not a field of the config"),
        (["exploration.levers.agreement.values=[rail,nonsense]"], "exploration.levers.agreement.values: cannot compose agreement=nonsense"),
        (
            ["exploration.outcomes.effect_pct=[gdp_share:Atlantis]"],
            "exploration.outcomes.effect_pct: gdp_share:Atlantis: no city 'Atlantis'",
        ),
        (["exploration.baseline=nothing"], "exploration.baseline: cannot compose agreement=nothing"),
    ],
)
def test_values_the_model_refuses_fail_before_any_run(overrides, message):
    with pytest.raises(ExplorationError) as error:
        plan(*overrides)
    assert message in str(error.value)


def test_a_rule_parameter_varies_in_the_presets_that_have_the_rule():
    rule_parameter = (
        "+exploration.uncertainties.transaction_cost={path:agreement.rules.investment.transaction_cost_share,"
        "low:0.0,high:0.2,distribution:uniform,source:assumption}"
    )
    prepared = plan(rule_parameter)
    assert "transaction_cost" in prepared.design.columns
    with pytest.raises(ExplorationError, match="is not a field of the config"):
        plan(rule_parameter.replace("transaction_cost_share", "transaction_costs"))
