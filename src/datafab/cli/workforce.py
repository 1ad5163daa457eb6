"""``datafab contributors …``, ``datafab payouts …`` and ``datafab invoices …``: workforce
operations for operators and requesters. Each prints a summary on stderr and its result as
JSON on stdout, for scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from datafab.cli.common import console, emit, json_object, operator, requester
from datafab.cli.options import ApiKey
from datafab.errors import DatafabError

contributors_app = typer.Typer(help="A project's contributors: policy, standing, review, "
                               "probation and removal, flags.", no_args_is_help=True)
payouts_app = typer.Typer(help="Contributor pay: payout runs per period and statements.",
                          no_args_is_help=True)
invoices_app = typer.Typer(help="Organization billing: price sheet, usage and invoices.",
                           no_args_is_help=True)

When = Annotated[str, typer.Option(help="A date (2026-12-01), an ISO time, or UNIX seconds.")]


def _run(action, api_key: str | None = None) -> Any:
    """``action(foundry, organization)`` in the shared runner (the organization of the API
    key, or None for an operator's command)."""
    if api_key is None:
        with operator() as foundry:
            return action(foundry, None)
    with requester(api_key) as (foundry, org):
        return action(foundry, org)


def _when(value: str, field: str) -> float:
    from datafab.services.moments import parse_moment

    try:
        return parse_moment(value, field)
    except DatafabError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(code=2) from exc


# -- contributors --------------------------------------------------------------------------------


@contributors_app.command("policy")
def contributors_policy(
    project_id: int, api_key: ApiKey,
    file: Annotated[Path | None, typer.Option(help="JSON file: requirements, qualification, "
                                              "max_share, performance, pay, budget_minor.")]
    = None,
) -> None:
    """Show the project's workforce policy, or replace it from a JSON file."""
    from datafab.services import workforce

    body = json_object(file) if file is not None else None
    result = _run(lambda f, org: workforce.set_policy(f, org, project_id, body) if body
                  is not None else workforce.get_policy(f, org, project_id), api_key)
    emit(result)


@contributors_app.command("list")
def contributors_list(project_id: int, api_key: ApiKey) -> None:
    """Contributors of a project: standing, qualification, gold accuracy with its interval,
    the quality engine's estimate."""
    from datafab.services import workforce

    shown = _run(lambda f, org: workforce.standings(f, org, project_id), api_key)
    table = Table("id", "contributor", "standing", "qualification", "gold", "accuracy",
                  "interval", "engine")
    for s in shown:
        table.add_row(str(s.contributor_id), s.contributor, s.standing, s.qualification,
                      f"{s.gold_correct}/{s.gold_seen}", _pct(s.accuracy),
                      f"{_pct(s.interval[0])}–{_pct(s.interval[1])}" if s.interval else "",
                      _pct(s.engine_accuracy))
    console.print(table)
    emit([s.to_dict() for s in shown])


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


@contributors_app.command("review")
def contributors_review(project_id: int, api_key: ApiKey) -> None:
    """Apply the project's bar: probation, removal, reinstatement; raise flags."""
    from datafab.services import workforce

    actions = _run(lambda f, org: workforce.review(f, org, project_id), api_key)
    console.print(f"{len(actions)} actions")
    emit(actions)


@contributors_app.command("standing")
def contributors_standing(
    project_id: int, contributor_id: int,
    standing: Annotated[str, typer.Argument(help="active, probation or removed.")],
    api_key: ApiKey,
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
) -> None:
    """Put a contributor on probation, back to active, or remove them from the project
    (their open leases return to the pool; their answers on unresolved items stop counting)."""
    from datafab.services import workforce

    emit(_run(lambda f, org: workforce.set_standing(f, org, project_id, contributor_id,
                                                     standing, reason), api_key))


@contributors_app.command("flags")
def contributors_flags(project_id: int, api_key: ApiKey) -> None:
    """Signals of bad work raised for operators: too fast, straight-lining, copy-paste."""
    from datafab.services import workforce

    emit(_run(lambda f, org: workforce.flags(f, org, project_id), api_key))


# -- an organization's own pool ---------------------------------------------------------------

PoolKey = Annotated[str | None, typer.Option(
    "--api-key", envvar="DATAFAB_API_KEY", show_default=False,
    help="The organization's API key (or, as an operator, --organization).")]
PoolOrg = Annotated[int | None, typer.Option(
    help="The organization's id, for an operator acting without its API key.")]


def _pool_run(action, api_key: str | None, organization: int | None) -> Any:
    """``action(foundry, organization)`` for the organization of the API key, or the one an
    operator names; exactly one of the two."""
    if (api_key is None) == (organization is None):
        console.print("[red]error:[/red] give the organization's --api-key, or "
                      "--organization as an operator (not both)")
        raise typer.Exit(code=2)
    if api_key is not None:
        return _run(action, api_key)
    return _run(lambda f, _org: action(f, organization))


@contributors_app.command("admit")
def contributors_admit(contributor_id: int, api_key: PoolKey = None,
                       organization: PoolOrg = None) -> None:
    """Admit a contributor to the organization's own pool: its projects with
    "pool": "private" are open to members only."""
    from datafab.services import pools

    by = "cli (operator)" if api_key is None else "cli"
    emit(_pool_run(lambda f, org: pools.admit(f, org, contributor_id, actor=by),
                    api_key, organization))


@contributors_app.command("dismiss")
def contributors_dismiss(contributor_id: int, api_key: PoolKey = None,
                         organization: PoolOrg = None) -> None:
    """Take a contributor out of the organization's pool; its private projects are gone
    for them."""
    from datafab.services import pools

    by = "cli (operator)" if api_key is None else "cli"
    emit(_pool_run(lambda f, org: pools.dismiss(f, org, contributor_id, actor=by),
                    api_key, organization))


@contributors_app.command("pool")
def contributors_pool(api_key: PoolKey = None, organization: PoolOrg = None) -> None:
    """The organization's pool, oldest admission first."""
    from datafab.services import pools

    emit(_pool_run(lambda f, org: pools.members(f, org), api_key, organization))


@contributors_app.command("invite")
def contributors_invite(
    api_key: PoolKey = None, organization: PoolOrg = None,
    uses: Annotated[int, typer.Option(help="How many sign-ups the code admits.")] = 1,
    days: Annotated[float, typer.Option(help="Days the code stays good.")] = 14,
) -> None:
    """An invitation code into the pool, printed alone on the last line (shown once): whoever
    signs up at /signup?invite=CODE joins the pool."""
    from datafab.services import pools

    made = _pool_run(lambda f, org: pools.invite(
        f, org, {"uses": uses, "expires_in_days": days}), api_key, organization)
    console.print(f"invitation {made.id}: {made.uses} use(s), shown once:")
    print(made.code)


# -- payouts -------------------------------------------------------------------------------------


@payouts_app.command("run")
def payouts_run(start: When, end: When) -> None:
    """Close a period: add quality bonuses, then one statement per contributor and currency."""
    from datafab.services import pay

    t0, t1 = _when(start, "start"), _when(end, "end")
    made = _run(lambda f, _org: pay.run_payouts(f, t0, t1))
    console.print(f"{len(made)} payout statements")
    emit(made)


@payouts_app.command("list")
def payouts_list(
    contributor: Annotated[int | None, typer.Option(help="Only this contributor.")] = None,
) -> None:
    """Payout statements, oldest first."""
    from datafab.services import pay

    emit(_run(lambda f, _org: pay.list_payouts(f, contributor)))


@payouts_app.command("ledger")
def payouts_ledger(contributor: int) -> None:
    """A contributor's balance and latest ledger entries."""
    from datafab.services import pay

    emit(_run(lambda f, _org: {"balance": pay.balance(f, contributor),
                                "ledger": pay.ledger(f, contributor)}))


# -- invoices ------------------------------------------------------------------------------------


@invoices_app.command("prices")
def invoices_prices(
    api_key: ApiKey,
    file: Annotated[Path | None, typer.Option(help="JSON file: currency, task_minor, "
                                              "per_1k_tokens_minor, export_minor.")] = None,
) -> None:
    """Show the organization's price sheet, or replace it from a JSON file."""
    from datafab.services import billing

    body = json_object(file) if file is not None else None
    sheet = _run(lambda f, org: billing.set_price_sheet(f, org, body) if body is not None
                 else billing.get_price_sheet(f, org), api_key)
    emit(sheet.model_dump())


@invoices_app.command("usage")
def invoices_usage(api_key: ApiKey, start: When, end: When) -> None:
    """Metered usage per kind in a period."""
    from datafab.services import billing

    t0, t1 = _when(start, "start"), _when(end, "end")
    emit(_run(lambda f, org: billing.usage(f, org, t0, t1), api_key))


@invoices_app.command("create")
def invoices_create(api_key: ApiKey, start: When, end: When) -> None:
    """Invoice the period's unbilled usage; prints the invoice, its total in minor units
    alone on the last line."""
    from datafab.services import billing

    t0, t1 = _when(start, "start"), _when(end, "end")
    invoice = _run(lambda f, org: billing.create_invoice(f, org, t0, t1), api_key)
    console.print(f"invoice {invoice['id']}: {invoice['total_minor']} "
                  f"{invoice['currency']} (minor units)")
    emit(invoice)
    print(invoice["total_minor"])


@invoices_app.command("list")
def invoices_list(api_key: ApiKey) -> None:
    """The organization's invoices."""
    from datafab.services import billing

    emit(_run(lambda f, org: billing.list_invoices(f, org), api_key))
