"""Prompt templates (`content.prompt`): plain placeholders, values put in as LaTeX by type, and
the form every back-end draws (`revise.render.prompt`)."""

from __future__ import annotations

import pytest
import sympy

from content.prompt import PromptError, check_template, fill, number_latex, placeholders
from revise.render.prompt import parse_prompt, split_name
from revise.render.prompt_terminal import prompt_lines

NAMES = {"size", "kernel", "W", "x", "f", "n", "lr", "words", "layers"}


@pytest.mark.parametrize(
    "field",
    ["{size.__class__.__mro__}", "{size:x>1000000000}", "{0}", "{a[0]}", "{}", "{size!r}"],
)
def test_only_plain_names_are_placeholders(field: str) -> None:
    problems = check_template(f"A {field} input.", NAMES)
    assert problems and "not a plain name" in problems[0]
    with pytest.raises(PromptError):
        fill(f"A {field} input.", {"size": 3, "a": [1]})


def test_fields_of_declared_names_inside_maths_are_refused_too() -> None:
    assert check_template("$x = {size.real}$", NAMES)
    assert check_template("$x_{t-1} + {size}$", NAMES) == []  # LaTeX groups stay LaTeX


def test_undeclared_prose_placeholders_and_unclosed_maths_are_reported() -> None:
    assert "not provided" in check_template("A {stride} stride.", NAMES)[0]
    assert "never closed" in check_template("Cost $x = 1.", NAMES)[0]
    assert placeholders("$W = {W}$, {size}×{size}, $s_{t}$", NAMES) == ["W", "size"]


def test_values_go_into_maths_by_type() -> None:
    text = fill(
        "$W = {W}$, $x = {x}$, $\\eta = {lr}$, $y^{n}$",
        {"W": [[1, -0.5], [0, 2]], "x": [1, -2], "lr": 1e-8, "n": 3},
    )
    assert "\\begin{bmatrix} 1 & -0.5 \\\\ 0 & 2 \\end{bmatrix}" in text
    assert "x = \\left[1, -2\\right]" in text
    assert "\\eta = 10^{-8}" in text and "1e-08" not in text
    assert "y^{3}" in text  # a script keeps its braces


def test_a_formula_typed_as_text_is_shown_as_maths() -> None:
    x = sympy.Symbol("x")
    text = fill("$f(x) = {f}$", {"f": "(2*x - 1)**3"})
    assert text == "$f(x) = " + sympy.latex((2 * x - 1) ** 3) + "$"
    assert "**" not in text and "*" not in text
    assert "(2x − 1)³" in "\n".join(prompt_lines(text))


def test_numbers_as_drawn() -> None:
    assert number_latex(0.1 + 0.2) == "0.3"
    assert number_latex(-2.5e-5) == "-2.5 \\times 10^{-5}"
    assert number_latex(1e-10) == "10^{-10}"
    assert number_latex(7) == "7"


def test_prose_values_read_as_text() -> None:
    text = fill(
        "Corpus {words}; layers: {layers}; size {size}.",
        {"words": ["I am Sam", "Sam I am"], "layers": [{"kernel": 3}, {"kernel": 2}], "size": -1},
    )
    assert text == "Corpus “I am Sam”, “Sam I am”; layers: kernel 3; kernel 2; size −1."


def test_named_matrices_are_lifted_after_their_paragraph_in_order() -> None:
    markdown = fill(
        "With $U = {W}$, $V = {W}$ and $b = {x}$, go.", {"W": [[1, 2], [3, 4]], "x": [1, 2]}
    )
    (block,) = parse_prompt(markdown)
    assert [g.split(" =")[0] for g in block.given] == ["U", "V"]
    lines = prompt_lines(markdown, 80)
    assert lines[0] == "With U (below), V (below) and b = [1, 2], go."
    assert "U = " in "\n".join(lines[1:]) and "V = " in "\n".join(lines[1:])
    assert split_name("b = \\left[1, 2\\right]") is None


def test_prose_wraps_at_the_width_and_maths_is_not_broken() -> None:
    markdown = "Words " * 30 + "$a + b + c$ end."
    for columns in (40, 80):
        lines = prompt_lines(markdown, columns)
        assert max(len(line) for line in lines) <= columns
        assert any("a + b + c" in line for line in lines)


def test_a_wide_matrix_is_cut_into_column_blocks() -> None:
    rows = [[10 * r + c for c in range(14)] for r in range(2)]
    markdown = fill("The weights are $W = {W}$.", {"W": rows})
    (block,) = parse_prompt(markdown)
    assert len(block.given) == 2
    assert block.given[0].startswith("W = ") and block.given[0].endswith("\\cdots")
    assert block.given[1].startswith("\\cdots") and "13" in block.given[1]
    # every entry is drawn once, in order
    drawn = " ".join(prompt_lines(markdown, 80))
    assert all(f" {v} " in f" {drawn.replace('⎤', ' ').replace('⎦', ' ')} " for v in (0, 9, 13, 23))
