"""Usage metering and invoices for organizations, and the budget that stops a project.

Every completed task, model call (its tokens) and export is a usage event of the
organization. A price sheet per organization prices each kind in integer minor units of
one currency; an invoice gathers a period's unbilled events into lines (quantity × price)
whose sum is the invoice total. A project's ``spent_minor`` adds up the priced events of
that project as they happen; each lease out on a budgeted project holds (reserves) the price
of the task it may produce, and the lease gate grants only what the budget left after spend
and reservations pays for (``workforce.reserve``), so the leases out never take spend past the
budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services import webhooks
from datafab.services.projects import Project, get_project
from datafab.store import billing as queries
from datafab.store import budget as budget_sql
from datafab.store.handles import Connection

KINDS = ("task", "model_tokens", "export")
UNITS = {"task": "task", "model_tokens": "1k tokens", "export": "export"}


def check_currency(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 3 or not value.isalpha() or not value.isascii():
        raise ValueError("an ISO 4217 code of three letters, e.g. USD")
    return value


# ISO 4217 currencies whose minor unit is not a hundredth of the major one.
_MINOR_DIGITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                     "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def minor_digits(currency: str) -> int:
    """Digits after the decimal point of the currency (2 for most; 0 for JPY, 3 for KWD)."""
    return _MINOR_DIGITS.get(currency.upper(), 2)


def validated(model: type[BaseModel], raw: Any) -> Any:
    return parse(model, raw)


class PriceSheet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = Field("USD", description="ISO 4217 code; every price is in its minor units.")
    task_minor: int = Field(0, ge=0, le=10**9, description="Per completed task.")
    per_1k_tokens_minor: int = Field(0, ge=0, le=10**9, description="Per 1,000 model tokens.")
    export_minor: int = Field(0, ge=0, le=10**9, description="Per export.")

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)

    def price(self, kind: str, quantity: int) -> int:
        """Integer minor units for ``quantity`` of ``kind``; tokens round up per line."""
        if kind == "task":
            return quantity * self.task_minor
        if kind == "model_tokens":
            return -(-quantity * self.per_1k_tokens_minor // 1000)
        return quantity * self.export_minor


def set_price_sheet(foundry: Foundry, organization: int, raw: Any) -> PriceSheet:
    sheet = validated(PriceSheet, raw)
    now = foundry.now()
    body = sheet.model_dump(exclude={"currency"})
    with foundry.db.write() as conn:
        queries.save_price_sheet(conn, organization, currency=sheet.currency, prices=body,
                                 now=now)
    foundry.cache.forget(("price_sheet", organization))
    return sheet


def price_sheet(foundry: Foundry, conn: Connection, organization: int) -> PriceSheet:
    """The organization's prices (all zero in USD until one is set), cached for a moment."""
    key = ("price_sheet", organization)
    hit = foundry.cache.get(key)
    if hit is None:
        row = queries.price_sheet(conn, organization)
        hit = PriceSheet(currency=row.currency, **row.prices) if row else PriceSheet()
        foundry.cache.put(key, hit)
    return hit


def get_price_sheet(foundry: Foundry, organization: int) -> PriceSheet:
    with foundry.db.read() as conn:
        return price_sheet(foundry, conn, organization)


TASK = (("task", 1),)  # the usage of one answered (non-gold) task


def cost(sheet: PriceSheet, usage: Iterable[tuple[str, int]]) -> int:
    """What this usage costs at these prices: what ``meter`` adds to a project's spend."""
    return sum(sheet.price(kind, quantity) for kind, quantity in usage)


def task_price(foundry: Foundry, conn: Connection, organization: int) -> int:
    """What one answered task costs the organization now: what a lease on one of its
    budgeted projects reserves, and the least a budget must have left to grant one."""
    return cost(price_sheet(foundry, conn, organization), TASK)


def reached(budget: int | None, spent: int, task: int) -> bool:
    """Whether a budget is spent: what is left does not pay for one more task (or nothing
    is left, when tasks are free)."""
    return budget is not None and (spent >= budget or budget - spent < task)


def meter(foundry: Foundry, conn: Connection, project: Project,
          usage: list[tuple[str, int]], now: float, *, budgeted: bool) -> None:
    """Record usage events of the project (inside the caller's transaction) and, when the
    project has a budget, add their price to what it has spent."""
    if not usage:
        return
    queries.add_usage(conn, [
        {"organization_id": project.organization_id, "project_id": project.id, "kind": kind,
         "quantity": quantity, "created_at": now} for kind, quantity in usage])
    if budgeted:
        sheet = price_sheet(foundry, conn, project.organization_id)
        amount = cost(sheet, usage)
        if amount:
            row = queries.spend(conn, project.id, amount)
            if row is not None and _crossed(row.budget_minor, int(row.spent_minor), amount,
                                            cost(sheet, TASK)):
                webhooks.emit(conn, project.organization_id, "budget.reached",
                              f"project:{project.id}",
                              {"project_id": project.id, "budget_minor": row.budget_minor,
                               "spent_minor": int(row.spent_minor)}, now)


def _crossed(budget: int | None, spent: int, amount: int, task: int) -> bool:
    """Whether this spend is the one that reached the budget (so the event is sent once)."""
    return reached(budget, spent, task) and not reached(budget, spent - amount, task)


def meter_export(foundry: Foundry, organization: int, project_id: int) -> None:
    """One export of a project: an event of its own transaction."""
    with foundry.db.write() as conn:
        project = _project(conn, organization, project_id)
        budgeted = queries.budget_minor(conn, project.id) is not None
        meter(foundry, conn, project, [("export", 1)], foundry.now(), budgeted=budgeted)


def _project(conn: Connection, organization: int, project_id: int) -> Project:
    from datafab.services.projects import load_project

    return load_project(conn, organization, project_id)


def project_cost(conn: Connection, project: Project) -> int:
    """What the project's metered usage costs at today's prices (to seed a new budget)."""
    rows = queries.project_usage(conn, project.id)
    if not rows:
        return 0
    found = queries.price_sheet(conn, project.organization_id)
    sheet = PriceSheet(currency=found.currency, **found.prices) if found else PriceSheet()
    return sum(sheet.price(kind, int(q)) for kind, q in rows)


def _period(start: float, end: float) -> None:
    if not end > start:
        raise InvalidInput("end: must be after start", field="end")


def usage(foundry: Foundry, organization: int, start: float, end: float) -> dict[str, int]:
    """Metered quantities per kind in [start, end)."""
    _period(start, end)
    with foundry.db.read() as conn:
        rows = queries.usage_between(conn, organization, start, end)
    return {kind: int(q) for kind, q in rows}


def create_invoice(foundry: Foundry, organization: int, start: float,
                   end: float) -> dict[str, Any]:
    """Invoice the organization's unbilled usage in [start, end): a line per kind, priced
    by its price sheet; each event lands on exactly one invoice."""
    _period(start, end)
    now = foundry.now()
    with foundry.db.write() as conn:
        sheet = price_sheet(foundry, conn, organization)
        rows = queries.unbilled(conn, organization, start, end)
        lines = [{"kind": kind, "unit": UNITS.get(kind, kind), "quantity": int(q),
                  "events": int(n), "unit_price_minor": _unit(sheet, kind),
                  "amount_minor": sheet.price(kind, int(q))} for kind, q, n in rows]
        total = sum(line["amount_minor"] for line in lines)
        invoice_id = queries.add_invoice(conn, organization, start, end,
                                         currency=sheet.currency, lines=lines, total=total,
                                         now=now)
    return {"id": invoice_id, "organization_id": organization, "period_start": start,
            "period_end": end, "currency": sheet.currency, "lines": lines,
            "total_minor": total, "created_at": now}


def _unit(sheet: PriceSheet, kind: str) -> int:
    return {"task": sheet.task_minor, "model_tokens": sheet.per_1k_tokens_minor,
            "export": sheet.export_minor}.get(kind, 0)


def list_invoices(foundry: Foundry, organization: int) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        rows = queries.invoices_of(conn, organization)
    return [{"id": r.id, "organization_id": r.organization_id, "period_start": r.period_start,
             "period_end": r.period_end, "currency": r.currency, "lines": r.lines,
             "total_minor": int(r.total_minor), "created_at": r.created_at} for r in rows]


def budget(foundry: Foundry, organization: int, project_id: int) -> dict[str, Any]:
    """The project's budget, its spend, what the leases out hold of it, and whether leasing
    is stopped by it: ``budget_reached`` (what is left does not pay for one more task; raise
    the budget), ``budget_reserved`` (the rest is held by leases out; it comes back as they
    end unanswered) or ``open``."""
    project = get_project(foundry, organization, project_id)
    with foundry.db.read() as conn:
        found = budget_sql.read(conn, project.id)
        sheet = price_sheet(foundry, conn, organization)
    found = found or budget_sql.Budget(None, 0, 0)
    return {"project_id": project.id, "currency": sheet.currency,
            "budget_minor": found.budget_minor, "spent_minor": found.spent_minor,
            "reserved_minor": found.reserved_minor,
            "state": _state(found, cost(sheet, TASK))}


def _state(found: budget_sql.Budget, task: int) -> str:
    if reached(found.budget_minor, found.spent_minor, task):
        return "budget_reached"
    if found.left_minor is not None and found.left_minor < max(task, 1):
        return "budget_reserved"
    return "open"
