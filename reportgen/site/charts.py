"""Static SVG bar charts, as plain geometry for templates/_chart.html to draw.

Drawn by hand rather than with a charting library: the ones that emit SVG (pygal, matplotlib)
style it with <style> elements or style="" attributes, which the hosting CSP (no inline style)
blocks; presentation attributes and the site's stylesheet are all this needs."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 12, 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


def _nice_ceiling(value: float, whole: bool) -> float:
    """The smallest round number at or above value: 1, 2, 2.5, 5 x 10^k; for whole counts
    2, 4, 10 x 10^k, so that the middle tick is a whole number too."""
    steps = (2, 4, 10) if whole else (1, 2, 2.5, 5, 10)
    if value <= 0:
        return float(steps[0])
    magnitude = 10 ** math.floor(math.log10(value))
    if whole:
        magnitude = max(1, magnitude)
    return next(step * magnitude for step in steps if step * magnitude >= value)


def bar_chart(points: list[dict], key: str, title: str, unit: str, fmt: Callable[[object], str],
              tick_fmt: Callable[[object], str] | None = None) -> dict:
    """`points`: [{"day": "2026-10-01", key: value}, ...] with every day present. `fmt` shows the
    values (exactly); `tick_fmt` the round numbers on the axis (default fmt)."""
    tick_fmt = tick_fmt or fmt
    values = [float(Decimal(p[key])) for p in points]
    top = _nice_ceiling(max(values, default=0), whole=key != "price")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(points))
    bars = []
    for i, (point, value) in enumerate(zip(points, values)):
        h = plot_h * value / top
        bars.append(Bar(LEFT + i * step + step * 0.1, TOP + plot_h - h, max(step * 0.8, 1), h,
                        point["day"], fmt(point[key])))
    every = max(1, len(points) // 8)
    x_labels = [{"x": LEFT + i * step + step / 2, "text": p["day"][5:]} for i, p in enumerate(points) if i % every == 0]
    y_ticks = [{"y": TOP + plot_h - plot_h * f, "text": tick_fmt(_tick_value(top * f, key))} for f in (0, 0.5, 1)]
    busiest = max(range(len(points)), key=lambda i: values[i]) if points else None
    if points:
        summary = (f"{title}, {len(points)} days from {points[0]['day']} to {points[-1]['day']}; "
                   f"highest on {points[busiest]['day']}: {fmt(points[busiest][key])}.")
    else:
        summary = f"{title}: no data."
    return {"width": WIDTH, "height": HEIGHT, "title": title, "summary": summary, "unit": unit, "bars": bars,
            "x_labels": x_labels, "y_ticks": y_ticks, "axis": {"x0": LEFT, "x1": WIDTH - RIGHT,
                                                               "y0": TOP, "y1": TOP + plot_h},
            "points": [{"day": p["day"], "value": fmt(p[key])} for p in points]}


def _tick_value(value: float, key: str) -> object:
    return Decimal(str(round(value, 6))) if key == "price" else int(round(value))


def daily_charts(points: list[dict], usd: Callable, count: Callable, usd_axis: Callable) -> list[dict]:
    """Spend and requests per day. `usd(value)` shows an amount exactly, `usd_axis` a round one."""
    return [bar_chart(points, "price", "Spend per day", "USD", usd, usd_axis),
            bar_chart(points, "requests", "Requests per day", "requests", count)]
