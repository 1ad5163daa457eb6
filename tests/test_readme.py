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
    # and again, as a reader who runs it twice would: the same project, nothing added
    exec(compile(block, "README.md", "exec"), {})
    again = capsys.readouterr().out
    assert "{'created': 0, 'unchanged': 3}" in again
    assert "review-1 {'label': 'negative'}" in again
    assert len((tmp_path / "records.jsonl").read_text().splitlines()) == 3
    from datafab.sdk import Client

    with Client(url, key) as requester:
        assert [p["name"] for p in requester.projects()] == ["review sentiment"]


def test_readme_stands_alone():
    """No link leaves the repository; every relative link names a file in it; the
    architecture is written down; the quick start names the port setting and how to run
    the tests without a browser."""
    text = README.read_text()
    root = README.parent
    for page in [README, *sorted((root / "docs").glob("*.md"))]:
        body = page.read_text()
        targets = re.findall(r"\]\(([^)\s]+)\)", body) + re.findall(r"<(https?://[^>]+)>",
                                                                      body)
        for target in targets:
            if target.startswith(("http://127.0.0.1", "http://localhost")):
                continue
            where = (page.parent / target.split("#")[0]).resolve()
            assert not target.startswith(("http:", "https:", "/")), (page.name, target)
            assert where.is_relative_to(root.resolve()) and where.exists(), (page.name, target)
    assert "docs/architecture.md" in text and (root / "docs" / "architecture.md").exists()
    quick = text[:text.index("## A five-minute tour")]
    assert "DATAFAB_PORT" in quick
    assert 'pytest -m "not browser"' in quick


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


def _dry_run(target: str) -> str:
    """What ``make TARGET`` would run, every step forced, nothing run (``make -n -B``)."""
    import subprocess

    done = subprocess.run(["make", "-n", "-B", "-C", str(README.parent), target],
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def test_make_run_installs_only_what_serving_needs():
    run = _dry_run("run")
    installs = [line for line in run.splitlines() if "pip install" in line and "-e" in line]
    assert installs and all("[" not in line for line in installs), installs
    test = _dry_run("test")
    assert any("pip install" in line and ".[test]" in line for line in test.splitlines())
    assert "bench" not in test


def test_make_test_waits_for_the_package_managers_lock():
    apt = [line for line in _dry_run("test").splitlines() if "apt-get" in line]
    assert apt and all(line.count("apt-get -o DPkg::Lock::Timeout=") == line.count("apt-get")
                       for line in apt), apt
    ci = (README.parent / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, flags=re.M)


def test_ci_runs_the_lint_with_types_before_the_tests():
    lint = _dry_run("lint").splitlines()
    ruff = next(i for i, line in enumerate(lint) if "ruff check" in line)
    mypy = next(i for i, line in enumerate(lint) if line.strip().endswith("/mypy"))
    assert ruff < mypy
    ci = (README.parent / ".ci" / "run").read_text()
    assert ci.index("\nmake lint\n") < ci.index("\nmake test\n")
