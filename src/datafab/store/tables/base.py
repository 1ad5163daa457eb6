"""The schema's shared parts: the one ``MetaData`` (with the naming convention Alembic
migrations use), the column types and the id and reference helpers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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


