"""coopsim-plot draws a saved run's figures from its files alone."""

from coopsim.plot_run import main, plot_run
from coopsim.runner import compose_config, run


def test_figures_from_a_saved_run(tmp_path, capsys):
    out = run(compose_config("steps=4"), tmp_path / "runs" / "one")
    written = plot_run(out)
    names = {path.name for path in written}
    assert {"map.png", "map.svg", "gdp_share.png", "talent_share.svg", "enterprise_share.png", "real_wage.png"} <= names
    assert all(path.stat().st_size > 1000 for path in written)


def test_cli_defaults_to_latest_complete_run(tmp_path, monkeypatch, capsys):
    run(compose_config("region=two_symmetric", "steps=2"), tmp_path / "results" / "runs" / "a")
    monkeypatch.chdir(tmp_path)
    main([])
    printed = capsys.readouterr().out.split()
    assert printed and all("results/runs/a/figures" in line for line in printed)
