"""Which engine an ingest runs on (``--engine local|dask``), opened before the run writes
anything: a missing package or an unreachable scheduler is bad input naming its option."""

from __future__ import annotations

from datafab.errors import InvalidInput
from datafab.ingest.engines import Engine, EngineError
from datafab.ingest.engines.dask_engine import DaskEngine


def open_engine(name: str, scheduler: str | None, *, with_ner: bool = False
                ) -> DaskEngine | None:
    """The distributed engine for ``name``, connected; ``None`` for the local one."""
    try:
        engine = Engine(name)
    except ValueError:
        raise InvalidInput(f"engine: --engine must be one of {', '.join(Engine)}, not {name!r}",
                           field="engine") from None
    if engine is Engine.LOCAL:
        if scheduler is not None:
            raise InvalidInput("scheduler: --scheduler is for --engine dask",
                               field="scheduler")
        return None
    try:
        return DaskEngine(scheduler, with_ner=with_ner)
    except EngineError as exc:
        raise InvalidInput(f"{exc.option}: {exc.message}", field=exc.option) from exc
