"""The Scale-compatible task API under ``/compat/scale/v1``: what the official ``scaleapi``
client sends, answered the way it expects.

Authentication is HTTP Basic with the API key as the user name, rate-limited like every API
key (and every failed attempt like any other: see api/auth). Success is always 200 (the
client treats anything else as an error); errors are ``{"error": "<message>"}`` with the
status codes the client maps to its exceptions (400, 401, 402, 404, 409, 429, 500).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from datafab import json_limits
from datafab.api.auth import authenticate
from datafab.errors import DatafabError, PayloadTooLarge, RateLimited
from datafab.services.compat import scale

log = logging.getLogger("datafab.api.scale")
PREFIX = "/compat/scale/v1"
STATUS = {422: 400, 413: 400}  # the client knows 400 as its invalid-request error


def scale_error(status: int, message: str, headers: dict[str, str] | None = None
                ) -> JSONResponse:
    return JSONResponse({"error": message, "status_code": status}, status_code=status,
                        headers=headers)


class ScaleRoute(APIRoute):
    """Renders every error of these routes in Scale's shape instead of Datafab's."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def scale_handler(request: Request):
            try:
                return await handler(request)
            except DatafabError as exc:
                status = STATUS.get(exc.status, exc.status)
                headers = ({"Retry-After": str(exc.retry_after)}
                           if isinstance(exc, RateLimited) else None)
                return scale_error(status, exc.message, headers)
            except RequestValidationError as exc:
                first = exc.errors()[0]
                loc = ".".join(str(p) for p in first.get("loc", ())[1:]) or "body"
                return scale_error(400, f"{loc}: {first.get('msg')}")
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return scale_error(500, "internal error; it has been logged")

        return scale_handler


router = APIRouter(prefix=PREFIX, tags=["scale-compat"], route_class=ScaleRoute)


def _organization(request: Request) -> int:
    return authenticate(request, "requester", credential(request.headers.get("authorization", "")),
                        missing="missing HTTP Basic credentials (the API key as the user name)")


def credential(header: str) -> str | None:
    """The API key from an ``Authorization`` header: Basic with the key as the user name (what
    the client sends), or Bearer."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value, validate=True).decode().partition(":")[0] or None
        except (binascii.Error, UnicodeDecodeError):
            return None
    if scheme.lower() == "bearer":
        return value.strip() or None
    return None


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    if len(raw) > request.app.state.foundry.settings.max_body_bytes:
        raise PayloadTooLarge("body: too large")
    return json_limits.loads(raw)


async def _call(request: Request, fn: Callable, *args: Any, body: bool = False
                ) -> JSONResponse:
    """Authenticate, then (``body``) read and parse the body, passed last."""
    org = await run_in_threadpool(_organization, request)
    if body:
        args = (*args, await _body(request))
    result = await run_in_threadpool(fn, request.app.state.foundry, org, *args)
    return JSONResponse(result, status_code=200)


def _query(request: Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        out[key] = values if key == "unique_id" and len(values) > 1 else values[-1]
    return out


@router.post("/projects")
async def create_project(request: Request) -> JSONResponse:
    return await _call(request, scale.create_project, body=True)


@router.get("/projects")
async def list_projects(request: Request) -> JSONResponse:
    return await _call(request, scale.list_projects)


@router.get("/projects/{name}")
async def get_project(name: str, request: Request) -> JSONResponse:
    return await _call(request, scale.get_project, name)


@router.post("/projects/{name}/setParams")
async def set_params(name: str, request: Request) -> JSONResponse:
    return await _call(request, scale.set_params, name, body=True)


@router.post("/batches")
async def create_batch(request: Request) -> JSONResponse:
    return await _call(request, scale.create_batch, body=True)


@router.get("/batches")
async def list_batches(request: Request) -> JSONResponse:
    return await _call(request, scale.list_batches, _query(request))


@router.get("/batches/{name}")
async def get_batch(name: str, request: Request) -> JSONResponse:
    return await _call(request, scale.get_batch, name)


@router.post("/batches/{name}/finalize")
async def finalize_batch(name: str, request: Request) -> JSONResponse:
    return await _call(request, scale.finalize_batch, name)


@router.get("/batches/{name}/status")
async def batch_status(name: str, request: Request) -> JSONResponse:
    return await _call(request, scale.batch_status, name)


@router.post("/task/{kind}")
async def create_task(kind: str, request: Request) -> JSONResponse:
    return await _call(request, scale.create_task, kind, body=True)


@router.get("/task/{task_id}")
async def get_task(task_id: str, request: Request) -> JSONResponse:
    return await _call(request, scale.get_task, task_id)


@router.post("/task/{task_id}/cancel")
async def cancel_task(task_id: str, request: Request) -> JSONResponse:
    clear = request.query_params.get("clear_unique_id", "").lower() == "true"
    return await _call(request, scale.cancel_task, task_id, clear)


@router.post("/task/{task_id}/audit")
async def audit_task(task_id: str, request: Request) -> JSONResponse:
    return await _call(request, scale.audit_task, task_id, body=True)


@router.get("/tasks")
async def list_tasks(request: Request) -> JSONResponse:
    return await _call(request, scale.list_tasks, _query(request))
