"""The worked trace: each step as formula → numbers → value, scrollable, and as Markdown.

`render_steps` and `solution_markdown` are pure and run in worker threads; `TraceView` only
mounts the finished text, one `Static` per step so that long traces scroll smoothly.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from revise.render.latex_tree import LatexError
from revise.render.steps import is_note, right_sides, shows_pairs, value_of
from revise.render.table import markdown_table, table_lines
from revise.render.unicode_math import Box, hcat, latex_box
from revise.render.values import ANSWER_DECIMALS, answer_expressions, value_box, value_latex

if TYPE_CHECKING:
    from engine.solve import Solution, Verification
    from engine.trace import Step


@dataclass(frozen=True)
class RenderedStep:
    """One step ready to show: its number and title, and the drawn maths below them."""

    number: int
    title: str
    body: str
    prose: bool = False  # a stated fact (wraps) rather than drawn maths (never wraps)


def _formula(latex: str) -> Box:
    try:
        return latex_box(latex)
    except LatexError:
        # a formula the renderer cannot draw is still worth reading as written
        return Box.text(latex)


def _lines(box: Box, lead: str = "") -> list[str]:
    joined = hcat([Box.text(lead), box]) if lead else box
    return [line.rstrip() for line in joined.lines]


def render_step(number: int, step: Step) -> RenderedStep:
    """One step drawn: formula, then `= ` the numbers put in, then `= ` the value (no repeats)."""
    if is_note(step):
        return RenderedStep(number, step.title, str(step.value), prose=True)
    lines: list[str] = []
    if step.table is not None:
        # drawn as a table (the value is its rows); the formula says how each row is found
        if step.formula:
            lines += _lines(_formula(step.formula))
        lines += table_lines(step.table)
    elif shows_pairs(step):
        if step.formula:
            lines += _lines(_formula(step.formula))
        lines += _lines(value_box(step.value))
    elif not step.formula:
        lines += _lines(_formula(value_of(step)))
    else:
        lines += _lines(_formula(step.formula))
        for side in right_sides(step):
            lines += _lines(_formula(side), "= ")
    return RenderedStep(number, step.title, "\n".join(lines))


def render_steps(solution: Solution) -> list[RenderedStep]:
    """Every step of a solution, drawn (call from a worker: drawing takes a little time)."""
    return [render_step(i, s) for i, s in enumerate(solution.steps, start=1)]


def answer_text(value: object, expressions: Collection[str] = ()) -> str:
    """The final answer as drawn text (matrices laid out), to full answer precision."""
    box = value_box(value, ANSWER_DECIMALS, expressions)
    return "\n".join(line.rstrip() for line in box.lines)


def checked_line(verified: Verification | None) -> str:
    """The trace's heading once the cross-check has run (the library, not its version: the
    Markdown copy has the version and the largest difference)."""
    if verified is None:
        return "Worked solution"
    library = verified.by.split()[0]
    return f"Worked solution — checked against {library} on {verified.device} ✓"


def solution_markdown(solution: Solution, summary: str = "") -> str:
    """The worked solution as Markdown with LaTeX maths, as the explorer copies or saves it."""
    params = ", ".join(
        f"`{k}={json.dumps(v, ensure_ascii=False)}`" for k, v in solution.params.items()
    )
    out = [f"## {solution.problem}" + (f" — {summary}" if summary else ""), ""]
    out += [f"Parameters: {params}", ""]
    for number, step in enumerate(solution.steps, start=1):
        out.append(f"{number}. **{step.title}**")
        out.append("")
        if step.table is not None:
            if step.formula:
                out += [f"   $${step.formula}$$", ""]
            out += ["   " + line for line in markdown_table(step.table)]
        elif is_note(step):
            out.append(f"   {step.value}")
        elif step.formula:
            chain = [step.formula, *right_sides(step)]
            out.append("   $$" + " = ".join(chain) + "$$")
        else:
            out.append(f"   ${value_of(step)}$")
        out.append("")
    kinds = answer_expressions(solution.problem)
    out.append(f"**Answer:** ${value_latex(solution.answer, ANSWER_DECIMALS, kinds)}$")
    if solution.verified:
        v = solution.verified
        out += [
            "",
            f"Checked against {v.by} on {v.device} (largest difference {v.max_abs_diff:.3g}).",
        ]
    return "\n".join(out) + "\n"


class StepView(Vertical):
    """One step of a trace: its title, and the maths below it (scrolls sideways, never wraps)."""

    def __init__(self, title: str, body: str, *, prose: bool = False, classes: str = "") -> None:
        super().__init__(classes=classes)
        self._title = title
        self._body = body
        self._prose = prose

    def compose(self) -> ComposeResult:
        yield Static(Text(self._title, style="bold"), classes="step-title")
        if self._prose:
            yield Static(Text(self._body), classes="step-body prose")
        else:
            yield Static(
                Text(self._body, no_wrap=True, overflow="ignore"), classes="step-body maths"
            )


class TraceView(VerticalScroll):
    """A scrollable worked trace; `show` replaces its steps, `clear` empties it."""

    def compose(self) -> ComposeResult:
        yield Static("", id="trace-heading", classes="trace-heading")

    def show(self, steps: list[RenderedStep], heading: str, answer: str | None = None) -> None:
        """Show these steps under a heading (plain text), and the answer after them."""
        self.query(StepView).remove()
        self.set_heading(heading)
        views = [
            StepView(f"{s.number}. {s.title}", s.body, prose=s.prose, classes="step") for s in steps
        ]
        if answer is not None:
            views.append(StepView("Answer", answer, classes="step answer"))
        self.mount_all(views)
        self.scroll_home(animate=False)

    def set_heading(self, heading: str) -> None:
        self.query_one("#trace-heading", Static).update(Text(heading))

    def clear(self) -> None:
        self.query(StepView).remove()
        self.query_one("#trace-heading", Static).update("")
