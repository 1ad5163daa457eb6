"""Redaction review: a sample of ingested chunks put before reviewers, and the miss and
wrong rates their records measure."""

from __future__ import annotations

import random
from typing import Any

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.services.projects import load_project
from datafab.store import ingest_runs as stored


def sample_for_review(foundry: Foundry, organization: int, review_project_id: int,
                      from_project_id: int, n: int, *, seed: int | None = None
                      ) -> dict[str, int]:
    """Put a random sample of ``n`` ingested chunks of ``from_project`` (with the
    replacements made in each) into a ``redaction_review`` project of the same organization."""
    from datafab.services.items import upload_items

    if not 1 <= n <= 10_000:
        raise InvalidInput("n: must be between 1 and 10000", field="n")
    with foundry.db.read() as conn:
        review = load_project(conn, organization, review_project_id)
        source = load_project(conn, organization, from_project_id)
        if review.primitive_name != "redaction_review":
            raise InvalidInput(f"project: {review.name} is a {review.primitive_name} project, "
                               "not redaction_review", field="project")
        ids = stored.reviewable_ids(conn, source.id)
        chosen = sorted(random.Random(seed).sample(ids, min(n, len(ids))))
        rows = stored.items_with_meta(conn, chosen)
    if not rows:
        raise InvalidInput(f"from_project: project {source.id} has no items to review",
                           field="from_project")
    sample = []
    for r in rows:
        text = r.data.get("text")
        if text is None and r.data.get("prompt"):
            text = r.data["prompt"][0]["content"]
        if not text:
            continue
        sample.append({"external_id": f"review:{source.id}:{r.id}",
                       "data": {"text": text,
                                "redactions": (r.meta or {}).get("redactions", [])}})
    return upload_items(foundry, organization, review.id, sample).to_dict()


def review_report(foundry: Foundry, organization: int, review_project_id: int
                  ) -> dict[str, Any]:
    """The measured miss and wrong rates per PII type over the reviewed chunks' records."""
    from datafab.primitives.redaction_review import miss_rates
    from datafab.services.exports import export_rows

    reviewed = 0

    def pairs():
        nonlocal reviewed
        for row in export_rows(foundry, organization, review_project_id, "records",
                               include_open=True):
            reviewed += 1
            yield row, row

    rates = miss_rates(pairs())
    return {"reviewed": reviewed, "types": rates}
