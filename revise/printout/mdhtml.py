"""The Markdown of the course's cards as HTML for Anki, maths as MathJax (`\\( \\)`, `\\[ \\]`).

The card is parsed by `card_markdown`; this module only writes the HTML. Everything a card says
is escaped, so HTML in a card is shown as text, never passed through.
"""

from __future__ import annotations

from html import escape as html_escape

from revise.printout.card_markdown import (
    Block,
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
    parse,
)
from revise.render.prompt import parse_prompt
from revise.render.safe_text import printable


def escape(text: str, quote: bool = True) -> str:
    """HTML-escaped text from a card or a parameter, without control or direction characters."""
    return html_escape(printable(text), quote=quote)


def math_inline(latex: str) -> str:
    return r"\(" + escape(latex.strip(), quote=False) + r"\)"


def math_display(latex: str) -> str:
    return r"\[" + escape(latex.strip(), quote=False) + r"\]"


def markdown_to_html(markdown: str) -> str:
    """HTML for a card's Markdown."""
    return "\n".join(_block(b) for b in parse(markdown))


def prompt_html(markdown: str) -> str:
    """HTML for a question's prompt: its paragraphs, each followed by the matrices it names."""
    out = []
    for pb in parse_prompt(markdown):
        out.append(_block(pb.block))
        if pb.given:
            out.append('<div class="given">' + math_display(r" \qquad ".join(pb.given)) + "</div>")
    return "\n".join(out)


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return "<div>" + "<br>".join(_line(x) for x in block.lines) + "</div>"
    tag = "ul" if isinstance(block, BulletList) else "ol"
    assert isinstance(block, BulletList | NumberedList)
    return f"<{tag}>" + "".join(f"<li>{_line(item)}</li>" for item in block.items) + f"</{tag}>"


def _line(spans: Line) -> str:
    return "".join(_span(s) for s in spans)


def _span(span: Span) -> str:
    if isinstance(span, Text):
        return escape(span.text, quote=False)
    if isinstance(span, Code):
        return f"<code>{escape(span.text)}</code>"
    if isinstance(span, Math):
        return math_display(span.latex) if span.display else math_inline(span.latex)
    if isinstance(span, Bold):
        return f"<b>{_line(span.children)}</b>"
    assert isinstance(span, Italic)
    return f"<i>{_line(span.children)}</i>"
