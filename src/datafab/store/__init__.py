"""Storage: tables, migrations, the database handle and the leasing SQL. No business rules."""

from datafab.store.database import Database

__all__ = ["Database"]
