"""``datafab ingest``: an organization's own files into a project's items — chunked,
de-duplicated and with personal data redacted — with a progress bar. What the files become
is decided in ``services.ingest``; this module reads the options and shows the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from datafab.cli.common import console, requester
from datafab.cli.options import ApiKey


def ingest(
    api_key: ApiKey,
    paths: Annotated[list[Path], typer.Argument(help="Files (JSONL, CSV, Parquet, text, "
                                                "Markdown, HTML, PDF, .eml) or folders.")],
    project: Annotated[int, typer.Option(help="Project id (classify, spans or write).")],
    chunk_by: Annotated[str, typer.Option(help="Chunk boundaries: paragraph or heading.")]
    = "paragraph",
    chunk_size: Annotated[int, typer.Option(help="Largest chunk, in --chunk-unit.")] = 1000,
    chunk_unit: Annotated[str, typer.Option(help="chars or tokens.")] = "chars",
    text_field: Annotated[str | None, typer.Option(
        help="JSONL field or CSV/Parquet column with the text.")] = None,
    near_duplicates: Annotated[bool, typer.Option(
        help="Drop near duplicates (MinHash LSH) as well as exact ones.")] = True,
    threshold: Annotated[float, typer.Option(
        help="Estimated Jaccard similarity that makes a near duplicate.")] = 0.85,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes that redact chunks (0: none; default: one per core for "
             "inputs over 8 MB).")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the full report (JSON) here.")]
    = None,
    engine: Annotated[str, typer.Option(
        help="Where the work runs: local, or dask (a dask.distributed cluster).")] = "local",
    scheduler: Annotated[str | None, typer.Option(
        help="With --engine dask: the scheduler's address (tcp://host:8786); default: a "
             "local cluster for the run.")] = None,
) -> None:
    """Ingest an organization's own files: chunk, de-duplicate and redact personal data into
    a project's items, with a progress bar. A bad file is reported (file and line) and
    skipped; the others go through."""
    from datafab.services import ingest as ingesting

    sources = [ingesting.Source(p, str(p)) for p in expand(paths)]
    options = {"chunk_by": chunk_by, "chunk_size": chunk_size, "chunk_unit": chunk_unit,
               "text_field": text_field, "near_duplicates": near_duplicates,
               "threshold": threshold, "workers": workers}
    total = sum(s.path.stat().st_size for s in sources if s.path.is_file())
    with requester(api_key) as (foundry, org), _bytes_bar() as bar:
        task = bar.add_task("ingesting", total=total or None)
        result = ingesting.ingest_files(foundry, org, project, sources, options,
                                        on_progress=lambda n: bar.advance(task, n),
                                        engine=engine, scheduler=scheduler)
    _show(result)
    if report is not None:
        report.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(result["run_id"])
    if result["errors"]:
        raise typer.Exit(code=1)


def expand(paths: list[Path]) -> list[Path]:
    """Files as given, and the files under folders (sorted, hidden ones left out)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()
                              and not any(part.startswith(".") for part in f.parts)))
        else:
            out.append(p)
    return out


def _bytes_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                    TransferSpeedColumn(), TimeElapsedColumn(), console=console)


def _show(result: dict[str, Any]) -> None:
    """The run's skipped files, counts and warnings, on stderr."""
    for error in result["errors"]:
        where = f", line {error['line']}" if error["line"] is not None else ""
        console.print(f"[red]skipped[/red] {escape(error['file'])}{where}: "
                      f"{escape(error['message'])}")
    dropped = result["duplicates"]
    found = ", ".join(f"{k} {v}" for k, v in sorted(result["pii"].items())) or "none"
    console.print(
        f"{len(result['files']) - len(result['errors'])} files read, {result['chunks']} chunks: "
        f"{result['created']} items created, {result['unchanged']} already there, "
        f"{dropped['exact']} exact and {dropped['near']} near duplicates dropped; "
        f"personal data replaced: {found}")
    for warning in result["warnings"]:
        console.print(f"[yellow]warning[/yellow] {escape(warning)}")


def register(app: typer.Typer) -> None:
    app.command()(ingest)
