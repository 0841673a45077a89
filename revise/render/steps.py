"""How one trace step reads, for every back-end: `formula = numbers = value`, without repeats.

This module owns the step layout rules that the terminal, the app, Typst, Markdown and Anki
share: the value is the engine's `shown` LaTeX when it has one (a SymPy result is `2x`, never
the `2*x` kept in the JSON value), and a right-hand side equal to the one before it is left out,
so a step never ends `= 0.1 = 0.1`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from revise.render.values import value_latex

if TYPE_CHECKING:
    from engine.solve import Solution
    from engine.trace import Step, Table


def _same(a: str, b: str) -> bool:
    """Equal as a student sees them: a 1×1 matrix and a one-entry vector both read [0.1]."""
    return _flat(a) == _flat(b)


def _flat(latex: str) -> str:
    text = "".join(latex.split())
    one_row = text.startswith(r"\begin{bmatrix}") and text.endswith(r"\end{bmatrix}")
    if one_row and "\\\\" not in text:
        text = text[len(r"\begin{bmatrix}") : -len(r"\end{bmatrix}")].replace("&", ",")
        return rf"\left[{text}\right]"
    return text


def value_of(step: Step, decimals: int = 4) -> str:
    """The step's value as LaTeX: its table, the engine's own rendering, else the value by its
    type."""
    if step.table is not None:
        return table_latex(step.table)
    return step.shown or value_latex(step.value, decimals)


def table_latex(table: Table) -> str:
    """A table step as one LaTeX grid (header row first), which every back-end can draw.

    A stand-in until each back-end draws real tables (rules, alignment, page breaks).
    """
    rows = [table.header, *table.rows]
    body = r" \\ ".join(" & ".join(cell or r"\," for cell in row) for row in rows)
    return r"\begin{matrix} " + body + r" \end{matrix}"


def right_sides(step: Step) -> list[str]:
    """What follows the formula, each after `=`: the numbers put in, then the value, dropping
    any side equal to what it follows (the formula itself included)."""
    sides: list[str] = []
    previous = step.formula
    for side in (step.substituted, value_of(step)):
        if side and not _same(side, previous):
            sides.append(side)
            previous = side
    return sides


def is_note(step: Step) -> bool:
    """A stated fact or convention: prose, no formula."""
    return (
        not step.formula and isinstance(step.value, str) and not step.shown and step.table is None
    )


def shows_pairs(step: Step) -> bool:
    """A value of `name = value` pairs with nothing put in: it is not written after an `=`."""
    return (
        isinstance(step.value, dict)
        and not step.substituted
        and not step.shown
        and step.table is None
    )


ASKED = "the part asked"
BEYOND = "Beyond the question"


def _equal(a: Any, b: Any) -> bool:
    from engine.values import max_abs_diff, relative_scale

    try:
        return max_abs_diff(a, b) <= 1e-9 * relative_scale(b)
    except ValueError:
        return False


def asked_step(solution: Solution, part: str | None) -> int | None:
    """The index of the step that gives the asked part: the last one whose value is it."""
    from content.models import answer_part

    if not part:
        return None
    expected = answer_part(solution.answer, part)
    found = None
    for k, step in enumerate(solution.steps):
        if not is_note(step) and _equal(step.value, expected):
            found = k
    return found


def marked(solution: Solution, part: str | None) -> Solution:
    """The solution as a question's answer reads it: the asked part first in the answer, the
    step giving it says so in its title, and steps after it are titled as going beyond the
    question."""
    answer = solution.answer
    if part and isinstance(answer, dict) and part in answer:
        # the asked part first in the answer, the rest after it
        answer = {part: answer[part], **{k: v for k, v in answer.items() if k != part}}
        solution = replace(solution, answer=answer)
    index = asked_step(solution, part)
    if index is None:
        return solution
    steps = list(solution.steps)
    steps[index] = replace(steps[index], title=f"{steps[index].title} — {ASKED}")
    for k in range(index + 1, len(steps)):
        steps[k] = replace(steps[k], title=f"{BEYOND}: {steps[k].title}")
    return replace(solution, steps=tuple(steps))
