"""Worked traces: the steps that made an answer, each with its formula, numbers and value.

Formulas are LaTeX strings drawn from a small subset (see `engine.latex`), so the engine stays
free of renderers: `revise.render` turns them into Unicode for the terminal, Typst for PDF, and
keeps them as LaTeX for Markdown and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.values import to_json


@dataclass(frozen=True)
class Step:
    """One step of a worked solution."""

    title: str
    formula: str
    substituted: str
    value: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "formula": self.formula,
            "substituted": self.substituted,
            "value": self.value,
        }


@dataclass
class Trace:
    """An append-only record of steps; `step` returns the value so solving reads naturally."""

    steps: list[Step] = field(default_factory=list)

    def step(self, title: str, formula: str, substituted: str, value: Any) -> Any:
        self.steps.append(Step(title, formula, substituted, to_json(value)))
        return value

    def note(self, title: str, text: str) -> None:
        """A step that states a fact or convention rather than computing a value."""
        self.steps.append(Step(title, "", "", text))
