"""The results store never mixes, loses, reuses stale or hides runs (each case a reproduction that failed before)."""

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from omegaconf import OmegaConf

from coopsim import api
from coopsim.compare import IncompleteSweepError, compare
from coopsim.config import ConfigError
from coopsim.model import ImplausibleStateError
from coopsim.region import region_inputs
from coopsim.region_data import DataError, load_cities
from coopsim.results import DamagedRunError, is_complete, reuse_mismatch, verify_run
from coopsim.runner import build_model, compose_config, run
from coopsim.sweep import INDEX_FILE, OVERRIDES_FILE, update_index

APP = [sys.executable, "-c", "from coopsim.runner import main; main()"]
PACKAGED_CITIES = Path(__file__).resolve().parents[1] / "src" / "coopsim" / "data" / "guangdong_cities.csv"
PACKAGED_SOURCES = PACKAGED_CITIES.with_name("guangdong_cities_SOURCES.md")


def status(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text())


def test_a_changed_config_is_run_again_not_kept(tmp_path):
    """Case 1: a folder holding a run of another config is redone, so a sweep never mixes configs."""
    out = run(compose_config("steps=2"), tmp_path / "run")
    first = status(out)["seconds"], (out / "config.yaml").read_text()
    run(compose_config("steps=2", "economy.congestion_elasticity=0.3"), out)
    assert "congestion_elasticity: 0.3" in (out / "config.yaml").read_text() and (out / "config.yaml").read_text() != first[1]
    kept = run(compose_config("steps=2", "economy.congestion_elasticity=0.3"), out)
    assert reuse_mismatch(kept, (out / "config.yaml").read_text(), status(out)["inputs"]) is None


def test_an_edited_data_table_is_not_reused(tmp_path):
    """Case 2: the same config with an edited cities table (its SHA-256 differs) is run again."""
    table = tmp_path / "my_cities.csv"
    table.write_text(PACKAGED_CITIES.read_text(encoding="utf-8"), encoding="utf-8")
    sources = tmp_path / "my_cities_SOURCES.md"
    sources.write_text(PACKAGED_SOURCES.read_text(encoding="utf-8"), encoding="utf-8")
    cfg = compose_config("steps=2", f"region.data.cities_table={table}")
    out = run(cfg, tmp_path / "run")
    before = status(out)["inputs"]["region.data.cities_table"]
    assert before["path"] == str(table)
    table.write_text(table.read_text(encoding="utf-8").replace("2730.58", "2700.00"), encoding="utf-8")
    assert reuse_mismatch(out, (out / "config.yaml").read_text(), {**status(out)["inputs"], "region.data.cities_table": {}}) is not None
    run(cfg, out)
    after = status(out)["inputs"]["region.data.cities_table"]
    assert after["sha256"] != before["sha256"]
    # its SOURCES file (provincial totals and regional wages for the cities without a figure) is an input too
    assert status(out)["inputs"]["region.data.cities_table:sources"]["path"] == str(sources)
    sources.write_text(sources.read_text(encoding="utf-8").replace("east_wing=79156", "east_wing=79000"), encoding="utf-8")
    assert reuse_mismatch(out, (out / "config.yaml").read_text(), region_inputs(OmegaConf.to_object(cfg.region))) is not None


def test_a_user_table_without_its_sources_file_is_named(tmp_path):
    """Cities without a census or wage figure need the SOURCES file beside the table: its absence is named."""
    table = tmp_path / "lonely_cities.csv"
    table.write_text(PACKAGED_CITIES.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DataError, match=r"lonely_cities_SOURCES.md: expected the SOURCES file beside lonely_cities.csv"):
        run(compose_config("steps=1", f"region.data.cities_table={table}"), tmp_path / "run")


def test_a_relative_table_path_means_the_file_where_the_user_runs(tmp_path, monkeypatch):
    """Case 3: ./guangdong_cities.csv next to the user is read, not the packaged file of the same name, and recorded."""
    monkeypatch.chdir(tmp_path)
    edited = tmp_path / "guangdong_cities.csv"
    edited.write_text(PACKAGED_CITIES.read_text(encoding="utf-8").replace("2730.58", "2700.00"), encoding="utf-8")
    (tmp_path / "guangdong_cities_SOURCES.md").write_text(PACKAGED_SOURCES.read_text(encoding="utf-8"), encoding="utf-8")
    out = run(compose_config("steps=1", "region.data.cities_table=./guangdong_cities.csv"), tmp_path / "run")
    used = status(out)["inputs"]["region.data.cities_table"]
    assert Path(used["path"]).resolve() == edited.resolve()
    gdp = pd.read_parquet(out / "cities.parquet").set_index("name").loc["Shantou", "gdp_2020"]
    assert gdp == pytest.approx(2700.00)


def test_single_runs_started_together_get_their_own_folders(tmp_path):
    """Case 4: two runs started in the same second leave two folders, each complete with its own seed."""
    commands = [[*APP, "steps=2", f"seed={seed}"] for seed in (1, 2)]
    processes = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for command in commands]
    assert all(process.wait(timeout=300) == 0 for process in processes)
    folders = sorted((tmp_path / "results" / "runs").iterdir())
    assert len(folders) == 2 and all(is_complete(folder) for folder in folders)
    assert sorted(status(folder)["seed"] for folder in folders) == [1, 2]


def test_a_damaged_metrics_file_is_run_again_and_named_when_compared(tmp_path):
    """Case 9: a truncated metrics.parquet is not 'complete forever': reuse redoes it, compare names it."""
    sweep = tmp_path / "sweep"
    runs = []
    for agreement in ("none", "rail"):
        folder = sweep / f"agreement={agreement},seed=0"
        (folder / OVERRIDES_FILE).parent.mkdir(parents=True)
        (folder / OVERRIDES_FILE).write_text(f"- agreement={agreement}\n- seed=0\n")
        runs.append(run(compose_config(f"agreement={agreement}", "seed=0", "steps=2", "levers.rail_opening_quarter=1"), folder))
    damaged = runs[1] / "metrics.parquet"
    damaged.write_bytes(damaged.read_bytes()[:100])
    with pytest.raises(DamagedRunError, match=r"agreement=rail,seed=0: metrics.parquet differs from the checksum"):
        verify_run(runs[1])
    with pytest.raises(DamagedRunError, match="agreement=rail"):
        compare(sweep)
    run(compose_config("agreement=rail", "seed=0", "steps=2", "levers.rail_opening_quarter=1"), runs[1])  # redone, not kept
    verify_run(runs[1])
    assert pd.read_parquet(damaged)["step"].max() == 2


def test_compare_refuses_a_sweep_with_failed_runs_unless_told(tmp_path):
    """Case 7: a failed run's scenario is not silently dropped; --allow-missing compares what is there."""
    sweep = tmp_path / "sweep"
    for agreement in ("none", "rail"):
        folder = sweep / f"agreement={agreement},seed=0"
        (folder / OVERRIDES_FILE).parent.mkdir(parents=True)
        (folder / OVERRIDES_FILE).write_text(f"- agreement={agreement}\n- seed=0\n")
        if agreement == "none":
            run(compose_config("agreement=none", "seed=0", "steps=2"), folder)
        else:
            (folder / "run.json").write_text(json.dumps({"status": "failed", "seed": 0, "error": "boom"}))
    with pytest.raises(IncompleteSweepError, match=r"1 of 2 runs are not complete: agreement=rail,seed=0 \(failed\)"):
        compare(sweep)
    assert compare(sweep, allow_missing=True)


def test_the_index_says_what_has_finished_as_runs_finish(tmp_path):
    """Case 10: index.csv is rewritten as each run finishes, so an aborted sweep's index is not stale."""
    sweep = tmp_path / "sweep"
    folders = []
    for seed in (0, 1):
        folder = sweep / f"seed={seed}"
        (folder / OVERRIDES_FILE).parent.mkdir(parents=True)
        (folder / OVERRIDES_FILE).write_text(f"- seed={seed}\n")
        folders.append(folder)
    run(compose_config("seed=0", "steps=1"), folders[0])
    update_index(sweep)
    index = pd.read_csv(sweep / INDEX_FILE).set_index("run")
    assert index.loc["seed=0", "status"] == "complete" and index.loc["seed=1", "status"] == "missing"


@pytest.mark.parametrize(
    "override, field",
    [
        ("region.trade_cost=-5", "region.trade_cost"),
        ("region.initial_share=7", "region.initial_share"),
        ("region.steady_state=true", "region.steady_state"),
        ("region.people_per_agent=5", "region.people_per_agent"),
    ],
)
def test_overrides_a_data_region_ignores_are_refused(override, field):
    """Case 5: settings of theory regions are not recorded as if applied to Guangdong."""
    with pytest.raises(ConfigError, match=rf"^{field}: does not apply to a data region \(guangdong"):
        build_model(compose_config(override))


def test_api_refuses_what_it_would_ignore_or_misread():
    """Case 8: overrides and cfg together, seed as a grid key, an unknown city, a list instead of strings."""
    with pytest.raises(ValueError, match="both overrides"):
        api.run("steps=8", cfg=api.compose("steps=4"))
    with pytest.raises(ValueError, match="'seed' cannot be a grid key"):
        api.sweep({"seed": [5, 6]}, seeds=[0])
    with pytest.raises(TypeError, match=r"overrides\[0\]: expected a string"):
        api.compose(["steps=4"])
    metrics = pd.DataFrame({"step": [1], "city": ["Shantou"], "metric": ["gdp_share"], "value": [0.1], "scenario": ["x"], "seed": [0]})
    with pytest.raises(ValueError, match=r"no city 'Shantuo'.*Shantou"):
        api.effects(pd.DataFrame(), metrics, "gdp_share", "Shantuo")


@pytest.mark.parametrize(
    "overrides, field, bound",
    [
        (["agreement=investment", "levers.investment_budget=30000"], "agreement.rules.investment.annual_budget", "of Shenzhen's GDP"),
        (["agreement=talent", "levers.exchange_quota=1e9"], "agreement.rules.talent.annual_quota", "of Shenzhen's talent"),
        (["agreement=rail", "levers.rail_speed_kmh=10000"], "agreement.rules.rail.speed_kmh", "max_speed_kmh"),
        (["agreement=rail", "levers.rail_speed_kmh=inf"], "agreement.rules.rail.speed_kmh", "max_speed_kmh"),
    ],
)
def test_implausible_levers_are_stopped_before_the_run(overrides, field, bound):
    """Case 6: a budget beyond the source's means, a quota beyond its talent, a speed beyond rail: named, with the bound."""
    with pytest.raises(ConfigError, match=rf"^{field}: expected .*{bound}"):
        build_model(compose_config(*overrides, "steps=30"))


def test_negative_income_fails_the_quarter_loudly(make_model):
    """Case 6: a quarter in which a city's residents would have negative income is a failure, not a converged market."""
    model = make_model("steps=2")
    model.add_transfer(model.region.partner, -1e12)
    with pytest.raises(ImplausibleStateError, match=r"quarter 0: non-finite GDP or negative residents' income in \[.*'Shantou'"):
        model.clear_market()


def test_a_table_with_a_byte_order_mark_reads_and_a_gbk_table_is_named(tmp_path):
    """Unclear failures made clear: a BOM (as spreadsheets write) is accepted; GBK names the file and the encoding expected."""
    text = PACKAGED_CITIES.read_text(encoding="utf-8")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert len(load_cities(bom)) == 21
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(text.encode("gbk"))
    with pytest.raises(DataError, match=r"^gbk.csv: not UTF-8 text .*GBK"):
        load_cities(gbk)


@pytest.mark.parametrize("steps", ["4001", "100000000"])
def test_steps_are_bounded_before_the_run(steps):
    """Unclear failures made clear: an absurd horizon is refused at once, naming the field and the bound."""
    with pytest.raises(ConfigError, match=r"^steps: expected 1 to 4000 quarters"):
        build_model(compose_config(f"steps={steps}", "region=two_symmetric"))


def test_result_files_honour_the_umask(tmp_path):
    """Unclear failures made clear: with umask 022 the files are readable by the group (shared Slurm/Ray folders)."""
    previous = os.umask(0o022)
    try:
        out = run(compose_config("steps=1", "region=two_symmetric"), tmp_path / "run")
    finally:
        os.umask(previous)
    for name in ("run.json", "metrics.parquet", "config.yaml"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name


def test_the_agent_scale_is_the_regions_not_the_economys():
    """Case 5: economy.talent.cohort_size no longer exists to be ignored; Hydra names the unknown key."""
    with pytest.raises(Exception, match="economy.talent.cohort_size"):
        compose_config("economy.talent.cohort_size=1e9")


def test_a_configuration_error_reaches_the_user_as_its_message(tmp_path):
    """Unclear failures made clear: coopsim-run prints the field and the bound, exits 1, and shows no traceback."""
    result = subprocess.run(
        [*APP, "agreement=rail", "levers.rail_speed_kmh=10000", "steps=2"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1
    assert "coopsim-run: agreement.rules.rail.speed_kmh: expected a design speed in (0, 600]" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_agent_scale_that_cannot_fit_is_refused_with_its_estimate():
    """Unclear failures made clear: a billion-cohort run is refused before anything is built, with the memory it would need."""
    with pytest.raises(
        ConfigError,
        match=r"^region.data.enterprise_agents / people_per_talent_agent / people_per_worker_agent: .* cohorts would need about .* GiB",
    ):
        build_model(compose_config("region.data.people_per_worker_agent=0.01", "steps=1"))


@pytest.mark.slow
def test_killing_a_sweep_stops_its_workers(tmp_path):
    """Unclear failures made clear: after kill -9 of a local sweep, its worker processes stop instead of computing on."""
    sweep = tmp_path / "sweep"
    command = [*APP, "-m", "steps=3000", "region=two_symmetric", "seed=0,1", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
    main = subprocess.Popen([*command, f"hydra.sweep.dir={sweep}"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list(sweep.rglob("overrides.yaml"))) < 2:  # both runs have started in their workers
            assert time.monotonic() < deadline and main.poll() is None, "the sweep did not start its runs"
            time.sleep(0.5)
        workers = [p for p in psutil.Process(main.pid).children(recursive=True) if "LokyProcess" in " ".join(p.cmdline())]
        assert workers
    finally:
        main.kill()
        main.wait()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, [p.pid for p in alive]
