"""Automatic graders: what an eval item's ``reference`` says, and the score a response gets.

A reference is ``{"kind": ..., ...}``:

==========  ======================================================  ============================
kind        fields                                                  passes when
==========  ======================================================  ============================
exact       ``answer`` (string)                                     the response equals it, case,
                                                                    surrounding space and inner
                                                                    runs of space ignored
numeric     ``answer`` (number), ``tolerance`` (relative, 1e-6)     the last number in the
                                                                    response is within tolerance
regex       ``pattern``                                             the pattern matches anywhere
choice      ``answer`` (a letter), ``choices`` (letters, A–D)       the letter the response picks
                                                                    is the answer
code        ``tests`` (Python), ``timeout`` (seconds, 5)            the response's code, then the
                                                                    tests, exit 0 in a subprocess
rubric      ``rubric`` (grade criteria)                             — people or a judge grade it
none        —                                                       — pairwise comparison only
==========  ======================================================  ============================

Automatic scores are 0 or 1. Code runs in a fresh ``python -I`` process in an empty
temporary directory with an empty environment, a wall-clock limit and (on POSIX) CPU-time,
memory and file-size limits; it is a guard against accidents and runaway loops, not a
security boundary against hostile code — run evals of untrusted models on a machine you
can afford to lose.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from datafab.primitives.grade import MAX_CRITERIA, Criterion

AUTOMATIC = ("exact", "numeric", "regex", "choice", "code")
KINDS = (*AUTOMATIC, "rubric", "none")
MAX_CODE_SECONDS = 60.0


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["exact", "numeric", "regex", "choice", "code", "rubric", "none"] = "none"
    answer: str | float | None = None
    tolerance: float = Field(1e-6, ge=0, le=1)
    pattern: str | None = Field(None, max_length=10_000)
    choices: list[str] = Field(default_factory=lambda: ["A", "B", "C", "D"], max_length=26)
    tests: str | None = Field(None, max_length=200_000)
    timeout: float = Field(5.0, gt=0, le=MAX_CODE_SECONDS)
    rubric: list[dict[str, Any]] | None = Field(None, min_length=1, max_length=MAX_CRITERIA)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return pattern

    def check(self) -> Reference:
        """The fields each kind needs (raises ``ValueError`` naming the missing one)."""
        need = {"exact": "answer", "numeric": "answer", "regex": "pattern", "choice": "answer",
                "code": "tests", "rubric": "rubric"}.get(self.kind)
        if need and getattr(self, need) in (None, ""):
            raise BadReference(need, f"a {self.kind} reference needs {need}")
        if self.rubric is not None:
            check_rubric(self.rubric, "rubric")
        if self.kind == "numeric" and not _is_number(self.answer):
            raise BadReference("answer", "a numeric reference needs a number")
        if self.kind == "choice" and str(self.answer).strip().upper() not in \
                [c.upper() for c in self.choices]:
            raise BadReference("answer", f"{self.answer!r} is not one of the choices")
        return self

    @property
    def automatic(self) -> bool:
        return self.kind in AUTOMATIC


class BadReference(ValueError):
    """A reference that cannot grade: ``field`` is the path inside it (``rubric.0.id``),
    the message starts with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


_RUBRIC = TypeAdapter(list[Criterion])


def check_rubric(rubric: Any, field: str = "rubric") -> list[dict[str, Any]]:
    """A rubric as the ``grade`` primitive takes it: criteria ``{"id", "description",
    "weight" > 0, "min", "max"}`` with distinct ids. ``BadReference`` names the criterion and
    field (``rubric.0.id``); the rubric comes back as given."""
    if not isinstance(rubric, list) or not rubric:
        raise BadReference(field, "a rubric is a non-empty list of criteria")
    if len(rubric) > MAX_CRITERIA:
        raise BadReference(field, f"at most {MAX_CRITERIA} criteria")
    try:
        criteria = _RUBRIC.validate_python(rubric)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in (field, *first.get("loc", ())))
        msg = first.get("msg", "invalid")
        if first.get("type") == "missing":
            msg += " (a criterion is {id, description, weight, min, max})"
        raise BadReference(where, msg) from exc
    seen: set[str] = set()
    for k, criterion in enumerate(criteria):
        if criterion.id in seen:
            raise BadReference(f"{field}.{k}.id", f"criterion {criterion.id!r} is listed twice")
        seen.add(criterion.id)
    return rubric


def parse_reference(raw: Any) -> Reference:
    """A checked reference; ``BadReference`` (a ``ValueError`` whose ``field`` is the path
    inside the reference, which its message starts with) when it is bad."""
    if raw is None:
        return Reference()
    try:
        return Reference.model_validate(raw).check()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise BadReference(where, str(first.get("msg"))) from exc


@dataclass(frozen=True)
class Verdict:
    score: float
    details: dict[str, Any]


def grade(reference: Reference, response: str) -> Verdict | None:
    """The automatic verdict on a response, or ``None`` when the kind needs people/a judge."""
    kind = reference.kind
    if kind == "exact":
        got = normalise(response)
        return Verdict(float(got == normalise(str(reference.answer))), {"normalised": got})
    if kind == "numeric":
        number = last_number(response)
        want = float(reference.answer)  # type: ignore[arg-type]  # validated: a number
        ok = number is not None and math.isclose(number, want, rel_tol=reference.tolerance,
                                                 abs_tol=reference.tolerance)
        return Verdict(float(ok), {"extracted": number})
    if kind == "regex":
        ok = re.search(reference.pattern or "", response) is not None
        return Verdict(float(ok), {})
    if kind == "choice":
        picked = picked_choice(response, reference.choices)
        ok = picked is not None and picked == str(reference.answer).strip().upper()
        return Verdict(float(ok), {"extracted": picked})
    if kind == "code":
        return run_code(extract_code(response), reference.tests or "", reference.timeout)
    return None


# -- normalisers and extractors ---------------------------------------------------------------

def normalise(text: str) -> str:
    """Case-folded, stripped of surrounding space and trailing full stops, inner space
    collapsed."""
    return re.sub(r"\s+", " ", text).strip().rstrip(".").strip().casefold()


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?(?:\s*/\s*\d+)?|-?\.\d+")


def last_number(text: str) -> float | None:
    """The last number in the text: ``1,234.5``, ``-3``, ``2e-3``, ``3/4``, ``$12``, ``45%``
    (as 45). ``None`` when there is none."""
    found = _NUMBER.findall(text)
    if not found:
        return None
    token = found[-1].replace(",", "").replace(" ", "")
    try:
        if "/" in token:
            num, den = token.split("/")
            return float(num) / float(den) if float(den) else None
        return float(token)
    except ValueError:
        return None


def picked_choice(text: str, choices: list[str]) -> str | None:
    """The option letter a response picks: ``Answer: B``, ``(B)``, ``B.`` or a lone ``B``,
    the last such mention winning. ``None`` when none is found."""
    letters = "".join(re.escape(c.upper()) for c in choices)
    if not letters:
        return None
    upper = text.upper()
    stated = re.findall(rf"ANSWER\s*(?:IS)?\s*[:\-]?\s*\(?([{letters}])\)?\b", upper)
    if stated:
        return stated[-1]
    lone = re.findall(rf"(?<![A-Z])\(?([{letters}])\)?(?![A-Z])", text.strip())
    return lone[-1].upper() if lone else None


def is_number(value: Any) -> bool:
    return _is_number(value)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S)


def extract_code(text: str) -> str:
    """The code in a response: its fenced blocks joined, or the whole text when unfenced."""
    blocks = _FENCE.findall(text)
    return "\n\n".join(blocks) if blocks else text


def _limits(seconds: float):  # pragma: no cover - runs in the child
    import resource

    cpu = int(math.ceil(seconds)) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    memory = 1024 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    size = 16 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def run_code(code: str, tests: str, timeout: float) -> Verdict:
    """Run ``code`` then ``tests`` in a subprocess; passes when it exits 0 within
    ``timeout`` seconds."""
    with tempfile.TemporaryDirectory(prefix="datafab-eval-") as folder:
        path = Path(folder) / "solution.py"
        path.write_text(code + "\n\n" + tests + "\n", encoding="utf-8")
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            kwargs["preexec_fn"] = lambda: _limits(timeout)
        try:
            done = subprocess.run(
                [sys.executable, "-I", str(path)], cwd=folder, env={}, capture_output=True,
                timeout=timeout, stdin=subprocess.DEVNULL, **kwargs,
            )
        except subprocess.TimeoutExpired:
            return Verdict(0.0, {"outcome": "timeout", "timeout": timeout})
    outcome = "passed" if done.returncode == 0 else "failed"
    tail = done.stderr.decode("utf-8", "replace")[-2000:]
    return Verdict(float(done.returncode == 0),
                   {"outcome": outcome, "returncode": done.returncode, "stderr": tail})
