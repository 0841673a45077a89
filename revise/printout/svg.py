"""Activation plots as SVG, for Markdown sheets (as a data URI) and Anki cards (inline)."""

from __future__ import annotations

import base64
from html import escape

from revise.printout.pictures import ActivationPlot, Panel

ACCENT = "#1f5f99"
MARK = "#c0392b"
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"


def _f(v: float) -> str:
    return f"{v:g}"


def panel_svg(p: Panel, dx: float) -> str:
    left, top, right, bottom = p.plot_box
    out = [f"<g transform='translate({_f(dx)},0)'>"]
    for t in p.x_ticks:
        out.append(
            f"<line x1='{_f(t.pos)}' y1='{_f(top)}' x2='{_f(t.pos)}' y2='{_f(bottom)}' "
            "stroke='#dddddd' stroke-width='0.4'/>"
        )
        out.append(
            f"<text x='{_f(t.pos)}' y='{_f(bottom + 9)}' font-size='6.5' fill='#666' "
            f"text-anchor='middle' {FONT}>{escape(t.label)}</text>"
        )
    for t in p.y_ticks:
        out.append(
            f"<line x1='{_f(left)}' y1='{_f(t.pos)}' x2='{_f(right)}' y2='{_f(t.pos)}' "
            "stroke='#dddddd' stroke-width='0.4'/>"
        )
        out.append(
            f"<text x='{_f(left - 3)}' y='{_f(t.pos + 2.3)}' font-size='6.5' fill='#666' "
            f"text-anchor='end' {FONT}>{escape(t.label)}</text>"
        )
    out.append(
        f"<rect x='{_f(left)}' y='{_f(top)}' width='{_f(right - left)}' "
        f"height='{_f(bottom - top)}' fill='none' stroke='#999' stroke-width='0.5'/>"
    )
    out.append(
        f"<line x1='{_f(left)}' y1='{_f(p.x_axis)}' x2='{_f(right)}' y2='{_f(p.x_axis)}' "
        "stroke='#666' stroke-width='0.6'/>"
    )
    out.append(
        f"<line x1='{_f(p.y_axis)}' y1='{_f(top)}' x2='{_f(p.y_axis)}' y2='{_f(bottom)}' "
        "stroke='#666' stroke-width='0.6'/>"
    )
    for line in p.lines:
        points = " ".join(f"{_f(x)},{_f(y)}" for x, y in line)
        out.append(
            f"<polyline points='{points}' fill='none' stroke='{ACCENT}' stroke-width='1.3' "
            "stroke-linejoin='round'/>"
        )
    for m in p.marks:
        out.append(
            f"<circle cx='{_f(m.x)}' cy='{_f(m.y)}' r='2.2' fill='{MARK}' stroke='white' "
            "stroke-width='0.6'/>"
        )
        if m.label:
            anchor = "start" if m.x < (left + right) / 2 else "end"
            x = m.x + 4 if anchor == "start" else m.x - 4
            out.append(
                f"<text x='{_f(x)}' y='{_f(m.y - 4)}' font-size='6.5' fill='{MARK}' "
                f"text-anchor='{anchor}' {FONT}>{escape(m.label)}</text>"
            )
    out.append(
        f"<text x='{_f(left)}' y='10' font-size='8' font-weight='bold' fill='#1b2433' {FONT}>"
        f"{escape(p.title)}</text>"
    )
    out.append("</g>")
    return "".join(out)


def plot_svg(plot: ActivationPlot) -> str:
    """Both panels side by side, as one SVG document."""
    gap = 14.0
    width = sum(p.width for p in plot.panels) + gap * (len(plot.panels) - 1)
    height = max(p.height for p in plot.panels)
    parts = []
    dx = 0.0
    for p in plot.panels:
        parts.append(panel_svg(p, dx))
        dx += p.width + gap
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{_f(width * 1.5)}' "
        f"height='{_f(height * 1.5)}' viewBox='0 0 {_f(width)} {_f(height)}' role='img'>"
        f"<title>{escape(plot.caption)}</title>" + "".join(parts) + "</svg>"
    )


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
