"""Projects: a primitive, versioned guidelines, settings, a quality policy and required skills."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from datafab import quality
from datafab.errors import Conflict, InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.names import CleanName
from datafab.parsing import parse
from datafab.primitives import Primitive, get_primitive
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.services.primitive_catalog import resolve
from datafab.store import projects as queries
from datafab.store.handles import Connection, IntegrityError, Row

#: A policy's ``method``: the primitive's default, its per-item vote, or a skill estimator
#: by its name in ``quality.ESTIMATORS`` (or an alias, stored as the name it stands for).
AGGREGATION_METHODS = ("auto", "majority", *quality.SKILL_ESTIMATORS)


class ModelPolicy(BaseModel):
    """How models take part in a project (see docs: hybrid production). Off by default: a
    model contributor is then a contributor like any other, its votes weighed by its skill."""

    model_config = ConfigDict(extra="forbid")

    first: bool = Field(
        False, description="Items go to a model contributor before people: it pre-labels, "
        "drafts, or (with auto_accept) finishes them."
    )
    auto_accept: bool = Field(
        False, description="Accept a model's answer without a person when it is confident "
        "and its gold accuracy at that confidence supports target_accuracy (needs first)."
    )
    accept_confidence: float = Field(
        0.9, ge=0.5, le=1.0, description="Least calibrated confidence a model answer needs "
        "to be accepted alone."
    )
    target_accuracy: float = Field(
        0.9, ge=0.5, le=1.0, description="Accuracy an accepted model answer must reach, "
        "measured on gold at that confidence (lower 90% bound)."
    )
    min_gold: int = Field(
        20, ge=1, le=100_000, description="Gold answers at that confidence the model must "
        "have given before any answer of it is accepted alone."
    )
    audit_rate: float = Field(
        0.05, ge=0.0, le=1.0, description="Share of acceptable model answers still sent to "
        "people, to keep measuring the model."
    )
    suggest: bool = Field(
        False, description="People see the model's answer as a suggestion (a pre-label, or "
        "a draft to critique and edit) in their lease (needs first)."
    )
    vote: bool = Field(
        False, description="A model answer on an item that goes to people counts as one "
        "vote, weighed by the model's measured skill (needs first)."
    )
    gold_rate: float | None = Field(
        None, ge=0.0, le=0.5, description="Share of a model's leases that are gold (the "
        "project's gold_rate when unset): a model's gold costs no person anything, and its "
        "accuracy must be measured before its answers may stand alone."
    )
    wait_seconds: int = Field(
        600, ge=1, le=7 * 86_400, description="Items no model has answered this long after "
        "upload go to people: the line keeps running without models."
    )

    @model_validator(mode="after")
    def _needs_first(self) -> ModelPolicy:
        for name in ("auto_accept", "suggest", "vote"):
            if getattr(self, name) and not self.first:
                raise ValueError(f"{name} needs first: true (a model answers before people)")
        return self


class QualityPolicy(BaseModel):
    """How many labels an item gets and when it is done."""

    model_config = ConfigDict(extra="forbid")

    min_labels: int = Field(1, ge=1, le=100, description="Labels every item gets.")
    max_labels: int = Field(1, ge=1, le=100, description="Most labels an item may get.")
    target_confidence: float = Field(
        0.0, ge=0.0, le=1.0, description="Close an item once its answer is this confident."
    )
    min_gain: float = Field(
        0.0, ge=0.0, lt=1.0, description="Also close an item once the labels it may still get "
        "(up to max_labels, from the project's average contributor) are expected to raise the "
        "chance its answer is right by less than this: stops spending on items more labels "
        "would not settle. At 0 only labels that could not change the answer at all are "
        "skipped; categorical answers only."
    )
    method: str = Field(
        "auto",
        description="How answers aggregate into records: dawid_skene, one_coin, glad or mace "
        "(categorical answers), majority (a per-item vote), or auto (dawid_skene where the "
        "answers are categorical, the primitive's own rule otherwise).",
    )
    gold_rate: float = Field(
        0.0, ge=0.0, le=0.5, description="Share of leased items that are gold, unannounced."
    )
    lease_seconds: int | None = Field(
        None, ge=10, le=86_400, description="Lease length; the server default when unset."
    )
    models: ModelPolicy = Field(
        default_factory=ModelPolicy, description="How models take part: first, auto_accept, "
        "suggest, vote, and the thresholds that keep model answers honest."
    )

    @model_validator(mode="after")
    def _bounds(self) -> QualityPolicy:
        if self.max_labels < self.min_labels:
            raise ValueError("max_labels must be at least min_labels")
        method = quality.estimator_name(self.method)
        if method not in AGGREGATION_METHODS:
            raise ValueError(f"method must be one of {', '.join(AGGREGATION_METHODS)}")
        self.method = method  # an alias is stored as the name it stands for
        return self

    def is_done(self, n_labels: int, confidence: float) -> bool:
        if n_labels >= self.max_labels:
            return True
        return n_labels >= self.min_labels and confidence >= self.target_confidence

    def wanted(self, n_labels: int) -> int:
        """Labels an open item wants in total now: ``min_labels``, then one more at a time."""
        return min(self.max_labels, max(self.min_labels, n_labels + 1))


class ProjectSpec(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: CleanName = Field(min_length=1, max_length=200)
    primitive: str
    guidelines: str = Field("", max_length=200_000)
    settings: dict[str, Any] = Field(default_factory=dict)
    policy: QualityPolicy = Field(default_factory=QualityPolicy)
    required_skills: list[str] = Field(default_factory=list, max_length=100)


class ProjectPatch(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: CleanName | None = Field(None, min_length=1, max_length=200)
    guidelines: str | None = Field(None, max_length=200_000)
    settings: dict[str, Any] | None = None
    policy: QualityPolicy | None = None
    required_skills: list[str] | None = Field(None, max_length=100)
    status: str | None = Field(None, pattern="^(active|paused)$")
    changelog: str | None = Field(None, max_length=20_000, description="With new "
                                  "guidelines: what changed, shown to contributors.")
    requires_acknowledgement: bool | None = Field(
        None, description="With new guidelines: contributors who worked under an earlier "
        "version get no leases until they acknowledge this one.")
    quiz_items: int | None = Field(None, ge=0, le=20, description="With "
                                   "requires_acknowledgement: gold items to answer first.")
    label_map: dict[str, str] | None = Field(
        None, description="With new settings.labels on a project that has answers: where each "
        "dropped or renamed label's answers go ({\"old\": \"new\"}); they are rewritten and "
        "the records recomputed."
    )


@dataclass(frozen=True)
class Project:
    id: int
    organization_id: int
    name: str
    primitive_name: str
    settings_raw: dict[str, Any]
    policy: QualityPolicy
    required_skills: list[str]
    guideline_version: int
    status: str
    created_at: float
    updated_at: float
    custom: Primitive | None = field(default=None, compare=False, repr=False)

    @property
    def primitive(self) -> Primitive:
        return self.custom or get_primitive(self.primitive_name)

    @property
    def form(self) -> str:
        """The workbench form: the primitive's own, or the one built from a layout."""
        return "declarative" if self.custom is not None else self.primitive_name

    @cached_property
    def settings(self) -> BaseModel:
        return self.primitive.parse_settings(self.settings_raw)


def validated(model: type[BaseModel], raw: Any) -> Any:
    return parse(model, raw)


def create_project(foundry: Foundry, organization: int, raw: dict[str, Any]) -> Project:
    with foundry.db.read() as conn:  # the organization's own primitive, pinned NAME@VERSION
        custom = resolve.for_new_project(
            conn, organization, raw.get("primitive") if isinstance(raw, dict) else None)
    new = new_project(organization, raw, foundry.now(), custom)
    try:
        with foundry.db.write() as conn:
            pid = insert_project(conn, new)
    except IntegrityError as exc:
        raise Conflict(f"name: a project named {new.name!r} exists", field="name") from exc
    return get_project(foundry, organization, pid)


@dataclass(frozen=True)
class NewProject:
    """A checked project spec, ready to insert (with other rows, in a caller's transaction)."""

    values: dict[str, Any]
    guidelines: str

    @property
    def name(self) -> str:
        return self.values["name"]


def new_project(organization: int, raw: dict[str, Any], now: float,
                custom: resolve.Pinned | None = None) -> NewProject:
    """Check a project spec (``InvalidInput`` naming the field); nothing is written."""
    spec: ProjectSpec = validated(ProjectSpec, raw)
    primitive = custom.primitive if custom else get_primitive(spec.primitive)
    settings = primitive.parse_settings(spec.settings)
    check_models(spec.policy, primitive, settings)
    values = dict(
        organization_id=organization,
        name=spec.name,
        primitive=custom.pinned if custom else spec.primitive,
        settings=settings.model_dump(mode="json"),
        policy=spec.policy.model_dump(mode="json"),
        required_skills=spec.required_skills,
        guideline_version=1,
        status="active",
        created_at=now,
        updated_at=now,
    )
    return NewProject(values, spec.guidelines)


def insert_project(conn: Connection, new: NewProject) -> int:
    """Insert a checked project and its first guidelines; a taken name raises
    ``IntegrityError`` (the caller's transaction then writes nothing)."""
    return queries.insert_project(conn, new.values, new.guidelines)


def check_models(policy: QualityPolicy, primitive: Primitive, settings: BaseModel) -> None:
    """Rules between the models block and the primitive: a model answer can only stand alone
    where answers are categorical (its confidence and gold accuracy then mean something)."""
    if policy.models.auto_accept and primitive.class_names(settings) is None:
        raise InvalidInput(
            f"policy.models.auto_accept: {primitive.name} answers are not categorical; a "
            "model's answer can stand alone only in classify or compare projects",
            field="policy.models.auto_accept",
        )


def load_project(conn: Connection, organization: int | None, project_id: int) -> Project:
    """The project, if it belongs to ``organization`` (``None``: any, for contributors)."""
    row = queries.load(conn, project_id, organization)
    if row is None:
        raise NotFound(f"project {project_id} not found", field="project_id")
    return _project(row, conn)


def working_project(foundry: Foundry, conn: Connection, project_id: int) -> Project:
    """The project for the lease/submit hot path: cached for a moment (see MomentCache)."""
    project = foundry.cache.get(("project", project_id))
    if project is None:
        project = load_project(conn, None, project_id)
        project.settings  # parse once, reuse while cached  # noqa: B018
        foundry.cache.put(("project", project_id), project)
    return project


def get_project(foundry: Foundry, organization: int | None, project_id: int) -> Project:
    with foundry.db.read() as conn:
        return load_project(conn, organization, project_id)


def guideline_text(foundry: Foundry, organization: int | None, project_id: int) -> str:
    with foundry.db.read() as conn:
        return guidelines_of(conn, load_project(conn, organization, project_id))


def guidelines_of(conn: Connection, project: Project) -> str:
    """The text of the project's current guidelines."""
    return queries.guideline_text(conn, project.id, project.guideline_version)


def list_projects(
    foundry: Foundry, organization: int, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[Project], str | None]:
    after, limit = decode_cursor(cursor), check_limit(limit)
    with foundry.db.read() as conn:
        rows = queries.page(conn, organization, after, limit + 1)
        page = [_project(r, conn) for r in rows[:limit]]
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None


def progress(foundry: Foundry, organization: int, project_id: int) -> dict[str, int]:
    """Items by status, labels given and live leases."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        rows = queries.item_tallies(conn, project.id)
    counts = {"items": 0, "open": 0, "done": 0, "labels": 0, "live_leases": 0}
    for status, n, labels, live in rows:
        counts[status] = n
        counts["items"] += n
        counts["labels"] += int(labels)
        counts["live_leases"] += int(live)
    return counts


def _project(row: Row[Any], conn: Connection) -> Project:
    custom = (resolve.primitive_of(conn, row.organization_id, row.primitive)
              if resolve.is_pinned(row.primitive) else None)
    return Project(
        id=row.id,
        organization_id=row.organization_id,
        name=row.name,
        primitive_name=row.primitive,
        settings_raw=row.settings,
        policy=QualityPolicy.model_validate(row.policy),
        required_skills=list(row.required_skills),
        guideline_version=row.guideline_version,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
        custom=custom,
    )
