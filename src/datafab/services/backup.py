"""Backups of a SQLite database with SQLite's online backup API: a consistent copy taken page
by page while Datafab keeps serving (writers wait only for the moment a batch of pages is
copied). PostgreSQL is backed up with its own tools (``pg_dump``, see docs/reliability.md).

A backup holds everything the database does (password hashes, API key hashes, contributors'
answers), so it is written readable by its owner only (0600), whatever the umask says.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from datafab.errors import Conflict, InvalidInput
from datafab.store import sqlite_files

Progress = Callable[[int, int], None]  # (pages copied, pages in all)


def sqlite_path(url: str) -> Path:
    backend, database = sqlite_files.url_parts(url)
    if backend != "sqlite":
        raise InvalidInput(
            "database_url: `datafab backup` and `restore` copy SQLite databases; back up "
            "PostgreSQL with pg_dump (docs/reliability.md)", field="database_url")
    if not database or database == ":memory:":
        raise InvalidInput("database_url: not a SQLite file", field="database_url")
    return Path(database)


def backup(url: str, target: Path, on_progress: Progress | None = None) -> int:
    """Copy the live database at ``url`` into ``target`` (a new file); its size in pages."""
    source = sqlite_path(url)
    if not source.exists():
        raise InvalidInput(f"database_url: {source} does not exist", field="database_url")
    if target.exists():
        raise Conflict(f"file: {target} exists; choose a new file", field="file")
    return _copy(source, target, on_progress)


def restore(backup_file: Path, url: str, *, replace: bool = False,
            on_progress: Progress | None = None) -> int:
    """Copy a backup over the database at ``url`` (which must be new unless ``replace``).
    Stop ``datafab serve`` first: the restored database replaces what it holds."""
    target = sqlite_path(url)
    if not backup_file.exists():
        raise InvalidInput(f"file: {backup_file} does not exist", field="file")
    _check_backup(backup_file)
    if target.exists() and target.stat().st_size > 0 and not replace:
        raise Conflict(f"database_url: {target} exists; pass --replace to overwrite it",
                       field="database_url")
    return _copy(backup_file, target, on_progress)


def _check_backup(path: Path) -> None:
    try:
        ok = sqlite_files.passes_integrity_check(path)
    except sqlite_files.NotADatabase as exc:
        raise InvalidInput(f"file: {path} is not a Datafab backup ({exc})", field="file") from exc
    if not ok:
        raise InvalidInput(f"file: {path} fails SQLite's integrity check", field="file")


def _owner_only(path: Path) -> None:
    """Create ``path`` empty (if new) with mode 0600, and make sure an existing one is."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def _copy(source: Path, target: Path, on_progress: Progress | None) -> int:
    _owner_only(target)  # before SQLite opens it, so it is never readable by others
    return sqlite_files.copy(source, target, on_progress)
