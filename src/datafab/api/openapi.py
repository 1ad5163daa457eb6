"""The OpenAPI spec says what the API really does: every error in Datafab's one shape
(``{"error": {"type", "message", "field"}}``) under each operation's default response, and
the ``Idempotency-Key`` header on every POST."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from datafab.services.idempotency import MAX_KEY_LENGTH

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
                "type": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        }
    },
}
ERROR = {"description": "An error, in Datafab's one shape (4xx: the caller's to fix).",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Send a POST again with the same key to get the first answer back instead "
    "of a second write (kept 24 hours).",
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
}


def document(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        for schema_name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(schema_name, None)
        for path in spec.get("paths", {}).values():
            for method, operation in path.items():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["default"] = ERROR
                if method == "post":
                    params = operation.setdefault("parameters", [])
                    if not any(p.get("name") == "Idempotency-Key" for p in params):
                        params.append(IDEMPOTENCY_KEY)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
