"""The endpoints of :class:`datafab.Client` for talking with contributors (see
docs/contributor-relations.md): guideline acknowledgements, disputes, messages and the
common-errors digest."""

from __future__ import annotations

from typing import Any


class RelationMethods:
    """Mixed into ``Client``: ``self._call(method, path, **kwargs)`` does the HTTP."""

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    # -- a contributor's side --
    def guidelines_pending(self, project_id: int) -> dict[str, Any]:
        """What the contributor must acknowledge before more work (``pending``), with the
        changelog and the quiz's items."""
        return self._call("GET", f"/v1/projects/{project_id}/guidelines/pending")

    def acknowledge_guidelines(self, project_id: int, version: int | None = None,
                               answers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"answers": answers or []}
        if version is not None:
            body["version"] = version
        return self._call("POST", f"/v1/projects/{project_id}/guidelines/acknowledge",
                          json=body)

    def dispute(self, project_id: int, submission_id: int, reason: str) -> dict[str, Any]:
        """Dispute the verdict on one's own wrong answer to a check item."""
        return self._call("POST", f"/v1/projects/{project_id}/disputes",
                          json={"submission_id": submission_id, "reason": reason})

    def messages(self) -> dict[str, Any]:
        """The inbox: ``unread`` and ``messages``, newest first."""
        return self._call("GET", "/v1/me/messages")

    def ask(self, project_id: int, item_id: int, question: str) -> dict[str, Any]:
        return self._call("POST", f"/v1/projects/{project_id}/questions",
                          json={"item_id": item_id, "body": question})

    def common_errors(self, project_id: int) -> dict[str, Any]:
        """The project's common errors with one's own mistakes (contributor), or all of it
        (requester)."""
        return self._call("GET", f"/v1/me/projects/{project_id}/common-errors")

    # -- a requester's side --
    def announce(self, project_id: int, subject: str, body: str) -> dict[str, Any]:
        return self._call("POST", f"/v1/projects/{project_id}/announcements",
                          json={"subject": subject, "body": body})

    def questions(self, project_id: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call(
            "GET", f"/v1/projects/{project_id}/questions")["questions"]
        return found

    def answer_question(self, question_id: int, body: str, *, faq: bool = False
                        ) -> dict[str, Any]:
        return self._call("POST", f"/v1/questions/{question_id}/answer",
                          json={"body": body, "faq": faq})

    def guideline_acknowledgements(self, project_id: int) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{project_id}/guidelines/acknowledgements")
