"""Multirun sweeps through Hydra's launchers: the same overrides give the same metrics whoever runs them.

A small sweep (two seeds of a four-quarter two-city run) goes through ``coopsim-run -m`` with
joblib (local processes, the experiments' launcher), submitit's local executor, and Ray: a real
Ray head node started here, with every port on 127.0.0.1, reached both through the plugin's own
``ray`` config with the overrides an existing cluster needs and through our ``ray_cluster`` preset.
Each launcher's runs are paired with joblib's by their overrides (``.hydra/overrides.yaml``) and
their ``metrics.parquet`` must be equal. Our launcher presets must compose without the cluster
software they launch on (no Slurm here). docs/launchers.md explains the settings.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
APP = [sys.executable, "-c", "from coopsim.runner import main; main()"]
SWEEP = ["region=two_symmetric", "steps=4", "seed=0,1", "agreement=none"]
SWEEP_TIMEOUT = 240  # seconds for one small sweep, whatever the launcher (a few seconds here)
RAY_START_TIMEOUT = 120
RAY_STOP_TIMEOUT = 60
LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1", "::1"}


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without settings that would send a sweep elsewhere."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("RAY_", "COOPSIM_", "SLURM_"))}
    env = {key: value for key, value in env.items() if "proxy" not in key.lower()}
    env.update(extra)
    return env


def sweep_runs(sweep_dir: Path) -> dict[frozenset[str], Path]:
    """The complete runs of a sweep folder, keyed by their overrides."""
    runs = {}
    for overrides_file in Path(sweep_dir).rglob(".hydra/overrides.yaml"):
        run_dir = overrides_file.parent.parent
        assert json.loads((run_dir / "run.json").read_text())["status"] == "complete", run_dir
        runs[frozenset(yaml.safe_load(overrides_file.read_text()))] = run_dir
    return runs


def launcher_of(run_dir: Path) -> str:
    """The ``hydra/launcher`` choice a run was launched with (its ``.hydra/hydra.yaml``)."""
    return yaml.safe_load((run_dir / ".hydra" / "hydra.yaml").read_text())["hydra"]["runtime"]["choices"]["hydra/launcher"]


def run_sweep(sweep_dir: Path, *overrides: str, env: dict[str, str] | None = None) -> dict[frozenset[str], Path]:
    """``coopsim-run -m`` the small sweep into ``sweep_dir`` (absolute) with ``overrides``; its runs by overrides."""
    result = subprocess.run(
        [*APP, "-m", *SWEEP, f"hydra.sweep.dir={sweep_dir}", *overrides],
        capture_output=True,
        text=True,
        timeout=SWEEP_TIMEOUT,
        env=env or clean_env(),
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return sweep_runs(sweep_dir)


def assert_same_metrics(runs: dict[frozenset[str], Path], reference: dict[frozenset[str], Path]) -> None:
    assert len(reference) == 2 and set(runs) == set(reference)
    for overrides, run_dir in runs.items():
        pd.testing.assert_frame_equal(
            pd.read_parquet(run_dir / "metrics.parquet"),
            pd.read_parquet(reference[overrides] / "metrics.parquet"),
            check_exact=True,
            obj=f"metrics of {sorted(overrides)}",
        )


@pytest.fixture(scope="module")
def joblib_runs(tmp_path_factory) -> dict[frozenset[str], Path]:
    """The small sweep through joblib, two worker processes: the reference every launcher must match."""
    runs = run_sweep(tmp_path_factory.mktemp("joblib") / "sweep", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    assert len(runs) == 2 and {launcher_of(run) for run in runs.values()} == {"joblib"}
    return runs


def test_joblib_sweep_runs_every_job(joblib_runs):
    seeds = sorted(json.loads((run / "run.json").read_text())["seed"] for run in joblib_runs.values())
    assert seeds == [0, 1]
    metrics = pd.read_parquet(next(iter(joblib_runs.values())) / "metrics.parquet")
    assert list(metrics.columns) == ["step", "city", "metric", "value"] and metrics["step"].max() == 4


def test_submitit_local_sweep_matches_joblib(tmp_path, joblib_runs):
    runs = run_sweep(tmp_path / "sweep", "hydra/launcher=submitit_local")
    assert {launcher_of(run) for run in runs.values()} == {"submitit_local"}
    assert list((tmp_path / "sweep" / ".submitit").iterdir()), "submitit kept no job folders: the jobs did not go through it"
    assert_same_metrics(runs, joblib_runs)


def test_local_processes_preset_matches_joblib(tmp_path, joblib_runs):
    runs = run_sweep(tmp_path / "sweep", "hydra/launcher=local_processes", env=clean_env(COOPSIM_JOBS="2"))
    assert {launcher_of(run) for run in runs.values()} == {"local_processes"}
    assert_same_metrics(runs, joblib_runs)


def composed_launcher(*overrides: str, env: dict[str, str] | None = None) -> dict:
    """``coopsim-run <overrides> --cfg hydra --package hydra.launcher``: the composed launcher config.

    (Hydra does not take ``--cfg`` together with ``-m``; the composition is the same.)
    """
    result = subprocess.run(
        [*APP, *overrides, "--cfg", "hydra", "--package", "hydra.launcher"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env or clean_env(),
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return yaml.safe_load(result.stdout)


@pytest.mark.parametrize(
    ("preset", "target"),
    [
        ("slurm", "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"),
        ("local_processes", "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"),
        ("ray_cluster", "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"),
    ],
)
def test_launcher_presets_compose_without_their_cluster(preset, target):
    # a PATH with only this Python's folder: no sbatch, no ray command; composing must not need them
    env = clean_env(PATH=str(Path(sys.executable).parent))
    assert shutil.which("sbatch", path=env["PATH"]) is None
    launcher = composed_launcher(f"hydra/launcher={preset}", env=env)
    assert launcher["_target_"] == target
    if preset == "slurm":
        assert launcher["cpus_per_task"] == 1 and launcher["mem_gb"] == 2 and launcher["timeout_min"] == 30
        assert launcher["array_parallelism"] == 64 and launcher["submitit_folder"] == "${hydra.sweep.dir}/.submitit/%j"
    if preset == "ray_cluster":
        assert launcher["ray"]["init"] == {"address": "${oc.env:RAY_ADDRESS}", "object_store_memory": None}


@pytest.mark.parametrize("experiment", sorted(path.stem for path in (REPO / "configs" / "experiment").glob("*.yaml")))
def test_experiments_compose_with_the_slurm_preset(experiment):
    # an experiment picks joblib; `hydra/launcher=slurm` on the command line must replace it cleanly
    launcher = composed_launcher(f"experiment={experiment}", "hydra/launcher=slurm")
    assert launcher["_target_"].endswith("SlurmLauncher")


# --- Ray: a real head node on 127.0.0.1 ------------------------------------------------------------------------


def free_loopback_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 now (held together while chosen, so they differ)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def inet_sockets(*pids: int) -> set[tuple[str, str, str, int, str]]:
    """(process, status, local ip, local port, remote ip) of every TCP/UDP socket of ``pids`` and their descendants."""
    found = set()
    for pid in pids:
        try:
            root = psutil.Process(pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for process in processes:
            try:
                name = process.name()
                for conn in process.net_connections(kind="inet"):
                    found.add((name, conn.status, conn.laddr.ip, conn.laddr.port, conn.raddr.ip if conn.raddr else ""))
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
    return found


@pytest.fixture
def ray_cluster():
    """A Ray head node on 127.0.0.1 (every port on loopback, token authentication), stopped afterwards.

    Yields (address, environment for a client, the head's ``ray start --block`` process). The head is
    stopped through its own process (SIGTERM, then SIGKILL to the process group it leads), not by
    ``ray stop``, which would stop every Ray process on the machine.
    """
    names = ["gcs", "client", "agent", "agent_grpc", "runtime_env", "metrics", "dashboard_metrics", "autoscaler_metrics", "dead_end"]
    port = dict(zip(names, free_loopback_ports(len(names)), strict=True))
    dead_end = f"http://127.0.0.1:{port['dead_end']}"  # nothing listens there: a request sent to it is refused at once
    env = clean_env(
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",  # "127.0.0.1" stays 127.0.0.1, never the machine's own address
        RAY_USAGE_STATS_ENABLED="0",  # no usage statistics collected
        RAY_AUTH_MODE="token",  # the cluster runs code for whoever holds the token: this test only
        RAY_AUTH_TOKEN=secrets.token_hex(32),
        DASHBOARD_METRIC_PORT=str(port["dashboard_metrics"]),  # fixed ports by default (44227, 44217): free ones instead
        AUTOSCALER_METRIC_PORT=str(port["autoscaler_metrics"]),
        # Even with usage statistics off, the head's dashboard process sends a "disabled" notice to Ray's
        # usage server and probes cloud metadata services (169.254.169.254, metadata.google.internal, so
        # DNS too). Both go through `requests`, which honours these variables: every HTTP(S) request not
        # for loopback goes to a proxy on 127.0.0.1 that does not exist, and no name is looked up.
        RAY_USAGE_STATS_REPORT_URL=f"{dead_end}/",
        **{name: dead_end for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")},
        **{name: "127.0.0.1,localhost,::1" for name in ("no_proxy", "NO_PROXY")},
    )
    # Ray's session folder holds Unix sockets, whose paths must stay short: not under pytest's tmp_path
    temp_dir = tempfile.mkdtemp(prefix="coopsim-ray-", dir="/tmp" if Path("/tmp").is_dir() else None)
    log_path = Path(temp_dir) / "head.log"
    command = [
        sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
        "--node-ip-address=127.0.0.1", f"--port={port['gcs']}", f"--ray-client-server-port={port['client']}",
        "--include-dashboard=false", "--dashboard-host=127.0.0.1",
        f"--dashboard-agent-listen-port={port['agent']}", f"--dashboard-agent-grpc-port={port['agent_grpc']}",
        f"--runtime-env-agent-port={port['runtime_env']}", f"--metrics-export-port={port['metrics']}",
        "--num-cpus=2", "--object-store-memory=100000000", "--disable-usage-stats", f"--temp-dir={temp_dir}",
    ]  # fmt: skip
    with open(log_path, "w") as log:
        head = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + RAY_START_TIMEOUT
        while "Ray runtime started" not in log_path.read_text():
            assert head.poll() is None, f"ray start exited with {head.returncode}:\n{log_path.read_text()[-4000:]}"
            assert time.monotonic() < deadline, f"Ray head not up after {RAY_START_TIMEOUT} s:\n{log_path.read_text()[-4000:]}"
            time.sleep(0.25)
        yield f"127.0.0.1:{port['gcs']}", env, head
    finally:
        if head.poll() is None:
            head.send_signal(signal.SIGTERM)  # the head drains and stops the processes it started
            try:
                head.wait(timeout=RAY_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(head.pid, signal.SIGKILL)  # whatever of its process group is left (it leads its own session)
        except ProcessLookupError:
            pass
        head.wait(timeout=10)
        shutil.rmtree(temp_dir, ignore_errors=True)


def run_sweep_watching_sockets(sweep_dir: Path, head: int, *overrides: str, env: dict[str, str]):
    """Run the small sweep in the background, recording the sockets of the cluster and the sweep as it runs."""
    out_path = sweep_dir.with_name(sweep_dir.name + ".log")
    seen: set = set()
    with open(out_path, "w") as out:
        sweep = subprocess.Popen(
            [*APP, "-m", *SWEEP, f"hydra.sweep.dir={sweep_dir}", *overrides],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
        )
    try:
        deadline = time.monotonic() + SWEEP_TIMEOUT
        while sweep.poll() is None:
            seen |= inet_sockets(head, sweep.pid)
            assert time.monotonic() < deadline, f"sweep not done after {SWEEP_TIMEOUT} s:\n{out_path.read_text()[-4000:]}"
            time.sleep(0.2)
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.wait(timeout=10)
    assert sweep.returncode == 0, out_path.read_text()[-6000:]
    return sweep_runs(sweep_dir), seen


@pytest.mark.slow
def test_ray_sweep_on_a_loopback_cluster_matches_joblib(tmp_path, joblib_runs, ray_cluster):
    address, env, head_process = ray_cluster
    head = head_process.pid
    # the plugin's own config, with what an existing cluster needs: its address, and no
    # object_store_memory (launcher 1.2.2 would set one, which ray.init refuses for an existing cluster)
    plugin_runs, plugin_seen = run_sweep_watching_sockets(
        tmp_path / "ray",
        head,
        "hydra/launcher=ray",
        f"hydra.launcher.ray.init.address={address}",
        "+hydra.launcher.ray.init.object_store_memory=null",
        env=env,
    )
    assert {launcher_of(run) for run in plugin_runs.values()} == {"ray"}
    assert_same_metrics(plugin_runs, joblib_runs)
    # our preset: the address from RAY_ADDRESS, the rest in configs/hydra/launcher/ray_cluster.yaml
    preset_runs, preset_seen = run_sweep_watching_sockets(
        tmp_path / "ray_cluster", head, "hydra/launcher=ray_cluster", env={**env, "RAY_ADDRESS": address}
    )
    assert {launcher_of(run) for run in preset_runs.values()} == {"ray_cluster"}
    assert_same_metrics(preset_runs, joblib_runs)
    # every socket of the cluster and of the sweeps, listening or connected, was on loopback
    seen = plugin_seen | preset_seen | inet_sockets(head)
    listening = {(name, ip, port) for name, status, ip, port, _ in seen if status == psutil.CONN_LISTEN}
    assert any(port == int(address.rsplit(":", 1)[1]) for _, _, port in listening), f"the GCS port was not seen: {listening}"
    outside = {entry for entry in seen if entry[2] not in LOOPBACK or entry[4] not in LOOPBACK | {""}}
    assert not outside, f"sockets off loopback: {sorted(outside)}"
