"""The schema's shared parts: the one ``MetaData`` (with the naming convention Alembic
migrations use), the column types and the id and reference helpers."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    MetaData,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite aliases INTEGER PRIMARY KEY to rowid
Json = JSON().with_variant(JSONB(), "postgresql")
Money = BigInteger().with_variant(Integer(), "sqlite")  # integer minor units, never floats


def id_column() -> Column[Any]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def ref(name: str, target: str, **kw: Any) -> Column[Any]:
    return Column(name, Id, ForeignKey(f"{target}.id", ondelete="CASCADE"), nullable=False, **kw)




def allowed(column: str, values: type[StrEnum], *, prefix: str | None = None) -> str:
    """The SQL condition that ``column`` holds one of the enum's values (or, with ``prefix``,
    starts with it). Shared by the tables and the migration that adds their checks."""
    listed = ", ".join(f"'{v.value}'" for v in values)
    condition = f"{column} IN ({listed})"
    if prefix:
        condition += f" OR substr({column}, 1, {len(prefix)}) = '{prefix}'"
    return condition


def status_check(column: str, values: type[StrEnum], *,
                 prefix: str | None = None) -> CheckConstraint:
    """A CHECK that the database refuses a status the enum does not name; called
    ``ck_<table>_<column>`` by the naming convention."""
    return CheckConstraint(allowed(column, values, prefix=prefix), name=column)
