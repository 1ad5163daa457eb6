"""The ``datafab`` command. Every command reads the database from ``DATAFAB_DATABASE_URL``
(default ``sqlite:///./datafab.db``); commands that act for a requester read
``DATAFAB_API_KEY``. Scripting commands print the one value a script needs alone on their
last line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from datafab.cli_common import authenticated_organization, fail, open_foundry
from datafab.cli_options import (
    ApiKey,
    BaseUrl,
    Concurrency,
    MaxRetries,
    ModelKey,
    PriceCompletion,
    PricePrompt,
    Server,
    Timeout,
)
from datafab.cli_workforce import contributors_app, invoices_app, payouts_app
from datafab.errors import DatafabError
from datafab.settings import Settings

app = typer.Typer(help="Datafab: a self-hosted data foundry.", no_args_is_help=True)
org_app = typer.Typer(help="Organizations (tenants) and their API keys.", no_args_is_help=True)
contributor_app = typer.Typer(help="Contributors: people and models.", no_args_is_help=True)
project_app = typer.Typer(help="Projects.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(contributor_app, name="contributor")
app.add_typer(project_app, name="project")
app.add_typer(contributors_app, name="contributors")
app.add_typer(payouts_app, name="payouts")
app.add_typer(invoices_app, name="invoices")
from datafab.cli_curation import register as register_curation  # noqa: E402
from datafab.cli_disputes import register as register_disputes  # noqa: E402
from datafab.cli_evals import eval_app  # noqa: E402
from datafab.cli_guidelines import register as register_guidelines  # noqa: E402
from datafab.cli_line import register as register_line  # noqa: E402
from datafab.cli_messages import register as register_messages  # noqa: E402
from datafab.cli_plan import register as register_plan  # noqa: E402
from datafab.cli_primitives import register as register_primitives  # noqa: E402
from datafab.cli_recruiting import register as register_recruiting  # noqa: E402
from datafab.cli_trace import register as register_trace  # noqa: E402
from datafab.cli_value import register as register_value  # noqa: E402

app.add_typer(eval_app, name="eval")
register_line(app)
register_value(app)
register_plan(app)
register_curation(app)
register_primitives(app)
register_guidelines(app)
register_disputes(app)
register_trace(app)
register_messages(app)
register_recruiting(app)

console = Console(stderr=True, soft_wrap=True)



@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (DATAFAB_DATABASE_URL)."""
    from datafab.store.migrate import upgrade

    url = Settings().database_url
    upgrade(url)
    console.print(f"database at {_safe(url)} is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [DATAFAB_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [DATAFAB_PORT].")] = None,
    workers: Annotated[int, typer.Option(help="Server processes (PostgreSQL only).")] = 1,
) -> None:
    """Migrate the database, then serve the API. Beyond loopback it needs
    DATAFAB_SESSION_SECRET and DATAFAB_DATA_KEY; on loopback, keys it makes itself are kept in
    a key file beside the database."""
    from datafab.server import serve as run_server
    from datafab.services.site_keys import key_file, missing_keys
    from datafab.store.migrate import upgrade

    settings = Settings()
    host, port = host or settings.host, port or settings.port
    missing = missing_keys(settings)
    if missing and not _loopback(host):
        console.print(
            f"[red]error:[/red] serving on {host} (beyond this machine) needs "
            f"{' and '.join(missing)}: set each to a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, and keep them "
            "apart from the database and its backups (docs/reliability.md)")
        raise typer.Exit(code=2)
    upgrade(settings.database_url)
    if missing:
        console.print(
            f"[yellow]warning:[/yellow] {' and '.join(missing)} unset: keys made for them are "
            f"kept in {key_file(settings)} (owner only). Fine on loopback; set both to serve "
            "beyond it, and back that file up with the database.")
    if workers > 1 and settings.database_url.startswith("sqlite"):
        console.print("SQLite has one writer: serving with one process")
        workers = 1
    console.print(f"Datafab on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    run_server(host, port, workers, settings.trusted_proxies)


def _loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command()
def demo(
    items: Annotated[int, typer.Option(help="Items in the demo project.")] = 300,
) -> None:
    """Seed a demo organization, a classify project and three contributors."""
    from datafab.services import demo as demo_service

    foundry = open_foundry()
    seeded = demo_service.seed(foundry, items)
    port = Settings().port
    what = "Created" if seeded.created else "Demo data already present; fresh credentials for"
    console.print(f"[bold]{what} the demo organization[/bold] (project {seeded.project_id}).")
    console.print("These secrets are shown once; Datafab stores only their hashes.\n")
    console.print(f"  requester API key:  [green]{seeded.api_key}[/green]")
    for name, token in seeded.contributor_tokens.items():
        console.print(f"  contributor token ({name}):  {token}")
    console.print(
        "\nTry, once the server runs:\n"
        f"  curl -H 'Authorization: Bearer {seeded.api_key}' "
        f"http://127.0.0.1:{port}/v1/projects/{seeded.project_id}/progress\n"
        f"  open http://127.0.0.1:{port}/docs for the whole API\n"
        f"  open http://127.0.0.1:{port}/signup to work as a contributor in the browser, and\n"
        f"  http://127.0.0.1:{port}/dashboard (log in with the API key) to watch the project"
    )


@org_app.command("create")
def org_create(name: str) -> None:
    """Create an organization; prints its API key alone on the last line."""
    from datafab.services.accounts import create_organization

    try:
        org, key = create_organization(open_foundry(), name)
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"organization {org} created; its API key (shown once):")
    print(key)


org_key_app = typer.Typer(help="An organization's API keys (operator).", no_args_is_help=True)
org_app.add_typer(org_key_app, name="key")


@org_key_app.command("create")
def org_key_create(
    organization: Annotated[int, typer.Argument(help="The organization's id.")],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "operator",
) -> None:
    """Mint another API key for an existing organization (say, after it lost its keys);
    prints the key alone on the last line, once."""
    from datafab.services.accounts import create_api_key

    try:
        described, key = create_api_key(open_foundry(), organization, name, actor="cli (operator)")
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"API key {described['id']} ({described['prefix']}…) created for "
                  f"organization {organization}; shown once:")
    print(key)


@contributor_app.command("create")
def contributor_create(
    name: str,
    skills: Annotated[str, typer.Option(
        help="Comma-separated skills, each with an optional level: en,fr:fluent,"
        "medicine/cardiology:professional (a language is basic, fluent or native; a domain "
        "familiar, professional or expert).")] = "",
    kind: Annotated[str, typer.Option(help="human or model.")] = "human",
) -> None:
    """Create a contributor; prints their token alone on the last line."""
    from datafab.services.profiles import create_with_skills

    try:
        who, token = create_with_skills(open_foundry(), name, kind, skills)
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"contributor {who.id} created; their token (shown once):")
    print(token)


@contributor_app.command("clear")
def contributor_clear(
    contributor_id: int,
    level: Annotated[str, typer.Option(help="confidential or restricted (restricted covers "
                                       "confidential).")],
    until: Annotated[str | None, typer.Option(help="When it expires: a date (2026-12-01), an "
                                              "ISO time or UNIX seconds; none: until "
                                              "changed.")] = None,
) -> None:
    """Clear a contributor (person or model) to see confidential or restricted projects;
    recorded in the audit log. Replaces their previous clearance."""
    from datafab.services.clearances import grant

    try:
        done = grant(open_foundry(), contributor_id, level, until, actor="cli (operator)")
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"contributor {contributor_id} cleared: {level}"
                  + (f" until {until}" if until else ""))
    print(json.dumps(done))


@contributor_app.command("erase")
def contributor_erase(
    contributor_id: int,
    answers: Annotated[bool, typer.Option(
        "--answers", help="Also delete their answers; the records they fed are recomputed.")
    ] = False,
) -> None:
    """Erase a contributor's personal data (name, e-mail, password, profile, token); pay
    ledger amounts stay under their bare id. One transaction."""
    from datafab.services.erasure import erase_contributor

    try:
        done = erase_contributor(open_foundry(), contributor_id, answers=answers, actor="cli")
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"contributor {contributor_id} erased: {done['submissions_deleted']} "
                  f"answers deleted, {done['items_recomputed']} items recomputed")
    print(contributor_id)


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
        try:
            extra = json.loads(settings.read_text())
        except (OSError, ValueError) as exc:
            console.print(f"[red]error:[/red] {settings}: {exc}")
            raise typer.Exit(code=2) from exc
        if not isinstance(extra, dict):
            console.print(f"[red]error:[/red] {settings}: expected a JSON object")
            raise typer.Exit(code=2)
        body.update(extra)
    try:
        foundry = open_foundry()
        project = create_project(foundry, authenticated_organization(foundry, api_key), body)
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"project {project.name!r} created ({project.primitive_name})")
    print(project.id)


@app.command()
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

    try:
        foundry = open_foundry()
        org = authenticated_organization(foundry, api_key)
        counts = projects.progress(foundry, org, project)
        total = counts["items"] if include_open else counts["done"]
        with _progress() as bar:
            task = bar.add_task("exporting", total=total or None)
            written = exports.audited_export(
                foundry, org, project, format, actor=f"cli, api key {shown_prefix(api_key)}",
                path=output, min_confidence=min_confidence, include_open=include_open,
                on_row=lambda: bar.advance(task),
            ).rows
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"{written} rows written to {output}")


@app.command("import")
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

    try:
        foundry = open_foundry()
        org = authenticated_organization(foundry, api_key)
        with _progress() as bar:
            task = bar.add_task("importing", total=None)
            result = imports.import_file(
                foundry, org, project, format, lambda: imports.file_lines(file, format),
                on_batch=lambda n: bar.advance(task, n), strict=strict,
            )
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(
        f"{result.created} items created, {result.unchanged} already there, "
        f"{result.prior_answers} prior answers recorded, {result.skipped_total} lines skipped"
    )
    if result.skipped_total:
        from rich.table import Table

        table = Table("line", "reason", title=f"skipped lines of {file.name}")
        for skipped in result.skipped:
            table.add_row(str(skipped.line), skipped.reason)
        console.print(table)
        if result.skipped_total > len(result.skipped):
            console.print(f"… and {result.skipped_total - len(result.skipped)} more")
        raise typer.Exit(code=3)


@app.command()
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

    sources = [ingesting.Source(p, str(p)) for p in _expand(paths)]
    options = {"chunk_by": chunk_by, "chunk_size": chunk_size, "chunk_unit": chunk_unit,
               "text_field": text_field, "near_duplicates": near_duplicates,
               "threshold": threshold, "workers": workers}
    try:
        foundry = open_foundry()
        org = authenticated_organization(foundry, api_key)
        total = sum(s.path.stat().st_size for s in sources if s.path.is_file())
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      DownloadColumn(), TransferSpeedColumn(), TimeElapsedColumn(),
                      console=console) as bar:
            task = bar.add_task("ingesting", total=total or None)
            result = ingesting.ingest_files(foundry, org, project, sources, options,
                                            on_progress=lambda n: bar.advance(task, n),
                                            engine=engine, scheduler=scheduler)
    except DatafabError as exc:
        raise fail(exc) from exc
    for error in result["errors"]:
        where = f", line {error['line']}" if error["line"] is not None else ""
        console.print(f"[red]skipped[/red] {error['file']}{where}: {error['message']}")
    dropped = result["duplicates"]
    found = ", ".join(f"{k} {v}" for k, v in sorted(result["pii"].items())) or "none"
    console.print(
        f"{len(result['files']) - len(result['errors'])} files read, {result['chunks']} chunks: "
        f"{result['created']} items created, {result['unchanged']} already there, "
        f"{dropped['exact']} exact and {dropped['near']} near duplicates dropped; "
        f"personal data replaced: {found}")
    for warning in result["warnings"]:
        console.print(f"[yellow]warning[/yellow] {warning}")
    if report is not None:
        report.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(result["run_id"])
    if result["errors"]:
        raise typer.Exit(code=1)


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given, and the files under folders (sorted, hidden ones left out)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()
                              and not any(part.startswith(".") for part in f.parts)))
        else:
            out.append(p)
    return out


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

    try:
        foundry = open_foundry()
        org = authenticated_organization(foundry, api_key)
        policy = ingesting.set_policy(foundry, org, project,
                                      {"redact": redact, "replacement": replacement})
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"project {project}: redact={policy.redact}, replacement={policy.replacement}")


@org_app.command("keep-originals")
def org_keep_originals(
    api_key: ApiKey,
    keep: Annotated[bool, typer.Option("--on/--off", help="Keep the text before redaction, "
                                       "encrypted, visible only to this organization.")],
) -> None:
    """Opt the organization in (or out) of keeping ingested originals, encrypted at rest."""
    from datafab.services import ingest as ingesting

    try:
        foundry = open_foundry()
        ingesting.set_keep_originals(foundry, authenticated_organization(foundry, api_key), keep)
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"originals are {'kept, encrypted' if keep else 'not kept'}")




@app.command()
def worker(
    model: Annotated[str, typer.Option(help="The model's name at its endpoint (or a label "
                                       "for the built-in learner).")],
    project: Annotated[int, typer.Option(help="Project id.")],
    token: Annotated[str, typer.Option(envvar="DATAFAB_TOKEN", show_default=False,
                                       help="The model contributor's token.")],
    server: Server = "http://127.0.0.1:8000",
    backend: Annotated[str, typer.Option(help="Model backend: openai (any OpenAI-compatible "
                                         "endpoint) or learner (built in).")] = "openai",
    base_url: BaseUrl = "http://127.0.0.1:8080/v1",
    model_api_key: ModelKey = "none",
    api_key: Annotated[str | None, typer.Option(envvar="DATAFAB_API_KEY", show_default=False,
                                                help="Requester key: the learner reads the "
                                                "project's records with it.")] = None,
    timeout: Timeout = 60.0,
    max_retries: MaxRetries = 3,
    concurrency: Concurrency = 4,
    batch: Annotated[int, typer.Option(help="Leases per request to Datafab.")] = 8,
    price_prompt: PricePrompt = 0.0,
    price_completion: PriceCompletion = 0.0,
    forever: Annotated[bool, typer.Option(help="Keep polling for work.")] = False,
) -> None:
    """Run a model as a contributor: lease, answer, submit through the REST API."""
    from datafab.models import get_backend
    from datafab.models.worker import ModelWorker
    from datafab.sdk import Client

    try:
        cls = get_backend(backend)
        if backend == "learner":
            if not api_key:
                console.print("[red]error:[/red] the learner needs --api-key to read records")
                raise typer.Exit(code=2)
            engine = cls(model=model, server=server, api_key=api_key, project=project)
        else:
            engine = cls(model=model, base_url=base_url, api_key=model_api_key,
                         timeout=timeout, max_retries=max_retries, concurrency=concurrency,
                         price_prompt=price_prompt, price_completion=price_completion)
    except DatafabError as exc:
        raise fail(exc) from exc
    with Client(server, token) as client:
        if backend != "learner":
            _check_restricted(client, project, base_url)
        stats = ModelWorker(client, engine, project, batch=batch,
                            concurrency=concurrency).run(forever=forever)
    engine.close()
    print(json.dumps(stats.to_dict()))  # one line a script can read


def _check_restricted(client, project: int, base_url: str) -> None:
    """A restricted project's items go to no model endpoint outside
    DATAFAB_MODEL_ALLOWED_NETWORKS: refuse before leasing anything."""
    from urllib.parse import urlsplit

    from datafab import netguard
    from datafab.sdk import ApiError
    from datafab.settings import Settings

    try:
        sensitivity = client.instructions(project).get("sensitivity", "standard")
    except ApiError:
        return  # not visible to this model: the lease answers why
    if sensitivity != "restricted":
        return
    try:
        spec = Settings().model_allowed_networks
        parts = urlsplit(base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=2) from exc
    why = netguard.model_refusal(parts.hostname or "", port, spec)
    if why is not None:
        console.print(f"[red]error:[/red] project {project} is restricted and --base-url "
                      f"{base_url} may not receive its items: {why} "
                      f"({netguard.MODEL_SETTING})", highlight=False)
        raise typer.Exit(code=2)


@app.command()
def candidates(
    project: Annotated[int, typer.Option(help="The compare or rank project to fill.")],
    models: Annotated[str, typer.Option(help="Comma-separated model names, e.g. a,b.")],
    prompts: Annotated[Path, typer.Option(help="JSONL of bare prompts: {external_id, "
                                          "prompt, system?}.")],
    api_key: ApiKey,
    server: Server = "http://127.0.0.1:8000",
    base_url: Annotated[str, typer.Option(envvar="DATAFAB_MODEL_BASE_URL",
                                          help="The endpoint's /v1 URL.")]
    = "http://127.0.0.1:8080/v1",
    model_api_key: Annotated[str, typer.Option(envvar="DATAFAB_MODEL_API_KEY",
                                               show_default=False,
                                               help="The endpoint's API key.")] = "none",
    samples: Annotated[int, typer.Option(help="Responses per model and prompt.")] = 1,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.8,
    top_p: Annotated[float | None, typer.Option(help="Nucleus sampling.")] = None,
    max_tokens: Annotated[int, typer.Option(help="Longest response.")] = 1024,
    seed: Annotated[int | None, typer.Option(help="Sampling seed, where served.")] = None,
) -> None:
    """Sample responses from models for bare prompts; upload them as compare/rank items.
    Prints how many items were created alone on the last line."""
    from datafab.models.candidates import Sampling, sample_candidates
    from datafab.sdk import Client

    names = [m.strip() for m in models.split(",") if m.strip()]
    try:
        rows = [json.loads(line) for line in prompts.read_text().splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {prompts}: {exc}")
        raise typer.Exit(code=2) from exc
    sampling = Sampling(n=samples, temperature=temperature, top_p=top_p,
                        max_tokens=max_tokens, seed=seed)
    try:
        with Client(server, api_key) as client:
            result = sample_candidates(client, project, rows, names, sampling,
                                       base_url=base_url, api_key=model_api_key)
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"{result['created']} items created, {result['unchanged']} unchanged, "
                  f"{result['skipped']} prompts skipped (a model failed)")
    print(result["created"])


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write (must be new).")],
) -> None:
    """Back up the SQLite database while it serves (SQLite's online backup API). For
    PostgreSQL use pg_dump (docs/reliability.md)."""
    from datafab.services import backup as backups

    url = Settings().database_url
    try:
        with _progress() as bar:
            task = bar.add_task("backing up", total=None)
            pages = backups.backup(url, file, lambda done, total: bar.update(
                task, completed=done, total=total))
    except DatafabError as exc:
        raise fail(exc) from exc
    console.print(f"{_safe(url)} backed up to {file} ({pages} pages)")
    print(file)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A file `datafab backup` wrote.")],
    replace: Annotated[bool, typer.Option(help="Overwrite an existing database.")] = False,
) -> None:
    """Restore a backup into the SQLite database (stop `datafab serve` first), then bring its
    schema up to date."""
    from datafab.services import backup as backups
    from datafab.store.migrate import upgrade

    url = Settings().database_url
    try:
        with _progress() as bar:
            task = bar.add_task("restoring", total=None)
            backups.restore(file, url, replace=replace, on_progress=lambda done, total:
                            bar.update(task, completed=done, total=total))
    except DatafabError as exc:
        raise fail(exc) from exc
    upgrade(url)
    console.print(f"{file} restored into {_safe(url)}")


webhooks_app = typer.Typer(help="Webhooks: the outbox deliverer.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command("deliver")
def webhooks_deliver(
    once: Annotated[bool, typer.Option(help="Send what is due now, then exit.")] = False,
) -> None:
    """Deliver webhook events from the outbox (`datafab serve` also does this unless
    DATAFAB_WEBHOOK_DELIVERER is off); prints how many were delivered with --once."""
    from datafab.services.webhooks import Deliverer

    deliverer = Deliverer(open_foundry())
    if once:
        delivered = deliverer.drain()
        deliverer.stop()
        console.print(f"{delivered} deliveries succeeded")
        print(delivered)
        return
    console.print("delivering webhooks; Ctrl-C to stop")
    try:
        deliverer.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        deliverer.stop()


class _Count(ProgressColumn):
    """``done/total`` while the total is known and holds, else ``done`` alone: never
    ``2/None``, never ``805/785``."""

    def render(self, task: Task) -> Text:
        done = int(task.completed)
        if task.total is None or done > task.total:
            return Text(str(done))
        return Text(f"{done}/{int(task.total)}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), _Count(), TimeElapsedColumn(),
        console=console,
    )


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
