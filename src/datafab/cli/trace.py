"""``datafab trace FILE --project ID``: who most likely leaked a text found outside.

Run by the operator where the database is (contributors appear by their ids, the numbers
``datafab contributor create`` reported). The evidence goes to stderr as a table; the last
line, on stdout, is the source's contributor id alone, or ``none`` when no one reaches the
bar (docs/confidentiality.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from datafab.cli.common import console, failing, operator
from datafab.errors import InvalidInput

SHOWN = 10  # suspects in the table


def trace(
    file: Annotated[Path, typer.Argument(help="The found file: text, JSONL or CSV.")],
    project: Annotated[int, typer.Option(help="Project id.")],
    format: Annotated[str | None, typer.Option(
        help="text, jsonl or csv (default: from the file's name, else its content).")] = None,
) -> None:
    """Rank the project's contributors by the evidence that FILE came from them."""
    from datafab.services.tracing.leaks import LeakFormat
    from datafab.services.tracing.sources import BAR, operator_trace

    with failing():  # checked before the database is opened
        fmt = _format(format, LeakFormat)
        content = _read(file)
    with operator() as foundry:
        found = operator_trace(foundry, project, content, file.name, fmt)
    table = Table(title=f"Project {found.project_id}: {len(found.items)} leaked item(s), "
                        f"{found.positions} marked positions read, "
                        f"{found.contributors} contributors tried")
    for column in ("contributor", "agreeing", "watermark p", "saw leaked items", "named"):
        table.add_column(column)
    for s in found.suspects[:SHOWN]:
        table.add_row(str(s.contributor_id), f"{s.agreeing}/{found.positions}",
                      f"{s.watermark_p:.3g}", f"{s.saw}/{len(found.items)}",
                      "yes" if s.named else "")
    console.print(table)
    console.print(f"A source is named when its watermark p is at most {BAR:g} "
                  "and it was handed every leaked item.")
    print(found.source if found.source is not None else "none")


def _format(value: str | None, kinds):
    if value is None:
        return None
    try:
        return kinds(value)
    except ValueError as exc:
        raise InvalidInput(f"format: must be text, jsonl or csv, not {value!r}",
                           field="format") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"file: {path}: {exc.strerror}", field="file") from exc


def register(app: typer.Typer) -> None:
    app.command("trace")(trace)
