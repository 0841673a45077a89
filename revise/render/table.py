"""Table steps drawn for the terminal, the way torchinfo prints a model summary.

A table step (`engine.trace.Table`) has a header and rows of LaTeX cells. Each cell is drawn as
a formula (a fraction may take three lines, and the row grows to fit), columns are two spaces
apart, numbers are right-aligned, and double rules frame the header and the end:

    ══════════════════════════════════════════════
    Layer   Output shape    Parameters   MACs
    ══════════════════════════════════════════════
    conv1   96 × 55 × 55        34 944   105 415 200
    ...
    ══════════════════════════════════════════════

Shared by `revise solve` (`revise.render.terminal`) and the app's trace view.
"""

from __future__ import annotations

import re

from engine.trace import Table
from revise.render.latex_tree import LatexError
from revise.render.unicode_math import Box, latex_box, pad, width

GAP = "  "
# a cell that is a number as LaTeX writes one: digits, thin spaces, a sign, a decimal point
_NUMBER = re.compile(r"^-?[0-9][0-9.]*(?:\\,[0-9]+)*(?:\.[0-9]+)?$")


def _cell(latex: str) -> Box:
    if not latex.strip():
        return Box.text("")
    try:
        return latex_box(latex)
    except LatexError:
        # a cell the renderer cannot draw is still worth reading as written
        return Box.text(latex)


def numeric_columns(table: Table) -> list[bool]:
    """Which columns hold only numbers (below the header): those are right-aligned."""
    out = []
    for j in range(len(table.header)):
        cells = [row[j].strip() for row in table.rows if row[j].strip()]
        out.append(bool(cells) and all(_NUMBER.match(c) for c in cells))
    return out


def _row_lines(boxes: list[Box], widths: list[int], right: list[bool]) -> list[str]:
    above = max(b.baseline for b in boxes)
    below = max(b.height - b.baseline - 1 for b in boxes)
    lines = []
    for r in range(above + below + 1):
        parts = []
        for box, w, align_right in zip(boxes, widths, right):
            i = r - (above - box.baseline)
            text = box.lines[i] if 0 <= i < box.height else ""
            parts.append(" " * (w - width(text)) + text if align_right else pad(text, w))
        lines.append(GAP.join(parts).rstrip())
    return lines


def table_lines(table: Table) -> list[str]:
    """The table drawn as lines of text (no trailing spaces)."""
    header = [_cell(h) for h in table.header]
    body = [[_cell(c) for c in row] for row in table.rows]
    widths = [max([header[j].width, *(row[j].width for row in body)]) for j in range(len(header))]
    right = numeric_columns(table)
    total = sum(widths) + len(GAP) * (len(widths) - 1)
    rule = "═" * total
    lines = [rule, *_row_lines(header, widths, right), rule]
    for row in body:
        lines += _row_lines(row, widths, right)
    lines.append(rule)
    return lines


def _markdown_cell(latex: str) -> str:
    text = latex.strip()
    if not text:
        return ""
    # a pipe would end the cell: pipe tables take it escaped, and the maths gets it back
    return "$" + text.replace("|", r"\|") + "$"


def markdown_table(table: Table) -> list[str]:
    """The table as a Markdown pipe table, each cell as inline maths; numbers right-aligned."""
    right = numeric_columns(table)
    lines = ["| " + " | ".join(_markdown_cell(h) for h in table.header) + " |"]
    lines.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
    lines += ["| " + " | ".join(_markdown_cell(c) for c in row) + " |" for row in table.rows]
    return lines
