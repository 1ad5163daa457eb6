"""``datafab items upload``, ``datafab records``, ``datafab lease`` and ``datafab submit``: the
production line from a shell script.

The requester's commands (items, records) read the database like ``datafab import`` and
``datafab export``; the contributor's (lease, submit) talk to the server through the SDK like
``datafab worker``, with the contributor's token. What a script reads goes to standard output
(JSON Lines for records, one JSON document for lease and submit); progress and messages go to
standard error. Exit status 2: an error (for lease and submit, also printed as
``{"error": {"type", "message", "field"}}`` on standard output).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from datafab.cli.common import console, requester
from datafab.cli.options import ApiKey, Server
from datafab.sdk import ApiError, Client

items_app = typer.Typer(help="A project's items.", no_args_is_help=True)

Token = Annotated[str, typer.Option(envvar="DATAFAB_TOKEN", show_default=False,
                                    help="The contributor's token.")]
RECORDS_PAGE = 1000


@items_app.command("upload")
def items_upload(
    api_key: ApiKey,
    file: Annotated[Path, typer.Argument(help="Items: .jsonl (one item object a line) or .csv "
                                         "(an external_id column; other columns are data).",
                                         exists=True, dir_okay=False)],
    project: Annotated[int, typer.Option(help="Project id.")],
    batch_size: Annotated[int, typer.Option(help="Items per batch; each lands whole.")] = 1000,
) -> None:
    """Upload a file of items in batches, with a progress bar. A line that cannot be read
    refuses the file; an item the project refuses stops the upload at its batch, naming the
    line (the batches before it are stored; run again once fixed). Prints the counts as JSON
    on the last line."""
    from datafab.services import item_files

    with requester(api_key) as (foundry, org):
        total = item_files.count_items(file)
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} items"), TimeElapsedColumn(),
                      console=console) as bar:
            task = bar.add_task(f"uploading {file.name}", total=total or None)
            result = item_files.upload_file(foundry, org, project, file, batch_size=batch_size,
                                            on_batch=lambda n: bar.advance(task, n))
    console.print(f"{result.created} items created, {result.unchanged} already there")
    print(json.dumps(result.to_dict()))


def records(
    api_key: ApiKey,
    project: Annotated[int, typer.Option(help="Project id.")],
    output: Annotated[Path | None, typer.Option(help="Write JSON Lines here instead of to "
                                                "standard output.")] = None,
    min_confidence: Annotated[float | None, typer.Option(help="Leave out less confident "
                                                         "records.")] = None,
    final: Annotated[bool, typer.Option(help="Only records of finished items.")] = False,
) -> None:
    """A project's records as JSON Lines (id, item_id, external_id, answer, confidence, method,
    n_submissions, final, details), oldest first."""
    from datafab.services import records as records_service

    with requester(api_key) as (foundry, org):
        pages = _record_pages(records_service, foundry, org, project, min_confidence, final)
        first = next(pages)  # a bad request fails before the output file is opened
        out = output.open("w", encoding="utf-8") if output else sys.stdout
        written = 0
        try:
            for page in _chain(first, pages):
                for row in page:
                    out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
                    written += 1
        finally:
            if output:
                out.close()
    console.print(f"{written} records" + (f" written to {output}" if output else ""))


def _chain(first: list, rest):
    yield first
    yield from rest


def _record_pages(service, foundry, org, project, min_confidence, final):
    cursor = None
    while True:
        page, cursor = service.list_records(foundry, org, project, cursor=cursor,
                                            limit=RECORDS_PAGE, min_confidence=min_confidence,
                                            done_only=final)
        yield page
        if cursor is None:
            return


def lease(
    token: Token,
    project: Annotated[int, typer.Option(help="Project id.")],
    n: Annotated[int, typer.Option(help="How many items to lease.")] = 1,
    server: Server = "http://127.0.0.1:8000",
) -> None:
    """Lease items as a contributor; prints the batch as JSON: {"leases": [{"id", "item":
    {"id", "external_id", "data"}, "expires_at", …}], "state", "reason"}."""
    with Client(server, token) as client:
        _emit(lambda: client.lease_batch(project, n))


def submit(
    token: Token,
    lease_id: Annotated[int | None, typer.Option(
        "--lease", help="The lease to answer; the input is then one submission "
                        '{"answer", "seconds_spent"?, …}. Without it, the input is '
                        '{"submissions": [{"lease_id", "answer", …}]} (all land or none).')]
    = None,
    input: Annotated[Path | None, typer.Option(
        "--input", help="Read the JSON from this file instead of standard input.")] = None,
    server: Server = "http://127.0.0.1:8000",
) -> None:
    """Submit answers as a contributor: JSON in (standard input or --input), the receipt(s)
    as JSON out."""
    try:
        text = input.read_text(encoding="utf-8") if input else sys.stdin.read()
        body = json.loads(text)
    except (OSError, ValueError) as exc:
        _print_error("invalid_input", f"input: not a JSON document ({exc})", "input")
        raise typer.Exit(code=2) from exc
    if not isinstance(body, dict):
        _print_error("invalid_input", "input: expected a JSON object", "input")
        raise typer.Exit(code=2)
    with Client(server, token) as client:
        if lease_id is not None:
            if "answer" not in body:
                _print_error("invalid_input", 'input: a submission is {"answer": {…}, …}',
                             "answer")
                raise typer.Exit(code=2)
            extra = {k: body[k] for k in ("seconds_spent", "draft", "confidence", "usage")
                     if k in body}
            unknown = set(body) - {"answer", *extra}
            if unknown:
                field = sorted(unknown)[0]
                _print_error("invalid_input", f"{field}: not a field of a submission", field)
                raise typer.Exit(code=2)
            _emit(lambda: client.submit(lease_id, body["answer"], **extra))
        else:
            if not isinstance(body.get("submissions"), list):
                _print_error("invalid_input", 'input: expected {"submissions": [{"lease_id", '
                             '"answer"}, …]} (or pass --lease)', "submissions")
                raise typer.Exit(code=2)
            _emit(lambda: {"submissions": client.submit_many(body["submissions"])})


def _emit(call) -> None:
    """Print what ``call()`` answers as JSON; an error as JSON too, with exit status 2."""
    try:
        answer = call()
    except ApiError as exc:
        _print_error(exc.type, exc.message, exc.field, exc.status)
        raise typer.Exit(code=2) from exc
    except httpx.HTTPError as exc:
        _print_error("unreachable", f"server: {exc}", "server")
        raise typer.Exit(code=2) from exc
    print(json.dumps(answer, ensure_ascii=False))


def _print_error(kind: str, message: str, field: str | None, status: int | None = None) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    error: dict[str, Any] = {"type": kind, "message": message, "field": field}
    if status is not None:
        error["status"] = status
    print(json.dumps({"error": error}, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add the top-level commands (the ``items`` group is added by ``datafab.cli``)."""
    app.command("records")(records)
    app.command("lease")(lease)
    app.command("submit")(submit)
