"""A Moodle XML question bank (Moodle's own import format, "Moodle XML format" in its docs).

- One category per topic and family: `$course$/top/<bank>/<topic>/<family>`, so a lecturer
  can draw "a random question from this family" in a quiz and each student gets other numbers.
- A question whose answer is one number is a `numerical` question: the right value with the
  contract's tolerance as Moodle's absolute tolerance, and each misconception's value as a 0 %
  answer whose feedback names the mistake (Moodle shows the feedback of the answer that matched).
- Vectors, matrices and multi-part answers are `cloze` questions (embedded answers): one
  NUMERICAL blank per entry, laid out as the matrix, with the misconception values inside each
  blank; a word answer (a kind of critical point) is a SHORTANSWER blank.
- The prompt's maths is MathJax `\\( … \\)` (Moodle's MathJax filter draws it), the worked
  solution is the general feedback, shown after the attempt.

Flashcards are not exported: their backs are explanations, not answers a machine can mark, and
a short-answer question would mark most right answers wrong. Lecturers who want them as reading
can use the Anki deck or the printed short questions.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from html import escape

from revise.lms.bank import Bank, BankQuestion
from revise.lms.fields import Blank
from revise.printout.anki import question_html, solution_html
from revise.printout.mdhtml import math_inline

BANK = "Deep learning (revise)"
PENALTY = "0.3333333"


def number_text(x: int | float) -> str:
    """A number as Moodle reads it: integers plainly, reals at full precision."""
    if isinstance(x, int):
        return str(x)
    return repr(float(x))


def _text(parent: ET.Element, tag: str, text: str, html: bool = False) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": "html"} if html else {})
    ET.SubElement(element, "text").text = text
    return element


def _category(root: ET.Element, path: str) -> None:
    q = ET.SubElement(root, "question", {"type": "category"})
    _text(q, "category", f"$course$/top/{path}")
    _text(q, "info", "", html=True)


def _common(q: ET.Element, item: BankQuestion, text: str) -> None:
    _text(q, "name", f"{item.family.title} · variant {item.question.number}")
    _text(q, "questiontext", text, html=True)
    answer = f"<p><b>Answer:</b> {math_inline(item.question.answer_latex)}</p>"
    _text(q, "generalfeedback", answer + solution_html(item.question), html=True)
    ET.SubElement(q, "defaultgrade").text = "1"
    ET.SubElement(q, "penalty").text = PENALTY
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = f"{item.family.id}#{item.question.seed}"


def _numerical(root: ET.Element, item: BankQuestion) -> None:
    blank = item.blanks[0]
    q = ET.SubElement(root, "question", {"type": "numerical"})
    _common(q, item, question_html(item.question))
    answers = [(blank.value, "100", "Correct.")] + [(w, "0", fb) for w, fb in blank.wrong]
    for value, fraction, feedback in answers:
        a = ET.SubElement(q, "answer", {"fraction": fraction, "format": "moodle_auto_format"})
        ET.SubElement(a, "text").text = number_text(value)  # type: ignore[arg-type]
        _text(a, "feedback", escape(feedback), html=True)
        ET.SubElement(a, "tolerance").text = number_text(blank.margin)
    for tag, value in (("unitgradingtype", "0"), ("unitpenalty", "0.1"), ("showunits", "3")):
        ET.SubElement(q, tag).text = value
    ET.SubElement(q, "unitsleft").text = "0"


def cloze_escape(text: str) -> str:
    """Text inside an embedded answer: Moodle reads } # ~ / " \\ there as syntax."""
    for ch in '\\}#~/"':
        text = text.replace(ch, "\\" + ch)
    return text


def cloze_blank(blank: Blank) -> str:
    """`{1:NUMERICAL:=28:0#Correct~%0%27:0#You forgot the + 1}` and the like."""
    if blank.is_number:
        tol = number_text(blank.margin)
        right = f"={number_text(blank.value)}:{tol}#Correct."  # type: ignore[arg-type]
        wrong = [f"%0%{number_text(w)}:{tol}#{cloze_escape(fb)}" for w, fb in blank.wrong]  # type: ignore[arg-type]
        return "{1:NUMERICAL:" + "~".join([right, *wrong]) + "}"
    right = f"={cloze_escape(str(blank.value))}#Correct."
    wrong = [f"%0%{cloze_escape(str(w))}#{cloze_escape(fb)}" for w, fb in blank.wrong]
    return "{1:SHORTANSWER:" + "~".join([right, *wrong]) + "}"


def _grid(blanks: list[Blank]) -> str:
    """The blanks laid out: a matrix as a table, a vector as a row, parts one per line."""
    grids: dict[str, dict[int, dict[int, Blank]]] = {}
    lines: list[str] = []
    for b in blanks:
        if b.column is None:
            label = f"{escape(b.name)}: " if b.name else ""
            lines.append(f"<p>{label}{cloze_blank(b)}</p>")
        else:
            grids.setdefault(b.name, {}).setdefault(b.row or 1, {})[b.column] = b
    for name, grid in grids.items():
        cells = "".join(
            "<tr>"
            + "".join(f"<td>{cloze_blank(grid[r][c])}</td>" for c in sorted(grid[r]))
            + "</tr>"
            for r in sorted(grid)
        )
        caption = f"<p>{escape(name)}:</p>" if name else ""
        lines.append(f'{caption}<table class="revise-answer">{cells}</table>')
    return "".join(lines)


def _cloze(root: ET.Element, item: BankQuestion) -> None:
    q = ET.SubElement(root, "question", {"type": "cloze"})
    text = question_html(item.question) + "<p><b>Your answer:</b></p>" + _grid(item.blanks)
    _common(q, item, text)


def moodle_xml(bank: Bank, root_name: str = BANK) -> bytes:
    """The whole bank as a Moodle XML document."""
    root = ET.Element("quiz")
    current: str | None = None
    for item in bank.questions:
        topic = item.question.topic.title if item.question.topic else item.family.topic
        path = f"{root_name}/{topic}/{item.family.title}".replace("//", "/")
        if path != current:
            _category(root, path)
            current = path
        single = len(item.blanks) == 1 and item.blanks[0].spot == ("", None, None)
        if single and item.blanks[0].is_number and math.isfinite(float(item.blanks[0].value)):
            _numerical(root, item)
        else:
            _cloze(root, item)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
