"""The presentation rules a student-facing text must pass, and the texts they are applied to.

Each rule is a name and a regular expression that finds a violation in one line of rendered
output (terminal Unicode, Typst source, Markdown, or the JSON's LaTeX). `texts_of` renders one
solution (steps and answer) in every back-end; `tests/test_presentation.py` runs the rules over
every family × 30 seeds and every problem's example call, and over the failing fixtures in
`tests/fixtures/presentation/` to prove that each rule fires.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

RULES: dict[str, re.Pattern[str]] = {
    # Python's power operator
    "python_power": re.compile(r"\*\*"),
    # Python's product: an ASCII star between two operands (`2*x`, `x*sin(x)`, `W*h`)
    "python_product": re.compile(r"[\w)\]]\s*(?<!\\)\*\s*[\w(\[]"),
    # a script the renderer could not draw, written as code: `y_(i,j)`, `P^(-1/N)`
    "script_fallback": re.compile(r"[_^]\("),
    # an escaped underscore shown literally inside upright text (`\text{weight\_ih}`)
    "escaped_underscore": re.compile(r"\\text\{[^}]*\\_|\"[^\"]*\\_[^\"]*\""),
    # the same right-hand side twice at the end of a chain: `= 0.1 = 0.1`
    "repeated_tail": re.compile(r"=\s*([^=]+?)\s*=\s*\1\s*\$*$"),
    # a number in a program's e-notation where a person writes 10⁻⁸ (not in `check`'s advice on
    # how to type an answer, where `6.76e-4` is what to type)
    "e_notation": re.compile(r"(?<![\w.])\d+(?:\.\d+)?e[-+]?\d+\b"),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    where: str
    line: str


# Typst groups scripts with parentheses (`e^(x+1)` is its `e^{x+1}`): not a fallback there
NOT_IN_TYPST = {"script_fallback"}
NOT_IN_CHECK = {"e_notation"}


def violations(text: str, where: str) -> Iterator[Finding]:
    """Every rule broken by a line of `text`; consecutive `= X` lines count as a repeated tail."""
    previous = ""
    typst = "typst" in where
    advice = where.endswith("check")
    for line in text.splitlines():
        stripped = line.strip()
        for name, pattern in RULES.items():
            if (typst and name in NOT_IN_TYPST) or (advice and name in NOT_IN_CHECK):
                continue
            if pattern.search(stripped):
                yield Finding(name, where, stripped)
        if stripped.startswith("= ") and stripped == previous:
            yield Finding("repeated_tail", where, stripped)
        previous = stripped


def texts_of(solution: Any) -> Iterator[tuple[str, str]]:
    """(back-end, text) for each rendered piece of a solution: steps and answer."""
    from engine import get_problem
    from engine.latex import prose
    from revise.printout.markdown_writer import step_latex
    from revise.printout.typst_writer import step_source
    from revise.render.steps import is_note, value_of
    from revise.render.terminal import step_lines
    from revise.render.values import ANSWER_DECIMALS, answer_expressions, value_box, value_latex

    kinds = answer_expressions(solution.problem)
    yield "summary", prose(get_problem(solution.problem).summary)
    for k, step in enumerate(solution.steps, start=1):
        yield f"step {k} title", step.title
        yield f"step {k} terminal", "\n".join(step_lines(step))
        yield f"step {k} typst", step_source(k, step, None)
        if is_note(step):
            continue
        yield f"step {k} markdown", "\n".join(step_latex(step))
        yield f"step {k} json", "\n".join((step.formula, step.substituted, value_of(step)))
        if step.table is not None:
            cells = [*step.table.header, *(c for row in step.table.rows for c in row)]
            yield f"step {k} table", "\n".join(cells)
    answer = solution.answer
    yield "answer terminal", "\n".join(value_box(answer, ANSWER_DECIMALS, kinds).lines)
    yield "answer latex", value_latex(answer, ANSWER_DECIMALS, kinds)


def check_texts(problem_id: str, params: dict[str, Any], wrong: str, part: str | None) -> str:
    """What `revise check` prints for a wrong answer: verdict, feedback and the right answer."""
    from engine.checking import check
    from revise.commands.check import describe

    result = check(problem_id, params, wrong, part)
    return describe(result, problem_id)
