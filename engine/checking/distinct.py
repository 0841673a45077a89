"""Whether the checker tells each wrong method from the right one, for one question.

A question is only worth asking when a student who follows a known wrong rule (a misconception
of the problem) is marked wrong. `told_apart(problem_id, params, part)` grades each rule's answer
exactly as the checker would grade it typed in at full precision, at the contract's tolerance,
and says for each rule whether it scores. `accepted(...)` does the same for any value (typing
0, or typing back a given). The solutions and rule answers come from the checker's caches, so a
question judged here is checked later without solving it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.checking import grade, parts
from engine.checking.errors import AnswerError
from engine.errors import ProblemError

__all__ = ["accepted", "expected_answer", "rule_answers", "told_apart"]


def expected_answer(problem_id: str, params: Mapping[str, Any], part: str | None) -> Any:
    """The answer the checker expects for this part (ProblemError for a bad call or part)."""
    _, whole, _ = grade._expected(problem_id, params)
    return grade._select(whole, part)[1]


def accepted(problem_id: str, params: Mapping[str, Any], part: str | None, value: Any) -> bool:
    """Whether typing `value` (a JSON value) at full precision is graded right."""
    _, whole, ctx = grade._expected(problem_id, params)
    path, expected = grade._select(whole, part)
    return _graded_right(expected, value, ctx, path)


def told_apart(problem_id: str, params: Mapping[str, Any], part: str | None) -> dict[str, str]:
    """Each misconception tag of the problem → how its answer at `part` fares with the checker.

    - "apart": the checker marks it wrong (the wrong method cannot score);
    - "scores": it differs from the right answer, yet within the tolerance: graded right;
    - "same": the rule changes other parts of the answer, but not this one (or only the shape
      of a vector, which the checker reads either way);
    - "none": the rule gives no answer (it does not apply to these numbers, or it gives the
      right answer everywhere).
    """
    problem, whole, ctx = grade._expected(problem_id, params)
    path, expected = grade._select(whole, part)
    found = {m.tag: "none" for m in problem.misconceptions}
    for tag, wrong_here, _ in rule_answers(problem_id, params, part):
        if grade._same(wrong_here, expected) or _same_numbers(wrong_here, expected):
            found[tag] = "same"
        elif _graded_right(expected, wrong_here, ctx, path):
            found[tag] = "scores"
        else:
            found[tag] = "apart"
    return found


def rule_answers(
    problem_id: str, params: Mapping[str, Any], part: str | None
) -> list[tuple[str, Any, str]]:
    """(tag, value at `part`, feedback) of every misconception rule that gives an answer there
    (the quality rules judge them; question banks list them as wrong answers with feedback)."""
    problem, whole, _ = grade._expected(problem_id, params)
    path, _ = grade._select(whole, part)
    out = []
    for tag, rule_part, answer, feedback in grade._wrong_answers(problem.id, grade._key(params)):
        wrong_whole = grade._substitute(whole, rule_part, answer)
        wrong_here = grade._at(wrong_whole, path) if wrong_whole is not None else None
        if wrong_here is not None:
            out.append((tag, wrong_here, feedback))
    return out


def _same_numbers(a: Any, b: Any) -> bool:
    """The same numbers in another shape: a 1×n matrix against its transpose, which the checker
    reads alike (a vector may be typed as a row or a column), so the rule changes nothing."""
    if not (isinstance(a, list) and isinstance(b, list)):
        return False
    return grade._flatten(a) == grade._flatten(b)


def _graded_right(expected: Any, value: Any, ctx: grade.Context, path: str) -> bool:
    try:
        item = _item(value, expected, ctx, path)
    except (AnswerError, ProblemError, TypeError, ValueError):
        return False  # an answer nobody can type (infinite, malformed) is not graded right
    return grade.compare(expected, item, ctx, path).right


def _item(value: Any, expected: Any, ctx: grade.Context, path: str) -> Any:
    """A JSON value as the parsed answer a student would type (a dict as its dotted parts)."""
    if isinstance(expected, dict):
        if not isinstance(value, dict):
            raise TypeError("a single value for an answer with parts")
        items: dict[str, Any] = {}
        for sub, sub_value in parts.leaves(value):
            found = parts.resolve(expected, sub)
            if found is not None:
                full = f"{path}.{sub}" if path else sub
                items[sub] = grade._from_json(sub_value, found[1], ctx, full)
        return items
    return grade._from_json(value, expected, ctx, path)
