"""How a step reads in every back-end (revise/render/steps.py): no repeated sides, the engine's
own LaTeX for symbolic values, tables as grids, and the asked part marked."""

from __future__ import annotations

import content
import engine.solve
from engine.trace import Step, Trace
from revise.render.steps import ASKED, BEYOND, asked_step, marked, right_sides, value_of
from revise.render.unicode_math import latex_to_unicode


def test_a_side_equal_to_the_one_before_is_left_out() -> None:
    same = Step("t", r"\hat{v}", "0.1", 0.1)
    assert right_sides(same) == ["0.1"]
    # a 1×1 matrix put in and a one-entry vector read the same: one of them is enough
    matrix_then_vector = Step("o", "z_{2}", r"\begin{bmatrix} 0.5 \end{bmatrix}", [0.5])
    assert len(right_sides(matrix_then_vector)) == 1
    different = Step("y", "y", "1 + 2", 3)
    assert right_sides(different) == ["1 + 2", "3"]


def test_a_symbolic_value_is_drawn_from_the_engines_latex() -> None:
    step = engine.solve.solve("derivative", {"f": "x^2 sin(x)"}, verify=False).steps[-1]
    assert "*" in step.value  # the JSON keeps SymPy's text, as the contract says
    drawn = latex_to_unicode(value_of(step))
    assert "*" not in drawn and "x²" in drawn and "sin" in drawn


def test_a_table_step_is_a_grid_with_its_header_first() -> None:
    trace = Trace()
    trace.table("Q", ["k", "Q_{k}"], [["0", "0"], ["1", "2.5"]], [0, 2.5])
    lines = latex_to_unicode(value_of(trace.steps[0])).splitlines()
    assert len(lines) == 3 and lines[0].split() == ["k", "Qₖ"] and lines[2].split() == ["1", "2.5"]


def test_the_asked_part_is_marked_and_what_follows_is_beyond_the_question() -> None:
    course = content.load()
    family = next(f for f in course.families if f.id == "attention.scores")
    variant = family.variant(0)
    solution = variant.solve(verify=False)
    index = asked_step(solution, variant.part)
    assert index is not None and solution.steps[index].value == solution.answer["scores"]
    shown = marked(solution, variant.part)
    assert shown.steps[index].title.endswith(ASKED)
    assert all(s.title.startswith(BEYOND) for s in shown.steps[index + 1 :])
    assert not any(ASKED in s.title or BEYOND in s.title for s in shown.steps[:index])
    assert next(iter(shown.answer)) == "scores"  # the asked part first in the answer
    assert shown.answer == solution.answer


def test_without_a_part_nothing_is_marked() -> None:
    solution = engine.solve.solve("rl.return", {"rewards": [1, 0, 2], "gamma": 0.9}, verify=False)
    assert marked(solution, None) is solution
