"""coopsim-plot draws a saved run's figures from its files alone: what each figure shows, and that the images are drawn."""

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from coopsim import plot_run as plot_run_module
from coopsim.plot_run import FIGURE_DPI, TIME_PATH_METRICS, main, plot_run
from coopsim.plots import MAX_MARKER_AREA_PT2
from coopsim.results import read_metrics, read_table
from coopsim.runner import compose_config, run

HIGHLIGHTED = {"Shenzhen", "Shantou"}  # the default region's core and partner cities


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A saved four-quarter run of the default region, its figures, and the Figure objects they were saved from."""
    out = run(compose_config("steps=4"), tmp_path_factory.mktemp("runs") / "one")
    drawn = {}
    save = plot_run_module.save_figures

    def keep(figures, folder, dpi):
        drawn.update(figures)
        return save(figures, folder, dpi)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plot_run_module, "save_figures", keep)
        written = plot_run(out)
    return out, written, drawn


def test_every_figure_is_written_as_png_and_svg(saved):
    out, written, drawn = saved
    names = {path.name for path in written}
    assert set(drawn) == {"map", *TIME_PATH_METRICS}
    assert names == {f"{name}.{fmt}" for name in drawn for fmt in ("png", "svg")}
    assert all(path.parent == out / "figures" for path in written)
    for path in written:
        if path.suffix == ".svg":
            assert "<svg" in path.read_text()[:1000]


def test_time_paths_draw_every_city_with_the_core_and_partner_labelled(saved):
    out, _, drawn = saved
    metrics = read_metrics(out)
    cities = sorted(set(metrics["city"]) - {"region"})
    for metric in TIME_PATH_METRICS:
        (ax,) = drawn[metric].axes
        lines = ax.get_lines()
        assert len(lines) == len(cities) == 21, metric
        labelled = {line.get_label(): line for line in lines if not line.get_label().startswith("_")}
        assert set(labelled) == HIGHLIGHTED
        assert {text.get_text() for text in ax.get_legend().get_texts()} == HIGHLIGHTED
        scale = 100.0 if metric.endswith("_share") else 1.0
        expected = metrics.query("metric == @metric and city == 'Shantou'").sort_values("step")
        assert list(labelled["Shantou"].get_xdata()) == [0, 1, 2, 3, 4]
        assert np.allclose(labelled["Shantou"].get_ydata(), scale * expected["value"].to_numpy(), rtol=1e-12)
        assert ax.get_xlabel() == "calendar quarter" and ax.get_xticklabels()[0].get_text() == "2021 Q1"
        assert ax.get_ylabel() and (ax.get_ylabel().endswith(", %") == metric.endswith("_share"))  # shares in percent


def test_the_map_sizes_cities_by_gdp_at_the_horizon_and_draws_each_link_once(saved):
    out, _, drawn = saved
    (ax,) = drawn["map"].axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("longitude (°E)", "latitude (°N)")
    assert "gdp" in ax.get_title().lower()
    cities, links = read_table(out, "cities.parquet"), read_table(out, "links.parquet")
    assert {text.get_text() for text in ax.texts} == set(cities["name"])  # each city named
    pairs = links.assign(pair=[tuple(sorted(p)) for p in zip(links["a"], links["b"], strict=True)]).drop_duplicates(["pair", "mode"])
    link_lines = [line for line in ax.get_lines() if (line.get_gid() or "").startswith("link:")]
    assert len(link_lines) == len(pairs)
    metrics = read_metrics(out)
    gdp = metrics.query("metric == 'gdp' and step == 4").set_index("city")["value"]
    groups = [c for c in ax.collections if (c.get_gid() or "").startswith("cities:")]
    areas = np.concatenate([c.get_sizes() for c in groups])
    assert len(areas) == len(cities) and areas.max() == pytest.approx(MAX_MARKER_AREA_PT2)
    ordered = pd.concat([cities[cities["group"] == c.get_gid().split(":", 1)[1]] for c in groups])["name"]
    assert np.allclose(areas, MAX_MARKER_AREA_PT2 * gdp.loc[ordered].to_numpy() / gdp.max(), rtol=1e-9)


def test_the_images_are_drawn_at_the_figures_size(saved):
    """Each PNG is about the figure's size at FIGURE_DPI (tight bounding box) and far from blank."""
    _, written, drawn = saved
    for path in written:
        if path.suffix != ".png":
            continue
        image = matplotlib.image.imread(path)
        height, width = image.shape[:2]
        inches = drawn[path.stem].get_size_inches()
        assert 0.7 < width / (inches[0] * FIGURE_DPI) < 1.3 and 0.7 < height / (inches[1] * FIGURE_DPI) < 1.3, path.name
        ink = np.any(image[..., :3] < 0.9, axis=-1).mean()  # share of pixels that are not (nearly) white
        assert 0.01 < ink < 0.6, (path.name, ink)
        rgb = np.round(255 * image[..., :3]).astype(np.uint32)
        colours = np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2])
        assert len(colours) > 20  # lines, markers and text in several colours


def test_cli_defaults_to_latest_complete_run(tmp_path, monkeypatch, capsys):
    run(compose_config("region=two_symmetric", "steps=2"), tmp_path / "results" / "runs" / "a")
    monkeypatch.chdir(tmp_path)
    main([])
    printed = capsys.readouterr().out.split()
    assert printed and all("results/runs/a/figures" in line for line in printed)
    assert len(printed) == 2 * (1 + len(TIME_PATH_METRICS))
