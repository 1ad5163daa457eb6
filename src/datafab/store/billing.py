"""Billing's SQL: organizations' price sheets, usage events, invoices, and the spend a
budgeted project adds up. Rows, not prices: what a usage costs is ``services/billing.py``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, and_, func, select, text, update

from datafab.store.tables import invoices, price_sheets, usage_events, workforce_policies

_SPEND = text("UPDATE workforce_policies SET spent_minor = spent_minor + :amount "
              "WHERE project_id = :project RETURNING spent_minor, budget_minor")


def save_price_sheet(conn: Connection, organization: int, *, currency: str,
                     prices: dict[str, Any], now: float) -> None:
    """Create or replace the organization's price sheet."""
    done = conn.execute(update(price_sheets)
                        .where(price_sheets.c.organization_id == organization)
                        .values(currency=currency, prices=prices, updated_at=now)).rowcount
    if not done:
        conn.execute(price_sheets.insert().values(organization_id=organization,
                                                  currency=currency, prices=prices,
                                                  updated_at=now))


def price_sheet(conn: Connection, organization: int) -> Row[*tuple[Any, ...]] | None:
    """(currency, prices) of the organization's price sheet."""
    return conn.execute(select(price_sheets.c.currency, price_sheets.c.prices)
                        .where(price_sheets.c.organization_id == organization)).first()


def add_usage(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Usage events: dicts of organization_id, project_id, kind, quantity, created_at."""
    conn.execute(usage_events.insert(), rows)


def spend(conn: Connection, project: int, amount: int) -> Row[*tuple[Any, ...]] | None:
    """Add ``amount`` to the project's spend; (spent_minor, budget_minor) after it."""
    return conn.execute(_SPEND, {"amount": amount, "project": project}).first()


def budget_minor(conn: Connection, project: int) -> int | None:
    """The project's budget (``None``: no policy row, or no budget)."""
    return conn.execute(select(workforce_policies.c.budget_minor).where(
        workforce_policies.c.project_id == project)).scalar()


def project_usage(conn: Connection, project: int) -> list[Row[*tuple[Any, ...]]]:
    """(kind, total quantity) of the project's usage events."""
    return list(conn.execute(select(usage_events.c.kind, func.sum(usage_events.c.quantity))
                             .where(usage_events.c.project_id == project)
                             .group_by(usage_events.c.kind)).all())


def usage_between(conn: Connection, organization: int, start: float,
                  end: float) -> list[Row[*tuple[Any, ...]]]:
    """(kind, total quantity) of the organization's usage in [start, end)."""
    return list(conn.execute(
        select(usage_events.c.kind, func.sum(usage_events.c.quantity))
        .where(usage_events.c.organization_id == organization,
               usage_events.c.created_at >= start, usage_events.c.created_at < end)
        .group_by(usage_events.c.kind)).all())


def _unbilled(organization: int, start: float, end: float) -> Any:
    return and_(usage_events.c.organization_id == organization,
                usage_events.c.created_at >= start, usage_events.c.created_at < end,
                usage_events.c.invoice_id.is_(None))


def unbilled(conn: Connection, organization: int, start: float,
             end: float) -> list[Row[*tuple[Any, ...]]]:
    """(kind, total quantity, events) of the organization's unbilled usage in [start, end),
    by kind."""
    return list(conn.execute(
        select(usage_events.c.kind, func.sum(usage_events.c.quantity), func.count())
        .where(_unbilled(organization, start, end))
        .group_by(usage_events.c.kind).order_by(usage_events.c.kind)).all())


def add_invoice(conn: Connection, organization: int, start: float, end: float, *,
                currency: str, lines: list[dict[str, Any]], total: int, now: float) -> int:
    """A new invoice over [start, end), with the unbilled usage in it marked as billed by
    it; its id."""
    invoice_id = conn.execute(invoices.insert().values(
        organization_id=organization, period_start=start, period_end=end,
        currency=currency, lines=lines, total_minor=total, created_at=now)
        .returning(invoices.c.id)).scalar_one()
    conn.execute(update(usage_events).where(_unbilled(organization, start, end))
                 .values(invoice_id=invoice_id))
    return int(invoice_id)


def invoices_of(conn: Connection, organization: int) -> list[Row[*tuple[Any, ...]]]:
    return list(conn.execute(select(invoices).where(invoices.c.organization_id == organization)
                             .order_by(invoices.c.id)).all())
