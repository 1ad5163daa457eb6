"""The evaluation endpoints of :class:`datafab.Client` (see docs/evals.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class EvalMethods:
    """Mixed into ``Client``: ``self._call(method, path, **kwargs)`` does the HTTP."""

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def create_eval_set(self, name: str, items: Iterable[dict[str, Any]] = (), *,
                        description: str = "") -> dict[str, Any]:
        """An eval set; items are {external_id, prompt, reference?, slices?}."""
        return self._call("POST", "/v1/evals/sets", json={
            "name": name, "description": description, "items": list(items)})

    def eval_sets(self) -> list[dict[str, Any]]:
        sets: list[dict[str, Any]] = self._call("GET", "/v1/evals/sets")["data"]
        return sets

    def eval_set(self, set_id: int) -> dict[str, Any]:
        return self._call("GET", f"/v1/evals/sets/{set_id}")

    def add_eval_items(self, set_id: int, items: Iterable[dict[str, Any]]) -> dict[str, int]:
        return self._call("POST", f"/v1/evals/sets/{set_id}/items", json={"items": list(items)})

    def start_eval_run(self, set_id: int, model: str, *, name: str | None = None,
                       backend: str = "openai", params: dict[str, Any] | None = None,
                       family: str | None = None, trained_on: Iterable[int] = ()
                       ) -> dict[str, Any]:
        """A run (or the run of that name, to resume it); ``trained_on`` names the data
        projects the model was trained on, ``family`` the model family it is a version of."""
        body: dict[str, Any] = {"model": model, "backend": backend, "params": params or {}}
        if name is not None:
            body["name"] = name
        if family is not None:
            body["family"] = family
        if trained_on:
            body["trained_on"] = list(trained_on)
        return self._call("POST", f"/v1/evals/sets/{set_id}/runs", json=body)

    def eval_run(self, run_id: int) -> dict[str, Any]:
        return self._call("GET", f"/v1/evals/runs/{run_id}")

    def eval_pending(self, run_id: int, *, after: int = 0, limit: int = 100
                     ) -> dict[str, Any]:
        return self._call("GET", f"/v1/evals/runs/{run_id}/pending",
                          params={"after": after, "limit": limit})

    def add_eval_responses(self, run_id: int, responses: list[dict[str, Any]]
                           ) -> dict[str, int]:
        return self._call("POST", f"/v1/evals/runs/{run_id}/responses",
                          json={"responses": responses})

    def create_eval_grading(self, set_id: int, kind: str, runs: list[int], *,
                            rubric: list[dict[str, Any]] | None = None, min_labels: int = 1,
                            name: str | None = None) -> dict[str, Any]:
        """A ``grade`` or ``compare`` project people work through leases."""
        body: dict[str, Any] = {"kind": kind, "runs": runs, "min_labels": min_labels}
        if rubric is not None:
            body["rubric"] = rubric
        if name is not None:
            body["name"] = name
        return self._call("POST", f"/v1/evals/sets/{set_id}/grading", json=body)

    def eval_judge_tasks(self, set_id: int, judge: str, *, after: int = 0,
                         limit: int = 100) -> dict[str, Any]:
        return self._call("GET", f"/v1/evals/sets/{set_id}/judge-tasks",
                          params={"judge": judge, "after": after, "limit": limit})

    def add_eval_judgments(self, set_id: int, judge: str, judgments: list[dict[str, Any]]
                           ) -> dict[str, int]:
        return self._call("POST", f"/v1/evals/sets/{set_id}/judgments",
                          json={"judge": judge, "judgments": judgments})

    def leaderboard(self, set_id: int, *, method: str = "mean", rounds: int = 1000,
                    seed: int = 0) -> dict[str, Any]:
        return self._call("GET", f"/v1/evals/sets/{set_id}/leaderboard",
                          params={"method": method, "rounds": rounds, "seed": seed})

    def data_value(self, set_id: int, *, rounds: int = 1000, seed: int = 0
                   ) -> dict[str, Any]:
        """What each dataset bought: gain per slice per human hour (see docs/evals.md)."""
        return self._call("GET", f"/v1/evals/sets/{set_id}/data-value",
                          params={"rounds": rounds, "seed": seed})

    def gap_report(self, run_id: int, *, low: float = 0.6) -> dict[str, Any]:
        return self._call("GET", f"/v1/evals/runs/{run_id}/gaps", params={"low": low})

    def order_data(self, run_id: int, slice: str, *, items: int = 50,
                   name: str | None = None) -> dict[str, Any]:
        """Turn a gap of the run into a data project."""
        body: dict[str, Any] = {"slice": slice, "items": items}
        if name is not None:
            body["name"] = name
        return self._call("POST", f"/v1/evals/runs/{run_id}/gaps/project", json=body)
