"""A contributor's profile: the languages and domains they work in, each with a self-declared
level. The skill names land in ``contributors.skills`` (what projects' ``required_skills`` are
matched against); the levels in ``contributors.skill_levels``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from datafab.errors import InvalidInput, NotFound, from_pydantic
from datafab.foundry import Foundry
from datafab.services import taxonomy
from datafab.store import contributors as queries

LANGUAGE_LEVELS = ("basic", "fluent", "native")
DOMAIN_LEVELS = ("familiar", "professional", "expert")
MAX_SKILLS = 50


class _Skill(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)

    @field_validator("name")
    @classmethod
    def _normal(cls, value: str) -> str:
        value = value.strip().lower()
        if not value or not all(ch.isalnum() or ch in "-_ ." for ch in value):
            raise ValueError("use letters, digits, spaces, '-', '_' or '.'")
        return value


class Language(_Skill):
    """A language by its ISO 639 code."""

    level: Literal["basic", "fluent", "native"]

    @field_validator("name")
    @classmethod
    def _iso(cls, value: str) -> str:
        return taxonomy.check_language(value)


class Domain(BaseModel):
    """A domain in the tree, e.g. ``medicine/cardiology`` (which also counts as medicine)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    level: Literal["familiar", "professional", "expert"]

    @field_validator("name")
    @classmethod
    def _path(cls, value: str) -> str:
        return taxonomy.check_domain(value)


class Skills(BaseModel):
    model_config = ConfigDict(extra="forbid")

    languages: list[Language] = Field(default_factory=list, max_length=MAX_SKILLS)
    domains: list[Domain] = Field(default_factory=list, max_length=MAX_SKILLS)


@dataclass(frozen=True)
class Profile:
    id: int
    name: str
    email: str | None
    status: str
    skills: list[str]
    languages: list[dict[str, str]]
    domains: list[dict[str, str]]


def get_profile(foundry: Foundry, contributor_id: int) -> Profile:
    with foundry.db.read() as conn:
        row = queries.load(conn, contributor_id)
    if row is None:
        raise NotFound(f"contributor {contributor_id} not found", field="contributor_id")
    levels = row.skill_levels or {}
    languages: list[dict[str, Any]] = []
    domains: list[dict[str, Any]] = []
    for name in row.skills:
        entry = levels.get(name) or {}
        kind = entry.get("kind", "domain")
        shown = {"name": name, "level": entry.get("level", "")}
        if entry.get("verified"):
            shown["verified"] = True
        (languages if kind == "language" else domains).append(shown)
    return Profile(row.id, row.name, row.email, row.status, list(row.skills), languages, domains)


def _levels(raw: dict[str, Any], prefix: str = "") -> dict[str, dict[str, str]]:
    """Validated ``{"languages": [...], "domains": [...]}`` as ``skill_levels``."""
    try:
        spec = Skills.model_validate(raw)
    except ValidationError as exc:
        raise from_pydantic(exc, prefix or None) from exc
    levels: dict[str, dict[str, str]] = {}
    pairs: list[tuple[str, Sequence[Language | Domain]]] = [
        ("language", spec.languages), ("domain", spec.domains)]
    for kind, entries in pairs:
        for i, entry in enumerate(entries):
            if entry.name in levels:
                field = f"{prefix}.{kind}s.{i}.name" if prefix else f"{kind}s.{i}.name"
                raise InvalidInput(f"{field}: {entry.name!r} is listed twice", field=field)
            levels[entry.name] = {"kind": kind, "level": entry.level}
    return levels


def parse_skill_list(text: str) -> tuple[list[str], dict[str, Any]]:
    """``"en,fr:fluent,medicine/cardiology:professional"`` (the command line's ``--skills``)
    as (plain skill names, ``{"languages": [...], "domains": [...]}`` for those with a
    level). A level names its kind: basic, fluent or native for a language; familiar,
    professional or expert for a domain."""
    plain: list[str] = []
    spec: dict[str, list[dict[str, str]]] = {"languages": [], "domains": []}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        name, sep, level = entry.partition(":")
        name, level = name.strip(), level.strip().lower()
        if not sep:
            plain.append(name)
        elif level in LANGUAGE_LEVELS:
            spec["languages"].append({"name": name, "level": level})
        elif level in DOMAIN_LEVELS:
            spec["domains"].append({"name": name, "level": level})
        else:
            raise InvalidInput(
                f"skills: {entry!r} has an unknown level {level!r}; a language is "
                f"{', '.join(LANGUAGE_LEVELS)}, a domain {', '.join(DOMAIN_LEVELS)}",
                field="skills")
    return plain, spec


def create_with_skills(foundry: Foundry, name: str, kind: str,
                       skills: str) -> tuple[Any, str]:
    """A new contributor with skills given as ``parse_skill_list`` reads them, levels
    included; checked in full before anything is written. Returns (contributor, token)."""
    from datafab.services.accounts import create_contributor

    plain, spec = parse_skill_list(skills)
    levels = _levels(spec, "skills")
    names = list(dict.fromkeys(plain + list(levels)))
    who, token = create_contributor(foundry, {"name": name, "kind": kind, "skills": names})
    if levels:
        with foundry.db.write() as conn:
            queries.set_skill_levels(conn, who.id, levels)
    return who, token


def update_skills(foundry: Foundry, contributor_id: int, raw: dict[str, Any]) -> Profile:
    """Replace the contributor's skills. A name may appear once across languages and domains."""
    levels = _levels(raw)
    with foundry.db.write() as conn:
        before = queries.skill_levels(conn, contributor_id)
        for name, entry in levels.items():  # a verified skill stays verified at the same level
            old = before.get(name) or {}
            if old.get("verified") and old.get("level") == entry["level"]:
                entry["verified"] = old["verified"]
        done = queries.set_skills(conn, contributor_id, list(levels), levels)
    if not done:
        raise NotFound(f"contributor {contributor_id} not found", field="contributor_id")
    return get_profile(foundry, contributor_id)
