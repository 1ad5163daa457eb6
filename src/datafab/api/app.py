"""The application factory: ``create_app(foundry)`` builds the whole HTTP surface."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from datafab import __version__, integrations
from datafab.api import (
    common_errors,
    contributor_value,
    curation,
    disputes,
    errors,
    evals,
    guidelines,
    ingest,
    keys,
    media,
    messages,
    planning,
    primitives,
    projects,
    recruiting,
    scale_compat,
    tracing,
    webhooks,
    work,
    workforce,
)
from datafab.api.auth import _Cache
from datafab.api.bodies import JsonDepth
from datafab.api.idempotency import Idempotency
from datafab.api.lease_path import LeasePath
from datafab.api.limits import BodyLimit, RateLimits
from datafab.api.openapi import document
from datafab.api.schemas.meta import Health
from datafab.foundry import Foundry
from datafab.services.housekeeping import Housekeeping


def create_app(foundry: Foundry, *, deliver_webhooks: bool = False) -> FastAPI:
    """``deliver_webhooks``: also run the webhook deliverer while the app is up. The
    housekeeping sweeps always run while it is up (see ``_lifespan``)."""
    integrations.install()
    app = FastAPI(
        title="Datafab",
        lifespan=_lifespan,
        version=__version__,
        description="A self-hosted data foundry: projects, items, leases, submissions, records.",
    )
    app.state.foundry = foundry
    app.state.housekeeping = Housekeeping(foundry)
    app.state.deliver_webhooks = deliver_webhooks
    app.state.auth_cache = _Cache()
    app.state.api_key_limits = RateLimits(foundry.settings.rate_limit_api_key, foundry.now)
    app.state.contributor_limits = RateLimits(foundry.settings.rate_limit_contributor,
                                              foundry.now)
    app.state.failed_auth_limits = RateLimits(foundry.settings.rate_limit_failed_auth,
                                              foundry.now)
    errors.install(app)
    app.add_middleware(Idempotency, foundry=foundry)  # inside the body limit
    app.add_middleware(JsonDepth)  # nesting checked on the raw bytes, before anything parses
    app.add_middleware(BodyLimit, limit=foundry.settings.max_body_bytes)

    @app.get("/healthz", tags=["meta"], response_model=Health)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app.include_router(projects.router)
    app.include_router(contributor_value.router)
    app.include_router(planning.router)
    app.include_router(work.router)
    app.include_router(keys.router)
    app.include_router(webhooks.router)
    # The vendor-compatible surface speaks its vendor's wire format (Basic auth, {"error"}
    # bodies), documented in docs/compat.md, not Datafab's OpenAPI schema.
    app.include_router(scale_compat.router, include_in_schema=False)
    app.include_router(workforce.router)
    app.include_router(evals.router)
    app.include_router(ingest.router)
    app.include_router(curation.router)
    app.include_router(primitives.router)
    app.include_router(guidelines.router)
    app.include_router(disputes.router)
    app.include_router(messages.router)
    app.include_router(media.router)
    app.include_router(tracing.router)
    app.include_router(common_errors.router)
    app.include_router(recruiting.router)
    from datafab import web  # the pages: workbench, dashboard, ops console

    web.install(app)
    # outermost: the lease path's hot routes skip the layers below when nothing calls for them
    app.add_middleware(LeasePath, foundry=foundry, limit=foundry.settings.max_body_bytes)
    document(app)
    return app


def app_from_environment() -> FastAPI:
    """The factory ``datafab serve`` hands to uvicorn: settings from the environment."""
    foundry = Foundry()
    return create_app(foundry, deliver_webhooks=foundry.settings.webhook_deliverer)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's background work: housekeeping (one round before the first request, then
    every ten minutes) and, if asked, the webhook deliverer; both stopped on shutdown."""
    housekeeping: Housekeeping = app.state.housekeeping
    await run_in_threadpool(housekeeping.sweep)
    housekeeping.start()
    deliverer = None
    if app.state.deliver_webhooks:
        from datafab.services.webhooks import Deliverer

        deliverer = Deliverer(app.state.foundry)
        deliverer.start()
    try:
        yield
    finally:
        if deliverer is not None:
            deliverer.stop()
        housekeeping.stop()
