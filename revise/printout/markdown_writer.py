"""A sheet as Markdown with LaTeX maths (`$...$`, `$$...$$`): the same content as the PDF.

Readable in any Markdown viewer that draws maths (GitHub, GitLab, VS Code, Obsidian, Jupyter).
Activation plots go in as SVG data URIs; a convolution window is the input matrix with the
window's entries boxed. A flashcard's Markdown is written again from its parsed form
(`card_markdown`), its text escaped, so a card says in Markdown what it says on the PDF.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.trace import Step
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
from revise.printout.model import Question, Sheet, ShortQuestion
from revise.printout.pictures import ActivationPlot, ConvWindow, Picture
from revise.printout.svg import data_uri, plot_svg
from revise.printout.typst_writer import info_rows
from revise.render.prompt import parse_prompt
from revise.render.safe_text import printable
from revise.render.steps import is_note, right_sides, shows_pairs, value_of
from revise.render.table import markdown_table
from revise.render.values import name_latex

# a display formula longer than this (in LaTeX characters) goes on two lines
ONE_LINE = 90
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|$])")


def escape(text: str) -> str:
    """Text that Markdown shows as it is (no emphasis, links, HTML or maths)."""
    return _SPECIAL.sub(r"\\\1", " ".join(printable(text).split()))


def _escape_spans(text: str) -> str:
    """As `escape`, but a piece of a line: its spaces at the ends stay."""
    return _SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", printable(text)))


def display(latex: str) -> str:
    return f"$$\n{latex}\n$$"


def step_latex(step: Step) -> list[str]:
    """The display formulas of a step, as for the PDF: formula, then `= numbers = value`.

    A table step gives only its formula (how each row is found): its value is the table."""
    if step.table is not None:
        return [step.formula] if step.formula else []
    if not step.formula:
        return [value_of(step)]
    if shows_pairs(step):
        return [step.formula, value_of(step)]
    sides = right_sides(step)
    if not sides:
        return [step.formula]
    if len(sides) == 1 and not step.substituted:
        return [f"{step.formula} = {sides[0]}"]
    return [step.formula, "= " + " = ".join(sides)]


def window_latex(w: ConvWindow) -> str:
    """The input matrix (each channel) with the window's entries boxed, and the element it gives."""
    mats = []
    for ch in w.channels:
        rows = []
        for r, row in enumerate(ch):
            cells = []
            for c, v in enumerate(row):
                v = v.replace("−", "-")
                cells.append(rf"\boxed{{{v}}}" if w.in_window(r, c) else v)
            rows.append(" & ".join(cells))
        mats.append(r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}")
    i, j = w.out_index
    name = "x_{\\text{padded}}" if any(w.padding) else "x"
    value = f" = {w.out_value.replace('−', '-')}" if w.out_value else ""
    joined = r",\; ".join(mats)
    return rf"{name} = {joined} \quad \longrightarrow \quad y_{{{i},{j}}}{value}"


def picture_markdown(picture: Picture) -> list[str]:
    if isinstance(picture, ActivationPlot):
        return [f"![{escape(picture.caption)}]({data_uri(plot_svg(picture))})", ""]
    return [display(window_latex(picture)), ""]


def _formulas(parts: Sequence[str]) -> list[str]:
    if len(parts) == 2 and len(parts[0]) + len(parts[1]) <= ONE_LINE:
        return [display(rf"{parts[0]} \qquad {parts[1]}"), ""]
    return [line for p in parts for line in (display(p), "")]


def solution_markdown(q: Question, heading: bool = True) -> list[str]:
    out = []
    if heading:
        out += [f"### Solution {q.number}. {escape(q.title)}", ""]
    out += [f"**Answer:** ${q.answer_latex}$", ""]
    for k, step in enumerate(q.solution.steps, start=1):
        out += [f"**{k}. {escape(step.title)}**", ""]
        if is_note(step):
            out += [escape(step.value), ""]
        else:
            out += _formulas(step_latex(step))
        if step.table is not None:
            out += [*markdown_table(step.table), ""]
        picture = q.step_pictures.get(k - 1)
        if picture is not None:
            out += picture_markdown(picture)
    if q.figure is not None:
        out += picture_markdown(q.figure)
    v = q.solution.verified
    if v is not None:
        out += [f"*Checked against {escape(v.by)} on {escape(v.device)}.*", ""]
    return out


def question_markdown(q: Question) -> list[str]:
    out = [
        f"### {q.number}. {escape(q.title)}",
        "",
        f"*{escape(q.meta)}*",
        "",
    ]
    return out + prompt_markdown(q.prompt)


def prompt_markdown(markdown: str) -> list[str]:
    """A question's prompt: its paragraphs, each followed by the matrices it names."""
    out: list[str] = []
    for pb in parse_prompt(markdown):
        out += _blocks_markdown((pb.block,))
        if pb.given:
            out += [display(r" \qquad ".join(pb.given)), ""]
    return out


def card_markdown(markdown: str, label: str = "") -> list[str]:
    """A card's Markdown written again, escaped; `label` goes in front of its first paragraph."""
    out: list[str] = []
    blocks = parse(markdown)
    if label and (not blocks or not isinstance(blocks[0], Paragraph)):
        out += [label, ""]
        label = ""
    return out + _blocks_markdown(blocks, label)


def _blocks_markdown(blocks: Sequence[Block], label: str = "") -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            # two spaces at the end of a line: a line break, as the card means
            lines = [_line_start(_line(x)) for x in block.lines]
            out += [(f"{label} " if label else "") + "  \n".join(lines), ""]
            label = ""
        elif isinstance(block, BulletList):
            out += [f"- {_line(item)}" for item in block.items] + [""]
        else:
            assert isinstance(block, NumberedList)
            out += [f"{k}. {_line(item)}" for k, item in enumerate(block.items, 1)] + [""]
    return out


def _line_start(line: str) -> str:
    """A line of a paragraph that Markdown would read as a list item or a rule, escaped."""
    if line[:1] in ("-", "+", "="):
        return "\\" + line
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", line)


def _line(spans: Line) -> str:
    return "".join(_span(s) for s in spans)


def _span(span: Span) -> str:
    if isinstance(span, Text):
        return _escape_spans(span.text)
    if isinstance(span, Code):
        return f"`{span.text}`"  # a code span of a card holds no backtick
    if isinstance(span, Math):
        latex = span.latex.strip()
        return f"$${latex}$$" if span.display else f"${latex}$"
    if isinstance(span, Bold):
        return f"**{_line(span.children)}**"
    assert isinstance(span, Italic)
    return f"*{_line(span.children)}*"


def short_question_markdown(sq: ShortQuestion, with_answer: bool) -> list[str]:
    out = card_markdown(sq.card.front, f"**{sq.number}.**")
    out += [f"*{escape(sq.meta)}*", ""]
    if with_answer:
        out += card_markdown(sq.card.back, "**Answer:**")
    return out


def _name(name: str) -> str:
    return name_latex(name)


def markdown_source(sheet: Sheet) -> str:
    """The whole sheet as Markdown."""
    out = [f"# {escape(sheet.title)}", ""]
    if sheet.topics:
        out += [f"**Topics:** {escape(sheet.topic_line)}  "]
    info = [f"**{k}:** {escape(v)}" for k, v in info_rows(sheet)]
    out += ["  \n".join(info) + "  ", f"**Regenerate:** `{sheet.command}`", ""]
    if sheet.code is not None:
        out += [f"**Mark it:** `revise mark {sheet.code}`", ""]
    if sheet.questions:
        out += ["## Questions", ""]
    for q in sheet.questions:
        out += question_markdown(q)
        if sheet.solutions == "inline":
            out += solution_markdown(q, heading=False)
    if sheet.short:
        out += ["## Short questions", ""]
        for sq in sheet.short:
            out += short_question_markdown(sq, sheet.solutions == "inline")
    if sheet.solutions != "none" and len(sheet.questions) > 1:
        out += ["## Answers", "", "| # | Answer |", "|---:|:---|"]
        out += [f"| {q.number} | ${q.answer_latex}$ |" for q in sheet.questions]
        out += [""]
    if sheet.solutions == "end" and sheet.questions:
        out += ["## Worked solutions", ""]
        for q in sheet.questions:
            out += solution_markdown(q)
    if sheet.solutions == "end" and sheet.short:
        out += ["## Short answers", ""]
        for sq in sheet.short:
            out += card_markdown(sq.card.back, f"**{sq.number}.**")
    if sheet.glossary:
        titles = {t.id: t.title for t in sheet.topics}
        out += ["## Glossary · 术语", "", "| 中文 | English | Topic |", "|:---|:---|:---|"]
        out += [
            f"| {escape(g.zh)} | {escape(g.en)} | {escape(titles.get(g.topic, g.topic))} |"
            for g in sheet.glossary
        ]
        out += [""]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"
