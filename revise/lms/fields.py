"""The gradable blanks of a question: its asked answer flattened into numbers and words.

An LMS marks a number within a tolerance or a word exactly; it cannot run the checker. So the
asked part of a variant's answer is cut into blanks — a number, each entry of a vector or
matrix, each part of a multi-part answer — each with the contract's tolerance written as the
absolute margin an LMS takes, and the wrong values the problem's misconception rules give there,
with their feedback. Answers that are expressions (a derivative) have no blank an LMS can mark:
`blanks` returns None for them and the exporters leave such variants out, saying how many.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.checking.tolerance import ABSOLUTE, ABSOLUTE_FROM, RELATIVE, ZERO
from engine.registry import get_problem


@dataclass
class Blank:
    """One thing to fill in: a number with its margin, or a word that must match.

    `name` is the part ("" when the question asks one thing); `row` and `column` place an entry
    of a vector (row None) or a matrix, counted from 1."""

    name: str
    row: int | None
    column: int | None
    value: int | float | str
    margin: float = 0.0
    wrong: list[tuple[int | float | str, str]] = field(default_factory=list)

    @property
    def is_number(self) -> bool:
        return not isinstance(self.value, str)

    @property
    def spot(self) -> tuple[str, int | None, int | None]:
        return (self.name, self.row, self.column)

    @property
    def label(self) -> str:
        """ "", "entry 2", "row 2, column 1", "grads.w1 (row 1, column 2)" …"""
        if self.column is None:
            where = ""
        elif self.row is None:
            where = f"entry {self.column}"
        else:
            where = f"row {self.row}, column {self.column}"
        if self.name and where:
            return f"{self.name} ({where})"
        return self.name or where


def margin(value: int | float, relative: float | None = None) -> float:
    """The contract's tolerance for `value` as an absolute margin (0 for an integer)."""
    if isinstance(value, int):
        return 0.0
    if value == 0:
        return ZERO
    if relative is not None:
        return relative * abs(value)
    m = RELATIVE * abs(value)
    return max(m, ABSOLUTE) if abs(value) >= ABSOLUTE_FROM else m


Spot = tuple[str, int | None, int | None]


def _flat(value: Any, name: str = "") -> list[tuple[Spot, Any]]:
    """Every scalar of a value with its place: (part name, row, column)."""
    if isinstance(value, dict):
        out: list[tuple[Spot, Any]] = []
        for key, sub in value.items():
            out += _flat(sub, f"{name}.{key}" if name else str(key))
        return out
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        return [
            ((name, i, j), x)
            for i, row in enumerate(value, start=1)
            for j, x in enumerate(row, start=1)
        ]
    if isinstance(value, list):
        return [((name, None, j), x) for j, x in enumerate(value, start=1)]
    return [((name, None, None), value)]


def blanks(
    problem_id: str,
    params: dict[str, Any],
    part: str | None,
    expected: Any,
) -> list[Blank] | None:
    """The blanks of the asked part, with misconception values; None if it is an expression."""
    from engine.checking.distinct import rule_answers

    problem = type(get_problem(problem_id))
    expressions = set(getattr(problem, "expression_parts", ()))
    relative = problem.relative_tolerance
    out: list[Blank] = []
    for (name, row, column), value in _flat(expected):
        path = ".".join(p for p in ((part or ""), name) if p)
        if isinstance(value, str) and path in expressions:
            return None
        if value is None:
            continue  # masked entries (attention scores): nothing to fill in
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, int | float):
            out.append(Blank(name, row, column, value, margin(value, relative)))
        else:
            out.append(Blank(name, row, column, str(value)))
    by_spot = {b.spot: b for b in out}
    for _tag, wrong, feedback in rule_answers(problem_id, params, part):
        wrong_flat = dict(_flat(wrong))
        for spot, blank in by_spot.items():
            w = wrong_flat.get(spot)
            if w is None or isinstance(w, bool | dict | list):
                continue
            if blank.is_number and isinstance(w, int | float):
                if abs(w - float(blank.value)) <= blank.margin or any(
                    abs(float(w) - float(x)) <= blank.margin for x, _ in blank.wrong
                ):
                    continue
                blank.wrong.append((w, feedback))
            elif not blank.is_number and isinstance(w, str) and w != blank.value:
                if w not in (x for x, _ in blank.wrong):
                    blank.wrong.append((w, feedback))
    return out
