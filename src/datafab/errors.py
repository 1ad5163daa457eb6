"""One exception root for Datafab; the API, CLI and SDK translate these at their boundary.

Every error names what went wrong in the caller's terms and, where one field is at fault,
which field (a dotted path such as ``items.3.data.text``).
"""

from __future__ import annotations


class DatafabError(Exception):
    """Root of every error Datafab raises on purpose."""

    type = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        error = {"type": self.type, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


class InvalidInput(DatafabError):
    """The request or file is malformed or breaks a rule; nothing was written."""

    type = "invalid_input"
    status = 422


class NotFound(DatafabError):
    """The object does not exist, or belongs to someone else (never told apart)."""

    type = "not_found"
    status = 404


class Unauthorized(DatafabError):
    """Missing or wrong credentials."""

    type = "unauthorized"
    status = 401


class Conflict(DatafabError):
    """The request clashes with what is stored (a duplicate with other content, a closed lease)."""

    type = "conflict"
    status = 409


class LeaseExpired(Conflict):
    """The lease ran out before the answer arrived; the item went back to the pool."""

    type = "lease_expired"


class PayloadTooLarge(DatafabError):
    type = "payload_too_large"
    status = 413


class RateLimited(DatafabError):
    type = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


def field_path(loc: tuple | list, prefix: str | None = None) -> str:
    """Render a Pydantic error location as a dotted field path."""
    parts = [prefix] if prefix else []
    parts += [str(p) for p in loc if p != "__root__"]
    return ".".join(parts)


def from_pydantic(exc, prefix: str | None = None) -> InvalidInput:
    """Turn a pydantic ``ValidationError`` into an ``InvalidInput`` naming the first bad field."""
    first = exc.errors()[0]
    path = field_path(first.get("loc", ()), prefix)
    message = first.get("msg", "invalid value")
    return InvalidInput(f"{path}: {message}" if path else message, field=path or None)
