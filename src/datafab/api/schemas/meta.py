"""The application's own route's answer (``/healthz`` in ``api/app.py``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str = Field(description="ok while the server answers.")
