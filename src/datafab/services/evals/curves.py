"""The built-in learner's learning curve of a project, read in-process for the dashboard's
eval page (``datafab eval curve`` reads the same through the REST API): the project's
people-made final records and done items as the records and items APIs list them, and its
effort report. The maths is :mod:`datafab.models.learning_curve` (needs the ``learner``
extra: scikit-learn)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from datafab.foundry import Foundry
from datafab.services import effort, items, records

#: Above this many records the page does not train the learner on a view (it names the
#: command instead): a few seconds of training per checkpoint is the most a page may take.
PAGE_RECORDS = 20_000


def project_curve(foundry: Foundry, organization: int, project_id: int, *, points: int = 6,
                  holdout: float = 0.25) -> dict[str, Any]:
    """The curve (see :func:`datafab.models.learning_curve.learning_curve`). Raises
    ``ImportError`` without scikit-learn, ``ValueError`` when the records are too few (or,
    past ``PAGE_RECORDS``, too many for a page)."""
    from datafab.models.learning_curve import curve_of, labelled_rows

    read = list(_pages(lambda cursor: records.list_records(
        foundry, organization, project_id, cursor=cursor, limit=1000, done_only=True)))
    if len(read) > PAGE_RECORDS:
        raise ValueError(f"records: {len(read)} are too many to train on in a page; run "
                         f"datafab eval curve --project {project_id}")
    done = _pages(lambda cursor: items.list_items(foundry, organization, project_id,
                                                  cursor=cursor, limit=1000, status="done"))
    return curve_of(project_id, labelled_rows(read, done),
                    lambda bucket: effort.effort(foundry, organization, project_id,
                                                 bucket_seconds=bucket),
                    points=points, holdout=holdout)


def _pages(page: Callable[[str | None], tuple[list[dict[str, Any]], str | None]]
           ) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        rows, cursor = page(cursor)
        yield from rows
        if cursor is None:
            return
