"""``datafab value``: each contributor's value to a project, as a table."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from datafab.cli.common import requester
from datafab.cli.options import ApiKey

console = Console(soft_wrap=True)  # the table is the command's output: stdout


def value(
    api_key: ApiKey,
    project: Annotated[int, typer.Option(help="Project id.")],
) -> None:
    """How many fewer records would be right without each contributor's labels
    (leave-one-contributor-out), per hour of their time and per unit of their pay; highest
    first. Contributors appear by their pseudonyms in the project."""
    from datafab.services import contributor_value

    with requester(api_key) as (foundry, org):
        result = contributor_value.project_value(foundry, org, project)
    if not result.available:
        console.print("This project's answers are not categorical: no value is measured.")
        return
    unit = contributor_value.PAY_UNIT_MINOR
    table = Table(title=f"Contributor value, project {result.project_id} "
                        f"({result.labels} labels)")
    for name in ("contributor", "labels", "hours", "pay", "value (records)", "per hour",
                 f"per {unit} minor units"):
        table.add_column(name, justify="left" if name == "contributor" else "right")
    for c in result.contributors:
        pay = "—" if c.pay_minor is None else f"{c.pay_minor} {c.currency or ''}".strip()
        table.add_row(c.contributor, str(c.labels), f"{c.hours:.2f}", pay, f"{c.value:.2f}",
                      _maybe(c.value_per_hour), _maybe(c.value_per_pay))
    console.print(table)


def _maybe(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def register(app: typer.Typer) -> None:
    app.command("value")(value)
