"""A sheet as Typst source: the template (`sheet.typ`) followed by calls with the sheet's content.

Text goes in as Typst strings (never as markup, so no character of a prompt can change the
layout), formulas through `revise.render.typst_math.latex_to_typst`. The output is a single
self-contained `.typ` file; `revise.printout.pdf` compiles it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from importlib import resources

from engine.trace import Step, Table
from revise.printout.card_typst import card_typst, prompt_typst
from revise.printout.fonts import has_cjk, strip_cjk
from revise.printout.model import Question, Sheet, ShortQuestion
from revise.printout.pictures import ActivationPlot, ConvWindow, Panel, Picture
from revise.render.steps import is_note, right_sides, shows_pairs, value_of
from revise.render.table import numeric_columns
from revise.render.typst_math import latex_to_typst, typst_string

BODY_FONT = "Libertinus Serif"
TEMPLATE = "sheet.typ"
# a table step up to this many rows fits on a page: it is kept whole (moved to the next page
# rather than split); a longer one runs on over pages with its header repeated
ONE_PAGE_ROWS = 50


def template() -> str:
    return resources.files("revise.printout").joinpath(TEMPLATE).read_text(encoding="utf-8")


def string(text: str) -> str:
    """A Typst string literal (shown as plain text wherever content is expected)."""
    return typst_string(" ".join(text.split()))


def math(latex: str) -> str:
    """An inline Typst equation for a formula of the engine's LaTeX subset."""
    body = latex_to_typst(latex)
    return f"${body}$" if body else '$""$'


def unbreakable_words(command: str) -> str:
    """A command in code type that breaks only between its words, so it can be copied whole."""
    return "[" + " ".join(f"#box(raw({string(w)}))" for w in command.split()) + "]"


def array(items: Iterable[str]) -> str:
    """A Typst array (a trailing comma keeps a one-item array an array)."""
    inner = ", ".join(items)
    return f"({inner},)" if inner else "()"


def _num(v: float) -> str:
    return f"{v:g}"


def panel_source(p: Panel) -> str:
    lines = array(array(f"({_num(x)}, {_num(y)})" for x, y in line) for line in p.lines)
    marks = array(f"({_num(m.x)}, {_num(m.y)}, {string(m.label)})" for m in p.marks)
    return (
        f"panel(width: {_num(p.width)}, height: {_num(p.height)}, title: {string(p.title)}, "
        f"frame: {array(_num(v) for v in p.plot_box)}, "
        f"x-axis: {_num(p.x_axis)}, y-axis: {_num(p.y_axis)}, "
        f"x-ticks: {array(f'({_num(t.pos)}, {string(t.label)})' for t in p.x_ticks)}, "
        f"y-ticks: {array(f'({_num(t.pos)}, {string(t.label)})' for t in p.y_ticks)}, "
        f"lines: {lines}, marks: {marks})"
    )


def picture_source(picture: Picture) -> str:
    """A Typst expression drawing the picture."""
    if isinstance(picture, ActivationPlot):
        panels = array(panel_source(p) for p in picture.panels)
        return f"figure-row({panels}, {string(picture.caption)})"
    return conv_source(picture)


def conv_source(w: ConvWindow) -> str:
    def grid(rows: Sequence[Sequence[str]]) -> str:
        return array(array(string(c) for c in row) for row in rows)

    oh, ow = w.out_shape
    out = [
        ["" if (r, c) != w.out_index else (w.out_value or "?") for c in range(ow)]
        for r in range(oh)
    ]
    padded = " (padded)" if any(w.padding) else ""
    if len(w.channels) == 1:
        labels = [f"x{padded}"]
    else:
        labels = [f"x, channel {c}{padded}" for c in range(len(w.channels))]
    i, j = w.out_index
    return (
        f"convwin({array(grid(ch) for ch in w.channels)}, "
        f"hl: ({w.rows[0]}, {w.rows[1]}, {w.cols[0]}, {w.cols[1]}), "
        f"pad: ({w.padding[0]}, {w.padding[1]}), out: {grid(out)}, "
        f"out-hl: ({i}, {i + 1}, {j}, {j + 1}), labels: {array(string(s) for s in labels)})"
    )


def step_source(number: int, step: Step, picture: Picture | None) -> str:
    """A step: its formula, then `= numbers = value` (the numbers left out when they are the value)."""
    args = [str(number), string(step.title)]
    if step.table is not None:
        if step.formula:
            args.append(f"formula: {math(step.formula)}")
        args.append(f"tab: {table_source(step.table)}")
        if len(step.table.rows) > ONE_PAGE_ROWS:
            args.append("long: true")
    elif is_note(step):
        args.append(f"note: {string(step.value)}")
    elif not step.formula:
        args.append(f"rest: {math(value_of(step))}")
    elif shows_pairs(step):
        # `name = value` pairs already say what they are: no `=` in front
        args += [f"formula: {math(step.formula)}", f"rest: {math(value_of(step))}"]
    else:
        sides = right_sides(step)
        if not sides:
            args.append(f"formula: {math(step.formula)}")
        elif len(sides) == 1 and not step.substituted:
            args.append(f"formula: {math(step.formula + ' = ' + sides[0])}")
        else:
            args.append(f"formula: {math(step.formula)}")
            args.append(f"rest: {math('= ' + ' = '.join(sides))}")
    if picture is not None:
        args.append(f"picture: {picture_source(picture)}")
    return f"#step({', '.join(args)})"


def table_source(table: Table) -> str:
    """A table step as a `trace-table` call: LaTeX cells as Typst maths, empty cells empty."""

    def cell(latex: str) -> str:
        # a cell is one line: `a / b` stays a slash (Typst would stack it as a fraction)
        body = latex_to_typst(latex, literal_slash=True) if latex.strip() else ""
        return f"${body}$" if body else "[]"

    header = array(f"strong({cell(h)})" for h in table.header)
    rows = array(array(cell(c) for c in row) for row in table.rows)
    numeric = array("true" if r else "false" for r in numeric_columns(table))
    return f"trace-table({header}, {rows}, {numeric})"


def question_source(q: Question) -> str:
    return f"#question({q.number}, {string(q.title)}, {string(q.meta)}, [{prompt_typst(q.prompt)}])"


def solution_source(q: Question, with_head: bool = True) -> list[str]:
    out = []
    if with_head:
        out.append(f"#solution-head({q.number}, {string(q.title)}, {math(q.answer_latex)})")
    else:
        out.append(f"#solution-head({q.number}, [], {math(q.answer_latex)})")
    for k, step in enumerate(q.solution.steps):
        out.append(step_source(k + 1, step, q.step_pictures.get(k)))
    if q.figure is not None:
        out.append("#" + picture_source(q.figure))
    v = q.solution.verified
    if v is not None:
        out.append(
            f"#block(above: 0.6em, text(size: 8pt, fill: muted, "
            f"{string(f'Checked against {v.by} on {v.device}.')}))"
        )
    return out


def sheet_text(sheet: Sheet) -> str:
    """All the text of a sheet, to see whether it needs a font for Chinese."""
    parts = [sheet.title, sheet.topic_line]
    parts += [g.zh for g in sheet.glossary]
    for q in sheet.questions:
        parts += [q.title, q.prompt, q.meta]
        parts += [s.title for s in q.solution.steps]
        parts += [s.value for s in q.solution.steps if isinstance(s.value, str)]
    for sq in sheet.short:
        parts += [sq.meta, sq.card.front, sq.card.back]
    return "\n".join(parts)


def without_cjk(sheet: Sheet) -> Sheet:
    """The sheet with its Chinese left out, for when no font can print it."""

    def step(st: Step) -> Step:
        value = strip_cjk(st.value) if isinstance(st.value, str) else st.value
        return replace(st, title=strip_cjk(st.title), value=value)

    questions = tuple(
        replace(
            q,
            title=strip_cjk(q.title),
            prompt=strip_cjk(q.prompt),
            topic=q.topic.model_copy(update={"title_zh": None}) if q.topic else None,
            solution=replace(q.solution, steps=tuple(step(st) for st in q.solution.steps)),
        )
        for q in sheet.questions
    )
    short = tuple(
        replace(
            sq,
            card=sq.card.model_copy(
                update={
                    "front": strip_cjk(sq.card.front),
                    "back": strip_cjk(sq.card.back),
                    "zh": None,
                }
            ),
            topic=sq.topic.model_copy(update={"title_zh": None}),
        )
        for sq in sheet.short
    )
    return replace(
        sheet,
        title=strip_cjk(sheet.title),
        topics=tuple(t.model_copy(update={"title_zh": None}) for t in sheet.topics),
        questions=questions,
        glossary=(),
        short=short,
    )


def qr_svg(code: str) -> str:
    """The sheet code as a QR code (segno), an SVG the template embeds."""
    import segno

    return segno.make(code, error="m").svg_inline(scale=4, border=1)


def info_rows(sheet: Sheet, chinese_left_out: bool = False) -> list[tuple[str, str]]:
    modes = {
        "end": "worked solutions at the end",
        "inline": "worked solutions after each question",
        "none": "questions only",
    }
    short_modes = {
        "end": "answers at the end",
        "inline": "answers after each question",
        "none": "questions only",
    }
    rows = []
    if sheet.code is not None:
        rows.append(("Sheet code", sheet.code))
    if sheet.seed is not None:
        rows.append(("Seed", str(sheet.seed)))
    rows.append(("Date", sheet.date.isoformat()))
    counts = []
    if sheet.questions:
        counts.append(_plural(len(sheet.questions), "question"))
    if sheet.short:
        counts.append(_plural(len(sheet.short), "short question"))
    mode = (modes if sheet.questions else short_modes)[sheet.solutions]
    rows.append(("Questions", f"{' and '.join(counts) or _plural(0, 'question')}, {mode}"))
    if chinese_left_out:
        rows.append(("Note", "Chinese terms left out: no font with Chinese characters was found."))
    return rows


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def typst_source(sheet: Sheet, cjk_family: str | None = None) -> str:
    """The complete Typst document for a sheet."""
    left_out = cjk_family is None and needs_cjk(sheet)
    if left_out:
        sheet = without_cjk(sheet)  # never empty boxes where Chinese cannot print
    fonts = [BODY_FONT] + ([cjk_family] if cjk_family else [])
    info = [f"({string(k)}, {string(v)})" for k, v in info_rows(sheet, left_out)]
    info.append(f'("Regenerate", {unbreakable_words(sheet.command)})')
    qr = "none"
    if sheet.code is not None:
        info.append(f'("Mark it", {unbreakable_words(f"revise mark {sheet.code}")})')
        qr = string(qr_svg(sheet.code))
    d = sheet.date
    if sheet.seed is not None:
        running = f"seed {sheet.seed}"
    else:
        running = sheet.questions[0].reference if sheet.questions else ""
    out = [
        template(),
        "",
        "#show: sheet.with(",
        f"  title: {string(sheet.title)},",
        f"  topics: {string(sheet.topic_line)},",
        f"  info: {array(info)},",
        f"  running: {string(running)},",
        f"  date: datetime(year: {d.year}, month: {d.month}, day: {d.day}),",
        f"  fonts: {array(string(f) for f in fonts)},",
        f"  qr: {qr},",
        ")",
    ]
    if sheet.questions:
        out += ["", "= Questions"]
    for q in sheet.questions:
        out.append(question_source(q))
        if sheet.solutions == "inline":
            out.extend(solution_source(q, with_head=False))
    if sheet.short:
        out += ["", "= Short questions"]
        out += [short_question_source(sq, sheet.solutions == "inline") for sq in sheet.short]
    if sheet.solutions != "none" and len(sheet.questions) > 1:
        out += ["", "#pagebreak(weak: true)", "= Answers", answer_key_source(sheet.questions)]
    if sheet.solutions == "end" and sheet.questions:
        out += ["", "= Worked solutions"]
        for q in sheet.questions:
            out.extend(solution_source(q))
    if sheet.solutions == "end" and sheet.short:
        if not sheet.questions:
            out += ["", "#pagebreak(weak: true)"]
        out += ["", "= Short answers", short_answers_source(sheet.short)]
    if sheet.glossary:
        out += ["", "= Glossary · 术语", glossary_source(sheet)]
    return "\n".join(out) + "\n"


def answer_key_source(questions: Sequence[Question]) -> str:
    rows = array(f"({q.number}, {math(q.answer_latex)})" for q in questions)
    return f"#answer-key({rows})"


def short_question_source(sq: ShortQuestion, with_answer: bool) -> str:
    """A flashcard as a question: its front, then (inline) its back as the answer."""
    answer = f", answer: [{card_typst(sq.card.back)}]" if with_answer else ""
    return f"#short-question({sq.number}, {string(sq.meta)}, [{card_typst(sq.card.front)}]{answer})"


def short_answers_source(short: Sequence[ShortQuestion]) -> str:
    rows = array(f"({sq.number}, [{card_typst(sq.card.back)}])" for sq in short)
    return f"#short-answers({rows})"


def glossary_source(sheet: Sheet) -> str:
    groups = []
    for topic in sheet.topics:
        terms = [g for g in sheet.glossary if g.topic == topic.id]
        if terms:
            rows = array(array([string(g.zh), string(g.en)]) for g in terms)
            groups.append(f"({string(topic.title)}, {rows})")
    return f"#glossary({array(groups)})"


def needs_cjk(sheet: Sheet) -> bool:
    return has_cjk(sheet_text(sheet))
