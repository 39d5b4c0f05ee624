"""The README's set-up commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = "# README test command:"


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    command = lines[lines.index(MARKER) + 1]
    assert command.startswith("python -m pip install") and "pytest" in command
    assert f"```bash\n{command}\n```" in readme
    assert lines[-1] == command  # nothing runs after it
