"""The application factory: ``create_app(foundry)`` builds the whole HTTP surface."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from datafab import __version__
from datafab.api import errors, ingest, projects, work
from datafab.api.auth import _Cache
from datafab.api.limits import BodyLimit
from datafab.foundry import Foundry


def create_app(foundry: Foundry) -> FastAPI:
    app = FastAPI(
        title="Datafab",
        version=__version__,
        description="A self-hosted data foundry: projects, items, leases, submissions, records.",
    )
    app.state.foundry = foundry
    app.state.auth_cache = _Cache()
    errors.install(app)
    app.add_middleware(BodyLimit, limit=foundry.settings.max_body_bytes)

    @app.get("/healthz", tags=["meta"])
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app.include_router(projects.router)
    app.include_router(work.router)
    app.include_router(ingest.router)
    from datafab import web  # the pages: workbench, dashboard, ops console

    web.install(app)
    return app


def app_from_environment() -> FastAPI:
    """The factory ``datafab serve`` hands to uvicorn: settings from the environment."""
    return create_app(Foundry())
