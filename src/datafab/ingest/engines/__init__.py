"""Where an ingest's per-chunk work runs: ``local`` (this process, or its worker pool) or
``dask`` (a ``dask.distributed`` cluster). Pure, like the rest of ``ingest/``: engines see
paths, text and keys, never the database."""

from __future__ import annotations

from enum import StrEnum


class Engine(StrEnum):
    """The engines ``datafab ingest --engine`` accepts."""

    LOCAL = "local"
    DASK = "dask"


class EngineError(Exception):
    """An engine could not start: its package is missing or its scheduler unreachable.
    ``option`` names the command-line option to fix (``engine`` or ``scheduler``)."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option, self.message = option, message
