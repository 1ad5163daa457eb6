"""``datafab eval …``: evaluations from the command line, through the REST API (``--server``,
``DATAFAB_URL``) with a requester key (``DATAFAB_API_KEY``). Each command prints JSON (or,
for those that make something, its id alone on the last line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from datafab.cli.common import console, fail, failing
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
from datafab.errors import DatafabError
from datafab.models import get_backend
from datafab.models.evaluator import EvalRunner, Judge
from datafab.sdk import Client

eval_app = typer.Typer(help="Evaluations: eval sets, runs, grading, leaderboards, gaps.",
                       no_args_is_help=True)


def _client(server: str, api_key: str) -> Client:
    return Client(server, api_key)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        console.print(f"[red]error:[/red] {path}: {exc}")
        raise typer.Exit(code=2) from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError as exc:
            console.print(f"[red]error:[/red] {path}:{number}: not JSON ({exc})")
            raise typer.Exit(code=2) from exc
    return rows


def _project_ids(raw: str | None, option: str) -> list[int]:
    """``"3,5"`` as project ids, or exit 2 naming the option and the bad entry."""
    out = []
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        try:
            out.append(int(part))
        except ValueError as exc:
            console.print(f"[red]error:[/red] {option}: {part.strip()!r} is not a project id")
            raise typer.Exit(code=2) from exc
        if out[-1] < 1:
            console.print(f"[red]error:[/red] {option}: {out[-1]} is not a project id")
            raise typer.Exit(code=2)
    return out


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=console)


def _backend(model: str, base_url: str, model_api_key: str, timeout: float,
             max_retries: int, concurrency: int, price_prompt: float, price_completion: float):
    return get_backend("openai")(model=model, base_url=base_url, api_key=model_api_key,
                                 timeout=timeout, max_retries=max_retries,
                                 concurrency=concurrency, price_prompt=price_prompt,
                                 price_completion=price_completion)


@eval_app.command("create")
def create(
    name: str,
    items: Annotated[Path, typer.Option(help="JSONL of eval items: {external_id, prompt, "
                                        "reference?, slices?}.")],
    api_key: ApiKey,
    server: Server = "http://127.0.0.1:8000",
    description: Annotated[str, typer.Option(help="What the set measures.")] = "",
) -> None:
    """Create an eval set from a JSONL file; prints its id alone on the last line."""
    rows = _jsonl(items)
    with failing(), _client(server, api_key) as client:
        made = client.create_eval_set(name, rows, description=description)
    console.print(f"eval set {made['id']}: {made['items']} items, slices {made['slices']}")
    print(made["id"])


@eval_app.command("run")
def run(
    eval_set: Annotated[int, typer.Option("--set", help="Eval set id.")],
    model: Annotated[str, typer.Option(help="The model's name at its endpoint.")],
    api_key: ApiKey,
    server: Server = "http://127.0.0.1:8000",
    name: Annotated[str | None, typer.Option(help="Run name (default: the model's); the "
                                             "same name resumes a run.")] = None,
    base_url: BaseUrl = "http://127.0.0.1:8080/v1",
    model_api_key: ModelKey = "none",
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.0,
    max_tokens: Annotated[int, typer.Option(help="Longest response.")] = 1024,
    seed: Annotated[int | None, typer.Option(help="Sampling seed, where served.")] = None,
    timeout: Timeout = 60.0,
    max_retries: MaxRetries = 3,
    concurrency: Concurrency = 4,
    price_prompt: PricePrompt = 0.0,
    price_completion: PriceCompletion = 0.0,
    trained_on: Annotated[str | None, typer.Option(
        help="Comma-separated ids of the data projects the model was trained on (the "
        "dataset-value table credits them).")] = None,
    family: Annotated[str | None, typer.Option(
        help="The model family this model is a version of (default: the model's "
        "name).")] = None,
) -> None:
    """Run a model over an eval set (resumable); prints the run id alone on the last line."""
    data = _project_ids(trained_on, "trained-on")
    params = {"temperature": temperature, "max_tokens": max_tokens, "seed": seed}
    with failing():
        backend = _backend(model, base_url, model_api_key, timeout, max_retries, concurrency,
                           price_prompt, price_completion)
        with _client(server, api_key) as client, _progress() as bar:
            started = client.start_eval_run(eval_set, model, name=name, params=params,
                                            family=family, trained_on=data)
            task = bar.add_task(f"{started['name']}", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            stats = EvalRunner(client, backend, started["id"], concurrency=concurrency,
                               temperature=temperature, max_tokens=max_tokens, seed=seed,
                               on_progress=tick).run()
        backend.close()
    console.print(json.dumps(stats.to_dict()))
    print(started["id"])


@eval_app.command("judge")
def judge(
    eval_set: Annotated[int, typer.Option("--set", help="Eval set id.")],
    model: Annotated[str, typer.Option(help="The judge model's name at its endpoint.")],
    api_key: ApiKey,
    server: Server = "http://127.0.0.1:8000",
    base_url: BaseUrl = "http://127.0.0.1:8080/v1",
    model_api_key: ModelKey = "none",
    timeout: Timeout = 60.0,
    max_retries: MaxRetries = 3,
    concurrency: Concurrency = 4,
) -> None:
    """Grade the set's rubric and pairwise-only responses with a judge model."""
    with failing():
        backend = _backend(model, base_url, model_api_key, timeout, max_retries, concurrency,
                           0.0, 0.0)
        with _client(server, api_key) as client, _progress() as bar:
            task = bar.add_task(f"judge {model}", total=None)
            stats = Judge(client, backend, eval_set, model, concurrency=concurrency,
                          on_progress=lambda n: bar.update(task, completed=n)).run()
        backend.close()
    print(json.dumps(stats.to_dict()))


@eval_app.command("grading")
def grading(
    eval_set: Annotated[int, typer.Option("--set", help="Eval set id.")],
    kind: Annotated[str, typer.Option(help="grade (rubric scores) or compare (pairwise).")],
    runs: Annotated[str, typer.Option(help="Comma-separated run ids.")],
    api_key: ApiKey,
    server: Server = "http://127.0.0.1:8000",
    rubric: Annotated[Path | None, typer.Option(help="JSON rubric for items without "
                                                "one.")] = None,
    min_labels: Annotated[int, typer.Option(help="People per response or pair.")] = 1,
) -> None:
    """Create the project people grade or compare the runs in; prints its id last."""
    criteria = json.loads(rubric.read_text()) if rubric is not None else None
    try:
        with _client(server, api_key) as client:
            made = client.create_eval_grading(
                eval_set, kind, [int(r) for r in runs.split(",") if r.strip()],
                rubric=criteria, min_labels=min_labels)
    except (DatafabError, ValueError) as exc:
        if isinstance(exc, ValueError):
            console.print(f"[red]error:[/red] runs: {exc}")
            raise typer.Exit(code=2) from exc
        raise fail(exc) from exc
    console.print(f"project {made['project_id']} ({made['primitive']}): {made['items']} items")
    print(made["project_id"])


@eval_app.command("leaderboard")
def leaderboard(
    eval_set: Annotated[int, typer.Option("--set", help="Eval set id.")],
    api_key: ApiKey,
    server: Server = "http://127.0.0.1:8000",
    method: Annotated[str, typer.Option(help="mean or bradley_terry.")] = "mean",
    rounds: Annotated[int, typer.Option(help="Bootstrap rounds.")] = 1000,
) -> None:
    """The leaderboard as JSON (a table on stderr)."""
    with failing(), _client(server, api_key) as client:
        board = client.leaderboard(eval_set, method=method, rounds=rounds)
    for row in board["models"]:
        lo, hi = row["ci"]
        ungraded = f"  ungraded={row['ungraded']}" if row.get("ungraded") else ""
        console.print(f"{row['rank']:>3}  {row['name']:<30} {row['score']:.3f} "
                      f"[{lo:.3f}, {hi:.3f}]  n={row['n']}{ungraded}")
    for note in board.get("notes", []):
        console.print(f"[yellow]note:[/yellow] {note}")
    print(json.dumps(board))


@eval_app.command("gaps")
def gaps(
    run_id: Annotated[int, typer.Option("--run", help="Eval run id.")],
    api_key: ApiKey,
    server: Server = "http://127.0.0.1:8000",
    low: Annotated[float, typer.Option(help="A slice scoring surely below this is a "
                                       "gap.")] = 0.6,
) -> None:
    """The run's gap report as JSON."""
    with failing(), _client(server, api_key) as client:
        report = client.gap_report(run_id, low=low)
    for gap in report["gaps"]:
        console.print(f"{gap['slice']:<30} {gap['score']:.3f} [{gap['ci'][0]:.3f}, "
                      f"{gap['ci'][1]:.3f}]  best {gap['best_model']} {gap['best_score']:.3f}")
    for up in report.get("improved", []):
        before = up["earlier"]
        console.print(f"improved {up['slice']:<21} {before['score']:.3f} ({before['name']}) -> "
                      f"{up['score']:.3f}{'  gap closed' if up['closed'] else ''}")
    print(json.dumps(report))


@eval_app.command("order")
def order(
    run_id: Annotated[int, typer.Option("--run", help="Eval run id.")],
    slice_: Annotated[str, typer.Option("--slice", help="A gap's slice, e.g. domain=math.")],
    api_key: ApiKey,
    server: Server = "http://127.0.0.1:8000",
    items: Annotated[int, typer.Option(help="Most writing tasks to create.")] = 50,
) -> None:
    """Turn a gap into a data project; prints the project id alone on the last line."""
    with failing(), _client(server, api_key) as client:
        made = client.order_data(run_id, slice_, items=items)
    console.print(f"project {made['project_id']}: {made['items']} writing tasks, skills "
                  f"{made['required_skills']}")
    print(made["project_id"])


@eval_app.command("value")
def value(
    eval_set: Annotated[int, typer.Option("--set", help="Eval set id.")],
    api_key: ApiKey,
    server: Server = "http://127.0.0.1:8000",
    rounds: Annotated[int, typer.Option(help="Bootstrap rounds.")] = 1000,
) -> None:
    """Which data bought the most capability per hour, as JSON (a table on stderr)."""
    with failing(), _client(server, api_key) as client:
        table = client.data_value(eval_set, rounds=rounds)
    for row in table["rows"]:
        per_hour = row["gain_per_hour"]
        console.print(f"{row['name']:<24} {row['slice']:<24} gain {row['gain']:+.3f} over "
                      f"{row['previous']['name']}  {row['hours']:.2f} h  "
                      f"{'–' if per_hour is None else f'{per_hour:+.3f}/h'}  data {row['data']}")
    print(json.dumps(table))


# A chart written to a file has no page stylesheet around it: it carries its own.
_CHART_STYLE = ("<style>.line{fill:none;stroke:#1f5f8b;stroke-width:2}.dot{fill:#1f5f8b}"
                ".grid,.axis{stroke:#ccc}text{font:11px sans-serif;fill:#333}</style>")


@eval_app.command("curve")
def curve(
    project: Annotated[int, typer.Option(help="A single-label classify project.")],
    api_key: ApiKey,
    server: Server = "http://127.0.0.1:8000",
    points: Annotated[int, typer.Option(help="Checkpoints on the curve (2-50).")] = 6,
    holdout: Annotated[float, typer.Option(help="Share of records held out as the test "
                                           "set (0.05-0.5).")] = 0.25,
    svg: Annotated[Path | None, typer.Option(help="Also draw the curve into this SVG "
                                             "file.")] = None,
) -> None:
    """The built-in learner trained on the project's records as they accumulated: held-out
    accuracy against people's hours, as JSON (a table on stderr)."""
    try:
        from datafab.models.learning_curve import learning_curve
    except ImportError as exc:
        console.print("[red]error:[/red] the learner needs scikit-learn: "
                      "pip install 'datafab[learner]'")
        raise typer.Exit(code=2) from exc
    try:
        with _client(server, api_key) as client:
            found = learning_curve(client, project, points=points, holdout=holdout)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from exc
    except DatafabError as exc:
        raise fail(exc) from exc
    for p in found["points"]:
        console.print(f"{p['records']:>6} records  {p['hours']:8.2f} h  accuracy "
                      f"{p['accuracy']:.3f}  gain {p['gain']:+.3f}  majority {p['majority']:.3f}")
    if svg is not None:
        svg.write_text(_curve_svg(found), encoding="utf-8")
    print(json.dumps(found))


def _curve_svg(found: dict[str, Any]) -> str:
    from datafab.web.evals import learning_curve_chart

    chart = learning_curve_chart(found)
    head, _, rest = str(chart).partition(">")
    return f"{head}>{_CHART_STYLE}{rest}\n"
