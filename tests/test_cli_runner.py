"""The ``datafab`` command as a package: its shared runner opens the Foundry once and closes
it once, whatever the command does, and turns a ``DatafabError`` into its message and exit
code 2; ``datafab --help`` loads no database or maths library; ``python -m datafab.cli``
runs the command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import datafab.cli
from datafab.cli import app, common
from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry

CLI = Path(datafab.cli.__file__).parent


@pytest.fixture
def closes(monkeypatch, database_url):
    """How many Foundries were opened and closed, counted by the Foundry itself."""
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    seen = {"opened": 0, "closed": 0}
    real_init, real_close = Foundry.__init__, Foundry.close

    def init(self, *args, **kwargs):
        seen["opened"] += 1
        real_init(self, *args, **kwargs)

    def close(self):
        seen["closed"] += 1
        real_close(self)

    monkeypatch.setattr(Foundry, "__init__", init)
    monkeypatch.setattr(Foundry, "close", close)
    return seen


def test_the_runner_closes_the_foundry_once_after_the_command(closes):
    with common.operator() as foundry:
        assert closes == {"opened": 1, "closed": 0}
        assert foundry.now() > 0
    assert closes == {"opened": 1, "closed": 1}


def test_an_error_inside_the_runner_is_exit_2_and_the_foundry_is_closed(closes, capsys):
    with pytest.raises(typer.Exit) as exit_, common.operator():
        raise NotFound("project 7: not found")
    assert exit_.value.exit_code == 2
    assert "error: project 7: not found" in capsys.readouterr().err
    assert closes == {"opened": 1, "closed": 1}


def test_a_bad_api_key_fails_in_the_runner_and_closes_the_foundry(closes):
    result = CliRunner().invoke(app, ["records", "--project", "1"],
                                env={"DATAFAB_API_KEY": "df_not_a_key"})
    assert result.exit_code == 2, result.output
    assert "error:" in result.output
    assert closes == {"opened": 1, "closed": 1}


def test_a_command_opens_and_closes_one_foundry(closes):
    runner = CliRunner()
    made = runner.invoke(app, ["org", "create", "Acme"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    listed = runner.invoke(app, ["primitive", "list"], env={"DATAFAB_API_KEY": key})
    assert listed.exit_code == 0, listed.output
    assert closes == {"opened": 2, "closed": 2}


def test_the_runner_can_reword_an_error_for_the_command_line(capsys):
    def as_option(exc):
        return InvalidInput("--review: must be at least 1", field="review")

    with pytest.raises(typer.Exit), common.failing(as_option):
        raise InvalidInput("review: must be at least 1", field="review")
    assert "error: --review: must be at least 1" in capsys.readouterr().err


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)


def test_help_loads_no_database_or_maths_library():
    done = _run("import sys\nfrom datafab.cli import app\n"
                "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
                "print(sorted({m.split('.')[0] for m in sys.modules} & "
                "{'sqlalchemy', 'numpy', 'scipy', 'sklearn', 'fastapi', 'alembic'}))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_python_m_datafab_cli_is_the_command():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-m", "datafab.cli", "--help"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Datafab: a self-hosted data foundry." in done.stdout
    assert "webhooks" in done.stdout and "contributors" in done.stdout


def test_every_command_module_stays_small():
    sizes = {p.name: len(p.read_text().splitlines()) for p in CLI.glob("*.py")}
    assert "common.py" in sizes and "__init__.py" in sizes
    assert {name: n for name, n in sizes.items() if n > 400} == {}
