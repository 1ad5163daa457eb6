"""The leaderboard pages of the requester dashboard: the organization's eval sets, and an
eval set's leaderboard — a chart of every run's score with its 95% interval, the table with
tied ranks and the judgments behind each figure, what each dataset bought (gain per slice
per human hour), per-slice tables and the judges' agreement with people; beside what each
dataset bought, the learning curve of each data project (the built-in learner's held-out
accuracy against people's hours, as ``datafab eval curve --svg`` draws it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from fastapi import APIRouter, Request
from markupsafe import Markup, escape
from starlette.responses import Response

from datafab.errors import InvalidInput
from datafab.services import evals
from datafab.web import svg
from datafab.web.guards import PageFoundry, RequesterSession
from datafab.web.render import PageRoute, page

router = APIRouter(prefix="/dashboard/evals", route_class=PageRoute, include_in_schema=False)


def interval_chart(rows: Sequence[dict], *, title: str, x_label: str,
                   lo: float | None = None, hi: float | None = None,
                   width: int = 560) -> Markup:
    """One line per run: a dot at its score and a whisker over its interval, best first."""
    row_h, top, left, right, bottom = 26, 10, 150, 16, 34
    height = top + bottom + row_h * max(len(rows), 1)
    bounds = [b for r in rows for b in r["ci"] if b is not None]
    lo = min(bounds, default=0.0) if lo is None else lo
    hi = max(bounds, default=1.0) if hi is None else hi
    span = (hi - lo) or 1.0
    plot_w = width - left - right

    def x(value: float) -> float:
        return left + (value - lo) / span * plot_w

    body = []
    for k in range(5):
        tick = lo + span * k / 4
        body.append(f'<line class="grid" x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" '
                    f'y2="{height - bottom}"/>')
        body.append(f'<text x="{x(tick):.1f}" y="{height - bottom + 13}" '
                    f'text-anchor="middle">{escape(_fmt(tick))}</text>')
    body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">'
                f"{escape(x_label)}</text>")
    for i, r in enumerate(rows):
        cy = top + row_h * i + row_h / 2
        name = f"{r['rank']}. {r['name']}"
        body.append(f'<text x="{left - 8}" y="{cy + 4:.1f}" text-anchor="end">'
                    f"{escape(name[:24])}</text>")
        a, b = r["ci"]
        if a is not None and b is not None:
            body.append(f'<line class="line" x1="{x(a):.1f}" x2="{x(b):.1f}" y1="{cy:.1f}" '
                        f'y2="{cy:.1f}"/>')
        if r["score"] is not None:
            body.append(f'<circle class="dot" cx="{x(r["score"]):.1f}" cy="{cy:.1f}" r="4">'
                        f"<title>{escape(r['name'])}: {escape(_fmt(r['score']))} "
                        f"[{escape(_fmt(a))}, {escape(_fmt(b))}]</title></circle>")
    summary = "; ".join(f"{r['rank']}. {r['name']} {_fmt(r['score'])} "
                        f"({_fmt(r['ci'][0])}–{_fmt(r['ci'][1])})" for r in rows) or "no runs"
    label = escape(f"{title}. {summary}")
    return Markup(f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
                  f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
                  f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def learning_curve_chart(found: dict[str, Any], *, name: str | None = None) -> Markup:
    """The learner's held-out accuracy against people's time (a curve from
    :func:`datafab.models.learning_curve.curve_of`); minutes for short projects."""
    hours = [p["hours"] for p in found["points"]]
    minutes = max(hours, default=0.0) < 5  # short projects: minutes read better
    return svg.line_chart([(h * 60 if minutes else h, p["accuracy"])
                           for h, p in zip(hours, found["points"], strict=True)],
                          title=f"{name or 'Project ' + str(found['project_id'])}: held-out "
                          "accuracy of the learner against people's time",
                          x_label="people's minutes" if minutes else "people's hours",
                          y_label="held-out accuracy")


def learning_curves(foundry: Any, org: int, data: Sequence[dict]) -> list[dict[str, Any]]:
    """Per data project of the data-value table: its learning curve's chart, or why there
    is none (no scikit-learn, too few or too many records)."""
    from datafab.services.evals.curves import project_curve

    out = []
    for d in data:
        entry: dict[str, Any] = {"project_id": d["project_id"], "name": d["name"],
                                 "chart": None, "note": None, "points": []}
        try:
            found = project_curve(foundry, org, d["project_id"])
        except ImportError:
            entry["note"] = "the learner needs scikit-learn (pip install 'datafab[learner]')"
        except (ValueError, InvalidInput) as exc:
            entry["note"] = str(exc).partition(": ")[2] or str(exc)
        else:
            entry["chart"] = learning_curve_chart(found, name=d["name"])
            entry["points"] = found["points"]
        out.append(entry)
    return out


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3f}"


@router.get("")
def sets_page(request: Request, org: RequesterSession, foundry: PageFoundry) -> Response:
    return page(request, "dashboard/evals.html", title="Evaluations",
                sets=evals.list_sets(foundry, org))


@router.get("/{set_id}")
def leaderboard_page(request: Request, set_id: int, org: RequesterSession,
                     foundry: PageFoundry,
                     method: Literal["mean", "bradley_terry"] = "mean") -> Response:
    eval_set = evals.get_set(foundry, org, set_id)
    empty: str | None
    try:
        board = evals.leaderboard(foundry, org, set_id, method=method)
    except InvalidInput as exc:
        board, empty = None, exc.message
    else:
        empty = None
    chart = value = None
    curves: list[dict[str, Any]] = []
    if board is not None and method == "mean":
        value = evals.data_value(foundry, org, set_id)
        value["names"] = {d["project_id"]: d["name"] for d in value["data"]}
        if value["rows"]:
            curves = learning_curves(foundry, org, value["data"])
    if board is not None:
        scale: dict[str, Any] = {} if method == "bradley_terry" else {"lo": 0.0, "hi": 1.0}
        chart = interval_chart(
            board["models"], title=f"Leaderboard of {eval_set['name']}",
            x_label="Elo rating (95% interval)" if method == "bradley_terry"
            else "mean score (95% interval)", **scale)
    return page(request, "dashboard/leaderboard.html", title=f"Leaderboard: "
                f"{eval_set['name']}", eval_set=eval_set, board=board, chart=chart,
                method=method, empty=empty, fmt=_fmt, svg=svg, value=value, curves=curves)
