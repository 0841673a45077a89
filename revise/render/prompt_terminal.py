"""A prompt drawn in the terminal: prose wrapped to the width, maths as Unicode, matrices below.

Inline maths is drawn on one line (fractions as a/b) and never broken across lines; maths that
needs two dimensions (a matrix with no name, a tall script) breaks the paragraph and is drawn as
a block. The named matrices of a paragraph (`revise.render.prompt`) follow it, side by side while
they fit. `prompt_lines` serves `revise review --plain` and `revise solve`; `PromptRenderable`
lays out the same lines at the width the app gives it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING

from revise.printout.card_markdown import (
    Bold,
    BulletList,
    Code,
    Italic,
    Line,
    Math,
    NumberedList,
    Paragraph,
    Span,
    Text,
)
from revise.render.latex_tree import LatexError
from revise.render.prompt import PromptBlock, parse_prompt
from revise.render.unicode_math import Box, hcat, latex_box, latex_to_unicode, width

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

#: inside maths, spaces that must not become line breaks
_KEEP = "\u00a0"
#: columns between matrices drawn side by side, and their indent
GAP = 4
INDENT = 2


def _braced(latex: str, at: int) -> tuple[str, int] | None:
    """The `{…}` group starting at `at` (spaces skipped): its contents and the index after it."""
    while at < len(latex) and latex[at] == " ":
        at += 1
    if at >= len(latex) or latex[at] != "{":
        return None
    depth = 0
    for i in range(at, len(latex)):
        depth += {"{": 1, "}": -1}.get(latex[i], 0)
        if depth == 0:
            return latex[at + 1 : i], i + 1
    return None


def _parenthesised(part: str) -> str:
    simple = re.fullmatch(r"[A-Za-z0-9.]+|\\[A-Za-z]+|[A-Za-z0-9.]*\^\{?[^ ]*\}?", part.strip())
    return part if simple else f"({part})"


def flat_fractions(latex: str) -> str:
    """`\\frac{a}{b + c}` written on one line as `a/(b + c)`: for maths inside a sentence."""
    out: list[str] = []
    at = 0
    while (start := latex.find("\\frac", at)) >= 0:
        out.append(latex[at:start])
        numerator = _braced(latex, start + 5)
        denominator = _braced(latex, numerator[1]) if numerator else None
        if numerator is None or denominator is None:
            out.append(latex[start:])
            return "".join(out)
        top, bottom = flat_fractions(numerator[0]), flat_fractions(denominator[0])
        out.append(f"{_parenthesised(top)}/{_parenthesised(bottom)}")
        at = denominator[1]
    out.append(latex[at:])
    return "".join(out)


def inline_unicode(latex: str) -> str | None:
    """Maths inside a sentence as one line of Unicode; None if it needs two dimensions."""
    try:
        text = latex_to_unicode(flat_fractions(latex.strip()))
    except LatexError:
        return _as_written(latex)
    return None if "\n" in text else text


def _as_written(latex: str) -> str:
    """LaTeX outside the renderer's subset, shown as written (no dollars): seen, never lost."""
    return " ".join(latex.split())


def _box(latex: str) -> Box:
    try:
        return latex_box(latex.strip())
    except LatexError:
        return Box.text(_as_written(latex))


def _runs(spans: Iterable[Span]) -> list[str | Box]:
    """Prose (maths kept whole with no-break spaces) and the 2-D blocks that interrupt it."""
    out: list[str | Box] = [""]

    def add(piece: str | Box) -> None:
        if isinstance(piece, str) and isinstance(out[-1], str):
            out[-1] += piece
        else:
            out.append(piece)

    for span in spans:
        if isinstance(span, Text | Code):
            add(span.text)
        elif isinstance(span, Math):
            flat = None if span.display else inline_unicode(span.latex)
            if flat is None:
                add(_box(span.latex))
                add("")
            else:
                add(flat.replace(" ", _KEEP))
        elif isinstance(span, Bold | Italic):
            for piece in _runs(span.children):
                add(piece)
    return out


def _wrap(text: str, columns: int, first: str = "", rest: str = "") -> list[str]:
    text = re.sub(r"[ \t\n]+", " ", text)
    lines = textwrap.wrap(
        text,
        max(columns, 20),
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    out = []
    for line in lines:
        if width(line) > columns and _KEEP in line:  # a formula wider than the screen: break it
            out += textwrap.wrap(line.replace(_KEEP, " "), max(columns, 20), subsequent_indent=rest)
        else:
            out.append(line)
    return [line.replace(_KEEP, " ") for line in out]


def _box_lines(box: Box, indent: int = 4) -> list[str]:
    return [(" " * indent + line).rstrip() for line in box.lines]


def _line_lines(spans: Line, columns: int, first: str = "", rest: str = "") -> list[str]:
    out: list[str] = []
    for piece in _runs(spans):
        if isinstance(piece, Box):
            out += _box_lines(piece)
        elif piece.strip():
            out += _wrap(piece.strip(), columns, first if not out else rest, rest)
    return out


def given_lines(given: Iterable[str], columns: int) -> list[str]:
    """`name = matrix` formulas side by side, as many to a row as fit in `columns`."""
    rows: list[list[Box]] = [[]]
    used = INDENT
    for latex in given:
        box = _box(latex)
        if rows[-1] and used + GAP + box.width > columns:
            rows.append([])
            used = INDENT
        rows[-1].append(box)
        used += box.width + GAP
    out: list[str] = []
    for row in rows:
        spaced: list[Box] = []
        for box in row:
            spaced += [box, Box.text(" " * GAP)]
        if out:
            out.append("")
        out += _box_lines(hcat(spaced[:-1]), INDENT)
    return out


def _block_lines(pb: PromptBlock, columns: int) -> list[str]:
    block = pb.block
    out: list[str] = []
    if isinstance(block, Paragraph):
        for line in block.lines:
            out += _line_lines(line, columns)
    elif isinstance(block, BulletList):
        for item in block.items:
            out += _line_lines(item, columns, "• ", "  ")
    elif isinstance(block, NumberedList):
        for k, item in enumerate(block.items, 1):
            mark = f"{k}. "
            out += _line_lines(item, columns, mark, " " * len(mark))
    if pb.given:
        out += ["", *given_lines(pb.given, columns)]
    return out


def prompt_lines(markdown: str, columns: int = 80) -> list[str]:
    """The prompt as terminal lines at most `columns` wide (a matrix wider than that excepted)."""
    out: list[str] = []
    for pb in parse_prompt(markdown):
        if out:
            out.append("")
        out += _block_lines(pb, columns)
    return out


def prompt_text(markdown: str, columns: int = 80) -> str:
    return "\n".join(prompt_lines(markdown, columns))


class PromptRenderable:
    """A prompt for Rich/Textual, laid out again at whatever width it is given."""

    def __init__(self, markdown: str) -> None:
        self.markdown = markdown

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text as RichText

        yield RichText("\n".join(prompt_lines(self.markdown, options.max_width)))
