"""The presentation audit: no code and no fallbacks in what a student reads, in any back-end.

Over every family × SEEDS seeds and every problem's example call (engine/examples.py), each
step, answer and `check` verdict is rendered for the terminal (Unicode), Typst, Markdown and the
JSON's LaTeX, and checked against the rules of `tests/presentation_audit.py`. The fixture file
holds one known-bad line per rule, to prove that each rule fires.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from presentation_audit import RULES, Finding, check_texts, texts_of, violations
from test_families import answer_text, perturbed

import content
import engine.solve
from content.models import answer_part
from engine.examples import EXAMPLES

SEEDS = 30
FIXTURE = Path(__file__).parent / "fixtures" / "presentation" / "failing.txt"


@cache
def course() -> content.Course:
    return content.load()


def _report(findings: list[Finding]) -> str:
    by_rule = Counter(f.rule for f in findings)
    firsts: dict[str, Finding] = {}
    for f in findings:
        firsts.setdefault(f.rule, f)
    lines = [
        f"{rule}: {count}× e.g. {firsts[rule].where}: {firsts[rule].line[:160]}"
        for rule, count in by_rule.items()
    ]
    return "\n".join(lines)


def test_every_rule_fires_on_its_fixture() -> None:
    samples = [line.split("\t", 1) for line in FIXTURE.read_text("utf-8").splitlines() if line]
    assert {rule for rule, _ in samples} == set(RULES)
    for rule, text in samples:
        assert rule in {f.rule for f in violations(text, "fixture")}, (rule, text)


def test_clean_maths_passes_the_rules() -> None:
    clean = "∂/∂x (x²) = 2x\n= [0.7143, 0.3846]\nyᵢ,ⱼ = Σ wᵤ,ᵥ xᵢ₊ᵤ,ⱼ₊ᵥ\n\\text{weight ih}"
    assert list(violations(clean, "clean")) == []


@pytest.mark.parametrize("family_id", [f.id for f in course().families])
def test_family_solutions_read_as_maths(family_id: str) -> None:
    family = next(f for f in course().families if f.id == family_id)
    findings: list[Finding] = []
    for seed in range(SEEDS):
        variant = family.variant(seed)
        solution = engine.solve.solve(variant.problem, variant.params, verify=False)
        for where, text in texts_of(solution):
            findings += violations(text, f"seed {seed} {where}")
        if seed < 3:  # the verdict's wording does not depend on the numbers drawn
            expected = answer_part(solution.answer, variant.part)
            wrong = answer_text(perturbed(expected)) if not isinstance(expected, dict) else "0"
            text = check_texts(variant.problem, variant.params, wrong, variant.part)
            findings += violations(text, f"seed {seed} check")
    assert not findings, _report(findings)


@pytest.mark.parametrize("problem_id", sorted(EXAMPLES))
def test_example_solutions_read_as_maths(problem_id: str) -> None:
    params: dict[str, Any] = EXAMPLES[problem_id]
    solution = engine.solve.solve(problem_id, params, verify=False)
    findings: list[Finding] = []
    for where, text in texts_of(solution):
        findings += violations(text, where)
    findings += violations(check_texts(problem_id, params, "0", None), "check")
    assert not findings, _report(findings)
