"""A solution as a person reads it in the terminal: numbered steps, formula → numbers → value."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

from engine.latex import prose
from engine.solve import Solution
from revise.render.steps import is_note, right_sides, shows_pairs, value_of
from revise.render.table import table_lines
from revise.render.unicode_math import Box, hcat, latex_box
from revise.render.values import ANSWER_DECIMALS, answer_expressions, value_box

if TYPE_CHECKING:
    from engine.trace import Step

INDENT = "     "


def _lines(box: Box, lead: str = "") -> list[str]:
    """A box behind a lead-in (`= `), the lead on the baseline row, indented."""
    joined = hcat([Box.text(lead), box]) if lead else box
    return [(INDENT + line).rstrip() for line in joined.lines]


def _compact(value: object) -> object:
    """Parameters as typed: 1.0 shown as 1 (the models store every matrix entry as a float)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _wrapped(text: str, columns: int | None, indent: str = "") -> list[str]:
    """Prose wrapped to the terminal's width (never inside a word)."""
    if columns is None:
        return [text]
    return textwrap.wrap(
        text, max(columns, 20), subsequent_indent=indent, break_long_words=False,
        break_on_hyphens=False,
    ) or [""]  # fmt: skip


def step_lines(step: Step) -> list[str]:
    """A step's maths, indented: the formula, then `= ` each right-hand side (no repeats)."""
    if is_note(step):
        return _lines(Box.text(str(step.value)))
    if shows_pairs(step):
        boxes = [value_box(step.value)] if not step.formula else [latex_box(step.formula)]
        if step.formula:
            boxes.append(value_box(step.value))
        return [line for box in boxes for line in _lines(box)]
    if not step.formula:
        return _lines(latex_box(value_of(step)))
    lines = _lines(latex_box(step.formula))
    for side in right_sides(step):
        lines.extend(_lines(latex_box(side), "= "))
    return lines


def render_solution(solution: Solution, columns: int | None = None) -> str:
    """The worked solution; prose lines wrapped to `columns` when given."""
    from engine import get_problem

    problem = get_problem(solution.problem)
    params = " ".join(
        f"{k}={json.dumps(_compact(v), ensure_ascii=False)}" for k, v in solution.params.items()
    )
    lines = [
        *_wrapped(f"{solution.problem} — {prose(problem.summary)}", columns),
        *_wrapped(f"Parameters: {params}", columns, "  "),
        "",
    ]
    for number, step in enumerate(solution.steps, start=1):
        lines += _wrapped(f"{number}. {step.title}", columns, "   ")
        if step.table is not None:
            # the table is the value: the formula says how each row is found
            if step.formula:
                lines.extend(_lines(latex_box(step.formula)))
            lines.extend((INDENT + line).rstrip() for line in table_lines(step.table))
        elif is_note(step) and columns is not None:  # a remark: prose, wrapped
            lines += [INDENT + line for line in _wrapped(str(step.value), columns - len(INDENT))]
        else:
            lines.extend(step_lines(step))
        lines.append("")
    answer = hcat(
        [
            Box.text("Answer: "),
            value_box(solution.answer, ANSWER_DECIMALS, answer_expressions(solution.problem)),
        ]
    )
    lines.extend(line.rstrip() for line in answer.lines)
    if solution.verified:
        v = solution.verified
        lines.append(
            f"Checked against {v.by} on {v.device} (largest difference {v.max_abs_diff:.3g})."
        )
    return "\n".join(lines)
