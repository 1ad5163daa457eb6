"""``datafab primitive``: an organization's own primitives, defined from a YAML or JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from datafab.cli.common import console as errors
from datafab.cli.common import requester
from datafab.cli.options import ApiKey

console = Console(soft_wrap=True)  # what the commands show: stdout
primitive_app = typer.Typer(help="Your organization's own primitives (kinds of work).",
                            no_args_is_help=True)


def read_definition(path: Path) -> Any:
    """A definition file: YAML (``.yaml``/``.yml``) or JSON; exit 2 naming the line if not."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.print(f"[red]error:[/red] {path}: {exc}", highlight=False)
        raise typer.Exit(code=2) from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            errors.print(f"[red]error:[/red] {path}{where}: not YAML: "
                         f"{getattr(exc, 'problem', exc)}", highlight=False)
            raise typer.Exit(code=2) from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        errors.print(f"[red]error:[/red] {path}: not JSON: {exc}", highlight=False)
        raise typer.Exit(code=2) from exc


@primitive_app.command("create")
def create(
    file: Annotated[Path, typer.Argument(help="The definition: a YAML or JSON file.")],
    api_key: ApiKey,
) -> None:
    """Store a definition as a new version of your primitive (the same definition again
    changes nothing); prints NAME@VERSION alone on the last line, as a project names it."""
    from datafab.services.primitive_catalog import catalog

    raw = read_definition(file)
    with requester(api_key) as (foundry, org):
        version = catalog.define(foundry, org, raw, actor="cli")
    said = "stored as" if version.created else "unchanged: already"
    console.print(f"primitive {version.name!r} {said} version {version.version}")
    print(version.pinned)


@primitive_app.command("list")
def list_primitives(api_key: ApiKey) -> None:
    """Your organization's primitives with their latest version."""
    from datafab.services.primitive_catalog import catalog

    with requester(api_key) as (foundry, org):
        found = catalog.list_primitives(foundry, org)
    table = Table(title="Primitives")
    for column in ("name", "latest", "versions"):
        table.add_column(column)
    for p in found:
        table.add_row(p.name, f"{p.name}@{p.latest}", str(p.versions))
    console.print(table)
