"""A QTI 1.2 package for Canvas and other importers, written by text2qti.

The bank is set down in text2qti's plain-text quiz format and text2qti turns it into the
package (manifest, assessment, Canvas metadata), so no QTI XML is written by hand here.

What text2qti can carry, and what it cannot:
- a number within a margin (`= 22`, `= 0.6248 +- 0.005`) — but it writes the bounds to four
  decimals and refuses a range that comes within 0.0001 of zero, so a question whose answer is
  that small (or zero) is left out, and an answer below 0.1 gets bounds rounded to 0.0001;
- one blank per question: a vector or matrix answer becomes one numerical question per entry;
  a word answer becomes a short-answer question;
- one "incorrect" feedback per question, not one per wrong value: the misconceptions are listed
  there as "If you answered 21: …";
- maths as `$…$`, which text2qti turns into Canvas's own equation images (`/equation_images/`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from revise.lms.bank import Bank, BankQuestion
from revise.lms.fields import Blank
from revise.lms.moodle import number_text
from revise.printout.markdown_writer import question_markdown, solution_markdown

SMALLEST = 1e-4  # text2qti refuses acceptable values closer to zero than this


def _inline_maths(lines: Iterable[str]) -> list[str]:
    """Markdown with `$$ … $$` blocks turned into `$…$` paragraphs (text2qti reads only those)."""
    out: list[str] = []
    block: list[str] | None = None
    for line in "\n".join(lines).splitlines():
        if line.strip() == "$$":
            if block is None:
                block = []
            else:
                out.append("$" + " ".join(s.strip() for s in block) + "$")
                block = None
        elif block is not None:
            block.append(line)
        elif not line.startswith("!["):  # pictures are data URIs: text2qti reads files only
            out.append(line)
    return out


def _item(marker: str, lines: list[str]) -> str:
    """A text2qti item: the marker, then the text, its later lines indented to line up with it."""
    body = "\n".join(lines).strip("\n").splitlines()
    head = marker.ljust(max(4, len(marker) + 1))
    indent = " " * len(head)
    rest = [(indent + line) if line.strip() else "" for line in body[1:]]
    return "\n".join([head + body[0], *rest])


def _prompt(item: BankQuestion, blank: Blank) -> list[str]:
    lines = _inline_maths(question_markdown(item.question)[4:])  # without heading and meta
    if blank.label:
        lines += ["", f"Give {blank.label} of the answer."]
    return lines


def _answer_line(blank: Blank) -> str | None:
    if not blank.is_number:
        return f"*   {blank.value}"
    value = float(blank.value)
    if abs(value) - blank.margin < SMALLEST:
        return None
    if isinstance(blank.value, int) and blank.margin == 0:
        return f"=   {blank.value}"
    return f"=   {value!r} +- {max(blank.margin, 1e-9)!r}"


def _feedback(blank: Blank) -> list[str]:
    return [f"If you answered {w if isinstance(w, str) else number_text(w)}: {fb}"
            for w, fb in blank.wrong]  # fmt: skip


def quiz_text(bank: Bank, title: str) -> tuple[str, int]:
    """The bank in text2qti's format, and how many blanks it had to leave out (too close to
    zero for text2qti, or the same question as one already written)."""
    out = [f"Quiz title: {title}", "Quiz description: Worked questions with fresh numbers.", ""]
    number = 0
    left_out = 0
    asked: set[str] = set()
    for item in bank.questions:
        solution = _inline_maths(solution_markdown(item.question, heading=False))
        for blank in item.blanks:
            answer = _answer_line(blank)
            text = "\n".join(_prompt(item, blank))
            if answer is None or text in asked:  # text2qti refuses a question asked twice
                left_out += 1
                continue
            asked.add(text)
            number += 1
            name = f"{item.family.title} · variant {item.question.number}"
            if blank.label:
                name += f" · {blank.label}"
            out.append(f"Title: {_one_line(name)}")
            out.append("Points: 1")
            out.append(_item(f"{number}.", _prompt(item, blank)))
            out.append(_item("...", solution))
            wrong = _feedback(blank)
            if wrong:
                out.append(_item("-", [line for w in wrong for line in (w, "")]))
            out.append(answer)
            out.append("")
    return "\n".join(out) + "\n", left_out


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def qti_package(bank: Bank, title: str) -> tuple[bytes, int, int]:
    """(the .zip package, questions written, blanks left out)."""
    from text2qti.config import Config
    from text2qti.qti import QTI
    from text2qti.quiz import Quiz

    text, left_out = quiz_text(bank, title)
    quiz = Quiz(text, config=Config(), source_name="revise")
    stream = io.BytesIO()
    QTI(quiz).write(stream)
    written = sum(1 for x in quiz.questions_and_delims if hasattr(x, "type"))
    return stream.getvalue(), written, left_out
