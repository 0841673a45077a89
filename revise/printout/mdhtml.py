"""The Markdown of the course's cards as HTML for Anki, maths as MathJax (`\\( \\)`, `\\[ \\]`).

A small, safe converter for what the cards use: paragraphs, line breaks, bullet and numbered
lists, `**bold**`, `*italic*`, `` `code` ``, and `$...$` / `$$...$$` maths. Everything else is
shown as text: HTML in a card is escaped, never passed through.
"""

from __future__ import annotations

import re
from html import escape

_DISPLAY = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.DOTALL)
_INLINE = re.compile(r"(?<![\\$])\$(?![\s$])(.+?)(?<![\\\s])\$(?!\d)", re.DOTALL)
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")
_TOKEN = re.compile(r"\x00(\d+)\x00")


def math_inline(latex: str) -> str:
    return r"\(" + escape(latex.strip(), quote=False) + r"\)"


def math_display(latex: str) -> str:
    return r"\[" + escape(latex.strip(), quote=False) + r"\]"


def _inline(text: str, saved: list[str]) -> str:
    """Escape a line of text and apply the inline marks; maths and code are kept as tokens."""

    def keep(html: str) -> str:
        saved.append(html)
        return f"\x00{len(saved) - 1}\x00"

    text = _CODE.sub(lambda m: keep(f"<code>{escape(m.group(1))}</code>"), text)
    text = escape(text, quote=False).replace("\\$", "$")
    text = _BOLD.sub(r"<b>\1</b>", text)
    return _ITALIC.sub(r"<i>\1</i>", text)


def markdown_to_html(markdown: str) -> str:
    """HTML for a card's Markdown."""
    saved: list[str] = []

    def keep(html: str) -> str:
        saved.append(html)
        return f"\x00{len(saved) - 1}\x00"

    text = _DISPLAY.sub(lambda m: keep(math_display(m.group(1))), markdown.strip())
    text = _INLINE.sub(lambda m: keep(math_inline(m.group(1))), text)
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    out = []
    for block in blocks:
        lines = block.splitlines()
        if all(_BULLET.match(x) or x.startswith("  ") for x in lines) and _BULLET.match(lines[0]):
            out.append(_list(lines, _BULLET, "ul", saved))
        elif all(_NUMBERED.match(x) or x.startswith("  ") for x in lines) and _NUMBERED.match(
            lines[0]
        ):
            out.append(_list(lines, _NUMBERED, "ol", saved))
        else:
            out.append("<div>" + "<br>".join(_inline(x.strip(), saved) for x in lines) + "</div>")
    html = "\n".join(out)
    while _TOKEN.search(html):
        html = _TOKEN.sub(lambda m: saved[int(m.group(1))], html)
    return html


def _list(lines: list[str], marker: re.Pattern[str], tag: str, saved: list[str]) -> str:
    items: list[str] = []
    for line in lines:
        if marker.match(line):
            items.append(marker.sub("", line, count=1))
        else:
            items[-1] += " " + line.strip()
    body = "".join(f"<li>{_inline(item.strip(), saved)}</li>" for item in items)
    return f"<{tag}>{body}</{tag}>"
