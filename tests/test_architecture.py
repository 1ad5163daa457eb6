"""The import graph has no circles through the composition root: the Foundry knows no
service, no CLI module borrows another's private helpers, and the outbox names no
integration — integrations subscribe to it."""

from __future__ import annotations

import ast
from pathlib import Path

import datafab
from datafab.foundry import Foundry
from datafab.settings import Settings

SRC = Path(datafab.__file__).parent


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import in ``path``, at any depth (inside functions too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_the_foundry_imports_no_service():
    modules = [module for module, _ in _imports(SRC / "foundry.py")]
    assert not [m for m in modules if m.startswith(("datafab.services", "datafab.api"))]


def test_background_workers_are_made_once_and_stopped_on_close(tmp_path):
    foundry = Foundry(Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
    stopped = []

    class Work:
        def stop(self):
            stopped.append(self)

    first = foundry.worker("work", Work)
    assert foundry.worker("work", Work) is first
    foundry.close()
    assert stopped == [first]


def test_no_command_module_borrows_another_ones_private_helpers():
    borrowed = []
    for path in sorted((SRC / "cli").glob("*.py")):
        for module, names in _imports(path):
            if module.startswith("datafab.cli"):
                borrowed += [(path.name, module, n) for n in names if n.startswith("_")]
            if module == "datafab" and "cli" in names:
                borrowed.append((path.name, module, "cli"))
    assert borrowed == []


def test_the_outbox_names_no_integration():
    paths = sorted((SRC / "services" / "webhooks").glob("*.py"))
    assert paths
    for path in paths:
        modules = [module for module, _ in _imports(path)]
        assert "importlib" not in modules, path
        assert not [m for m in modules if "compat" in m or "scale" in m], path
        assert "scale_compat" not in path.read_text(), path


# The rooms split by concept speak no SQL: their statements are named queries in store/, and
# what they name of the storage layer (a connection, a row, a unique-constraint error) comes
# from store/handles.py, never from SQLAlchemy.
SQL_FREE = ("services/evals", "services/quality", "services/webhooks", "services/compat",
            "services/compat/scale", "services/workforce", "services/ingest")


def test_split_service_packages_import_no_sqlalchemy_and_stay_small():
    for room in SQL_FREE:
        modules = sorted((SRC / room).glob("*.py"))
        assert modules, room
        for path in modules:
            imported = [m for m, _ in _imports(path)]
            assert [m for m in imported if m.startswith("sqlalchemy")] == [], path
            assert len(path.read_text().splitlines()) <= 400, path


# Accounts, money and the contributor's own pages: their statements are named queries in
# store/ (accounts, audit, billing, pay, effort, dashboard, eval_guard, my_projects,
# site_keys, sqlite_files, web_sessions, access_log, clearances).
ACCOUNT_AND_MONEY = ("dashboard", "accounts", "billing", "pay", "effort", "eval_guard",
                     "browser_sessions", "logins", "site_keys", "audit", "my_projects",
                     "my_earnings", "demo", "access_log", "backup", "confidentiality",
                     "clearances")


def test_account_and_money_services_speak_no_sql():
    for name in ACCOUNT_AND_MONEY:
        path = SRC / "services" / f"{name}.py"
        imported = [m for m, _ in _imports(path)]
        assert [m for m in imported if m.startswith(("sqlalchemy", "sqlite3"))] == [], path
        assert "datafab.store.tables" not in imported, path
        assert len(path.read_text().splitlines()) <= 400, path


# The line's and the relations' services compose named queries from store/; none of them
# builds a statement or imports SQLAlchemy (a package: every module in it).
LINE_AND_RELATIONS = (
    "services/projects.py", "services/workbench.py", "services/work.py",
    "services/work_shapes.py", "services/items.py",
    "services/gold_items.py", "services/contributor_standing.py", "services/item_flags.py",
    "services/profiles.py", "services/imports.py", "services/exports.py",
    "services/records.py", "services/idempotency.py", "services/pools.py",
    "services/hybrid.py", "services/relabel.py", "services/disputes",
    "services/guidelines", "services/messages", "services/recruiting", "services/tracing",
    "services/primitive_catalog", "services/media", "services/evals/boards.py",
    "services/webhooks/deliverer.py", "services/compat/scale/projects.py",
)


def test_line_and_relations_services_speak_no_sql():
    for name in LINE_AND_RELATIONS:
        room = SRC / name
        modules = sorted(room.glob("*.py")) if room.is_dir() else [room]
        assert modules and all(m.is_file() for m in modules), name
        for path in modules:
            imported = [m for m, _ in _imports(path)]
            assert [m for m in imported if m.startswith("sqlalchemy")] == [], path
            assert "datafab.store.tables" not in imported, path
            assert len(path.read_text().splitlines()) <= 400, path
