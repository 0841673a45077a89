"""Every numeric step can be redone by hand: its printed result follows from its printed inputs.

For each step of every family × SEEDS seeds and every example call, the substituted formula
as printed (numbers rounded as the page shows them) is evaluated by the safe interval evaluator
of `tests/latex_eval.py` and must meet the printed value at its shown precision. The evaluator
itself is tested against Python's own arithmetic, and a known-bad step (Adam's v₂ printed
0.0012, so v̂₂ recomputed from the page is 0.60, not the 0.6248 shown) must be caught.
"""

from __future__ import annotations

import math
from functools import cache

import pytest
from latex_eval import Interval, Unevaluable, evaluate, printed
from reproducibility import recheck

import content
import engine.solve
from engine.examples import EXAMPLES
from engine.trace import Step

SEEDS = 10
# the sweep must really check steps, not skip them all
MINIMUM_CHECKED = 2000


@cache
def course() -> content.Course:
    return content.load()


def _contains(value: Interval | list[Interval], x: float) -> bool:
    assert isinstance(value, Interval)
    return value.meets(Interval.exact(x))


@pytest.mark.parametrize(
    ("latex", "exact"),
    [
        (r"0.999 \cdot 2.5 \times 10^{-4} + (1 - 0.999) \cdot 1^{2}", 0.999 * 2.5e-4 + 0.001),
        (r"\frac{0.001249}{1 - 0.999^{2}}", 0.001249 / (1 - 0.999**2)),
        (r"\sqrt{0.25} + e^{-1} - \tanh(0.5)", 0.5 + math.exp(-1) - math.tanh(0.5)),
        (r"\sigma(-2) \cdot \ln(3)", math.log(3) / (1 + math.exp(2))),
        (r"\max(1, -2, 0.5) - 2 (-3)", 7.0),
        (r"\left( 0.0175 \right)^{-1/4}", 0.0175**-0.25),
        (r"\left|-0.5\right| + 2^{3}", 8.5),
    ],
)
def test_the_evaluator_agrees_with_python(latex: str, exact: float) -> None:
    assert _contains(evaluate(latex), exact)


def test_vectors_and_minus_plus_give_one_interval_per_entry() -> None:
    vector = evaluate(r"\left[0.5, 1\right] - 2")
    assert isinstance(vector, list) and len(vector) == 2
    assert vector[0].lo <= -1.5 <= vector[0].hi and vector[1].lo <= -1 <= vector[1].hi
    roots = evaluate(r"\frac{2 + (-2)}{2} \mp \sqrt{2^{2} + 1^{2}}")
    assert isinstance(roots, list)
    assert (
        roots[0].lo <= -math.sqrt(5) <= roots[0].hi and roots[1].lo <= math.sqrt(5) <= roots[1].hi
    )


@pytest.mark.parametrize(
    "latex", [r"x + 1", r"W_{1} \cdot 2", r"\text{true}", r"\begin{bmatrix} 1 \end{bmatrix}"]
)
def test_symbols_words_and_matrices_are_not_evaluated(latex: str) -> None:
    with pytest.raises(Unevaluable):
        evaluate(latex)


def test_a_printed_number_stands_for_the_values_that_round_to_it() -> None:
    assert printed("0.6248").lo == pytest.approx(0.62475) and printed("0.6248").hi == pytest.approx(
        0.62485
    )
    assert printed("0.001249").hi - printed("0.001249").lo == pytest.approx(1e-6)
    # fewer places than the printer keeps: exact as written (a given β₂ = 0.999)
    assert printed("0.999") == Interval.exact(0.999)


def test_a_step_rounded_too_far_is_caught() -> None:
    # Adam's v̂₂ from v₂ = 0.00124975 printed as 0.0012: the page gives 0.6003, not 0.6252
    step = Step("v̂₂", r"\hat{v}_{2}", r"\frac{0.0012}{1 - 0.999^{2}}", 0.62519)
    assert recheck(step).checked and not recheck(step).agrees
    fine = Step("v̂₂", r"\hat{v}_{2}", r"\frac{0.001250}{1 - 0.999^{2}}", 0.62519)
    assert recheck(fine).checked and recheck(fine).agrees


def _disagreements(name: str, solution: engine.solve.Solution) -> tuple[int, list[str]]:
    checked, bad = 0, []
    for k, step in enumerate(solution.steps, start=1):
        result = recheck(step)
        checked += result.checked
        if result.checked and not result.agrees:
            bad.append(
                f"{name} step {k} {step.title}: {step.substituted} → {result.recomputed}, shown {result.shown}"
            )
    return checked, bad


def test_every_numeric_step_can_be_redone_from_the_page() -> None:
    checked, bad = 0, []
    for family in course().families:
        for seed in range(SEEDS):
            variant = family.variant(seed)
            solution = engine.solve.solve(variant.problem, variant.params, verify=False)
            count, wrong = _disagreements(f"{family.id} seed {seed}", solution)
            checked, bad = checked + count, bad + wrong
    for problem_id, params in EXAMPLES.items():
        count, wrong = _disagreements(
            problem_id, engine.solve.solve(problem_id, params, verify=False)
        )
        checked, bad = checked + count, bad + wrong
    assert not bad, "\n".join(bad[:20])
    assert checked >= MINIMUM_CHECKED
