"""Bad configs fail before any work, with a message naming the field."""

import shutil

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from coopsim.config import ConfigError, LeversConfig
from coopsim.runner import build_model, compose_config, config_dir


def test_unknown_key_fails_naming_it():
    with pytest.raises(ConfigCompositionException, match="economy.sigmaa"):
        compose_config("economy.sigmaa=3")


def test_unknown_key_in_a_yaml_file_fails_naming_it(tmp_path):
    configs = tmp_path / "configs"
    shutil.copytree(config_dir(), configs)
    economy = configs / "economy" / "default.yaml"
    economy.write_text(economy.read_text().replace("  migration_rate:", "  migraton_rate: 0.1\n  migration_rate:"))
    with initialize_config_dir(config_dir=str(configs), version_base="1.3"):
        with pytest.raises(Exception, match="migraton_rate"):
            compose("config")


def test_wrong_type_fails_naming_the_field():
    with pytest.raises(ConfigCompositionException) as error:
        compose_config("economy.sigma=five")
    assert "economy.sigma" in str(error.value) or "sigma" in str(error.value.__cause__)


@pytest.mark.parametrize(
    "override, field",
    [
        ("economy.sigma=1.0", "economy.sigma"),
        ("economy.sigma=0.5", "economy.sigma"),
        ("region.links.0.minutes=-10", "region.links[0].minutes"),
        ("region.initial_share=1.5", "region.initial_share"),
        (
            "economy.sectors.traditional_manufacturing.talent_input_share=-0.1",
            "economy.sectors.traditional_manufacturing.talent_input_share",
        ),
        ("economy.talent.migration_rate=2", "economy.talent.migration_rate"),
        ("region.trade_cost=0.9", "region.trade_cost"),
        ("steps=0", "steps"),
        ("economy.solver.on_failure=ignore", "economy.solver.on_failure"),
        ("economy.workers.choice=nested", "economy.workers.choice"),
        ("economy.workers.utility_wage=free_entry", "economy.workers.utility_wage"),
        ("economy.workers.settlement_barrier=-1", "economy.workers.settlement_barrier"),
        ("economy.talent.migration_elasticity=-1.5", "economy.talent.migration_elasticity"),
        ("economy.outside_land_share=1.0", "economy.outside_land_share"),
        ("economy.capital_output_elasticity=1.5", "economy.capital_output_elasticity"),
        ("economy.enterprise.discount_rate=5", "economy.enterprise.discount_rate"),
        ("economy.enterprise.exit_hazard=1.2", "economy.enterprise.exit_hazard"),
        ("economy.enterprise.exit_hazard=0.25", "economy.enterprise.exit_hazard"),  # above the stated range, [0, 0.2]
        ("economy.enterprise.exit_hazard=-0.01", "economy.enterprise.exit_hazard"),
        ("region.cities.A.workers=-3", "region.cities.A.workers"),
        ("economy.housing.expenditure_share=0.6", "economy.housing.expenditure_share"),  # above the stated [0, 0.5]
        ("economy.housing.expenditure_share=-0.1", "economy.housing.expenditure_share"),
        ("economy.housing.supply_elasticity=12", "economy.housing.supply_elasticity"),  # above the stated [0, 10]
        ("economy.housing.supply_elasticity=-0.5", "economy.housing.supply_elasticity"),
        ("economy.local_capital_ownership=1.2", "economy.local_capital_ownership"),
    ],
)
def test_non_physical_values_fail_before_the_run(override, field):
    cfg = compose_config("region=two_symmetric", override)
    with pytest.raises(ConfigError) as error:
        build_model(cfg)
    assert str(error.value).startswith(field + ":")


@pytest.mark.parametrize(
    "override, field",
    [
        ("region.data.skill_premium=5", "region.data.skill_premium"),  # above the stated [1, 4]
        ("region.data.skill_premium=0.8", "region.data.skill_premium"),
        ("region.data.non_labour_share=0.9", "region.data.non_labour_share"),  # not below max_capital_share (0.85)
        ("region.data.max_capital_share=1.0", "region.data.max_capital_share"),
        ("region.data.fit_wage_gradient=true", "region.data.fit_skill_premium"),  # the two fits are exclusive
        ("region.data.productivity_trend_years=[2021]", "region.data.productivity_trend_years"),  # inputs end in 2020
        ("region.data.productivity_trend_half_life_years=0", "region.data.productivity_trend_half_life_years"),
    ],
)
def test_income_and_trend_settings_out_of_range_fail_before_the_run(override, field):
    """Guangdong's income fit and trend settings are refused before anything is built, naming the field."""
    with pytest.raises(ConfigError) as error:
        build_model(compose_config(override))
    assert str(error.value).startswith(field + ":")


def test_black_hole_configuration_rejected():
    with pytest.raises(ConfigError, match="no-black-hole"):
        build_model(compose_config("economy=core_periphery", "economy.sigma=1.5"))


def test_link_to_unknown_city_rejected():
    with pytest.raises(ConfigError, match=r"region.links\[0\].b"):
        build_model(compose_config("region=two_symmetric", "region.links.0.b=Atlantis"))


@pytest.mark.parametrize(
    "override, field",
    [
        ("levers.rail_speed_kmh=0", "levers.rail_speed_kmh"),
        ("levers.rail_opening_quarter=0", "levers.rail_opening_quarter"),
        ("levers.investment_budget=-1", "levers.investment_budget"),
        ("levers.exchange_quota=-5", "levers.exchange_quota"),
    ],
)
def test_levers_are_checked_even_when_no_rule_reads_them(override, field):
    with pytest.raises(ConfigError, match=rf"^{field}: expected "):
        build_model(compose_config("region=two_symmetric", "agreement=none", override))


def test_levers_are_typed():
    assert OmegaConf.get_type(compose_config().levers) is LeversConfig
    with pytest.raises(ConfigCompositionException, match="levers.rail_speed"):
        compose_config("levers.rail_speed=250")  # a typo is not a new lever
    with pytest.raises(ConfigCompositionException) as error:
        compose_config("levers.rail_opening_quarter=2028Q1")
    assert "levers.rail_opening_quarter" in str(error.value.__cause__)


@pytest.mark.parametrize(
    "override, field",
    [
        ("region.data.outside.average_stay_years=0", "region.data.outside.average_stay_years"),
        ("region.data.outside.real_wage_growth=0.5", "region.data.outside.real_wage_growth"),
        ("region.data.outside.national_residents_10k=-1", "region.data.outside.national_residents_10k"),
        ("region.data.outside.national_tertiary_10k=200000", "region.data.outside.national_tertiary_10k"),
        ("region.data.outside.interprovincial_migrants_10k=0", "region.data.outside.interprovincial_migrants_10k"),
        ("region.data.outside=null", "region.data.outside"),
        ("economy.talent.choice=pairwise", "region.data.open_province"),
        ("region.data.calibrate=false", "region.data.open_province"),
    ],
)
def test_an_open_province_with_bad_figures_is_refused_naming_the_field(override, field):
    """The rest of China's figures are checked before anything is built (the default region is an open province)."""
    with pytest.raises(ConfigError) as error:
        build_model(compose_config(override))
    assert str(error.value).startswith(field + ":")


def test_an_open_province_larger_than_the_country_is_refused_naming_the_figure():
    """Checked against the region's census people once its tables are read: the country must have more of each group."""
    with pytest.raises(ConfigError) as error:
        build_model(compose_config("region.data.outside.national_tertiary_10k=1000"))
    assert str(error.value).startswith("region.data.outside.national_tertiary_10k:")
