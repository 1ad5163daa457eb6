"""``datafab plan``: the policy that gives the most accurate records within a budget, from
the project's recorded labels; ``--apply`` sets it."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from datafab.cli.common import console as errors
from datafab.cli.common import requester
from datafab.cli.options import ApiKey

console = Console(soft_wrap=True)  # the table is the command's output: stdout


def plan(
    api_key: ApiKey,
    project: Annotated[int, typer.Option(help="Project id.")],
    budget: Annotated[str | None, typer.Option(help="The budget, in the pay currency's "
                                               "minor units (or labels when labels are "
                                               "unpaid).")] = None,
    target: Annotated[str | None, typer.Option(help="Instead of a budget: the record "
                                               "accuracy to reach (0-1); the cheapest "
                                               "policy predicted to reach it.")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Set the project's policy to the "
                                        "plan and remember its prediction.")] = False,
) -> None:
    """Replay the project's recorded labels under candidate policies (labels per item and
    stopping rule, model first or as a suggestion, hard items to proven contributors) and
    recommend the most accurate within the budget. The last line is the recommended policy
    as JSON."""
    from datafab.services.planning import plans

    with requester(api_key) as (foundry, org):
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=errors, transient=True) as progress:
            progress.add_task("replaying the recorded labels under each policy", total=None)
            if apply and target is not None:
                view = plans.project_plan(foundry, org, project, target=target)
                if view.recommended is not None and view.reached:  # its cost as the budget
                    view = replace(plans.apply_plan(foundry, org, project, view.budget,
                                                    actor="cli"),
                                   target=view.target, reached=view.reached)
            else:
                view = (plans.apply_plan(foundry, org, project, budget, actor="cli") if apply
                        else plans.project_plan(foundry, org, project, budget, target))
    if view.pilot is not None:
        p = view.pilot
        console.print(f"Too few labels to plan ({p.reason}). Run a pilot first: {p.items} "
                      f"items × {p.labels_per_item} labels ({p.cost:g} {view.unit}).")
        typer.echo(json.dumps({"pilot": {"items": p.items, "labels_per_item":
                                         p.labels_per_item}}))
        return
    _table(view)
    rec = view.recommended
    assert rec is not None
    if view.target is not None:
        verdict = ("the cheapest policy predicted to reach it" if view.reached else
                   "no policy is predicted to reach it; the best reachable"
                   + (" (not applied)" if apply else ""))
        console.print(f"Target {view.target:.1%}: {verdict}: {rec.point.description}; "
                      f"predicted accuracy {rec.point.accuracy:.1%} [{rec.point.low:.1%}, "
                      f"{rec.point.high:.1%}], cost {rec.cost:,.0f} {view.unit} for "
                      f"{view.items} items" + ("; applied." if apply and view.reached
                                               else "."))
        typer.echo(json.dumps({"policy": rec.policy, "hard_items": rec.hard_items,
                               "reached": view.reached}, sort_keys=True))
        return
    scope = "all" if rec.covers_all else f"only {rec.records} of"
    console.print(f"Recommended for {view.budget:g} {view.unit} ({scope} {view.items} items, "
                  f"cost {rec.cost:,.0f}): {rec.point.description}; predicted accuracy "
                  f"{rec.point.accuracy:.1%} [{rec.point.low:.1%}, {rec.point.high:.1%}]"
                  + ("; applied." if apply else "."))
    typer.echo(json.dumps({"policy": rec.policy, "hard_items": rec.hard_items},
                          sort_keys=True))


def _table(view) -> None:
    table = Table(title=f"Cost against accuracy, project {view.project_id} "
                        f"({view.labels} labels; {view.unit})")
    for name in ("policy", "accuracy", "90% interval", "labels / record", "cost / record",
                 f"cost ({view.items} items)"):
        table.add_column(name, justify="left" if name == "policy" else "right")
    chosen = view.recommended.point if view.recommended else None
    rows = list(view.frontier)
    if chosen is not None and chosen not in rows:
        rows = sorted([*rows, chosen], key=lambda p: p.cost_per_record)
    for p in rows:
        mark = "→ " if p == chosen else ""
        table.add_row(mark + p.description, f"{p.accuracy:.1%}", f"{p.low:.1%}–{p.high:.1%}",
                      f"{p.labels_per_record:.2f}", f"{p.cost_per_record:.2f}",
                      f"{p.cost_per_record * view.items:,.0f}")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
