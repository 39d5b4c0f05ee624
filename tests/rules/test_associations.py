"""Industry associations: members, brokered costs toward partners, design+ for traditional industry."""

import numpy as np
import pytest

from coopsim.runner import compose_config

DEEP = ["region=shenzhen_shantou", "agreement=deep_cooperation", "agreement.rules.rail.opening_quarter=4", "steps=6"]


def test_association_recruits_members_and_lowers_their_costs_toward_partners(make_model):
    model = make_model(*DEEP, "agreement.rules.associations.chain_targeting=false")
    model.step()
    association = model.rules["associations"].association
    members = association.member_rows
    pop = model.enterprises
    assert len(members) > 0
    assert np.mean(pop.city[members] == model.region.core) > 0.95  # recruited in the core; a few relocate after joining
    assert np.all(pop.sector[members] == model.sector_names.index("advanced_manufacturing"))
    multiplier = model.association_cost_multiplier()
    assert multiplier[association.index, model.region.partner] == pytest.approx(0.5)
    assert multiplier[association.index, model.region.core] == 1.0 and np.all(multiplier[-1] == 1.0)


def test_design_plus_lifts_served_traditional_enterprises_in_the_partner(make_model):
    only_associations = ["~agreement.rules.rail", "~agreement.rules.investment", "~agreement.rules.talent"]
    model = make_model(*DEEP, *only_associations, "economy.knowledge.spillover_strength=0")
    pop = model.enterprises
    before = dict(zip(pop.uid[pop.rows].tolist(), pop.productivity[pop.rows].tolist(), strict=True))
    model.step()
    served = model.flows["design_served"]
    assert served[model.region.partner] == 20 and served.sum() == 20
    rows = pop.rows
    ratio = np.array([pop.productivity[r] / before[pop.uid[r]] for r in rows if pop.uid[r] in before])
    lifted = np.isclose(ratio, 1.02)
    # every served enterprise is lifted, unless it closed in the same quarter (exit shocks: 2% a quarter)
    closed = model.flows["exits_shock"][model.region.partner] + model.flows["exits_loss"][model.region.partner]
    assert 20 - closed <= lifted.sum() <= 20 and lifted.sum() >= 15
    lifted_rows = np.array([r for r in rows if pop.uid[r] in before])[lifted]
    assert np.all(pop.city[lifted_rows] == model.region.partner)
    assert np.all(pop.sector[lifted_rows] == model.sector_names.index("traditional_manufacturing"))


def test_dropping_a_rule_from_the_command_line_removes_it(make_model):
    cfg = compose_config(*DEEP, "~agreement.rules.talent", "agreement.rules.rail.speed_kmh=250")
    model = make_model(cfg=cfg)
    assert set(model.rules) == {"rail", "investment", "associations"}
    assert model.rules["rail"].speed_kmh == 250
