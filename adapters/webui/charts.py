"""Charts as server-side SVG: pure functions from numbers to markup, no JavaScript, no build step.

Each returns a complete inline <svg> (with a <title> and an aria-label, so it reads without the picture) whose
every piece of text is escaped. Colours come from the page's CSS classes (`series-1` for lines and bars, `stack-1`
… `stack-4` for the parts of a stacked bar, `axis`, `grid`, `label`), so the charts follow the site's look. With
nothing to draw, a chart says so instead of drawing axes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 44
PAD_RIGHT = 12
PAD_TOP = 12
PAD_BOTTOM = 28
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 180
SERIES = 4  # CSS classes stack-1 … stack-4


def line_chart(labels: Sequence[str], values: Sequence[float | None], title: str, unit: str = "") -> Markup:
    """One value per label (a week, say), joined by a line; None is a gap (no data that week)."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return empty(title)
    top, ticks = axis(max(v for _, v in points))
    x = _x_positions(len(labels))
    parts = [*_frame(top, ticks, unit), *_x_labels(labels, x)]
    segments: list[list[str]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            segments.append([])
            continue
        segments[-1].append(f"{x[i]:.1f},{_y(value, top):.1f}")
    for segment in segments:
        if len(segment) > 1:
            parts.append(f'<polyline class="line series-1" fill="none" points="{" ".join(segment)}"/>')
    for i, value in points:
        tip = f"{labels[i]}: {_number(value)}{unit}"
        parts.append(
            f'<circle class="dot series-1" cx="{x[i]:.1f}" cy="{_y(value, top):.1f}" r="3.5">'
            f"<title>{escape(tip)}</title></circle>"
        )
    return _svg(title, parts)


def stacked_bars(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], title: str) -> Markup:
    """One bar per label, stacked from the series (e.g. swarms per week, by severity), with a legend."""
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    if not labels or not any(totals):
        return empty(title)
    top, ticks = axis(max(totals))
    x = _x_positions(len(labels))
    slot = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(len(labels), 1)
    width = max(2.0, min(36.0, slot * 0.7))
    parts = [*_frame(top, ticks, ""), *_x_labels(labels, x)]
    for i, label in enumerate(labels):
        base = 0
        for n, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            y_top, y_bottom = _y(base + value, top), _y(base, top)
            tip = f"{label}: {value} {name}"
            parts.append(
                f'<rect class="bar stack-{n % SERIES + 1}" x="{x[i] - width / 2:.1f}" y="{y_top:.1f}" '
                f'width="{width:.1f}" height="{max(y_bottom - y_top, 0.5):.1f}"><title>{escape(tip)}</title></rect>'
            )
            base += value
    parts += _legend([name for name, _ in series])
    return _svg(title, parts)


def bars(items: Sequence[tuple[str, float]], title: str, unit: str = "") -> Markup:
    """Horizontal bars, one per item, in the order given (top topics, skill gaps, each helper's load)."""
    if not items or not any(value for _, value in items):
        return empty(title)
    top = max(value for _, value in items)
    height = PAD_TOP + len(items) * (BAR_HEIGHT + BAR_GAP)
    room = WIDTH - LABEL_WIDTH - PAD_RIGHT - 48
    parts = []
    for i, (label, value) in enumerate(items):
        y = PAD_TOP / 2 + i * (BAR_HEIGHT + BAR_GAP)
        length = max(room * value / top, 1.0) if top else 1.0
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end">'
            f"{escape(short)}</text>"
        )
        parts.append(
            f'<rect class="bar series-1" x="{LABEL_WIDTH}" y="{y:.1f}" width="{length:.1f}" height="{BAR_HEIGHT}">'
            f"<title>{escape(f'{label}: {_number(value)}{unit}')}</title></rect>"
        )
        parts.append(
            f'<text class="value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}">'
            f"{escape(_number(value) + unit)}</text>"
        )
    return _svg(title, parts, height=max(height, BAR_HEIGHT + PAD_TOP))


def sparkline(values: Sequence[float | None], title: str, width: int = 120, height: int = 32) -> Markup:
    """A small trend line for a headline figure."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return Markup("")
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 3 - (v - low) / span * (height - 6):.1f}"
        for i, v in enumerate(values)
        if v is not None
    )
    return Markup(  # safe: numbers and an escaped title only
        f'<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<polyline class="line series-1" fill="none" points="{points}"/></svg>'
    )


def empty(title: str) -> Markup:
    return Markup(  # safe: the title is escaped
        f'<svg class="chart empty" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} 60" role="img" '
        f'aria-label="{escape(title)}: no data yet"><title>{escape(title)}</title>'
        f'<text class="label" x="{WIDTH / 2}" y="34" text-anchor="middle">No data yet</text></svg>'
    )


def axis(value: float) -> tuple[float, int]:
    """The top of a value axis and its number of steps: the smallest top with 3 to 5 steps of 1, 2 or 5 times a
    power of ten, so that every grid line has a round value (counts stay whole: 3 → 3, 7 → 8, 9 → 10)."""
    if value <= 0:
        return 1.0, 4
    best: tuple[float, int] | None = None
    for ticks in (4, 5, 3):
        raw = value / ticks
        power = 10 ** math.floor(math.log10(raw))
        step = next(s * power for s in (1, 2, 5, 10) if raw <= s * power * (1 + 1e-9))
        if value >= 3 and step < 1:  # whole steps once there is room for them
            step = 1
        if best is None or step * ticks < best[0]:
            best = (float(step * ticks), ticks)
    assert best is not None
    return best


# -- pieces ---------------------------------------------------------------------------------------------------------


def _svg(title: str, parts: list[str], height: int = HEIGHT) -> Markup:
    body = "".join(parts)
    return Markup(  # safe: built from numbers and escaped text only
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>'
    )


def _frame(top: float, ticks: int, unit: str) -> list[str]:
    """Horizontal grid lines with their values, and the baseline."""
    parts = []
    for k in range(ticks + 1):
        value = top * k / ticks
        y = _y(value, top)
        parts.append(f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="label" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_number(value) + unit)}</text>"
        )
    bottom = HEIGHT - PAD_BOTTOM
    parts.append(f'<line class="axis" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{bottom}" y2="{bottom}"/>')
    return parts


def _x_labels(labels: Sequence[str], x: Sequence[float]) -> list[str]:
    every = max(1, math.ceil(len(labels) / 8))  # at most 8 labels, so they never overlap; counted from the last
    last = len(labels) - 1
    return [
        f'<text class="label" x="{x[i]:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if (last - i) % every == 0
    ]


def _legend(names: Sequence[str]) -> list[str]:
    parts = []
    x = PAD_LEFT + 4
    for n, name in enumerate(names):
        parts.append(f'<rect class="stack-{n % SERIES + 1}" x="{x}" y="2" width="10" height="10"/>')
        parts.append(f'<text class="label" x="{x + 14}" y="11">{escape(name)}</text>')
        x += 22 + 7 * len(name)
    return parts


def _x_positions(count: int) -> list[float]:
    slot = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(count, 1)
    return [PAD_LEFT + slot * (i + 0.5) for i in range(count)]


def _y(value: float, top: float) -> float:
    return HEIGHT - PAD_BOTTOM - (value / top) * (HEIGHT - PAD_BOTTOM - PAD_TOP - 8)


def _number(value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")
