"""``datafab project …``, ``datafab export`` and ``datafab import``: a requester's projects
and their data in and out of training formats, on the configured database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from datafab.cli.common import console, json_object, progress, requester
from datafab.cli.options import ApiKey

project_app = typer.Typer(help="Projects.", no_args_is_help=True)


@project_app.command("create")
def project_create(
    name: str,
    api_key: ApiKey,
    primitive: Annotated[str, typer.Option(
        help="classify, compare, rank, steps, … or your own NAME@VERSION")],
    settings: Annotated[
        Path | None,
        typer.Option(help="JSON file: settings, policy, guidelines, required_skills."),
    ] = None,
) -> None:
    """Create a project; prints its id alone on the last line."""
    from datafab.services.projects import create_project

    body = {"name": name, "primitive": primitive}
    if settings is not None:
        body.update(json_object(settings))
    with requester(api_key) as (foundry, org):
        project = create_project(foundry, org, body)
    console.print(f"project {project.name!r} created ({project.primitive_name})")
    print(project.id)


@project_app.command("ingest-policy")
def project_ingest_policy(
    api_key: ApiKey,
    project: Annotated[int, typer.Option(help="Project id.")],
    redact: Annotated[bool, typer.Option(
        help="Replace personal data before anyone sees a chunk.")] = True,
    replacement: Annotated[str, typer.Option(help="tag ([EMAIL]) or pseudonym "
                                             "(<EMAIL_3f9a…>, keyed per organization).")]
    = "tag",
) -> None:
    """Set what a project does with personal data in the files it ingests."""
    from datafab.services import ingest as ingesting

    with requester(api_key) as (foundry, org):
        policy = ingesting.set_policy(foundry, org, project,
                                      {"redact": redact, "replacement": replacement})
    console.print(f"project {project}: redact={policy.redact}, replacement={policy.replacement}")


def export(
    api_key: ApiKey,
    project: Annotated[int, typer.Option(help="Project id.")],
    output: Annotated[Path, typer.Option(help="File to write: .jsonl or .parquet (coco: "
                                         ".json; yolo, voc: .zip).")],
    format: Annotated[
        str, typer.Option(help="sft, dpo, reward, prm, prm800k, tools, grades, records, coco, "
                          "yolo, voc, or items (the items as contributors and models see "
                          "them).")
    ] = "records",
    min_confidence: Annotated[float, typer.Option(help="Leave out less confident records.")] = 0.0,
    include_open: Annotated[bool, typer.Option(help="Also records of unfinished items.")] = False,
) -> None:
    """Export a project's records in a training format, with a progress bar."""
    from datafab.services import exports, projects
    from datafab.services.secrets import shown_prefix

    with requester(api_key) as (foundry, org):
        counts = projects.progress(foundry, org, project)
        total = counts["items"] if include_open else counts["done"]
        with progress() as bar:
            task = bar.add_task("exporting", total=total or None)
            written = exports.audited_export(
                foundry, org, project, format, actor=f"cli, api key {shown_prefix(api_key)}",
                path=output, min_confidence=min_confidence, include_open=include_open,
                on_row=lambda: bar.advance(task),
            ).rows
    console.print(f"{written} rows written to {output}")


def import_(
    api_key: ApiKey,
    file: Annotated[Path, typer.Argument(help="The file to import.", exists=True,
                                         dir_okay=False)],
    project: Annotated[int, typer.Option(help="Project id.")],
    format: Annotated[str, typer.Option(help="hh-rlhf, prm800k, label-studio, coco (.json), "
                                        "yolo or voc (.zip).")],
    strict: Annotated[bool, typer.Option(
        help="Refuse the whole file at its first bad line (default: skip bad lines, list "
             "them, exit 3).")] = False,
) -> None:
    """Import a file of existing data (and the answers it carries) into a project. Lines
    that cannot be imported are skipped and listed (line, reason); the exit status is then 3."""
    from datafab.services import imports

    with requester(api_key) as (foundry, org), progress() as bar:
        task = bar.add_task("importing", total=None)
        result = imports.import_file(
            foundry, org, project, format, lambda: imports.file_lines(file, format),
            on_batch=lambda n: bar.advance(task, n), strict=strict,
        )
    console.print(
        f"{result.created} items created, {result.unchanged} already there, "
        f"{result.prior_answers} prior answers recorded, {result.skipped_total} lines skipped"
    )
    if result.skipped_total:
        table = Table("line", "reason", title=f"skipped lines of {file.name}")
        for skipped in result.skipped:
            table.add_row(str(skipped.line), skipped.reason)
        console.print(table)
        if result.skipped_total > len(result.skipped):
            console.print(f"… and {result.skipped_total - len(result.skipped)} more")
        raise typer.Exit(code=3)


def register(app: typer.Typer) -> None:
    """Add the top-level commands (the ``project`` group is added by ``datafab.cli``)."""
    app.command()(export)
    app.command("import")(import_)
