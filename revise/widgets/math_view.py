"""Maths in the app: question prompts with their matrices drawn as matrices, card text with LaTeX.

The functions here are pure (text in, Rich renderables out), so screens call them from worker
threads and hand the result to a widget on the UI thread. Formulas go through `revise.render`,
the same 2-D Unicode renderer as `revise solve`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.text import Text
from textual.widgets import Static

from revise.render.latex_tree import LatexError
from revise.render.unicode_math import Box, hcat, latex_box, latex_to_unicode
from revise.render.values import value_box

_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$([^$\n]+?)\$(?!\$)")


def is_matrix(value: Any) -> bool:
    """A list of at least two equal-length rows of numbers: worth drawing in two dimensions."""
    return (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(r, list) and r for r in value)
        and all(len(r) == len(value[0]) for r in value)
        and all(isinstance(x, int | float) and not isinstance(x, bool) for r in value for x in r)
    )


#: a matrix written after `A = ` in a prompt is named A in the text and drawn below it
_LABEL = re.compile(r"(\S+)\s*=\s*$")
#: the widest row of matrices drawn side by side under a prompt
MATRIX_ROW = 72


def prompt_renderable(prompt: str, values: Mapping[str, Any]) -> RenderableType:
    """A question's prompt with its matrices drawn as matrices, below the text.

    Prompts put values in with `content`'s `format_value` (`A = [[1, 0], [0, 1]]`). Where that
    exact text appears after a name (`A = `), the sentence keeps the name and the matrix is drawn
    under the paragraph as `A = ⎡…⎤`, side by side with the others, as a textbook would set it.
    A matrix with no name before it is named by its parameter.
    """
    from content.models import format_value

    text = prompt
    blocks: list[Box] = []
    for name, value in values.items():
        if not is_matrix(value):
            continue
        needle = format_value(value)
        at = text.find(needle)
        if at < 0:
            continue
        label = _LABEL.search(text[:at])
        if label is not None:
            symbol = label.group(1)
            text = text[: label.end(1)] + text[at + len(needle) :]
        else:
            symbol = name
            text = text[:at] + name + text[at + len(needle) :]
        blocks.append(hcat([Box.text(f"{symbol} = "), value_box(value)]))
    if not blocks:
        return Text(prompt)
    rows: list[list[Box]] = [[]]
    width = 0
    for block in blocks:
        if rows[-1] and width + block.width + 4 > MATRIX_ROW:
            rows.append([])
            width = 0
        rows[-1].append(block)
        width += block.width + 4
    drawn = []
    for row in rows:
        spaced: list[Box] = []
        for block in row:
            spaced += [block, Box.text("    ")]
        drawn.append("\n".join("  " + line.rstrip() for line in hcat(spaced[:-1]).lines))
    return Group(Text(text), Text(""), Text("\n\n".join(drawn), style="bold"))


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


def _inline(latex: str) -> str | None:
    """Maths inside a sentence as one line of Unicode; None if it needs two dimensions."""
    try:
        text = latex_to_unicode(flat_fractions(latex.strip()))
    except LatexError:
        return f"${latex}$"  # outside the renderer's subset: left as written, not lost
    return None if "\n" in text else text


def _block(latex: str) -> Text:
    try:
        lines = latex_box(latex.strip()).lines
    except LatexError:
        return Text(f"    $${latex}$$")
    return Text("\n".join("    " + line.rstrip() for line in lines))


def _hard_breaks(markdown: str) -> str:
    """Line breaks kept as written (content files break lines on purpose), lists left alone."""
    lines = markdown.split("\n")
    out = []
    for line, after in zip(lines, [*lines[1:], ""]):
        joins_paragraph = (
            line.strip() and after.strip() and not re.match(r"\s*([-*+]|\d+\.)\s", after)
        )
        out.append(line + "  " if joins_paragraph else line)
    return "\n".join(out)


def markdown_renderable(source: str) -> RenderableType:
    """Card text (Markdown with `$…$` and `$$…$$` LaTeX) as a Rich renderable.

    Maths in a sentence is drawn on one line (fractions as a/b); display maths, and inline maths
    that needs two dimensions (a matrix), is drawn as a 2-D block between the paragraphs.
    """

    def promote(match: re.Match[str]) -> str:
        text = _inline(match.group(1))
        return text if text is not None else f"$${match.group(1)}$$"

    source = _INLINE.sub(promote, source)
    parts: list[RenderableType] = []
    at = 0
    for match in _DISPLAY.finditer(source):
        before = source[at : match.start()].strip()
        if before:
            parts.append(Markdown(_hard_breaks(before)))
        parts.append(_block(match.group(1)))
        at = match.end()
    rest = source[at:].strip()
    if rest:
        parts.append(Markdown(_hard_breaks(rest)))
    return parts[0] if len(parts) == 1 else Group(*parts)


class MathView(Static):
    """Shows a renderable built off the UI thread (a prompt, a card face, a formula)."""

    DEFAULT_CSS = """
    MathView { height: auto; }
    """
