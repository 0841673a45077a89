"""Maths in the app: question prompts (`revise.render.prompt_terminal`), card text with LaTeX.

The functions here are pure (text in, Rich renderables out), so screens call them from worker
threads and hand the result to a widget on the UI thread. Formulas go through `revise.render`,
the same 2-D Unicode renderer as `revise solve`.
"""

from __future__ import annotations

import re

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.text import Text
from textual.widgets import Static

from revise.render.latex_tree import LatexError
from revise.render.prompt_terminal import PromptRenderable, flat_fractions
from revise.render.unicode_math import latex_box, latex_to_unicode

_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$([^$\n]+?)\$(?!\$)")


def prompt_renderable(prompt: str) -> RenderableType:
    """A question's prompt (Markdown from `content.prompt`), laid out at the widget's width:
    maths as Unicode, named matrices drawn after their sentence (`revise.render.prompt`)."""
    return PromptRenderable(prompt)


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
