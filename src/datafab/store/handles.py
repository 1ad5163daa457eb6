"""What a service may name of the storage layer: the connection a transaction hands it,
a row a named query returns, and the error a unique constraint raises. Services import
these from here, never from SQLAlchemy, so ``store/`` stays the one room that knows it."""

from __future__ import annotations

from sqlalchemy import Connection, Row
from sqlalchemy.exc import IntegrityError

__all__ = ["Connection", "IntegrityError", "Row"]
