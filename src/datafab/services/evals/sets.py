"""Eval sets: held-out items (a prompt, how to grade its response, its slice tags)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from datafab.errors import Conflict, InvalidInput, PayloadTooLarge
from datafab.evals import graders
from datafab.evals.gaps import slice_keys
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services import eval_guard
from datafab.services.evals.shapes import (
    MAX_ITEMS,
    SLICE_TAGS,
    EvalItemIn,
    EvalSetIn,
    load_set,
)
from datafab.store import evals as store
from datafab.store.handles import IntegrityError


def _validate_items(raw_items: Any, organization: int, now: float) -> list[dict[str, Any]]:
    if not isinstance(raw_items, list) or not raw_items:
        raise InvalidInput("items: expected a non-empty list of eval items", field="items")
    if len(raw_items) > MAX_ITEMS:
        raise PayloadTooLarge(f"items: {len(raw_items)} items; the limit is {MAX_ITEMS}",
                              field="items")
    rows, seen = [], set()
    for index, raw in enumerate(raw_items):
        prefix = f"items.{index}"
        item = parse(EvalItemIn, raw, prefix)
        if item.external_id in seen:
            raise InvalidInput(f"{prefix}.external_id: {item.external_id!r} is listed twice",
                               field=f"{prefix}.external_id")
        seen.add(item.external_id)
        rows.append(_item_row(item, prefix, organization, now))
    return rows


def _item_row(item: EvalItemIn, prefix: str, organization: int, now: float
              ) -> dict[str, Any]:
    text = eval_guard.prompt_text(item.prompt)
    if not text.strip():
        raise InvalidInput(f"{prefix}.prompt: needs a user message with text",
                           field=f"{prefix}.prompt")
    try:
        reference = graders.parse_reference(item.reference)
    except graders.BadReference as exc:
        field = ".".join(p for p in (f"{prefix}.reference", exc.field) if p)
        raise InvalidInput(f"{prefix}.reference.{exc}", field=field) from exc
    unknown = sorted(set(item.slices) - set(SLICE_TAGS))
    if unknown:
        field = f"{prefix}.slices.{unknown[0]}"
        raise InvalidInput(f"{field}: slice tags are {', '.join(SLICE_TAGS)}", field=field)
    prompt = item.prompt if isinstance(item.prompt, list) else \
        [{"role": "user", "content": item.prompt}]
    return dict(external_id=item.external_id, prompt=prompt,
                reference=reference.model_dump(mode="json", exclude_defaults=True)
                | {"kind": reference.kind},
                slices=dict(item.slices), fingerprint=eval_guard.fingerprint(text),
                organization_id=organization, created_at=now)


def create_set(foundry: Foundry, organization: int, raw: Any) -> dict[str, Any]:
    spec = parse(EvalSetIn, raw)
    now = foundry.now()
    rows = _validate_items(spec.items, organization, now) if spec.items else []
    try:
        with foundry.db.write() as conn:
            set_id = store.insert_set(conn, organization, spec.name, spec.description, now)
            store.insert_items(conn, [{**r, "eval_set_id": set_id} for r in rows])
    except IntegrityError as exc:
        raise Conflict(f"name: an eval set named {spec.name!r} exists", field="name") from exc
    return get_set(foundry, organization, set_id)


def add_items(foundry: Foundry, organization: int, set_id: int, raw_items: Any
              ) -> dict[str, int]:
    """Add items; re-sent items change nothing, changed content under an id is refused."""
    rows = _validate_items(raw_items, organization, foundry.now())
    with foundry.db.write() as conn:
        load_set(conn, organization, set_id)
        stored = {r.external_id: r for r in store.item_contents(conn, set_id)}
        fresh = []
        for index, row in enumerate(rows):
            old = stored.get(row["external_id"])
            if old is None:
                fresh.append({**row, "eval_set_id": set_id})
            elif (old.prompt, old.reference, old.slices) != (row["prompt"], row["reference"],
                                                             row["slices"]):
                field = f"items.{index}.external_id"
                raise Conflict(f"{field}: item {row['external_id']!r} exists with different "
                               "content", field=field)
        store.insert_items(conn, fresh)
    return {"created": len(fresh), "unchanged": len(rows) - len(fresh)}


def get_set(foundry: Foundry, organization: int, set_id: int) -> dict[str, Any]:
    with foundry.db.read() as conn:
        row = load_set(conn, organization, set_id)
        found = store.item_shapes(conn, set_id)
        runs = store.runs_with_counts(conn, set_id)
    kinds: dict[str, int] = defaultdict(int)
    slices: dict[str, int] = defaultdict(int)
    for r in found:
        kinds[r.reference.get("kind", "none")] += 1
        for key in slice_keys(r.slices):
            slices[key] += 1
    return {"id": row.id, "name": row.name, "description": row.description,
            "items": len(found), "kinds": dict(kinds), "slices": dict(sorted(slices.items())),
            "runs": [{"id": r.id, "name": r.name, "model": r.model, "responses": r.responses}
                     for r in runs],
            "created_at": row.created_at}


def list_sets(foundry: Foundry, organization: int) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        ids = store.set_ids(conn, organization)
    return [get_set(foundry, organization, i) for i in ids]
