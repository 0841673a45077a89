"""The maths renderers: the LaTeX subset drawn as 2-D Unicode and written as Typst."""

from __future__ import annotations

import pytest

from revise.render.latex_tree import LatexError, parse_latex
from revise.render.typst_math import latex_to_typst
from revise.render.unicode_math import latex_to_unicode, width
from revise.render.values import format_value


def test_fraction_stacks_over_a_rule() -> None:
    lines = latex_to_unicode(r"\sigma(z) = \frac{1}{1 + e^{-z}}").splitlines()
    assert len(lines) == 3
    assert "─" in lines[1] and "σ(z) =" in lines[1]
    assert lines[0].strip() == "1" and "1 + e⁻ᶻ" in lines[2]


def test_matrix_is_laid_out_in_tall_brackets() -> None:
    text = latex_to_unicode(r"\begin{bmatrix} 1 & 0.25 \\ -1 & 3 \end{bmatrix}")
    top, bottom = text.splitlines()
    assert top.startswith("⎡") and bottom.startswith("⎣")
    assert top.endswith("⎤") and bottom.endswith("⎦")
    assert "−1" in bottom and "0.25" in top
    assert width(top) == width(bottom)


def test_scripts_use_unicode_where_every_character_has_one() -> None:
    assert latex_to_unicode(r"10^{-4}") == "10⁻⁴"
    assert latex_to_unicode(r"s_{t-1}^{\top}") == "sₜ₋₁ᵀ"
    assert latex_to_unicode(r"y_{i,j}") == "yᵢ,ⱼ"


def test_scripts_without_unicode_characters_are_drawn_above_and_below() -> None:
    # never `k_eff` or `D̃^(−1/2)`: the script moves a row down (or up), as on paper
    assert latex_to_unicode(r"k_{\text{eff}}").splitlines() == ["k", " eff"]
    assert latex_to_unicode(r"\tilde{D}^{-\frac{1}{2}}").splitlines() == [" −1/2", "D̃"]
    lines = latex_to_unicode(r"y = r + \gamma \max_{a'} Q(s', a')").splitlines()
    assert lines[0].endswith("max Q(s', a')") and lines[1].strip() == "a'"


def test_function_names_are_spaced_from_their_operands() -> None:
    assert latex_to_unicode(r"0.5 \log(2) + \max z") == "0.5 log(2) + max z"


def test_unary_minus_is_a_sign_and_binary_minus_is_spaced() -> None:
    assert latex_to_unicode(r"1 \cdot 2 + (-1) - 3") == "1 · 2 + (−1) − 3"


def test_combining_accents_take_no_column() -> None:
    lines = latex_to_unicode(r"\tilde{A} = \begin{bmatrix} 1 \\ 2 \end{bmatrix}").splitlines()
    assert len({width(line) for line in lines}) == 1


def test_typst_output_for_common_constructs() -> None:
    assert latex_to_typst(r"\frac{a}{b}") == "(a)/(b)"
    assert latex_to_typst(r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}") == (
        'mat(delim: "[", 1, 2; 3, 4)'
    )
    assert latex_to_typst(r"k_{\text{eff}}") == 'k_("eff")'
    assert "sum" in latex_to_typst(r"\sum_{t=1}^{T} x_t")


@pytest.mark.parametrize(
    "bad", [r"\frac{1}", r"\unknowncommand", r"\left( x", r"\begin{align} x \end{align}", "}"]
)
def test_formulas_outside_the_subset_are_refused(bad: str) -> None:
    with pytest.raises(LatexError):
        parse_latex(bad)


def test_values_render_objects_key_by_key() -> None:
    text = format_value({"macs": 10, "output_size": [2, 3], "y": [[1.5, 2], [3, 4]]})
    assert "macs = 10" in text
    assert "output size = [2, 3]" in text
    assert "⎡" in text and "1.5" in text
