"""Rules' typed parameters: schemas in Hydra's ConfigStore, checks before any model, parameters read as rule attributes."""

import copy
import pickle

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from coopsim.config import RULE_SCHEMAS, AssociationsParams, ConfigError, InvestmentParams, RailParams, TalentParams
from coopsim.rules.investment import InvestmentFlows
from coopsim.rules.rail import RailConnectivity
from coopsim.runner import build_rules, compose_config

SECOND_LINE = (
    "+agreement.rules.line={_target_:coopsim.rules.rail.RailConnectivity,stations:[Shenzhen,Shanwei],segment_km:[185.5],"
    "speed_kmh:250,average_speed_share:0.72,dwell_minutes:2.0,opening_quarter:2,mode:hsr,max_speed_kmh:600}"
)


@pytest.mark.parametrize("agreement", ["deep_cooperation", "fast_link", "ablation/no_rail"])
def test_presets_type_each_rule_with_its_schema_at_composition(agreement):
    rules = compose_config(f"agreement={agreement}").agreement.rules
    assert rules, agreement
    for key, node in rules.items():
        assert OmegaConf.get_type(node) is RULE_SCHEMAS[key], key


@pytest.mark.parametrize(
    "agreement, override, field",
    [
        ("rail", "agreement.rules.rail.stations=[Shenzhen]", "agreement.rules.rail.stations"),
        ("rail", "agreement.rules.rail.stations=[Shenzhen,Shenzhen]", "agreement.rules.rail.stations"),
        ("rail", "agreement.rules.rail.segment_km=[0.0]", r"agreement.rules.rail.segment_km\[0\]"),
        ("rail", "agreement.rules.rail.average_speed_share=0", "agreement.rules.rail.average_speed_share"),
        ("rail", "agreement.rules.rail.dwell_minutes=-1", "agreement.rules.rail.dwell_minutes"),
        ("rail", "agreement.rules.rail.mode=road", "agreement.rules.rail.mode"),
        ("rail", "agreement.rules.rail.max_speed_kmh=0", "agreement.rules.rail.max_speed_kmh"),
        ("investment", "agreement.rules.investment.annual_budget=-5", "agreement.rules.investment.annual_budget"),
        ("investment", "agreement.rules.investment.transaction_cost_share=1.5", "agreement.rules.investment.transaction_cost_share"),
        ("investment", "agreement.rules.investment.capital_per_enterprise=0", "agreement.rules.investment.capital_per_enterprise"),
        ("investment", "agreement.rules.investment.park_capacity=-1", "agreement.rules.investment.park_capacity"),
        ("investment", "agreement.rules.investment.target_sectors=[]", "agreement.rules.investment.target_sectors"),
        ("investment", "agreement.rules.investment.relocation_share=2", "agreement.rules.investment.relocation_share"),
        ("investment", "agreement.rules.investment.max_share_of_source_gdp=-0.1", "agreement.rules.investment.max_share_of_source_gdp"),
        ("talent", "agreement.rules.talent.annual_quota=-5", "agreement.rules.talent.annual_quota"),
        ("talent", "agreement.rules.talent.duration_quarters=0", "agreement.rules.talent.duration_quarters"),
        ("talent", "agreement.rules.talent.return_share=1.2", "agreement.rules.talent.return_share"),
        ("talent", "agreement.rules.talent.host_productivity_effect=-1", "agreement.rules.talent.host_productivity_effect"),
        ("talent", "agreement.rules.talent.max_share_of_source_talent=2", "agreement.rules.talent.max_share_of_source_talent"),
        ("associations", "agreement.rules.associations.partner_cities=[]", "agreement.rules.associations.partner_cities"),
        ("associations", "agreement.rules.associations.membership_rate=1.5", "agreement.rules.associations.membership_rate"),
        ("associations", "agreement.rules.associations.brokering_discount=-0.1", "agreement.rules.associations.brokering_discount"),
        ("associations", "agreement.rules.associations.design_capacity=-1", "agreement.rules.associations.design_capacity"),
        ("associations", "agreement.rules.associations.design_uplift=-0.02", "agreement.rules.associations.design_uplift"),
    ],
)
def test_values_that_need_no_model_fail_as_the_rules_are_built(agreement, override, field):
    """build_rules alone (no model, no region built) refuses them, naming the field and what was expected."""
    with pytest.raises(ConfigError, match=rf"^{field}: expected "):
        build_rules(compose_config(f"agreement={agreement}", override))


@pytest.mark.parametrize(
    "override, field",
    [
        ("agreement.rules.talent.duration_quarters=1.5", "agreement.rules.talent.duration_quarters"),
        ("agreement.rules.rail.speed_kmh=fast", "agreement.rules.rail.speed_kmh"),
        ("agreement.rules.associations.chain_targeting=maybe", "agreement.rules.associations.chain_targeting"),
        ("agreement.rules.investment.colour=red", "agreement.rules.investment.colour"),
    ],
)
def test_a_wrong_type_or_unknown_field_fails_at_composition_naming_it(override, field):
    with pytest.raises(ConfigCompositionException) as error:
        compose_config("agreement=deep_cooperation", override)
    assert field in f"{error.value} {error.value.__cause__}"


def test_a_rule_added_on_the_command_line_is_typed_by_its_class(make_model):
    cfg = compose_config("region=shenzhen_shantou", "agreement=rail", "levers.rail_opening_quarter=3", "steps=3", SECOND_LINE)
    assert OmegaConf.get_type(cfg.agreement.rules.line) is dict  # no schema in a defaults list: build_rules types it
    model = make_model(cfg=cfg)
    line = model.rules["line"]
    assert isinstance(line, RailConnectivity) and isinstance(line.params, RailParams)
    assert line.params.speed_kmh == 250.0 and isinstance(line.params.speed_kmh, float)
    assert line.params.segment_km == [185.5]


@pytest.mark.parametrize(
    "change, message",
    [
        (("speed_kmh:250", "speed_kmh:fast"), r"^agreement.rules.line.speed_kmh: Value 'fast' .* could not be converted to Float"),
        (("mode:hsr,", ""), r"^agreement.rules.line.mode: expected a value \(RailParams has no default\)"),
        (
            ("mode:hsr", "mode:hsr,colour:red"),
            r"^agreement.rules.line.colour: expected one of the parameters of RailParams \[.*\], got 'colour'",
        ),
        (("speed_kmh:250", "speed_kmh:700"), r"^agreement.rules.line.speed_kmh: expected a design speed in \(0, 600\] km/h"),
        (
            ("coopsim.rules.rail.RailConnectivity", "coopsim.config.RailParams"),
            r"^agreement.rules.line._target_: expected an agreement rule's class",
        ),
        (
            ("coopsim.rules.rail.RailConnectivity", "coopsim.rules.rail.Tramway"),
            r"^agreement.rules.line._target_: expected an agreement rule's class",
        ),
        (("_target_:coopsim.rules.rail.RailConnectivity,", ""), r"^agreement.rules.line._target_: expected the rule's class"),
        (
            ("coopsim.rules.rail.RailConnectivity", "coopsim.rules.investment.InvestmentFlows"),
            r"^agreement.rules.line.stations: expected one of",
        ),
    ],
)
def test_a_rule_added_on_the_command_line_fails_naming_the_field(change, message):
    with pytest.raises(ConfigError, match=message):
        build_rules(compose_config("agreement=none", SECOND_LINE.replace(*change)))


def test_parameters_read_as_attributes_of_the_rule():
    rules = build_rules(compose_config("agreement=deep_cooperation", "levers.rail_opening_quarter=5"))
    rail = rules["rail"]
    assert rail.opening_quarter == rail.params.opening_quarter == 5  # run_tables.events_table and the dashboard read it so
    assert rules["investment"].annual_budget == 50.0 and rules["investment"].placed == 0  # a parameter; the rule's state
    with pytest.raises(AttributeError, match="colour"):
        _ = rail.colour
    for copied in (copy.deepcopy(rail), pickle.loads(pickle.dumps(rail))):
        assert copied.params == rail.params and copied.speed_kmh == 350.0


def test_a_rule_is_built_from_its_own_parameters_only():
    line = {"stations": ["A", "B"], "segment_km": [200.0], "speed_kmh": 350.0, "average_speed_share": 0.72, "dwell_minutes": 2.0}
    params = RailParams(**line, opening_quarter=4, mode="rail", max_speed_kmh=600.0)
    params.validate("agreement.rules.rail")
    assert RailConnectivity(params).station_minutes() == {("A", "B"): pytest.approx(200.0 / (350.0 * 0.72) * 60.0)}
    with pytest.raises(TypeError, match="expected InvestmentParams, got RailParams"):
        InvestmentFlows(params)


def test_binding_a_rule_built_in_python_checks_its_values_too(make_model):
    """bind validates the parameters again: a rule built by hand (not by build_rules) cannot skip the value checks."""
    line = {"stations": ["Shenzhen", "Shantou"], "segment_km": [347.5], "speed_kmh": 350.0, "dwell_minutes": 2.0}
    rule = RailConnectivity(RailParams(**line, average_speed_share=1.5, opening_quarter=1, mode="hsr", max_speed_kmh=600.0))
    model = make_model("agreement=none", "steps=2")
    with pytest.raises(ConfigError, match=r"agreement\.rules\.line\.average_speed_share"):
        rule.bind(model, "agreement.rules.line")


def test_every_schema_names_its_rule_class_and_every_rule_its_schema():
    from hydra.utils import get_class

    for schema in (RailParams, InvestmentParams, TalentParams, AssociationsParams):
        assert get_class(schema._target_).params_type is schema
