"""The out-of-sample report (coopsim.backcast): published 2021-2024 figures, shares, benchmarks and scores."""

import datetime

import numpy as np
import pandas as pd
import pytest

from coopsim import backcast
from coopsim.region_data import DataError, load_cities

START = datetime.date(2021, 1, 1)


@pytest.fixture(scope="module")
def observed():
    return backcast.load_observed()


def test_published_figures_load_with_status_and_give_shares_of_the_province(observed):
    assert set(observed["year"]) == set(backcast.YEARS)
    assert set(observed["status"]) <= {"verified", "secondary", "low_authority", "derived"}
    shares = backcast.observed_shares(observed)
    shenzhen = shares.query("city == 'Shenzhen' and year == 2023 and quantity == 'residents_10k'")["share"].item()
    assert shenzhen == pytest.approx(1779.01 / 12706)
    assert shares["share"].between(0, 1).all()
    # 2021 has no provincial resident figure, so no 2021 resident shares
    assert shares.query("year == 2021 and quantity == 'residents_10k'").empty
    # the cities of a year never add to more than the province
    assert (shares.groupby(["year", "quantity"])["share"].sum() <= 1.0 + 1e-9).all()


def test_a_bad_row_names_file_row_and_field(tmp_path):
    good = "city_en,year,quantity,value,precision,status,source\nShantou,2023,gdp_100m_yuan,3158.32,exact,secondary,K\n"
    cases = {
        "Atlantis,2023,gdp_100m_yuan,1,exact,secondary,K": "field 'city_en'",
        "Shantou,2019,gdp_100m_yuan,1,exact,secondary,K": "field 'year'",
        "Shantou,2023,gdp,1,exact,secondary,K": "field 'quantity'",
        "Shantou,2023,residents_10k,-5,exact,secondary,K": "field 'value'",
        "Shantou,2023,gdp_100m_yuan,1,exact,secondary,K": "one row per city, year and quantity",
    }
    for row, message in cases.items():
        path = tmp_path / "after.csv"
        path.write_text(good + row + "\n", encoding="utf-8")
        with pytest.raises(DataError, match=rf"after.csv: row 3: {message}" if message.startswith("field") else message):
            backcast.load_observed(path)


def test_model_shares_take_year_end_residents_and_four_quarters_of_gdp():
    """On made-up metrics: residents at the state after the year's last quarter, GDP summed over its four quarters."""
    steps = np.arange(17)
    rows = []
    for step in steps:
        rows += [
            {"step": step, "city": "A", "metric": "residents", "value": 100.0 + step},
            {"step": step, "city": "B", "metric": "residents", "value": 100.0},
            {"step": step, "city": "A", "metric": "gdp", "value": float(step)},
            {"step": step, "city": "B", "metric": "gdp", "value": 10.0},
        ]
    shares = backcast.model_shares(pd.DataFrame(rows), START).set_index(["city", "year", "quantity"])["share"]
    assert shares["A", 2023, "residents_10k"] == pytest.approx(112 / 212)  # step 12: the end of 2023
    assert shares["A", 2021, "gdp_100m_yuan"] == pytest.approx((0 + 1 + 2 + 3) / (6 + 40))  # steps 0-3: 2021 Q1-Q4
    assert shares["A", 2024, "gdp_100m_yuan"] == pytest.approx((12 + 13 + 14 + 15) / (54 + 40))
    assert ("A", 2025, "gdp_100m_yuan") not in shares.index


def test_benchmarks_hold_2020_or_carry_the_census_trend():
    records = {r.name: r for r in load_cities()}
    constant = backcast.constant_benchmark().set_index(["city", "year", "quantity"])["share"]
    total = sum(r.population_10k for r in records.values())
    assert constant["Shantou", 2024, "residents_10k"] == pytest.approx(records["Shantou"].population_10k / total)
    trend = backcast.census_trend_benchmark().set_index(["city", "year", "quantity"])["share"]
    # Shenzhen grew 68% in the 2010s, Meizhou shrank 9%: the undamped trend moves them apart year by year
    assert trend["Shenzhen", 2021, "residents_10k"] < trend["Shenzhen", 2024, "residents_10k"]
    assert trend["Meizhou", 2021, "residents_10k"] > trend["Meizhou", 2024, "residents_10k"]
    assert trend["Shenzhen", 2021, "residents_10k"] > constant["Shenzhen", 2021, "residents_10k"]
    assert trend.groupby(level="year").sum().to_numpy() == pytest.approx(np.ones(4))


def test_a_perfect_predictor_scores_zero_and_errors_are_symmetric_in_logs(observed):
    shares = backcast.observed_shares(observed)
    perfect = shares[["city", "year", "quantity", "share"]]
    doubled = perfect.assign(share=perfect["share"] * 2)
    halved = perfect.assign(share=perfect["share"] / 2)
    scores = backcast.score(backcast.compare_shares({"perfect": perfect, "doubled": doubled, "halved": halved}, shares))
    assert scores["perfect"].to_numpy() == pytest.approx(0.0)
    assert scores["doubled"].to_numpy() == pytest.approx(np.log(2))
    assert scores["halved"].to_numpy() == pytest.approx(np.log(2))
    assert (scores["cities"] >= 1).all()


def test_rmse_is_the_root_mean_square_log_error_and_never_below_the_mae(observed):
    """On two made-up predictors: the RMSE of log errors is sqrt(mean ln^2), at least the MAE, equal when errors are equal."""
    shares = backcast.observed_shares(observed)
    gdp = shares.query("quantity == 'gdp_100m_yuan' and year == 2023")
    factors = np.linspace(0.9, 1.1, len(gdp))
    predictions = {
        "uneven": gdp.assign(share=gdp["share"] * factors)[["city", "year", "quantity", "share"]],
        "even": gdp.assign(share=gdp["share"] * 1.05)[["city", "year", "quantity", "share"]],
    }
    comparison = backcast.compare_shares(predictions, gdp)
    mae = backcast.score(comparison).set_index("year")
    rmse = backcast.score(comparison, "rmse").set_index("year")
    assert rmse.loc[2023, "uneven"] == pytest.approx(np.sqrt(np.mean(np.log(factors) ** 2)))
    assert rmse.loc[2023, "uneven"] > mae.loc[2023, "uneven"]
    assert rmse.loc[2023, "even"] == pytest.approx(mae.loc[2023, "even"]) == pytest.approx(np.log(1.05))
    with pytest.raises(ValueError, match="statistic"):
        backcast.score(comparison, "median")


def test_share_changes_compare_signs_since_2020(observed):
    """A predictor that doubles every city's change since 2020 keeps every sign; one that reverses it flips every sign."""
    shares = backcast.observed_shares(observed).query("quantity == 'gdp_100m_yuan'")
    base = backcast.constant_benchmark(years=(2021,)).query("quantity == 'gdp_100m_yuan'").set_index("city")["share"]
    change = shares["share"] / shares["city"].map(base) - 1.0
    doubled = shares.assign(share=shares["city"].map(base) * (1 + 2 * change))[["city", "year", "quantity", "share"]]
    reversed_ = shares.assign(share=shares["city"].map(base) * (1 - change))[["city", "year", "quantity", "share"]]
    comparison = backcast.compare_shares({"doubled": doubled, "reversed": reversed_}, shares)
    signs = backcast.share_changes(comparison, ["Shenzhen", "Shantou"])
    assert set(signs["city"]) == {"Shenzhen", "Shantou"}
    assert signs.query("predictor == 'doubled'")["same_sign"].all()
    assert not signs.query("predictor == 'reversed'")["same_sign"].any()
    row = signs.query("predictor == 'doubled'").iloc[0]
    assert row["predicted_change"] == pytest.approx(2 * row["observed_change"])
