"""Datafab's web pages, served by the same process as the API: the contributor workbench
(``/work``), the requester dashboard (``/dashboard``) and the ops console (``/ops``).

Server-rendered with Jinja2; htmx and one small script, both shipped under ``static/``, do
the rest. Pages call ``services/`` like the API does and never touch the database directly.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from datafab.web import (
    accounts,
    contributor_pages,
    dashboard,
    evals,
    guideline_pages,
    inbox_pages,
    media,
    message_pages,
    ops,
    ops_disputes,
    ops_recruiting,
    recruiting_pages,
    workbench,
)
from datafab.web.headers import PageHeaders
from datafab.web.render import HERE
from datafab.web.throttle import LoginThrottle


def install(app: FastAPI) -> None:
    """Mount the pages and their static files on the application."""
    app.state.login_throttle = LoginThrottle()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    # contributor_pages before workbench: /work/standing is not /work/{project_id}
    for module in (accounts, contributor_pages, guideline_pages, inbox_pages, recruiting_pages,
                   workbench, media, evals, dashboard, message_pages, ops, ops_disputes,
                   ops_recruiting):
        app.include_router(module.router)
    app.add_middleware(PageHeaders, image_hosts=app.state.foundry.settings.media_hosts)
