"""Charts drawn on the server as inline SVG: bars, a line with dots, a sparkline. No script,
no external request, no inline style (colours come from classes in app.css). Each chart is
an image with a title and a text alternative for screen readers."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 10, 34


def _fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}k"
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}"


def _ticks(top: float, n: int = 4) -> list[float]:
    return [top * i / n for i in range(n + 1)]


def nice_top(value: float, n: int = 4) -> float:
    """The smallest round axis top (n steps of 1, 2 or 5 × 10^k, at least 1) above value."""
    step = 1.0
    while step * n < value:
        for factor in (2, 2.5, 2):
            step *= factor
            if step * n >= value:
                break
    return step * n


def _frame(width: int, height: int, title: str, summary: str, body: list[str]) -> Markup:
    label = escape(f"{title}. {summary}")
    head = (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>")
    return Markup(head + "".join(body) + "</svg>")


def _axes(width: int, height: int, y_top: float, x_label: str, y_label: str,
          y_format=_fmt, y_bottom: float = 0.0) -> list[str]:
    plot_h = height - PAD_TOP - PAD_BOTTOM
    span = (y_top - y_bottom) or 1
    ticks = _ticks(y_top) if y_bottom == 0 else [y_bottom + span * i / 4 for i in range(5)]
    out = []
    for tick in ticks:
        y = PAD_TOP + plot_h - (tick - y_bottom) / span * plot_h
        out.append(f'<line class="grid" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" '
                   f'y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{escape(y_format(tick))}</text>")
    base = PAD_TOP + plot_h - (0 - y_bottom) / span * plot_h
    out.append(f'<line class="axis" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{base:g}" '
               f'y2="{base:g}"/>')
    out.append(f'<text x="{(PAD_LEFT + width - PAD_RIGHT) / 2:.1f}" y="{height - 4}" '
               f'text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="12" y="{PAD_TOP + plot_h / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 12 {PAD_TOP + plot_h / 2:.1f})">{escape(y_label)}</text>')
    return out


def bar_chart(values: Sequence[float], labels: Sequence[str], *, title: str, x_label: str,
              y_label: str, width: int = 480, height: int = 220,
              every: int = 1, y_format=_fmt) -> Markup:
    """Bars for ``values``; every ``every``-th bar gets its label under the axis. Negative
    values hang below a zero line in the middle (class ``bar negative``)."""
    lowest = min(values, default=0)
    top = nice_top(max(max(values, default=0), -lowest))
    bottom = -top if lowest < 0 else 0.0
    plot_w = width - PAD_LEFT - PAD_RIGHT
    plot_h = height - PAD_TOP - PAD_BOTTOM
    n = max(len(values), 1)
    slot = plot_w / n
    body = _axes(width, height, top, x_label, y_label, y_format, y_bottom=bottom)

    def at(value: float) -> float:
        return PAD_TOP + plot_h - (value - bottom) / (top - bottom) * plot_h

    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        y0, y1 = sorted((at(0), at(value)))
        x = PAD_LEFT + i * slot + slot * 0.1
        kind = "bar negative" if value < 0 else "bar"
        body.append(f'<rect class="{kind}" x="{x:.1f}" y="{y0:.1f}" '
                    f'width="{slot * 0.8:.1f}" height="{y1 - y0:.1f}">'
                    f"<title>{escape(label)}: {escape(y_format(value))}</title></rect>")
        if i % every == 0:
            body.append(f'<text x="{x + slot * 0.4:.1f}" y="{PAD_TOP + plot_h + 13}" '
                        f'text-anchor="middle">{escape(label)}</text>')
    summary = ", ".join(f"{label}: {y_format(v)}"
                        for v, label in zip(values, labels, strict=True))
    return _frame(width, height, title, summary, body)


def line_chart(points: Sequence[tuple[float, float]], *, title: str, x_label: str,
               y_label: str, y_max: float = 1.0, width: int = 480, height: int = 220,
               y_format=_fmt) -> Markup:
    """A line through ``points`` (x ascending), y from 0 to ``y_max``."""
    plot_w = width - PAD_LEFT - PAD_RIGHT
    plot_h = height - PAD_TOP - PAD_BOTTOM
    x_max = max((x for x, _ in points), default=1) or 1
    body = _axes(width, height, y_max, x_label, y_label, y_format)

    def at(x: float, y: float) -> tuple[float, float]:
        return PAD_LEFT + x / x_max * plot_w, PAD_TOP + plot_h - min(y, y_max) / y_max * plot_h

    coords = [at(x, y) for x, y in points]
    if coords:
        path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
        body.append(f'<polyline class="line" points="{path}"/>')
    for (x, y), (cx, cy) in zip(points, coords, strict=True):
        body.append(f'<circle class="dot" cx="{cx:.1f}" cy="{cy:.1f}" r="3.5">'
                    f"<title>{escape(_fmt(x))} → {escape(y_format(y))}</title></circle>")
    for tick in _ticks(x_max):
        cx = PAD_LEFT + tick / x_max * plot_w
        body.append(f'<text x="{cx:.1f}" y="{PAD_TOP + plot_h + 13}" text-anchor="middle">'
                    f"{escape(_fmt(round(tick)))}</text>")
    summary = "; ".join(f"{_fmt(x)}: {y_format(y)}" for x, y in points) or "no data yet"
    return _frame(width, height, title, summary, body)


def lines_chart(series: Sequence[tuple[str, Sequence[tuple[float, float]]]], *, title: str,
                x_label: str, y_label: str, y_max: float = 1.0, width: int = 480,
                height: int = 220, y_format=_fmt) -> Markup:
    """Several named lines on one pair of axes (the first solid, the others dashed), with a
    legend; y from 0 to ``y_max``."""
    plot_w, plot_h = width - PAD_LEFT - PAD_RIGHT, height - PAD_TOP - PAD_BOTTOM
    x_max = max((x for _, points in series for x, _ in points), default=1) or 1
    body = _axes(width, height, y_max, x_label, y_label, y_format)
    for n, (name, points) in enumerate(series):
        coords = [(PAD_LEFT + x / x_max * plot_w,
                   PAD_TOP + plot_h - min(y, y_max) / y_max * plot_h) for x, y in points]
        alt = "" if n == 0 else " alt"  # the stylesheet dashes and colours the others
        if coords:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
            body.append(f'<polyline class="line{alt}" points="{path}"/>')
        mark = "—" if n == 0 else "- -"
        body.append(f'<text class="legend{alt}" x="{PAD_LEFT + 8}" y="{PAD_TOP + 12 + 14 * n}">'
                    f"{mark} {escape(name)}</text>")
    for tick in _ticks(x_max):
        cx = PAD_LEFT + tick / x_max * plot_w
        body.append(f'<text x="{cx:.1f}" y="{PAD_TOP + plot_h + 13}" text-anchor="middle">'
                    f"{escape(_fmt(round(tick)))}</text>")
    summary = "; ".join(
        f"{name}: " + ", ".join(f"{_fmt(x)} → {y_format(y)}" for x, y in points)
        for name, points in series) or "no data yet"
    return _frame(width, height, title, summary, body)


def sparkline(values: Sequence[float], *, title: str) -> Markup:
    width, height = 120, 24
    top = max(max(values, default=0), 1)
    n = max(len(values) - 1, 1)
    path = " ".join(f"{i / n * (width - 2) + 1:.1f},{height - 2 - v / top * (height - 4):.1f}"
                    for i, v in enumerate(values))
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<polyline class="line" points="{path}"/></svg>')


def interval_strip(value: float | None, interval: tuple[float, float] | None, *, title: str,
                   summary: str, bar: float | None = None, width: int = 260,
                   height: int = 44) -> Markup:
    """A proportion on a 0–100% scale: its interval as a band, the value as a dot and the
    bar it has to clear as a tick, for a reader who asks "am I above the line?" at a
    glance. ``summary`` says the same in words (the text alternative)."""
    left, right, mid = 10, width - 10, 15
    scale = right - left

    def at(p: float) -> float:
        return left + min(max(p, 0.0), 1.0) * scale

    body = [f'<line class="track" x1="{left}" x2="{right}" y1="{mid}" y2="{mid}"/>']
    if interval is not None:
        low, high = interval
        body.append(f'<rect class="band" x="{at(low):.1f}" y="{mid - 6}" '
                    f'width="{max(at(high) - at(low), 1.0):.1f}" height="12" rx="3"/>')
    if bar is not None:
        body.append(f'<line class="mark" x1="{at(bar):.1f}" x2="{at(bar):.1f}" '
                    f'y1="{mid - 11}" y2="{mid + 11}"/>')
    if value is not None:
        body.append(f'<circle class="dot" cx="{at(value):.1f}" cy="{mid}" r="4.5"/>')
    for tick in (0.0, 0.5, 1.0):
        anchor = {0.0: "start", 1.0: "end"}.get(tick, "middle")
        body.append(f'<text x="{at(tick):.1f}" y="{height - 3}" text-anchor="{anchor}">'
                    f"{tick:.0%}</text>")
    label = escape(f"{title}. {summary}")
    return Markup(f'<svg class="strip" viewBox="0 0 {width} {height}" role="img" '
                  f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
                  f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")
