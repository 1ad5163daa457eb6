"""The contributor side's answers (``api/work.py``): leases, receipts, the contributor and
the projects and instructions they may see."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class LeasedItem(BaseModel):
    id: int
    external_id: str
    data: dict[str, Any] = Field(description="The item's data, as its primitive takes it.")


class LeaseOut(BaseModel):
    id: int
    project_id: int
    expires_at: float
    guideline_version: int
    item: LeasedItem
    suggestion: dict[str, Any] | None = Field(
        None, description="A model's answer, where the project shows it.")


class LeaseBatchOut(BaseModel):
    leases: list[LeaseOut]
    state: str = Field(description="Why fewer items than asked may come back.")
    reason: str


class ReceiptOut(BaseModel):
    submission_id: int
    lease_id: int
    item_id: int
    item_done: bool
    feedback: dict[str, Any] | None = Field(None, description="After a gold item.")


class ReceiptList(BaseModel):
    submissions: list[ReceiptOut]


class Renewed(BaseModel):
    id: int
    expires_at: float


class Released(BaseModel):
    id: int
    status: str


class MeOut(BaseModel):
    id: int
    name: str
    kind: str
    skills: list[Any]
    status: str


class VisibleProject(BaseModel):
    project_id: int
    name: str
    primitive: str
    guideline_version: int
    customer: str | None = Field(None, description="Named only if the organization lets "
                                                   "contributors know it.")


class VisibleProjects(BaseModel):
    projects: list[VisibleProject]


class InstructionsOut(BaseModel):
    project_id: int
    name: str
    primitive: str
    settings: dict[str, Any]
    guideline_version: int
    guidelines: str
    sensitivity: str
    definition: dict[str, Any] | None = Field(None, description="A customer primitive's.")
    answer_schema: dict[str, Any] | None = Field(
        None, description="A customer primitive's answer, as JSON Schema.")
    customer: str | None = None
