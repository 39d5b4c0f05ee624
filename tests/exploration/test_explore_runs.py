"""coopsim-explore end to end on Guangdong (a few quarters, a few samples): one table, determinism, resumption, failures."""

import copy
import json
import subprocess
import sys

import pandas as pd
import pytest

import coopsim.exploration.explore as explore_module
from coopsim.exploration.explore import ENSEMBLE_FILE, INFO_FILE, run_exploration
from coopsim.exploration.spec import CLASS_COLUMN, ExplorationError
from coopsim.indicators import CLASSES
from coopsim.runner import compose_config, simulate

SMALL = [
    "experiment=sub_centre_exploration",
    "steps=4",
    "exploration.design=latin",
    "exploration.samples=4",
    "exploration.chunk_size=2",  # two chunks
    "exploration.uncertainties.rail_opening_quarter.low=1",  # the line opens within the 4 quarters
    "exploration.uncertainties.rail_opening_quarter.high=3",
]
APP = [sys.executable, "-c", "from coopsim.exploration.explore import main; main()"]
ANALYSE = [sys.executable, "-c", "from coopsim.exploration.analyse import main; main()"]
TIMING = ["seconds"]  # the only column that differs between identical runs


def explore(directory, *overrides: str, jobs: int = 1):
    return run_exploration(*SMALL, f"exploration.n_jobs={jobs}", *overrides, output_dir=directory)


def table(directory) -> pd.DataFrame:
    return pd.read_parquet(directory / ENSEMBLE_FILE).drop(columns=TIMING)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    directory = tmp_path_factory.mktemp("exploration")
    explore(directory)
    return directory


def test_an_exploration_writes_one_table_of_inputs_seeds_statuses_and_outcomes(reference):
    ensemble = pd.read_parquet(reference / ENSEMBLE_FILE)
    info = json.loads((reference / INFO_FILE).read_text())
    assert len(ensemble) == 4 and (ensemble["status"] == "complete").all() and (ensemble["error"] == "").all()
    assert list(ensemble["run"]) == [0, 1, 2, 3] and ensemble["seed"].nunique() == 4
    assert {"spillover_strength", "rail_opening_quarter", "agreement", "investment_budget"} <= set(ensemble.columns)
    assert set(ensemble["agreement"]) <= {"rail", "investment", "talent", "deep_cooperation"}
    assert ensemble["rail_opening_quarter"].between(1, 3).all()
    outcomes = ["partner_circle_share", "spread_ratio", "gdp_share:Shantou", "talent_share:Shantou", "gdp_share:Shenzhen"]
    assert ensemble[outcomes].notna().all().all()
    assert set(ensemble[CLASS_COLUMN]) <= set(CLASSES)
    assert info["design"] == "latin" and info["samples"] == 4 and info["runs"] == 4 and info["status"] == {"complete": 4}
    assert info["spec"]["uncertainties"]["spillover_strength"]["source"].startswith("Rosenthal & Strange 2004")
    assert info["seconds"] > 0 and "SALib" in info["versions"]
    assert not (reference / "metrics").exists()  # per-run metrics are off by default


def test_results_do_not_depend_on_the_number_of_processes(reference, tmp_path):
    explore(tmp_path, jobs=2)
    pd.testing.assert_frame_equal(table(reference), table(tmp_path))


def test_a_rerun_keeps_finished_chunks_and_refuses_another_configs_shards(reference, tmp_path):
    explore(tmp_path, "exploration.chunk=0")
    shards = sorted((tmp_path / "shards").glob("chunk-*.parquet"))
    assert [path.name for path in shards] == ["chunk-00000.parquet"] and not (tmp_path / ENSEMBLE_FILE).exists()
    stamp = shards[0].stat().st_mtime_ns
    with pytest.raises(ExplorationError, match="chunks are not finished"):
        explore(tmp_path, "exploration.merge=true")
    explore(tmp_path)
    assert shards[0].stat().st_mtime_ns == stamp  # kept, not redone
    pd.testing.assert_frame_equal(table(reference), table(tmp_path))
    with pytest.raises(ExplorationError, match="holds the shards of another exploration"):
        explore(tmp_path, "exploration.samples=6")


@pytest.mark.parametrize("agreement", ["deep_cooperation", "none"])
def test_a_run_forked_from_a_built_model_is_the_run_built_anew(agreement, released):
    """fork() copies a model built without rules and binds the run's: its metrics are those of simulate(), bit for bit."""
    overrides = [
        "region=shenzhen_shantou",
        "steps=4",
        "levers.rail_opening_quarter=2",
        "seed=3",
        "economy.knowledge.spillover_strength=0.08",
    ]
    run_cfg = compose_config(*overrides, f"agreement={agreement}")
    baseline_cfg = compose_config(*overrides, "agreement=none")
    _, expected = simulate(copy.deepcopy(run_cfg))
    model = released(explore_module.built(baseline_cfg))
    _, first = explore_module.advance(explore_module.fork(model, run_cfg), 4)
    _, again = explore_module.advance(explore_module.fork(model, run_cfg), 4)  # the built model is left as it was
    pd.testing.assert_frame_equal(first, expected)
    pd.testing.assert_frame_equal(again, expected)


def test_a_failing_run_is_recorded_and_the_others_go_on(reference, tmp_path, monkeypatch):
    advance = explore_module.advance

    def failing(model, *args, **kwargs):
        if model.cfg.agreement.name != "none" and model.cfg.economy.knowledge.spillover_strength > 0.05:
            raise FloatingPointError("boom: a run that breaks")
        return advance(model, *args, **kwargs)

    monkeypatch.setattr(explore_module, "advance", failing)
    explore(tmp_path, "exploration.save_metrics=true")
    ensemble = pd.read_parquet(tmp_path / ENSEMBLE_FILE)
    failed = ensemble["spillover_strength"] > 0.05
    assert failed.any() and (~failed).any()
    assert (ensemble.loc[failed, "status"] == "failed").all() and (ensemble.loc[~failed, "status"] == "complete").all()
    assert ensemble.loc[failed, "error"].str.contains("FloatingPointError: boom").all()
    assert ensemble.loc[failed, "gdp_share:Shantou"].isna().all() and (ensemble.loc[failed, CLASS_COLUMN] == "").all()
    kept = table(tmp_path).loc[~failed, ["run", "gdp_share:Shantou"]]
    pd.testing.assert_frame_equal(kept, table(reference).loc[~failed, ["run", "gdp_share:Shantou"]])
    saved = sorted(path.name for path in (tmp_path / "metrics").glob("*.parquet"))
    assert saved == [f"run-{run:06d}.parquet" for run in ensemble.loc[~failed, "run"]]
    metrics = pd.read_parquet(tmp_path / "metrics" / saved[0])
    assert set(metrics["scenario"]) == {"run", "baseline"}


@pytest.mark.slow
def test_runs_differing_only_in_levers_share_their_paired_baseline(tmp_path, monkeypatch):
    """Sobol groups: A, A with each column of B, B; rows that change only a lever reuse A's baseline (same seed, same uncertainties)."""
    dropped = [
        f"~exploration.uncertainties.{name}"
        for name in (
            "talent_moving_cost",
            "settlement_barrier",
            "housing_supply_elasticity",
            "relocation_cost",
            "trade_time_scale",
            "services_share",
            "capital_elasticity",
            "rail_speed_kmh",
        )
    ] + ["~exploration.levers.exchange_quota"]
    calls, builds = [], []
    advance, built = explore_module.advance, explore_module.built

    def counted(model, *args, **kwargs):
        calls.append(model.cfg.agreement.name)
        return advance(model, *args, **kwargs)

    def counted_builds(cfg):
        builds.append(cfg.agreement.name)
        return built(cfg)

    monkeypatch.setattr(explore_module, "advance", counted)
    monkeypatch.setattr(explore_module, "built", counted_builds)
    explore(tmp_path, "exploration.design=sobol", "exploration.samples=2", *dropped)
    ensemble = pd.read_parquet(tmp_path / ENSEMBLE_FILE)
    assert len(ensemble) == 2 * (4 + 2) and (ensemble["status"] == "complete").all()
    # per group two baselines: A's, and B's (A with B's spillover strength has B's uncertainties: the same baseline);
    # the rail opening (read by the agreement rules only) and the levers need none of their own
    assert calls.count("none") == 2 * 2 and len(calls) == 2 * (6 + 2)
    assert len(builds) == 2 * 2  # one built model per baseline, forked for the baseline and for every run paired with it
    assert ensemble.groupby("group")["seed"].nunique().eq(1).all()


@pytest.mark.slow
def test_the_hydra_apps_explore_in_chunks_merge_and_analyse(reference, tmp_path):
    """The cluster path on Hydra's basic launcher: one job per chunk (-m exploration.chunk=0,1), then a merge, then coopsim-analyse."""
    overrides = [*SMALL, f"exploration.output_dir={tmp_path}"]
    jobs = subprocess.run([*APP, "-m", *overrides, "exploration.chunk=0,1"], capture_output=True, text=True, timeout=600)
    assert jobs.returncode == 0, jobs.stderr[-3000:]
    assert not (tmp_path / ENSEMBLE_FILE).exists() and len(list((tmp_path / "shards").glob("chunk-*.parquet"))) == 2
    merged = subprocess.run([*APP, *overrides, "exploration.merge=true"], capture_output=True, text=True, timeout=600)
    assert merged.returncode == 0, merged.stderr[-3000:]
    pd.testing.assert_frame_equal(table(reference), table(tmp_path))
    analysed = subprocess.run([*ANALYSE, str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert analysed.returncode == 0, analysed.stderr[-3000:]
    for name in ("sensitivity.csv", "boxes.csv", "summary.md", "sensitivity.png", "prim_tradeoff.png", "prim_boxes.png"):
        assert (tmp_path / "analysis" / name).exists(), name
    assert (tmp_path / "analysis" / "scatter_classes.png").stat().st_size > 1000
    assert "**Classes.**" in analysed.stdout


def test_a_bad_declaration_on_the_command_line_is_one_message_naming_the_field(tmp_path):
    result = subprocess.run(
        [*APP, *SMALL, "exploration.design=sobol", "exploration.samples=12", f"exploration.output_dir={tmp_path}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode != 0
    assert "coopsim-explore: exploration.samples: the sobol design" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "shards").exists()
