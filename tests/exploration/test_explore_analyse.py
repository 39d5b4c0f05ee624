"""coopsim-analyse on ensembles with known answers: Sobol indices of the Ishigami function, PRIM on a planted box, Morris ranks."""

import numpy as np
import pandas as pd
import pytest
from declarations import BASE

from coopsim.exploration.analyse import BOX_COLUMNS, SENSITIVITY_COLUMNS, analyse
from coopsim.exploration.design import design_table
from coopsim.exploration.explore import write_ensemble
from coopsim.exploration.spec import CLASS_COLUMN, parse_spec

ANALYSIS = BASE["analysis"] | {"num_resamples": 200}  # more bootstrap resamples than the shared declaration
OUTCOME = "gdp:Y"  # any metric:city names an outcome column; these tests write the column themselves


def declaration(design: str, samples: int, factors: dict, levers: dict | None = None) -> dict:
    return {
        "design": design,
        "samples": samples,
        "second_order": False,
        "morris_levels": 4,
        "baseline": "none",
        "chunk_size": 64,
        "output_dir": "unused",
        "uncertainties": {
            name: {"path": f"x.{name}", "low": low, "high": high, "distribution": "uniform", "source": "test function"}
            for name, (low, high) in factors.items()
        },
        "levers": levers or {},
        "outcomes": {"effect": [OUTCOME]},
        "classes": {"min_relative_effect": 0.005, "spread_ratio_min": 0.0},
        "analysis": ANALYSIS,
    }


def write(directory, spec, table: pd.DataFrame, y: np.ndarray, classes) -> None:
    """An ensemble as coopsim-explore writes it (through its own writer), with outcome ``y`` and classes given."""
    ensemble = table.assign(status="complete", error="", warnings="", seconds=0.0, **{OUTCOME: y, CLASS_COLUMN: classes})
    info = {"design": spec.design, "samples": spec.samples, "seed": 0, "steps": 1, "geography": {"partner": "P", "core": "C"}}
    write_ensemble(directory, ensemble, spec, info)


def ishigami(x1, x2, x3, a=7.0, b=0.1):
    """Ishigami & Homma (1990): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244 (analytic, for a = 7, b = 0.1)."""
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def test_sobol_indices_of_the_ishigami_function(tmp_path):
    spec = parse_spec(declaration("sobol", 2048, {name: (-np.pi, np.pi) for name in ("x1", "x2", "x3")}))
    table = design_table(spec, seed=0)
    write(tmp_path, spec, table, ishigami(table["x1"], table["x2"], table["x3"]).to_numpy(), "no_effect")
    written = analyse(tmp_path)
    sensitivity = pd.read_csv(tmp_path / "analysis" / "sensitivity.csv")
    assert list(sensitivity.columns) == SENSITIVITY_COLUMNS
    assert set(sensitivity["method"]) == {"sobol"} and set(sensitivity["index"]) == {"S1", "ST"}
    by = sensitivity.set_index(["index", "parameter"])["value"]
    assert [by["S1", p] for p in ("x1", "x2", "x3")] == pytest.approx([0.314, 0.442, 0.0], abs=0.04)
    assert [by["ST", p] for p in ("x1", "x2", "x3")] == pytest.approx([0.558, 0.442, 0.244], abs=0.04)
    assert (sensitivity["ci_low"] <= sensitivity["value"]).all() and (sensitivity["value"] <= sensitivity["ci_high"]).all()
    assert {path.name for path in written} >= {"sensitivity.png", "prim_tradeoff.png", "prim_boxes.png", "scatter_classes.png", "boxes.csv"}


def test_prim_recovers_a_planted_box_and_delta_ranks_the_inputs(tmp_path):
    levers = {"policy": {"path": "agreement", "values": ["rail", "talent", "deep_cooperation"]}}
    spec = parse_spec(declaration("latin", 1200, {"x1": (0.0, 1.0), "x2": (0.0, 10.0), "x3": (0.0, 1.0)}, levers))
    table = design_table(spec, seed=1)
    planted = (table["x1"] > 0.6) & (table["x2"] < 4.0) & (table["policy"] != "talent")
    drained = table["x1"] < 0.2
    classes = np.where(planted, "sub_centre_with_spread", np.where(drained, "drained_by_core", "no_effect"))
    write(tmp_path, spec, table, (3 * table["x1"] + 0.2 * table["x2"]).to_numpy(), classes)
    analyse(tmp_path)
    boxes = pd.read_csv(tmp_path / "analysis" / "boxes.csv")
    assert list(boxes.columns) == BOX_COLUMNS
    spread = boxes[boxes["outcome_class"] == "sub_centre_with_spread"].set_index("parameter")
    assert set(spread.index) == {"x1", "x2", "policy"}
    assert float(spread.loc["x1", "low"]) == pytest.approx(0.6, abs=0.03) and float(spread.loc["x1", "high"]) == pytest.approx(
        1.0, abs=0.01
    )
    assert float(spread.loc["x2", "low"]) == 0.0 and float(spread.loc["x2", "high"]) == pytest.approx(4.0, abs=0.2)
    assert set(spread.loc["policy", "low"].split("|")) == {"rail", "deep_cooperation"}
    assert spread["density"].iloc[0] >= 0.9 and spread["coverage"].iloc[0] >= 0.9
    drain = boxes[boxes["outcome_class"] == "drained_by_core"].set_index("parameter")
    assert list(drain.index) == ["x1"] and float(drain.loc["x1", "high"]) == pytest.approx(0.2, abs=0.03)
    sensitivity = pd.read_csv(tmp_path / "analysis" / "sensitivity.csv")
    delta = sensitivity[sensitivity["index"] == "delta"].set_index("parameter")["value"]
    assert set(sensitivity["method"]) == {"delta"} and delta["x1"] > delta["x2"] > delta["x3"]
    summary = (tmp_path / "analysis" / "summary.md").read_text()
    assert "when x1 >= 0." in summary and "x2 <= 4." in summary and "policy in {deep_cooperation, rail}" in summary


def test_morris_screening_ranks_a_linear_function(tmp_path):
    spec = parse_spec(declaration("morris", 40, {"x1": (0.0, 1.0), "x2": (0.0, 1.0), "x3": (0.0, 1.0)}))
    table = design_table(spec, seed=2)
    write(tmp_path, spec, table, (5 * table["x1"] + table["x2"]).to_numpy(), "no_effect")
    analyse(tmp_path)
    sensitivity = pd.read_csv(tmp_path / "analysis" / "sensitivity.csv")
    mu_star = sensitivity[sensitivity["index"] == "mu_star"].set_index("parameter")["value"]
    assert set(sensitivity["index"]) == {"mu_star", "mu", "sigma"}
    assert mu_star.to_dict() == pytest.approx({"x1": 5.0, "x2": 1.0, "x3": 0.0}, abs=1e-9)  # per unit of each range


def test_failed_runs_leave_their_whole_sobol_group_out(tmp_path):
    spec = parse_spec(declaration("sobol", 256, {name: (-np.pi, np.pi) for name in ("x1", "x2", "x3")}))
    table = design_table(spec, seed=0)
    y = ishigami(table["x1"], table["x2"], table["x3"]).to_numpy().copy()
    y[7] = np.nan  # a failed run in group 1
    ensemble_status = np.where(np.isnan(y), "failed", "complete")
    write(tmp_path, spec, table, y, "no_effect")
    ensemble = pd.read_parquet(tmp_path / "ensemble.parquet").assign(status=ensemble_status)
    ensemble.to_parquet(tmp_path / "ensemble.parquet")
    analyse(tmp_path)
    sensitivity = pd.read_csv(tmp_path / "analysis" / "sensitivity.csv")
    assert sensitivity["value"].notna().all() and len(sensitivity) == 6
