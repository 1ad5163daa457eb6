"""The audit and selection endpoints of :class:`datafab.Client` (see docs/audit.md)."""

from __future__ import annotations

import time
from typing import Any


class CurationMethods:
    """Mixed into ``Client``: ``self._call(method, path, **kwargs)`` does the HTTP."""

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def start_audit(self, project_id: int) -> dict[str, Any]:
        """Start an audit of the project's labels; the run (poll :meth:`audit_run`)."""
        return self._call("POST", f"/v1/projects/{project_id}/audit")

    def audit_run(self, project_id: int, run_id: int) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{project_id}/audit/{run_id}")

    def audit(self, project_id: int, *, poll: float = 1.0, timeout: float = 3600.0
              ) -> dict[str, Any]:
        """Run an audit and wait for it; the finished run (``status`` done or failed)."""
        run = self.start_audit(project_id)
        deadline = time.monotonic() + timeout
        while run["status"] == "running" and time.monotonic() < deadline:
            time.sleep(poll)
            run = self.audit_run(project_id, run["id"])
        return run

    def audit_review(self, project_id: int, run_id: int, n: int, *, sample: int = 0
                     ) -> dict[str, Any]:
        """The audit's top ``n`` suspects (and ``sample`` random items) as a review project."""
        return self._call("POST", f"/v1/projects/{project_id}/audit/{run_id}/review",
                          json={"n": n, "sample": sample})

    def apply_review(self, review_project_id: int) -> dict[str, Any]:
        """Correct the original records from a finished review project."""
        return self._call("POST", f"/v1/projects/{review_project_id}/audit/corrections")

    def select_items(self, project_id: int, n: int, *, weak_slices: list[str] | None = None,
                     gap_run: int | None = None, method: str | None = None) -> dict[str, Any]:
        """Choose the unlabelled items to label next and raise their priority (``method``:
        margin or committee; ``None``: the server's default)."""
        body: dict[str, Any] = {"n": n, "weak_slices": weak_slices or [], "gap_run": gap_run}
        if method is not None:
            body["method"] = method
        return self._call("POST", f"/v1/projects/{project_id}/select", json=body)

    def learning_curve(self, project_id: int) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{project_id}/learning-curve")
