"""A question's prompt, parsed once into a form every back-end draws: blocks of text runs and
inline maths, each paragraph followed by the matrices it names.

A family's prompt is Markdown with `$…$` maths (`content.prompt` puts the values in). A matrix
cannot sit inside a line of terminal text, and a tall bracket in the middle of a sentence reads
badly on paper too, so maths of the form `W = \\begin{bmatrix}…\\end{bmatrix}` keeps its name in
the sentence (`… with $W$ (below), …`) and the whole `W = [matrix]` is displayed after the paragraph,
in the order the sentence names them. Maths with a matrix but no name stays where it is (each
back-end draws it as well as it can: the terminal breaks the paragraph around it).

The writers: `prompt_lines`/`PromptRenderable` (`revise.render.prompt_terminal`) for the
terminal and the app, `prompt_typst` (`revise.printout.card_typst`) for PDF,
`prompt_markdown` (`revise.printout.markdown_writer`) and `prompt_html`
(`revise.printout.mdhtml`) for Markdown sheets and Anki.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from revise.printout.card_markdown import (
    Block,
    Bold,
    BulletList,
    Italic,
    Line,
    Math,
    NumberedList,
    Paragraph,
    Span,
    Text,
    parse,
)

#: the widest matrix a prompt displays in one piece; wider ones are cut into column blocks
MOST_COLUMNS = 10
_MATRIX = re.compile(r"\\begin\{[bpv]?matrix\}")


@dataclass(frozen=True)
class PromptBlock:
    """A block of the prompt and the `name = matrix` formulas displayed after it, in order."""

    block: Block
    given: tuple[str, ...] = ()


def split_name(latex: str) -> tuple[str, str] | None:
    """(`W`, `\\begin{bmatrix}…`) for `W = \\begin{bmatrix}…`: a named matrix; else None."""
    if not _MATRIX.search(latex):
        return None
    depth = 0
    for at, ch in enumerate(latex):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "=" and depth == 0:
            name, value = latex[:at].strip(), latex[at + 1 :].strip()
            if name and value and not _MATRIX.search(name) and "=" not in value:
                return name, value
            return None
    return None


def _lift(spans: Line, given: list[str]) -> Line:
    out: list[Span] = []
    pending: Text | None = None  # the text after a lifted name, already taken
    for k, span in enumerate(spans):
        if pending is not None and span is pending:
            pending = None
            continue
        if isinstance(span, Math) and not span.display:
            named = split_name(span.latex)
            if named is not None:
                given.extend(split_columns(*named))
                # "(below)" keeps a list of lifted names from reading as one equation; a
                # remark in brackets right after the name joins it: "Q (below, one row)"
                after = spans[k + 1] if k + 1 < len(spans) else None
                if isinstance(after, Text) and after.text.startswith(" ("):
                    out += [Math(named[0], False), Text(" (below, " + after.text[2:])]
                    pending = after
                else:
                    out += [Math(named[0], False), Text(" (below)")]
                continue
        if isinstance(span, Bold | Italic):
            span = replace(span, children=_lift(span.children, given))
        out.append(span)
    return tuple(out)


def split_columns(name: str, value: str, most: int = MOST_COLUMNS) -> list[str]:
    """`name = matrix`, the matrix cut into blocks of at most `most` columns when it is wider
    (`W = [first columns] ⋯`, `⋯ [next columns]`), so that no page or screen has to hold it."""
    match = re.fullmatch(r"\\begin\{bmatrix\}(.*)\\end\{bmatrix\}", value.strip(), re.S)
    if match is None:
        return [f"{name} = {value}"]
    rows = [[cell.strip() for cell in row.split("&")] for row in match.group(1).split(r"\\")]
    columns = max(len(row) for row in rows)
    if columns <= most:
        return [f"{name} = {value}"]
    pieces = []
    for start in range(0, columns, most):
        body = r" \\ ".join(" & ".join(row[start : start + most]) for row in rows)
        block = r"\begin{bmatrix} " + body + r" \end{bmatrix}"
        lead = f"{name} = " if start == 0 else r"\cdots "
        tail = r" \cdots" if start + most < columns else ""
        pieces.append(lead + block + tail)
    return pieces


@lru_cache(maxsize=256)
def parse_prompt(markdown: str) -> tuple[PromptBlock, ...]:
    """The prompt's blocks, each with the named matrices lifted out of its sentences."""
    out = []
    for block in parse(markdown):
        given: list[str] = []
        if isinstance(block, Paragraph):
            block = Paragraph(tuple(_lift(line, given) for line in block.lines))
        elif isinstance(block, BulletList):
            block = BulletList(tuple(_lift(item, given) for item in block.items))
        elif isinstance(block, NumberedList):
            block = NumberedList(tuple(_lift(item, given) for item in block.items))
        out.append(PromptBlock(block, tuple(given)))
    return tuple(out)
