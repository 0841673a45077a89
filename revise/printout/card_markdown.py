"""The Markdown of the course's cards, parsed once into blocks and inline spans.

What the cards use, and nothing more: paragraphs (single newlines are line breaks), bullet and
numbered lists, `**bold**`, `*italic*`, `` `code` ``, and `$...$` / `$$...$$` LaTeX maths (a `\\$`
is a dollar sign). Everything else is text. The writers (`mdhtml` for Anki's HTML,
`card_typst` for the PDF, `markdown_writer` for Markdown sheets) render this structure, so a card
reads the same everywhere and no writer has to guess at Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DISPLAY = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.DOTALL)
_INLINE = re.compile(r"(?<![\\$])\$(?![\s$])(.+?)(?<![\\\s])\$(?!\d)", re.DOTALL)
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")
# a span already parsed, standing in the text for the marks still to find; \x00 is neither a
# word character nor a space, as the HTML tags of the old one-pass converter were not
_TOKEN = re.compile(r"\x00(\d+)\x00")


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Math:
    """A formula: `latex` as written between the dollars (not stripped)."""

    latex: str
    display: bool


@dataclass(frozen=True)
class Bold:
    children: tuple[Span, ...]


@dataclass(frozen=True)
class Italic:
    children: tuple[Span, ...]


Span = Text | Code | Math | Bold | Italic
Line = tuple[Span, ...]


@dataclass(frozen=True)
class Paragraph:
    """Lines of one paragraph, shown with line breaks between them."""

    lines: tuple[Line, ...]


@dataclass(frozen=True)
class BulletList:
    items: tuple[Line, ...]


@dataclass(frozen=True)
class NumberedList:
    items: tuple[Line, ...]


Block = Paragraph | BulletList | NumberedList


def parse(markdown: str) -> tuple[Block, ...]:
    """The blocks of a card's Markdown."""
    saved: list[Span] = []
    # maths first, over the whole text: a formula may run over lines, and its `*` are not marks
    text = _DISPLAY.sub(lambda m: _keep(saved, Math(m.group(1), True)), markdown.strip())
    text = _INLINE.sub(lambda m: _keep(saved, Math(m.group(1), False)), text)
    blocks: list[Block] = []
    for block in re.split(r"\n\s*\n", text):
        if not block.strip():
            continue
        lines = block.splitlines()
        if _is_list(lines, _BULLET):
            blocks.append(BulletList(_items(lines, _BULLET, saved)))
        elif _is_list(lines, _NUMBERED):
            blocks.append(NumberedList(_items(lines, _NUMBERED, saved)))
        else:
            blocks.append(Paragraph(tuple(_line(x.strip(), saved) for x in lines)))
    return tuple(blocks)


def _keep(saved: list[Span], span: Span) -> str:
    saved.append(span)
    return f"\x00{len(saved) - 1}\x00"


def _is_list(lines: list[str], marker: re.Pattern[str]) -> bool:
    return bool(marker.match(lines[0])) and all(
        marker.match(x) or x.startswith("  ") for x in lines
    )


def _items(lines: list[str], marker: re.Pattern[str], saved: list[Span]) -> tuple[Line, ...]:
    items: list[str] = []
    for line in lines:
        if marker.match(line):
            items.append(marker.sub("", line, count=1))
        else:
            items[-1] += " " + line.strip()  # an indented line continues the item
    return tuple(_line(item.strip(), saved) for item in items)


def _line(text: str, saved: list[Span]) -> Line:
    """The spans of one line: code, then bold, then italic (which may hold bold or maths)."""
    text = _CODE.sub(lambda m: _keep(saved, Code(_source(m.group(1), saved))), text)
    text = _BOLD.sub(lambda m: _keep(saved, Bold(_italics(m.group(1), saved))), text)
    return _italics(text, saved)


def _italics(text: str, saved: list[Span]) -> Line:
    text = _ITALIC.sub(lambda m: _keep(saved, Italic(_spans(m.group(1), saved))), text)
    return _spans(text, saved)


def _spans(text: str, saved: list[Span]) -> Line:
    """Text with its tokens put back as the spans they stand for."""
    out: list[Span] = []
    for k, piece in enumerate(_TOKEN.split(text)):
        if k % 2:
            out.append(saved[int(piece)])
        elif piece:
            out.append(Text(piece.replace("\\$", "$")))
    return tuple(out)


def _source(text: str, saved: list[Span]) -> str:
    """Code as it was written: a `$...$` inside it is not maths."""

    def back(m: re.Match[str]) -> str:
        span = saved[int(m.group(1))]
        assert isinstance(span, Math)
        fence = "$$" if span.display else "$"
        return fence + span.latex + fence

    return _TOKEN.sub(back, text)
