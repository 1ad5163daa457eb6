"""Every HTTP error is rendered here, in one shape: ``{"error": {"type", "message", "field"}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from datafab.errors import DatafabError, RateLimited, field_path

log = logging.getLogger("datafab.api")


def error_response(status: int, type_: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    error = {"type": type_, "message": message}
    if field:
        error["field"] = field
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(DatafabError)
    async def _datafab(_: Request, exc: DatafabError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return error_response(exc.status, exc.type, exc.message, exc.field, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        loc = list(first.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        field = field_path(loc) or "body"
        if first.get("type") == "json_invalid":
            return error_response(422, "invalid_input", "body: malformed JSON", "body")
        return error_response(422, "invalid_input", f"{field}: {first.get('msg')}", field)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        type_ = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        return error_response(exc.status_code, type_, str(exc.detail), None,
                              getattr(exc, "headers", None))

    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # A number past 64 bits for SQLite's driver (the store turns PostgreSQL's refusals
        # into InvalidInput): nothing was written. The caller's to fix, not a server error.
        log.info("database refused a value on %s %s: %s", request.method, request.url.path,
                 type(getattr(exc, "orig", exc)).__name__)
        return error_response(422, "invalid_input",
                              "a number is out of range or a value is too long")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "internal error; it has been logged")
