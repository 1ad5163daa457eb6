"""The server-drawn charts (web/svg.py): bars below zero, and the interval strip."""

from __future__ import annotations

import re

from datafab.web import svg


def _rects(markup: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'(\w+)="([^"]*)"', m))
            for m in re.findall(r"<rect ([^>]*)>", markup)]


def test_bars_below_zero_hang_from_a_zero_line():
    chart = str(svg.bar_chart([2, -1, 0], ["a", "b", "c"], title="Net", x_label="day",
                              y_label="USD", height=220))
    up, down, flat = _rects(chart)
    assert up["class"] == "bar" and down["class"] == "bar negative"
    zero = float(up["y"]) + float(up["height"])  # the top of a bar below zero is the axis
    assert float(down["y"]) == zero and float(flat["height"]) == 0.0
    assert float(up["height"]) == 2 * float(down["height"])
    assert re.search(rf'class="axis"[^>]*y1="{zero:g}"', chart)
    assert "b: -1" in chart  # in the text alternative too


def test_positive_bars_keep_their_axis_at_the_bottom():
    chart = str(svg.bar_chart([1, 3], ["a", "b"], title="T", x_label="x", y_label="y"))
    assert "negative" not in chart
    assert '<line class="axis" x1="44" x2="468" y1="186" y2="186"/>' in chart


def test_the_interval_strip_places_band_dot_and_bar_on_the_scale():
    strip = str(svg.interval_strip(0.75, (0.3, 0.95), bar=0.8, width=220, title="Accuracy",
                                   summary="75% right"))
    scale = lambda p: 10 + p * 200  # noqa: E731  (10 px either side)
    (band,) = _rects(strip)
    assert float(band["x"]) == scale(0.3)
    assert float(band["width"]) == round(scale(0.95) - scale(0.3), 1)
    assert f'cx="{scale(0.75):.1f}"' in strip and f'x1="{scale(0.8):.1f}"' in strip
    assert 'aria-label="Accuracy. 75% right"' in strip
    nothing = str(svg.interval_strip(None, None, title="Accuracy", summary="none yet"))
    assert "<rect" not in nothing and "<circle" not in nothing and 'class="mark"' not in nothing
