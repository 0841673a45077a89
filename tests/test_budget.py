"""The budget mechanisms in-process: the stoppable worker, declared maxima, content limits."""

from __future__ import annotations

import pytest
import yaml

from content import limits
from content.expr import ExprError, Expression
from engine.budget import OverBudget, at_most, bounded, check_work
from engine.errors import ProblemError
from engine.solve import solve


def _spin() -> None:
    while True:
        pass


def _allocate() -> list[int]:
    return [0] * (4 * 1024**3)


def _refuse() -> None:
    raise ProblemError("size", "must be smaller")


def test_a_worker_returns_its_value_and_re_raises_a_person_s_error() -> None:
    assert bounded(sum, [1, 2, 3]) == 6
    with pytest.raises(ProblemError) as info:
        bounded(_refuse)
    assert info.value.param == "size" and str(info.value) == "size: must be smaller"


def test_a_worker_that_never_ends_is_stopped_at_its_cpu_budget() -> None:
    with pytest.raises(OverBudget, match="1 s of computing"):
        bounded(_spin, seconds=1)


def test_a_worker_that_allocates_too_much_is_stopped_at_its_memory_budget() -> None:
    with pytest.raises(OverBudget, match="memory"):
        bounded(_allocate, seconds=5)


def test_declared_maxima_name_their_limit() -> None:
    validate = at_most(1_000)
    assert validate((3, 1_000)) == (3, 1_000)
    with pytest.raises(ValueError, match="at most 1,000"):
        validate(1_001)
    with pytest.raises(ProblemError, match="over revise's limit of 10"):
        check_work("padding", 11, 10, "the padded input")


def test_an_overflowing_answer_is_refused_rather_than_printed_as_infinity() -> None:
    with pytest.raises(ProblemError, match="overflows"):
        solve("derivative", {"f": "x^64", "at": 1e10}, verify=False)


def test_aliases_of_aliases_are_counted_expanded_without_expanding_them() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    node = yaml.compose("\n".join(lines))
    with pytest.raises(limits.LimitError, match="expands to more than"):
        limits.check_yaml(node)
    limits.check_yaml(yaml.compose("a: &a [1, 2]\nb: [*a, *a]"))  # a few aliases are fine


def test_expressions_refuse_huge_results_before_computing_them() -> None:
    assert Expression("2 ** 64 * 3").evaluate({}) == 3 * 2**64
    for source in ("(((10**64)**64)**64)**64", "s + s"):
        with pytest.raises(ExprError):
            Expression(source).evaluate({"s": "ab" * 6000})
    with pytest.raises(ExprError, match="at most 1,000 characters"):
        Expression("+".join(["1"] * 1000))


def test_a_draw_is_counted_over_all_its_levels() -> None:
    with limits.draw_budget():
        limits.spend(limits.MAX_DRAWN)
        with pytest.raises(limits.LimitError, match="more than"):
            limits.spend(1)
    limits.spend(10**9)  # outside a draw nothing is counted
