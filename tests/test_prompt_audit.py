"""The presentation audit of question prompts: what a student reads holds no code.

Every family × 30 seeds is drawn and its prompt rendered in each back-end: terminal Unicode
(`revise review --plain`, `revise solve`, the app), Typst (PDF), Markdown and Anki's HTML. None
may contain Python operators (`**`, `*` between operands), `_(`/`^(` script fallbacks, an escaped
`\\_` inside `\\text{}`, a literal `$` in terminal text, LaTeX left unread, or a terminal line
wider than the console. Each rule has a failing sample under tests/fixtures/prompt_audit/ proving it is caught.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import content
from revise.printout.card_typst import prompt_typst
from revise.printout.markdown_writer import prompt_markdown
from revise.printout.mdhtml import prompt_html
from revise.render.prompt_terminal import prompt_lines

SEEDS = 30
COLUMNS = 80
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "prompt_audit"

_POWER = re.compile(r"\*\*")
# `2*x`, `x * y`: a star between two operands (Markdown emphasis has a space on one side only)
_TIMES = re.compile(r"[\w)\]]\s*\*\s*[\w(\[]")
_FALLBACK = re.compile(r"[_^]\(")
_TEXT_UNDERSCORE = re.compile(r"\\text\{[^}]*\\_")


def _code_rules(text: str) -> list[str]:
    found = []
    if _POWER.search(text):
        found.append("python-power")
    if _TIMES.search(text):
        found.append("python-times")
    if _TEXT_UNDERSCORE.search(text):
        found.append("escaped-underscore")
    return found


def audit(markdown: str, columns: int = COLUMNS) -> dict[str, list[str]]:
    """The rules each back-end's rendering of a prompt breaks, by back-end."""
    lines = prompt_lines(markdown, columns)
    terminal = "\n".join(lines)
    found = {
        "terminal": _code_rules(terminal),
        "typst": _code_rules(prompt_typst(markdown)),
        "markdown": _code_rules("\n".join(prompt_markdown(markdown))),
        "anki": _code_rules(prompt_html(markdown)),
    }
    if _FALLBACK.search(terminal):
        found["terminal"].append("script-fallback")
    if "$" in terminal:
        found["terminal"].append("literal-dollar")
    if "\\" in terminal:  # LaTeX the renderer could not read, shown as written
        found["terminal"].append("raw-latex")
    if '#raw("$' in prompt_typst(markdown):  # the same in the PDF
        found["typst"].append("raw-latex")
    if any(len(line) > columns for line in lines):
        found["terminal"].append("too-wide")
    # the LaTeX the other back-ends are given must not fall back either
    for name, text in (("markdown", "\n".join(prompt_markdown(markdown))),):
        if _FALLBACK.search(re.sub(r"\\left\(|\\right\)", "", text)):
            found[name].append("script-fallback")
    return {k: v for k, v in found.items() if v}


@pytest.fixture(scope="module")
def course() -> content.Course:
    return content.load()


def test_every_family_prompt_passes_the_audit(course: content.Course) -> None:
    failures = []
    for family in course.families:
        for seed in range(SEEDS):
            markdown = family.variant(seed).prompt_text
            broken = audit(markdown)
            if broken:
                failures.append(f"{family.id} seed {seed}: {broken}\n{markdown}")
                break  # one sample per family is enough to read
    assert not failures, "\n\n".join(failures[:10])


def test_prompts_are_wrapped_at_wide_consoles_too(course: content.Course) -> None:
    family = course.family("rnn.lstm.hidden-state")
    markdown = family.variant(0).prompt_text
    narrow, wide = prompt_lines(markdown, 80), prompt_lines(markdown, 120)
    assert max(map(len, narrow)) <= 80 < max(map(len, wide)) <= 120
    assert len(narrow) > len(wide)


RULES = {
    "python_power.md": ("terminal", "python-power"),
    "python_times.md": ("terminal", "python-times"),
    "script_fallback.md": ("terminal", "script-fallback"),
    "escaped_underscore.md": ("markdown", "escaped-underscore"),
    "literal_dollar.md": ("terminal", "literal-dollar"),
    "too_wide.md": ("terminal", "too-wide"),
    "raw_latex.md": ("terminal", "raw-latex"),
}


@pytest.mark.parametrize(("sample", "where"), sorted(RULES.items()))
def test_the_audit_catches_each_rule(sample: str, where: tuple[str, str]) -> None:
    backend, rule = where
    broken = audit((FIXTURES / sample).read_text(encoding="utf-8"))
    assert rule in broken.get(backend, []), broken


def test_every_rule_has_a_failing_sample() -> None:
    assert {p.name for p in FIXTURES.glob("*.md")} == set(RULES)
