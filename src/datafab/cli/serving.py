"""``datafab migrate``, ``datafab serve``, ``datafab demo`` and ``datafab webhooks …``:
running a Datafab site — its schema, its server, a demo organization to try it with, and the
webhook outbox's deliverer."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from datafab.cli.common import console, operator, shown_url
from datafab.settings import Settings

webhooks_app = typer.Typer(help="Webhooks: the outbox deliverer.", no_args_is_help=True)


def migrate() -> None:
    """Create or upgrade the database schema (DATAFAB_DATABASE_URL)."""
    from datafab.store.migrate import upgrade

    url = Settings().database_url
    upgrade(url)
    console.print(f"database at {shown_url(url)} is up to date")


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
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def demo(
    items: Annotated[int, typer.Option(help="Items in the demo project.")] = 300,
) -> None:
    """Seed a demo organization, a classify project and three contributors."""
    from datafab.services import demo as demo_service

    with operator() as foundry:
        seeded = demo_service.seed(foundry, items)
        port = foundry.settings.port
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


@webhooks_app.command("deliver")
def webhooks_deliver(
    once: Annotated[bool, typer.Option(help="Send what is due now, then exit.")] = False,
) -> None:
    """Deliver webhook events from the outbox (`datafab serve` also does this unless
    DATAFAB_WEBHOOK_DELIVERER is off); prints how many were delivered with --once."""
    from datafab.services.webhooks import Deliverer

    with operator() as foundry:
        deliverer = Deliverer(foundry)
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


def register(app: typer.Typer) -> None:
    """Add the top-level commands (the ``webhooks`` group is added by ``datafab.cli``)."""
    app.command()(migrate)
    app.command()(serve)
    app.command()(demo)
