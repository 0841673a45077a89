"""The Markdown of the course's cards as Typst markup, for the short questions of a sheet.

The card is parsed by `card_markdown`; every piece of its text goes in as a Typst string literal
(`#"..."`, `#strong[#"..."]`, `#raw("...")`), never as markup, so no character of a card can
change the layout. Formulas go through `revise.render.typst_math.latex_to_typst` (a `/` stays
a slash, as the card's LaTeX means); one it cannot read is shown as its LaTeX, in code type.
"""

from __future__ import annotations

import re

from revise.printout.card_markdown import (
    Block,
    Bold,
    BulletList,
    Code,
    Italic,
    Line,
    Math,
    Paragraph,
    Span,
    Text,
    parse,
)
from revise.render.prompt import parse_prompt
from revise.render.typst_math import latex_to_typst, typst_string

_SPACES = re.compile(r"\s+")


def card_typst(markdown: str) -> str:
    """Typst markup (to put inside `[...]`) for a card's Markdown."""
    return "#parbreak()".join(_block(b) for b in parse(markdown))


def prompt_typst(markdown: str) -> str:
    """Typst markup for a question's prompt: its paragraphs, each followed by the matrices it
    names, displayed side by side (`revise.render.prompt`)."""
    parts = []
    for pb in parse_prompt(markdown):
        parts.append(_block(pb.block))
        if pb.given:
            parts.append("#given-row(" + ", ".join(_given(g) for g in pb.given) + ",)")
    return "#parbreak()".join(parts)


def _given(latex: str) -> str:
    try:
        return "$ " + latex_to_typst(latex.strip(), literal_slash=True) + " $"
    except Exception:  # any failure of the converter: the formula is still shown, as LaTeX
        return f"raw({typst_string(latex.strip())})"


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return "#linebreak()".join(_line(x) for x in block.lines)
    function = "list" if isinstance(block, BulletList) else "enum"
    items = ", ".join(f"[{_line(item)}]" for item in block.items)
    return f"#{function}({items})"


def _line(spans: Line) -> str:
    return "".join(_span(s) for s in spans)


def _span(span: Span) -> str:
    if isinstance(span, Text):
        # runs of spaces are one space, as in Markdown; the ends stay, they part the spans
        return "#" + typst_string(_SPACES.sub(" ", span.text)) if span.text else ""
    if isinstance(span, Code):
        return f"#raw({typst_string(span.text)})"
    if isinstance(span, Math):
        return _math(span)
    if isinstance(span, Bold):
        return f"#strong[{_line(span.children)}]"
    assert isinstance(span, Italic)
    return f"#emph[{_line(span.children)}]"


def _math(span: Math) -> str:
    try:
        body = latex_to_typst(span.latex.strip(), literal_slash=True)
    except Exception:  # any failure of the converter: the formula is still shown, as LaTeX
        fence = "$$" if span.display else "$"
        return f"#raw({typst_string(fence + span.latex.strip() + fence)})"
    if not body:
        return ""
    return f"$ {body} $" if span.display else f"${body}$"
