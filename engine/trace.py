"""Worked traces: the steps that made an answer, each with its formula, numbers and value.

Formulas are LaTeX strings drawn from a small subset (see `engine.latex`), so the engine stays
free of renderers: `revise.render` turns them into Unicode for the terminal, Typst for PDF, and
keeps them as LaTeX for Markdown and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.latex import prose
from engine.values import to_json


@dataclass(frozen=True)
class Table:
    """A table-valued step (a layer summary, Q after each backup, BPTT quantities per step).

    `header` and every cell are LaTeX in the same subset as formulas, so each back-end draws them
    as it draws maths; a cell may be empty. Every row has as many cells as the header.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {"header": list(self.header), "rows": [list(r) for r in self.rows]}


@dataclass(frozen=True)
class Step:
    """One step of a worked solution."""

    title: str
    formula: str
    substituted: str
    value: Any
    table: Table | None = None
    # the value as LaTeX where the engine knows better than a generic number printer: a SymPy
    # result (`2x`, never the `2*x` kept in `value`), a vector of expressions
    shown: str = ""

    def to_json(self) -> dict[str, Any]:
        out = {
            "title": self.title,
            "formula": self.formula,
            "substituted": self.substituted,
            "value": self.value,
        }
        if self.shown:
            out["shown"] = self.shown
        if self.table is not None:
            out["table"] = self.table.to_json()
        return out


@dataclass
class Trace:
    """An append-only record of steps; `step` returns the value so solving reads naturally."""

    steps: list[Step] = field(default_factory=list)

    def step(self, title: str, formula: str, substituted: str, value: Any, shown: str = "") -> Any:
        """Record a step; `shown` is the value as LaTeX when it is not a number or array."""
        step = Step(prose(title), formula, substituted, to_json(value), shown=shown)
        self.steps.append(step)
        return value

    def table(
        self,
        title: str,
        header: list[str],
        rows: list[list[str]],
        value: Any,
        formula: str = "",
    ) -> Any:
        """A step whose result is best read as a table; `value` is its JSON value as usual."""
        if any(len(row) != len(header) for row in rows):
            raise ValueError(f"table step {title!r}: every row needs {len(header)} cells")
        grid = Table(tuple(header), tuple(tuple(row) for row in rows))
        self.steps.append(Step(prose(title), formula, "", to_json(value), grid))
        return value

    def note(self, title: str, text: str) -> None:
        """A step that states a fact or convention rather than computing a value.

        Titles and notes are prose: `engine.latex.prose` writes their scripts and powers of
        ten as Unicode (xᵢ, 10⁻⁸), so problems may write them plainly."""
        self.steps.append(Step(prose(title), "", "", prose(text)))
