"""Every route that answers JSON says what it answers: in ``/openapi.json`` its success
response carries a schema that names at least one property (an object model) or is a typed
array/scalar, never ``{}`` or a bare open object. Routes answering files, pages, redirects or
no content (204) are left out, and so is the vendor-compatible surface, which is not in the
schema at all (docs/compat.md)."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.responses import Response


def _routes(routes: list[Any]) -> list[APIRoute]:
    """The app's API routes, through the routers it includes."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(_routes(route.original_router.routes))
    return found


def _answers_json(route: APIRoute) -> bool:
    if not route.include_in_schema or route.status_code == 204:
        return False
    answer_class = getattr(route.response_class, "value", route.response_class)
    if not (isinstance(answer_class, type) and issubclass(answer_class, JSONResponse)):
        return False
    if route.response_model is not None:
        return True
    returns = inspect.signature(route.endpoint).return_annotation
    if isinstance(returns, str):
        returns = route.endpoint.__annotations__.get("return")
        returns = getattr(route.endpoint, "__globals__", {}).get(returns, returns)
    # A handler that builds its own non-JSON Response (a file, a page, a redirect).
    return not (isinstance(returns, type) and issubclass(returns, Response)
                and not issubclass(returns, JSONResponse))


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_typed(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = _resolve(spec, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return all(_is_typed(spec, s) for s in schema[key])
    kind = schema.get("type")
    if kind == "object":
        return bool(schema.get("properties"))
    if kind == "array":
        return _is_typed(spec, schema.get("items", {}))
    return kind in {"string", "integer", "number", "boolean", "null"}


def _untyped(app, spec: dict[str, Any]) -> list[str]:
    missing = []
    routes = _routes(app.routes)
    assert len(routes) > 100  # the walk reaches the included routers' routes
    for route in routes:
        if route.path_format not in spec["paths"] or not _answers_json(route):
            continue  # the vendor-compatible surface is not in the schema (docs/compat.md)
        for method in sorted(route.methods):
            operation = spec["paths"][route.path_format][method.lower()]
            response = operation["responses"].get(str(route.status_code or 200), {})
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if schema is None or not _is_typed(spec, schema):
                missing.append(f"{method} {route.path_format}")
    return missing


def test_every_json_route_declares_a_typed_response_schema(api):
    spec = api.get("/openapi.json").json()
    missing = _untyped(api.app, spec)
    assert not missing, "\n".join(missing)


def test_the_check_sees_an_untyped_route(api):
    """The check fails on an operation whose answer is an open object (so the test above
    could fail)."""
    spec = api.get("/openapi.json").json()
    assert _is_typed(spec, {"type": "object", "properties": {"id": {"type": "integer"}}})
    assert not _is_typed(spec, {})
    assert not _is_typed(spec, {"type": "object", "additionalProperties": True})
    assert not _is_typed(spec, {"type": "array", "items": {}})

