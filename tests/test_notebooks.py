"""Every notebook in experiments/ executes end to end (on small settings), in a fresh kernel."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
SMALL = {  # parameters cell replacements: enough to exercise every cell quickly
    "quick_start.ipynb": "STEPS = 12\nSEEDS = 2",
    "rail_siphon.ipynb": "STEPS = 12\nSEEDS = 2\nOPENING = 4",
    "core_periphery_check.ipynb": "STEPS = 60\nTRADE_COSTS = [1.5, 1.9]",
    "backcast.ipynb": "SEEDS = 1",
    "explore_sub_centre.ipynb": 'DESIGN = "latin"\nSAMPLES = 8\nSTEPS = 4\nOPENING = (1, 3)\nN_JOBS = 1',
}


def test_every_notebook_has_small_settings():
    assert {path.name for path in EXPERIMENTS.glob("*.ipynb")} == set(SMALL)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_executes(name, tmp_path):
    notebook = nbformat.read(EXPERIMENTS / name, as_version=4)
    parameters = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1, "one cell tagged 'parameters'"
    parameters[0].source = SMALL[name]
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "commit notebooks without outputs"
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    images = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs if "image/png" in o.get("data", {})]
    assert images, "the notebook draws its figures"
