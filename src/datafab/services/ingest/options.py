"""How files become chunks (the run's options), and which projects take them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab.errors import InvalidInput
from datafab.ingest.chunking import BY, UNITS, ChunkSpec
from datafab.ingest.pipeline import InputFile
from datafab.ingest.workers import cores
from datafab.services.projects import Project

PARALLEL_FROM = 8 * 2**20  # bytes of input from which a pool pays for starting its workers
TARGETS = ("classify", "spans", "write")


class IngestOptions(BaseModel):
    """How files become chunks."""

    model_config = ConfigDict(extra="forbid")

    chunk_by: str = Field("paragraph", description=f"Chunk boundaries: {', '.join(BY)}.")
    chunk_size: int = Field(1000, ge=16, le=50_000, description="Largest chunk, in chunk_unit.")
    chunk_unit: str = Field("chars", description=f"Chunk size unit: {', '.join(UNITS)}.")
    text_field: str | None = Field(None, max_length=200, description="Field (JSONL) or column "
                                   "(CSV, Parquet) holding the text; default: text, content, "
                                   "body or message, else every text field.")
    near_duplicates: bool = Field(True, description="Drop near duplicates (MinHash LSH).")
    threshold: float = Field(0.85, ge=0.5, le=1.0,
                             description="Estimated Jaccard similarity of a near duplicate.")
    ner: bool = Field(True, description="Find names and addresses with a named-entity model "
                      "where one is installed (datafab[ner]); names are also found with "
                      "Datafab's list of names, model or not.")
    workers: int | None = Field(None, ge=0, le=64, description="Worker processes that redact "
                                "and fingerprint chunks while the run reads and stores them "
                                "(at most one per core; 0: the run does it all). Default: one "
                                "per core when the files come to "
                                f"more than {PARALLEL_FROM // 2**20} MB, else 0.")

    def spec(self) -> ChunkSpec:
        try:
            return ChunkSpec(by=self.chunk_by, size=self.chunk_size, unit=self.chunk_unit)
        except ValueError as exc:
            raise InvalidInput(f"options: {exc}", field="options") from exc


Source = InputFile  # a file to ingest, and the name the report and provenance give it


def item_data(project: Project, text: str) -> dict[str, Any]:
    """A chunk as the project's item: what its contributors (and models) are shown."""
    if project.primitive_name == "write":
        return {"prompt": text}
    return {"text": text}


def check_target(project: Project) -> None:
    if project.primitive_name not in TARGETS:
        raise InvalidInput(
            f"project: ingest routes chunks into {', '.join(TARGETS)} projects, not "
            f"{project.primitive_name}", field="project")


def workers_for(options: IngestOptions, sources: list[Source]) -> int:
    """Worker processes for the run: as asked, else one per core for inputs worth starting
    them (the run's own reading and storing is the lighter share, so it takes no core of
    its own)."""
    if options.workers is not None:
        return min(options.workers, cores())
    size = sum(s.path.stat().st_size for s in sources if s.path.is_file())
    return cores() if size >= PARALLEL_FROM else 0
