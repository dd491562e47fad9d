"""Charts drawn on the server as SVG: readable without script, printable, and accessible (a
title and a description the screen reader says; the page gives each a data table too)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = (
    "#2a5bd7",
    "#1b7f4b",
    "#c77700",
    "#8a4fd1",
    "#b3261e",
    "#0a8a8a",
    "#d6336c",
    "#5b6475",
    "#6b8e23",
    "#795548",
)
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28


def nice_max(value: float) -> int:
    """A round top for an axis holding ``value`` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return int(step * power) if step * power >= 1 else 1
    return int(10 * power)


def _frame(title: str, description: str, top: int, labels: Sequence[str], uid: str) -> list[str]:
    """The SVG's opening, title, description, horizontal grid and x labels."""
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(description)}</desc>',
    ]
    for n in range(5):
        y = TOP + plot_h - plot_h * n / 4
        value = f"{top * n / 4:g}"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    step = max(1, math.ceil(len(labels) / 8))  # at most ~8 labels on the axis
    plot_w = WIDTH - LEFT - RIGHT
    for n, label in enumerate(labels):
        if n % step:
            continue
        x = LEFT + plot_w * (n + 0.5) / max(1, len(labels))
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(label)}</text>'
        )
    return parts


def line_chart(
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    uid: str,
) -> Markup:
    """Lines, one per ``(name, values)`` series, over ``labels``."""
    top = nice_max(max((max(v, default=0) for _n, v in series), default=0))
    parts = _frame(title, description, top, labels, uid)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    for index, (name, values) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        points = " ".join(
            f"{LEFT + plot_w * (n + 0.5) / max(1, len(values)):.1f},"
            f"{TOP + plot_h - plot_h * v / top:.1f}"
            for n, v in enumerate(values)
        )
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{points}">'
            f"<title>{escape(name)}</title></polyline>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bars(
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    uid: str,
) -> Markup:
    """Bars stacked per label, one colour per ``(name, values)`` series."""
    totals = [sum(values[n] for _name, values in series) for n in range(len(labels))]
    top = nice_max(max(totals, default=0))
    parts = _frame(title, description, top, labels, uid)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    bar = max(2.0, slot * 0.7)
    for n, label in enumerate(labels):
        x = LEFT + slot * n + (slot - bar) / 2
        base = TOP + plot_h
        for index, (name, values) in enumerate(series):
            value = values[n]
            if not value:
                continue
            h = plot_h * value / top
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[index % len(PALETTE)]}"><title>{escape(name)} · '
                f"{escape(label)}: {value}</title></rect>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(names: Sequence[str]) -> Markup:
    """The colours of a chart's series, as a list."""
    # An SVG square, not a styled span: the content security policy forbids inline styles.
    items = "".join(
        f'<li><svg class="swatch" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" '
        f'height="12" rx="2" fill="{PALETTE[i % len(PALETTE)]}"/></svg>{escape(name)}</li>'
        for i, name in enumerate(names)
    )
    return Markup(f'<ul class="legend">{items}</ul>')
