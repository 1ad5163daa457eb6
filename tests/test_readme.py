"""The README's tour runs as written, against a real server."""

from __future__ import annotations

import re
from pathlib import Path

from datafab.services.accounts import create_contributor, create_organization

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text


def test_readme_tour_runs(live_server, tmp_path, monkeypatch, capsys):
    url, foundry = live_server
    _, key = create_organization(foundry, "Tour Lab")
    _, token = create_contributor(foundry, {"name": "Ada"})
    monkeypatch.setenv("DATAFAB_URL", url)
    monkeypatch.setenv("DATAFAB_API_KEY", key)
    monkeypatch.setenv("DATAFAB_TOKEN", token)
    monkeypatch.chdir(tmp_path)
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "{'created': 3, 'unchanged': 0}" in out
    assert "review-1 {'label': 'negative'}" in out
    assert len((tmp_path / "records.jsonl").read_text().splitlines()) == 3


def test_every_setting_is_documented():
    from datafab.settings import Settings

    text = README.read_text()
    missing = [f"DATAFAB_{name.upper()}" for name in Settings.model_fields
               if f"`DATAFAB_{name.upper()}`" not in text]
    assert not missing, f"settings missing from README.md: {missing}"


def test_every_command_is_documented():
    import typer.main

    from datafab.cli import app

    text = README.read_text()
    group = typer.main.get_group(app)
    missing = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        for full in ([f"{name} {sub}" for sub in subcommands] if subcommands else [name]):
            if f"datafab {full}" not in text:
                missing.append(full)
    assert not missing, f"commands missing from README.md: {missing}"
