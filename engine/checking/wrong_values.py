"""The values a misconception rule gives for one part of an answer, for exporters.

A question bank in an LMS cannot run the checker, but it can list wrong values with feedback:
this gives, for an asked part, each misconception's value there (when it differs from the right
one) and the sentence that names the mistake, as `revise check` would say it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.checking.grade import _at, _key, _solution, _substitute, _wrong_answers


def wrong_values(
    problem_id: str, params: Mapping[str, Any], part: str | None
) -> list[tuple[str, Any, str]]:
    """(tag, value at `part`, feedback) of every misconception that changes that part."""
    key = _key(params)
    whole = _solution(problem_id, key)
    right = _at(whole, part or "")
    out = []
    for tag, rule_part, answer, feedback in _wrong_answers(problem_id, key):
        wrong_whole = _substitute(whole, rule_part, answer)
        if wrong_whole is None:
            continue
        wrong = _at(wrong_whole, part or "")
        if wrong is not None and wrong != right:
            out.append((tag, wrong, feedback))
    return out
