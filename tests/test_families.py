"""The question families' self-test: many seeds of every family, each solved and checked.

For every shipped family and each of SEEDS seeds: the variant is a valid call of its problem,
the engine solves it, the part asked exists and is finite, the expected answer typed back is
graded correct, and a perturbed answer is graded wrong. A few seeds per family are also
cross-checked against PyTorch/SymPy. The same (family, seed) always gives the same variant.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import pytest

import content
import engine.solve
from content.models import Family, answer_part
from content.prompt import placeholders
from engine.checking import check
from engine.registry import all_problems, get_problem

SEEDS = 200
VERIFIED_SEEDS = 2


@cache
def course() -> content.Course:
    return content.load()


def family_ids() -> list[str]:
    return [f.id for f in course().families]


def answer_text(value: Any) -> str:
    """An expected value written as a student would type it, at full precision."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(answer_text(v) for v in value) + "]"
    if isinstance(value, str):
        return value
    raise TypeError(f"no typed form for {value!r}")


WORDS = ("minimum", "maximum", "saddle", "degenerate")


def perturbed(value: Any) -> Any:
    """A clearly wrong answer: the first number moved by 10 % plus 0.1 (1 for integers), another
    word, or the expression plus one."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.1 + 0.1 * abs(value)
    if isinstance(value, list):
        return [perturbed(value[0]), *value[1:]]
    if isinstance(value, str):  # a word (the kind of a critical point) or an expression in x
        return next(w for w in WORDS if w != value) if value in WORDS else f"({value}) + 1"
    raise TypeError(f"cannot perturb {value!r}")


def finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(finite(v) for v in value)
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    return value is not None


@pytest.fixture
def solve_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`engine.solve.solve` remembering unverified solutions, so that grading the right and the
    perturbed answer does not solve the same call twice more (checking solves without verify)."""
    original = engine.solve.solve
    solutions: dict[str, engine.solve.Solution] = {}

    def solve(
        problem_id: str, params: Mapping[str, Any], device: str = "auto", verify: bool = True
    ) -> engine.solve.Solution:
        if verify:
            return original(problem_id, params, device=device, verify=True)
        key = json.dumps([problem_id, params], sort_keys=True)
        if key not in solutions:
            solutions[key] = original(problem_id, params, device=device, verify=False)
        return solutions[key]

    monkeypatch.setattr(engine.solve, "solve", solve)
    yield solve
    solutions.clear()


@pytest.mark.parametrize("family_id", family_ids())
def test_family_self_test(family_id: str, solve_once: Any) -> None:
    family = course().family(family_id)
    problem = get_problem(family.problem)
    for seed in range(SEEDS):
        variant = family.variant(seed)
        where = f"{family_id} seed {seed} ({variant.params})"
        problem.parse_params(variant.params)  # a valid call: ProblemError otherwise
        if seed < VERIFIED_SEEDS:  # cross-checked against PyTorch/SymPy
            solve_once(family.problem, variant.params, verify=True)
        solution = solve_once(family.problem, variant.params, verify=False)
        expected = answer_part(solution.answer, family.part)
        assert finite(expected), f"{where}: the answer is not finite: {expected}"
        right = check(family.problem, variant.params, answer_text(expected), family.part)
        assert right.correct, f"{where}: own answer {expected!r} graded wrong: {right.feedback}"
        wrong = check(family.problem, variant.params, answer_text(perturbed(expected)), family.part)
        assert not wrong.correct, f"{where}: perturbed answer graded correct"


@pytest.mark.parametrize("family_id", family_ids())
def test_variants_are_deterministic(family_id: str) -> None:
    family: Family = course().family(family_id)
    again = Family.model_validate(family.model_dump(by_alias=True))
    for seed in (0, 1, 7, 123456):
        assert family.variant(seed) == family.variant(seed) == again.variant(seed)


@pytest.mark.parametrize("family_id", family_ids())
def test_prompts_put_in_every_value(family_id: str) -> None:
    family = course().family(family_id)
    variant = family.variant(3)
    assert variant.prompt_text.strip()
    for name in placeholders(family.prompt, {name for _, name in family.names()}):
        assert f"{{{name}}}" not in variant.prompt_text


def test_every_problem_has_a_family() -> None:
    covered = {f.problem for f in course().families}
    missing = sorted(p.id for p in all_problems() if p.id not in covered)
    assert not missing, f"problems without a question family: {missing}"


def test_every_topic_has_cards() -> None:
    c = course()
    empty = [t.id for t in c.topics if not c.cards_for(t.id)]
    assert not empty, f"topics without flashcards: {empty}"


def test_exam_favourites_have_several_families() -> None:
    counts: dict[str, int] = {}
    for f in course().families:
        counts[f.problem] = counts.get(f.problem, 0) + 1
    for problem_id in ("conv2d.output_size", "conv2d.params", "params.rnn", "optim.step"):
        assert counts.get(problem_id, 0) >= 3, problem_id
    for problem_id in ("gcn.layer", "batchnorm.forward", "rl.q_learning", "rnn.bptt"):
        assert counts.get(problem_id, 0) >= 2, problem_id
