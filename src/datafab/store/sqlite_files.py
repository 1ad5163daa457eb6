"""SQLite database files: where a database URL points, whether a file is a migrated Datafab
database SQLite finds whole, and a page-by-page copy with SQLite's online backup API (writers
wait only for the moment a batch of pages is copied)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

PAGES_PER_STEP = 1024


class NotADatabase(Exception):
    """The file is not a database SQLite can read, or was never migrated."""


def url_parts(url: str) -> tuple[str, str | None]:
    """(backend, database) of a database URL: ``("sqlite", "/srv/datafab.db")``."""
    parsed = make_url(url)
    return parsed.get_backend_name(), parsed.database


def passes_integrity_check(path: Path) -> bool:
    """Whether the migrated database at ``path`` passes SQLite's integrity check (read-only);
    ``NotADatabase`` when it is no migrated database."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return bool(conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    except sqlite3.DatabaseError as exc:
        raise NotADatabase(str(exc)) from exc


def copy(source: Path, target: Path, on_progress: Callable[[int, int], None] | None) -> int:
    """Copy the database ``source`` into ``target`` (left in WAL mode); its size in pages."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    total = 0
    try:
        def step(_status: int, remaining: int, pages: int) -> None:
            nonlocal total
            total = pages
            if on_progress is not None:
                on_progress(pages - remaining, pages)

        src.backup(dst, pages=PAGES_PER_STEP, progress=step)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()
    return total
