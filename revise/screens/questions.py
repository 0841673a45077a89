"""Questions off the UI thread: drawing a variant, solving it, and writing the verdict.

These functions run in the quiz screen's thread workers (they call the engine, which may import
numpy, SymPy or torch the first time) and return plain values and Rich renderables for the
screen to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.text import Text

from revise.widgets.trace_view import RenderedStep

if TYPE_CHECKING:
    from content import Variant
    from engine.checking import CheckResult


@dataclass(frozen=True)
class Prepared:
    """A question ready to ask, built in a worker."""

    variant: Variant
    question: RenderableType
    steps: list[RenderedStep]
    answer: str
    hint: str
    rows: bool = False  # the answer is a matrix: typed a row per line


def prepare_question(family: Any, seed: int) -> Prepared:
    """Draw the variant, solve it (no torch cross-check yet) and draw everything shown later."""
    from engine.checking import preview
    from engine.solve import solve
    from revise.render.steps import marked
    from revise.render.values import answer_expressions
    from revise.widgets.math_view import prompt_renderable
    from revise.widgets.trace_view import answer_text, render_steps

    variant = family.variant(seed)
    solution = solve(variant.problem, variant.params, verify=False)
    try:
        # reads nothing, but leaves the expected answer in the checker's cache, so that the
        # first preview and the grading are instant
        preview(variant.problem, variant.params, "", variant.part)
    except ValueError:
        pass
    from engine.checking.display import shape_of

    expected = single(variant.expected(solution.answer))
    shape = shape_of(expected) if isinstance(expected, list) else ()
    first = next((s for s in solution.steps if s.formula), None)
    hint = f"{first.title}\n{_formula_only(first.formula)}" if first is not None else ""
    return Prepared(
        variant=variant,
        question=prompt_renderable(variant.prompt_text),
        steps=render_steps(marked(solution, variant.part)),
        answer=answer_text(expected, answer_expressions(variant.problem, variant.part)),
        hint=hint,
        rows=len(shape) == 2 and shape[0] > 1,
    )


def single(value: Any) -> Any:
    """A value with one number (`[0.94217]`, `[[2]]`) as that number: what a student reads."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def _formula_only(latex: str) -> str:
    from revise.render.latex_tree import LatexError
    from revise.render.unicode_math import latex_box

    try:
        return "\n".join("   " + line.rstrip() for line in latex_box(latex).lines)
    except LatexError:
        return "   " + latex


def verdict_text(result: CheckResult, problem_id: str = "") -> Text:
    """The verdict as the student reads it: right or not, why, and the right answer."""
    from revise.render.values import answer_expressions, format_value

    if result.correct:
        return Text.assemble(("✓ ", "bold green"), result.feedback)
    mark = ("≈ ", "bold yellow") if result.verdict == "imprecise" else ("✗ ", "bold red")
    text = Text.assemble(mark, result.feedback)
    if result.misconception:
        text.append(f"\n  mistake: {result.misconception.replace('_', ' ')}", style="italic")
    if 0 < result.score < 1:
        text.append(f"\n  score: {result.score:.0%}")
    kinds = answer_expressions(problem_id, result.part) if problem_id else frozenset()
    expected = format_value(single(result.expected), 6, kinds)
    lead = "\nThe answer is " if "\n" not in expected else "\nThe answer is\n"
    text.append(lead)
    text.append(expected, style="bold")
    return text
