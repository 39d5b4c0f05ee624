"""Money's units: the model's numeraire against the data's 亿元 (100 million yuan) of 2020.

The model's prices are relative (the outside good is the numeraire), so money read off data
(agreement budgets, GDP) is converted at step 0: one 亿元 of annual GDP is worth as much
numeraire as the model's step-0 GDP per 亿元 of the region's 2020 GDP. Theory regions have no
data, and their budgets are in numeraire.
"""

from __future__ import annotations

import numpy as np

from coopsim.region import QUARTERS_PER_YEAR


def numeraire_per_budget_unit(quarterly_gdp: np.ndarray, gdp_2020: np.ndarray | None) -> float:
    """Numeraire per 亿元 of annual GDP at step 0: model annual GDP over the region's 2020 GDP; 1 without data."""
    if gdp_2020 is None:
        return 1.0
    return QUARTERS_PER_YEAR * float(np.sum(quarterly_gdp)) / float(np.sum(gdp_2020))


def annual_budget_units(quarterly_value: np.ndarray, numeraire_per_budget_unit: float) -> np.ndarray:
    """A quarterly flow in numeraire at an annual rate, in budget units (亿元 for data regions): ``4 x / n``."""
    return QUARTERS_PER_YEAR * np.asarray(quarterly_value, dtype=float) / numeraire_per_budget_unit
