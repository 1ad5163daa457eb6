"""The skills taxonomy: languages by ISO 639 code with a fluency, domains as a tree
(``medicine/cardiology``, ``code/python``) with a level. Contributors declare skills in their
profile (``services/profiles.py``); passing a project's qualification verifies the ones the
project asks for. A project's requirements are matched here, as plain functions."""

from __future__ import annotations

from typing import Any

# ISO 639-1 (two letters). Three-letter ISO 639-3 codes are accepted as written.
ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da
de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy
hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg
li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or
os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta
te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())

LANGUAGE_LEVELS = ("basic", "fluent", "native")
DOMAIN_LEVELS = ("familiar", "professional", "expert")
DOMAIN_SEPARATOR = "/"


def check_language(code: str) -> str:
    """A language code, normalised: an ISO 639-1 code, or three letters (ISO 639-3)."""
    code = code.strip().lower()
    if code in ISO_639_1 or (len(code) == 3 and code.isascii() and code.isalpha()):
        return code
    raise ValueError(f"{code!r} is not an ISO 639 language code (e.g. 'fr', 'de', 'yue')")


def check_domain(path: str) -> str:
    """A domain path, normalised: names separated by '/', e.g. 'medicine/cardiology'."""
    parts = [p.strip() for p in path.strip().lower().split(DOMAIN_SEPARATOR)]
    if not all(parts) or not all(ch.isalnum() or ch in "-_ ." for p in parts for ch in p):
        raise ValueError("a domain is names separated by '/', e.g. 'medicine/cardiology'")
    return DOMAIN_SEPARATOR.join(parts)


def rank(kind: str, level: str) -> int:
    levels = LANGUAGE_LEVELS if kind == "language" else DOMAIN_LEVELS
    return levels.index(level) if level in levels else -1


def _covers(held: str, wanted: str) -> bool:
    """A held domain covers the wanted one when it is the same or lies below it in the tree."""
    return held == wanted or held.startswith(wanted + DOMAIN_SEPARATOR)


def missing(requirements: list[dict[str, Any]], skills: list[str],
            levels: dict[str, dict[str, Any]] | None, *, verified: bool) -> list[str]:
    """The requirements (``{"kind", "name", "level"}``) the contributor does not meet, named
    for a message; empty when they meet them all."""
    levels = levels or {}
    out = []
    for need in requirements:
        kind, name, level = need["kind"], need["name"], need.get("level")
        ok = False
        for held in skills:
            entry = levels.get(held) or {}
            held_kind = entry.get("kind", kind)
            if held_kind != kind:
                continue
            if not (held == name if kind == "language" else _covers(held, name)):
                continue
            if level and rank(kind, entry.get("level", "")) < rank(kind, level):
                continue
            if verified and not entry.get("verified"):
                continue
            ok = True
            break
        if not ok:
            out.append(f"{name}" + (f" ({level})" if level else ""))
    return out


def missing_names(names: list[str], skills: list[str]) -> list[str]:
    held = [s.lower() for s in skills]
    return [n for n in names if not any(_covers(h, n.lower()) for h in held)]
