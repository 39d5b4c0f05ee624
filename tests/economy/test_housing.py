"""The housing market per city: prices that clear, the price elasticity, conservation, the dispersion force."""

from types import SimpleNamespace

import numpy as np
import pytest

from coopsim.economy.housing import base_floor_space, clear_housing, clearing_price, floor_space, housing_spending
from coopsim.economy.welfare import log_real_wage

SHARE = 0.246  # configs/economy/default.yaml


@pytest.mark.parametrize("elasticity", [0.0, 0.5, 2.65, 5.6])
def test_the_price_clears_every_citys_housing_market(elasticity):
    """Spending on floor space equals its value at the clearing price: ``delta Y = p H0 p ** epsilon`` (closed form)."""
    rng = np.random.default_rng(0)
    income, base = rng.lognormal(0.0, 1.0, 21), rng.lognormal(0.0, 1.0, 21)
    spending = housing_spending(income, SHARE)
    price = clearing_price(spending, base, elasticity)
    assert np.allclose(price * floor_space(price, base, elasticity), spending, rtol=1e-12)
    assert np.allclose(price, (spending / base) ** (1.0 / (1.0 + elasticity)), rtol=1e-12)


def test_spending_is_the_share_of_income_with_rents_and_leaves_goods_spending_unchanged():
    """Rents go to local owners, so income with rents is ``Y / (1 - delta)``; housing takes ``delta`` of it and goods
    get ``Y``, the market income the goods market already spends."""
    income = np.array([1.0, 2.0, 5.0])
    spending = housing_spending(income, SHARE)
    total = income + spending  # market income plus rents received
    assert np.allclose(spending, SHARE * total, rtol=1e-14)
    assert np.allclose(total - spending, income, rtol=1e-14)


def test_every_price_index_is_one_at_step_zero_and_a_share_of_zero_switches_the_market_off():
    income = np.array([3.0, 1.0, 0.5])
    base = base_floor_space(income, SHARE)
    assert np.allclose(clear_housing(income, base, SHARE, 0.5).price, 1.0, rtol=1e-14)
    off = clear_housing(2.0 * income, base_floor_space(income, 0.0), 0.0, 0.5)
    assert np.array_equal(off.price, np.ones(3)) and np.array_equal(off.rent, np.zeros(3))


@pytest.mark.parametrize("elasticity", [0.0, 0.5, 3.0])
def test_the_price_elasticity_to_demand_recovered_from_simulated_data_is_one_over_one_plus_epsilon(elasticity):
    """Least squares of ``ln p`` on ``ln Y`` over simulated cities and quarters: slope ``1 / (1 + epsilon)``."""
    rng = np.random.default_rng(1)
    start = rng.lognormal(0.0, 1.0, 21)
    base = base_floor_space(start, SHARE)
    income = start * rng.lognormal(0.0, 0.2, (40, 21))  # 40 quarters of income shocks
    price = np.array([clear_housing(y, base, SHARE, elasticity).price for y in income])
    slope = np.polyfit(np.log(income / start).ravel(), np.log(price).ravel(), 1)[0]
    assert slope == pytest.approx(1.0 / (1.0 + elasticity), rel=1e-10)


def test_rents_paid_equal_rents_received_and_floor_space_moves_only_along_its_supply_curve():
    rng = np.random.default_rng(2)
    start = rng.lognormal(0.0, 1.0, 21)
    base = base_floor_space(start, SHARE)
    income = start * rng.lognormal(0.0, 0.3, 21)
    market = clear_housing(income, base, SHARE, 0.5)
    paid = housing_spending(income, SHARE)  # residents' spending on floor space
    assert np.allclose(market.rent, market.price * market.floor_space, rtol=1e-14)  # received by owners in the city
    assert np.allclose(paid, market.rent, rtol=1e-14) and paid.sum() == pytest.approx(market.rent.sum(), rel=1e-14)
    assert np.allclose(market.floor_space, base * market.price**0.5, rtol=1e-14)
    fixed = clear_housing(start * 3.0, base, SHARE, 0.0)  # no supply response: floor space conserved exactly
    assert np.array_equal(fixed.floor_space, base)


GOODS = SimpleNamespace(expenditure_share=None)  # the sectors' shares (unused by Prices)


class Prices:
    """What :func:`log_real_wage` reads of a market solution: the goods price indices."""

    def __init__(self, cost: np.ndarray) -> None:
        self.cost = cost

    def cost_of_living(self, expenditure_share):
        return self.cost


def test_an_inflow_raises_a_citys_price_and_lowers_its_utility():
    """More residents at the same income per head: the city's rents rise and its residents' utility falls by
    ``delta / (1 + epsilon)`` of the log inflow (the dispersion force of Helpman 1998)."""
    residents = np.array([100.0, 100.0])
    per_head = np.array([1.0, 1.0])
    base = base_floor_space(residents * per_head, SHARE)
    before = clear_housing(residents * per_head, base, SHARE, 0.5)
    after = clear_housing(residents * np.array([1.1, 1.0]) * per_head, base, SHARE, 0.5)
    assert after.price[0] > before.price[0] and after.price[1] == before.price[1]
    market = Prices(np.ones(2))
    utility = [log_real_wage(per_head, market, GOODS, residents, 1.0, 0.0, SHARE, m.price) for m in (before, after)]
    assert utility[1][0] - utility[0][0] == pytest.approx(-SHARE / 1.5 * np.log(1.1), rel=1e-12)
    assert utility[1][1] == utility[0][1]


def test_utility_is_the_cobb_douglas_indirect_utility_and_without_housing_the_old_real_wage():
    market = Prices(np.array([1.2, 0.9]))
    wage, price = np.array([2.0, 1.0]), np.array([1.5, 0.8])
    utility = log_real_wage(wage, market, GOODS, np.ones(2), 1.0, 0.0, SHARE, price)
    assert np.allclose(utility, np.log(wage) - (1 - SHARE) * np.log(market.cost) - SHARE * np.log(price), rtol=1e-14)
    assert np.allclose(log_real_wage(wage, market, GOODS, np.ones(2), 1.0, 0.0, 0.0, price), np.log(wage / market.cost))


def test_in_the_model_housing_clears_each_quarter_and_conserves_people_and_money(make_model):
    """Default economy, two textbook cities: price 1 at step 0, each quarter rents paid (``delta / (1 - delta)`` of
    residents' income) equal rents received (``p H``), floor space on its supply curve, people conserved."""
    model = make_model("region=two_symmetric", steps=4, seed=1)
    housing = model.economy.housing
    assert np.allclose(model.housing.price, 1.0, rtol=1e-14)
    people = model.residents_per_city().sum()
    for _ in range(4):
        model.step()
        income = model.market.income - model.flows.transfers
        paid = housing.expenditure_share / (1.0 - housing.expenditure_share) * income
        assert np.allclose(paid, model.housing.price * model.housing.floor_space, rtol=1e-12)
        space = model.base_floor_space * model.housing.price**housing.supply_elasticity
        assert np.allclose(model.housing.floor_space, space, rtol=1e-12)
        assert model.residents_per_city().sum() == pytest.approx(people, rel=1e-12)
    frame = model.recorder.frame()
    assert set(frame.query("metric == 'housing_price' and step == 0")["value"]) == {1.0}
    # the price elasticity to residents' income, recovered from the recorded metrics: 1 / (1 + epsilon)
    wide = {
        name: frame.query("metric == @name").pivot(index="step", columns="city", values="value") for name in ("income", "housing_price")
    }
    demand = np.log(wide["income"] / wide["income"].iloc[0]).to_numpy().ravel()
    assert np.ptp(demand) > 1e-3  # incomes moved
    slope = np.polyfit(demand, np.log(wide["housing_price"]).to_numpy().ravel(), 1)[0]
    assert slope == pytest.approx(1.0 / (1.0 + housing.supply_elasticity), rel=1e-8)


def test_in_the_model_an_inflow_of_workers_raises_the_citys_housing_price_and_lowers_their_utility(make_model):
    """Guangdong: a tenth more workers in Shantou, the market cleared again: its price rises, its workers' utility falls."""
    model = make_model(steps=1)
    k = model.region.index("Shantou")
    price, utility = model.housing.price.copy(), model.log_real_wage("workers")
    pop = model.workers
    rows = pop.rows[pop.city[pop.rows] != k]
    moved = rows[: int(0.1 * model.workers_per_city()[k] / pop.size[rows].mean())]
    pop.column("city")[moved] = k
    model._people_cache.clear()
    model.clear_market()
    assert model.housing.price[k] > price[k]
    assert model.log_real_wage("workers")[k] < utility[k]
