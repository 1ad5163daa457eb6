"""``datafab audit``, ``datafab audit-apply`` and ``datafab select``: find the wrong labels in
a project's data, correct them from a review, and choose what to label next."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from datafab.cli.common import (
    authenticated_organization,
    console,
    failing,
    operator,
    requester,
)
from datafab.cli.options import ApiKey
from datafab.errors import DatafabError, InvalidInput

EmbeddingsUrl = Annotated[str | None, typer.Option(
    "--embeddings-url", help="An OpenAI-compatible API root (…/v1) whose /embeddings gives "
    "the features instead of TF-IDF.")]
EmbeddingsModel = Annotated[str, typer.Option("--embeddings-model",
                                              help="The embedding model to ask for.")]
EmbeddingsKey = Annotated[str | None, typer.Option(
    "--embeddings-key", envvar="DATAFAB_EMBEDDINGS_KEY",
    help="Bearer key for the embeddings endpoint (never stored).")]


def _endpoint(url: str | None, model: str, key: str | None):
    from datafab.services.curation.embeddings import EmbeddingsEndpoint

    return None if url is None else EmbeddingsEndpoint(url, model, key)


def _as_option(exc: DatafabError) -> DatafabError:
    """The error with the field it names written as the command's option (``--review``)."""
    field = exc.field
    if field and exc.message.startswith(f"{field}:"):
        exc.message = f"--{field.replace('_', '-')}{exc.message[len(field):]}"
    return exc


def audit(
    api_key: ApiKey,
    project: Annotated[int, typer.Option(help="Project id.")],
    output: Annotated[Path, typer.Option(help="JSON Lines file of every labelled item, most "
                                         "doubtful first.")],
    review: Annotated[int | None, typer.Option(
        help="Make the top N suspects a review project (people re-label them).")] = None,
    sample: Annotated[int, typer.Option(
        help="With --review: also this many items drawn at random from every labelled item, "
        "to estimate the dataset's error rate.")] = 0,
    embeddings_url: EmbeddingsUrl = None,
    embeddings_model: EmbeddingsModel = "text-embedding-3-small",
    embeddings_key: EmbeddingsKey = None,
) -> None:
    """Rank every labelled item by the probability that its label is wrong."""
    from datafab.services.curation import audit as auditing
    from datafab.services.curation import review as reviewing

    with failing(_as_option):  # checked before the database is opened
        auditing.check_output(output)
        if review is not None and review < 1:
            raise InvalidInput("review: must be at least 1", field="review")
        if sample and review is None:
            raise InvalidInput("sample: only with --review", field="sample")
    with requester(api_key, _as_option) as (foundry, org):
        prepared = auditing.prepare(foundry, org, project)
        if review is not None:  # before the work: a review larger than the project is refused
            reviewing.check_review(len(set(prepared.units.item_ids)), review, sample)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("auditing", total=None)
            report = auditing.run_audit(
                prepared, embeddings=_endpoint(embeddings_url, embeddings_model,
                                               embeddings_key),
                on_progress=lambda done, total: bar.update(task, completed=done, total=total))
        if review is not None:
            report.review = reviewing.create_review(foundry, org, report, review, sample)
        auditing.write_jsonl(report, output)
    console.print(f"{len(report.lines)} items audited ({report.n_units} labels), "
                  f"{report.n_flagged} flagged; written to {output}")
    if report.review is not None:
        console.print(f"review project {report.review['project_id']}: "
                      f"{report.review['suspects']} suspects, {report.review['sample']} sampled")
    print(json.dumps(report.summary()))


def audit_apply(
    api_key: ApiKey,
    project: Annotated[int, typer.Option(help="The review project an audit made.")],
) -> None:
    """Correct the original records from a review project's finished records."""
    from datafab.services.curation import review as reviewing

    with requester(api_key) as (foundry, org):
        result = reviewing.apply_review(foundry, org, project)
    console.print(f"{result['reviewed']} reviewed, {len(result['corrected'])} records "
                  "corrected")
    print(json.dumps(result))


def select(
    api_key: ApiKey,
    project: Annotated[int, typer.Option(help="Project id.")],
    n: Annotated[int, typer.Option("--n", help="How many unlabelled items to choose.")],
    weak_slice: Annotated[list[str] | None, typer.Option(
        help="A weak slice (e.g. domain=math) whose items get a bonus; repeatable.")] = None,
    gap_run: Annotated[int | None, typer.Option(
        help="An eval run whose gap report names the weak slices.")] = None,
    embeddings_url: EmbeddingsUrl = None,
    embeddings_model: EmbeddingsModel = "text-embedding-3-small",
    embeddings_key: EmbeddingsKey = None,
    method: Annotated[str, typer.Option(
        help="What uncertainty is read from: margin (the classifier trained on the labelled "
        "items) or committee (five trained on bootstrap resamples of them).")] = "margin",
) -> None:
    """Choose the unlabelled items to label next and raise their priority."""
    from datafab.services.curation import selection

    with failing(_as_option):  # checked before the database is opened
        selection.check_method(method)
    with operator(_as_option) as foundry, \
            Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                     console=console) as bar:
        bar.add_task("selecting", total=None)
        result = selection.select_items(
            foundry, authenticated_organization(foundry, api_key), project, n,
            weak_slices=weak_slice, gap_run=gap_run,
            embeddings=_endpoint(embeddings_url, embeddings_model, embeddings_key), method=method)
    for row in result["selected"]:
        print(json.dumps(row))
    console.print(f"{len(result['selected'])} items chosen; their priority is raised")


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
    app.command("audit-apply")(audit_apply)
    app.command("select")(select)
