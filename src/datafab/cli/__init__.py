"""The ``datafab`` command. Every command reads the database from ``DATAFAB_DATABASE_URL``
(default ``sqlite:///./datafab.db``); commands that act for a requester read
``DATAFAB_API_KEY``. Scripting commands print the one value a script needs alone on their
last line.

One module per command group; what they share (the runner that opens and closes the
Foundry, errors as exit code 2, the progress bar) is ``cli.common``, the shared options
``cli.options``. This module only puts the command together.
"""

from __future__ import annotations

import os

import typer

from datafab.cli import (
    accounts,
    backups,
    curation,
    disputes,
    evals,
    guidelines,
    ingest,
    line,
    messages,
    models,
    plan,
    primitives,
    projects,
    recruiting,
    serving,
    trace,
    value,
    workforce,
)

app = typer.Typer(help="Datafab: a self-hosted data foundry.", no_args_is_help=True)

# The commands, in the order `datafab --help` lists them.
line.register(app)
value.register(app)
plan.register(app)
curation.register(app)
trace.register(app)
serving.register(app)
projects.register(app)
ingest.register(app)
models.register(app)
backups.register(app)

# The command groups, listed after the commands, in this order.
app.add_typer(accounts.org_app, name="org")
app.add_typer(accounts.contributor_app, name="contributor")
app.add_typer(projects.project_app, name="project")
app.add_typer(workforce.contributors_app, name="contributors")
app.add_typer(workforce.payouts_app, name="payouts")
app.add_typer(workforce.invoices_app, name="invoices")
app.add_typer(evals.eval_app, name="eval")
app.add_typer(line.items_app, name="items")
app.add_typer(primitives.primitive_app, name="primitive")
app.add_typer(guidelines.guidelines_app, name="guidelines")
app.add_typer(disputes.disputes_app, name="disputes")
app.add_typer(messages.messages_app, name="messages")
app.add_typer(recruiting.recruit_app, name="recruit")
app.add_typer(serving.webhooks_app, name="webhooks")


def main() -> None:  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
