"""The importer of perception files (COCO, YOLO, VOC): records of images with their objects
(see :mod:`datafab.primitives.coco`) become items with their objects as the prior answer.

Each object is checked on its own against the project (its label, its place in the image),
so one odd object is left out and named — not its whole image; what the file already left
out is named the same way. Without ``on_skip`` (a strict import) the first of them refuses
the file. A COCO keypoints category (its point names and skeleton) is no item: a keypoints
importer hands it to ``on_category`` with its line, after naming the edges the file left
out; other importers pass it by.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from datafab.errors import InvalidInput
from datafab.primitives.importers import Check, Imported, Skipped


def object_rows(kind: str) -> Callable[..., Iterator[Imported]]:
    """The importer for a project of primitive ``kind`` (``boxes``, ``polygons`` or
    ``keypoints``)."""

    def rows(lines: Iterable[Any], *, check: Check | None = None,
             on_skip: Callable[[Skipped], None] | None = None,
             on_category: Callable[[int, dict[str, Any]], None] | None = None,
             ) -> Iterator[Imported]:
        for n, record in enumerate(lines, start=1):
            if isinstance(record, str) and not record.strip():
                continue  # a line the limits check blanked (already reported)
            if isinstance(record, dict) and "category" in record:
                if kind == "keypoints":
                    _report(n, record["skipped"]["keypoints"], on_skip)
                    if on_category is not None:
                        on_category(n, record["category"])
                continue
            try:
                if not isinstance(record, dict):
                    raise _Refused("not an image record of a COCO, YOLO or VOC file")
                yield _row(kind, n, record, check, on_skip)
            except _Refused as refused:
                if on_skip is None:
                    raise InvalidInput(f"line {n}: {refused}", field=f"line {n}") from None
                on_skip(Skipped(n, str(refused)))

    return rows


class _Refused(Exception):
    pass


def _row(kind: str, n: int, record: dict[str, Any], check: Check | None,
         on_skip: Callable[[Skipped], None] | None) -> Imported:
    if "refuse" in record:
        raise _Refused(record["refuse"])
    data = record["data"]
    problems = list(record.get("skipped", {}).get(kind, []))
    kept: list[Any] = []
    if check is not None:
        try:
            data, _ = check(data, None)
        except InvalidInput as exc:
            raise _Refused(f"{record['external_id']}: {exc.message}") from None
    for name, obj in record.get("objects", {}).get(kind, []):
        if kind == "keypoints" and kept:
            problems.append(f"{name}: a keypoints item holds one object's points; the image's "
                            "first annotation with points is taken")
            continue
        try:
            if check is not None:
                check(data, _prior(kind, [obj]))
        except InvalidInput as exc:
            problems.append(f"{name}: {exc.message.removeprefix('prior_answer.')}")
            continue
        kept.append(obj)
    _report(n, problems, on_skip)
    if kind == "keypoints" and not kept:
        return Imported(record["external_id"], data, None, n)  # an image without points
    prior = _prior(kind, kept)
    if check is not None:
        data, checked = check(data, prior)
        prior = checked or prior
    return Imported(record["external_id"], data, prior, n)


def _report(n: int, problems: list[str], on_skip: Callable[[Skipped], None] | None) -> None:
    """What line ``n`` left out, to ``on_skip`` (without it, a strict import: refused)."""
    for problem in problems:
        if on_skip is None:
            raise InvalidInput(f"line {n}: {problem}", field=f"line {n}")
        on_skip(Skipped(n, problem))


def _prior(kind: str, objects: list[Any]) -> dict[str, Any]:
    """The prior answer of an image's objects (a keypoints item's: its one set of points)."""
    return {"points": objects[0]} if kind == "keypoints" else {kind: objects}
