"""``datafab backup`` and ``datafab restore``: the SQLite database copied while it serves,
and put back (PostgreSQL has pg_dump; docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from datafab.cli.common import console, failing, progress, shown_url
from datafab.settings import Settings


def backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write (must be new).")],
) -> None:
    """Back up the SQLite database while it serves (SQLite's online backup API). For
    PostgreSQL use pg_dump (docs/reliability.md)."""
    from datafab.services import backup as backups

    url = Settings().database_url
    with failing(), progress() as bar:
        task = bar.add_task("backing up", total=None)
        pages = backups.backup(url, file, lambda done, total: bar.update(
            task, completed=done, total=total))
    console.print(f"{shown_url(url)} backed up to {file} ({pages} pages)")
    print(file)


def restore(
    file: Annotated[Path, typer.Argument(help="A file `datafab backup` wrote.")],
    replace: Annotated[bool, typer.Option(help="Overwrite an existing database.")] = False,
) -> None:
    """Restore a backup into the SQLite database (stop `datafab serve` first), then bring its
    schema up to date."""
    from datafab.services import backup as backups
    from datafab.store.migrate import upgrade

    url = Settings().database_url
    with failing(), progress() as bar:
        task = bar.add_task("restoring", total=None)
        backups.restore(file, url, replace=replace, on_progress=lambda done, total:
                        bar.update(task, completed=done, total=total))
    upgrade(url)
    console.print(f"{file} restored into {shown_url(url)}")


def register(app: typer.Typer) -> None:
    app.command()(backup)
    app.command()(restore)
