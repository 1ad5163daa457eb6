"""``datafab worker`` and ``datafab candidates``: models at work through the REST API — a
model as a contributor (lease, answer, submit), and models sampled for the responses people
compare or rank. Like any client, they reach Datafab through the SDK."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from datafab import netguard
from datafab.cli.common import console, failing
from datafab.cli.options import (
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
from datafab.models import get_backend
from datafab.models.candidates import Sampling, sample_candidates
from datafab.models.worker import ModelWorker
from datafab.sdk import ApiError, Client
from datafab.settings import Settings


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
    with failing():
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
    with Client(server, token) as client:
        if backend != "learner":
            _check_restricted(client, project, base_url)
        stats = ModelWorker(client, engine, project, batch=batch,
                            concurrency=concurrency).run(forever=forever)
    engine.close()
    print(json.dumps(stats.to_dict()))  # one line a script can read


def _check_restricted(client: Client, project: int, base_url: str) -> None:
    """A restricted project's items go to no model endpoint outside
    DATAFAB_MODEL_ALLOWED_NETWORKS: refuse before leasing anything."""
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
    names = [m.strip() for m in models.split(",") if m.strip()]
    try:
        rows = [json.loads(line) for line in prompts.read_text().splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {prompts}: {exc}")
        raise typer.Exit(code=2) from exc
    sampling = Sampling(n=samples, temperature=temperature, top_p=top_p,
                        max_tokens=max_tokens, seed=seed)
    with failing(), Client(server, api_key) as client:
        result = sample_candidates(client, project, rows, names, sampling,
                                   base_url=base_url, api_key=model_api_key)
    console.print(f"{result['created']} items created, {result['unchanged']} unchanged, "
                  f"{result['skipped']} prompts skipped (a model failed)")
    print(result["created"])


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(candidates)
