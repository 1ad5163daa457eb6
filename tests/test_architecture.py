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


# services/ speaks no SQL: its statements are named queries in store/, and what it names of
# the storage layer (a connection, a row, a unique-constraint error) comes from
# store/handles.py, never from SQLAlchemy, sqlite3 or the tables. One concept per module.
def test_no_service_speaks_sql_and_none_is_long():
    modules = sorted((SRC / "services").rglob("*.py"))
    assert len(modules) > 100
    for path in modules:
        imported = [m for m, _ in _imports(path)]
        assert [m for m in imported if m.startswith(("sqlalchemy", "sqlite3"))] == [], path
        assert "datafab.store.tables" not in imported, path
        assert len(path.read_text().splitlines()) <= 400, path


def test_the_sql_check_would_see_a_statement_built_in_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f(conn):\n    from sqlalchemy import select\n    return select(1)\n")
    assert ("sqlalchemy", ["select"]) in _imports(module)


# The rooms: each top-level package or module of datafab, and each context of services/.
# The composition roots put rooms together and so import from every ring: they stand
# outside the picture.
COMPOSITION_ROOTS = ("api/app.py", "server.py", "integrations.py", "cli")


def _room(module: str) -> str | None:
    """``services.<context>`` for a service, the top-level name otherwise; None for what is
    not a room of datafab (another library, or a name that is no module)."""
    parts = module.split(".")
    if parts[0] != "datafab" or len(parts) < 2:
        return None
    if parts[1] != "services":
        return parts[1]
    if len(parts) < 3 or not ((SRC / "services" / parts[2]).is_dir()
                              or (SRC / "services" / f"{parts[2]}.py").exists()):
        return None
    return f"services.{parts[2]}"


def _room_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(COMPOSITION_ROOTS):
            continue
        module = "datafab." + relative.removesuffix(".py").replace("/", ".")
        room = _room(module.removesuffix(".__init__"))
        for imported, names in _imports(path):
            targets = [imported] + [f"{imported}.{n}" for n in names]
            for target in {_room(t) for t in targets} - {None, room}:
                if room is not None and target is not None:
                    graph.setdefault(room, set()).add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one room (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(room: str) -> None:
        index[room] = low[room] = len(index)
        stack.append(room)
        for other in sorted(graph.get(room, ())):
            if other not in index:
                visit(other)
                low[room] = min(low[room], low[other])
            elif other in stack:
                low[room] = min(low[room], index[other])
        if low[room] == index[room]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == room:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for room in sorted(graph):
        if room not in index:
            visit(room)
    return found


def test_rooms_import_each_other_without_circles():
    graph = _room_graph()
    assert "services.work" in graph and "store" in graph["services.work"]
    assert _circles(graph) == []


def test_the_circle_finder_finds_a_planted_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_outer_rooms_speak_no_sql():
    """The API, the pages, the CLI, the SDK and the model workers reach the database only
    through services (the CLI's migrate and backup commands through store.migrate, and the
    database URL it prints through store.database)."""
    for room in ("api", "web", "cli", "sdk", "models"):
        for path in sorted((SRC / room).rglob("*.py")):
            imported = [m for m, _ in _imports(path)]
            assert [m for m in imported if m.startswith(("sqlalchemy", "sqlite3"))] == [], path
            allowed = ({"datafab.store.migrate", "datafab.store.database"} if room == "cli"
                       else set())
            assert [m for m in imported if m.startswith("datafab.store")
                    and m not in allowed] == [], path
