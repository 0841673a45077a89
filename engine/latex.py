"""Writing formulas: numbers and matrices as LaTeX in the subset every renderer understands.

The subset, which `revise.render` must cover (a test renders every step of every problem):
  letters, digits, operators `+ - = < > ( ) [ ] | , ; ! '`, `^{...}` and `_{...}` (or one char),
  `\\frac{a}{b}`, `\\sqrt{x}`, `\\cdot`, `\\times`, `\\odot`, `\\otimes`, `\\circ`, `\\pm`, `\\mp`,
  `\\le`, `\\ge`, `\\ne`, `\\approx`, `\\to`, `\\leftarrow`, `\\rightarrow`, `\\in`, `\\infty`,
  `\\partial`, `\\nabla`, `\\sum`, `\\prod`, `\\max`, `\\min`, `\\exp`, `\\log`, `\\ln`, `\\tanh`,
  `\\sigma`, `\\operatorname{name}`, `\\text{words}`, `\\mathrm{x}`, `\\mathbf{x}`, `\\hat{x}`,
  `\\tilde{x}`, `\\bar{x}`, `\\lfloor \\rfloor \\lceil \\rceil`, `\\left( \\right)` (and brackets),
  `\\lVert \\rVert`, `\\ldots`, `\\cdots`, `\\ast`, Greek letters, `\\quad`, `\\,`,
  and `\\begin{bmatrix} a & b \\\\ c & d \\end{bmatrix}` (also `matrix`, the grid of a table).

It also owns how numbers read everywhere a student looks: `num` (formulas: at least four
significant figures, trailing zeros only on rounded values), `text_num`, `prose` and `count`
(titles, notes and feedback: Unicode scripts and powers of ten, singular or plural).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

DECIMALS = 4
# every intermediate keeps at least this many significant figures, so that a step can be
# redone by hand from the printed numbers (Adam's v = 0.001249 is not printed 0.0012)
FIGURES = 4


def num(x: Any, decimals: int = DECIMALS) -> str:
    """A number as a person writes it in a worked solution: ints plain, floats rounded, no `-0`.

    Floats get `decimals` places, more where that would leave fewer than FIGURES significant
    figures; below 10⁻³ they are written a × 10ⁿ with FIGURES significant figures. Trailing
    zeros are dropped only from exact values, so a printed number says how it was rounded.
    """
    if isinstance(x, bool):
        return r"\text{true}" if x else r"\text{false}"
    if hasattr(x, "item") and not isinstance(x, int | float):
        x = x.item()
    if isinstance(x, int):
        return str(x) if x >= 0 else f"-{-x}"
    x = float(x)
    if math.isnan(x):
        return r"\text{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    if abs(x) >= 1e-3 or x == 0:
        if x != 0:
            decimals = max(decimals, FIGURES - 1 - math.floor(math.log10(abs(x))))
        text = _trim(f"{x:.{decimals}f}", x)
        if text in ("0", "-0"):
            text = f"{x:.{decimals}g}"
    else:
        mantissa, exponent = f"{x:.{max(decimals, FIGURES) - 1}e}".split("e")
        mantissa = _trim(mantissa, float(f"{x:.17e}".split("e")[0]))
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _trim(text: str, x: float) -> str:
    """Trailing zeros dropped only where the number is exact (0.5, not 0.5000); a rounded one
    keeps them, so that 0.001250 says it has four significant figures, as on paper."""
    short = text.rstrip("0").rstrip(".") if "." in text else text
    return short if abs(float(short) - x) <= 1e-12 * max(1.0, abs(x)) else text


def paren(x: Any) -> str:
    """A number in parentheses when negative, for substituting into a product."""
    text = num(x)
    return f"({text})" if text.startswith("-") else text


def vector(values: Sequence[Any]) -> str:
    """A vector written as a row in brackets, e.g. [1, 0.5]."""
    return r"\left[" + ", ".join(num(v) for v in values) + r"\right]"


def matrix(rows: Any) -> str:
    """A matrix (nested list or 2-D array) as a bmatrix; a 1-D input becomes a column."""
    if hasattr(rows, "tolist"):
        rows = rows.tolist()
    if rows and not isinstance(rows[0], list | tuple):
        rows = [[v] for v in rows]
    body = r" \\ ".join(" & ".join(num(v) for v in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def column(values: Any) -> str:
    """A vector (list or 1-D array) written as a column, the way it multiplies a matrix."""
    return matrix([[v] for v in (values.tolist() if hasattr(values, "tolist") else values)])


# characters with a meaning in LaTeX (or, `$`, in the Markdown around it), written so that
# `\\text{...}` shows them as they are; `\\`, `^` and `~` have no escape the subset knows
_TEXT_ESCAPES = str.maketrans(
    {
        "{": r"\{",
        "}": r"\}",
        "_": r"\_",
        "%": r"\%",
        "&": r"\&",
        "#": r"\#",
        "$": r"\$",
        "\\": "\u2216",  # ∖
        "^": "\u02c6",  # ˆ
        "~": "\u223c",  # ∼
    }
)


def text(words: str) -> str:
    """`\\text{words}` for any text, including text from a parameter or a content file: every
    character LaTeX (or the Markdown around the maths) would read as markup is escaped.

    This is the one way text enters a formula; the renderers undo the escapes."""
    return r"\text{" + str(words).translate(_TEXT_ESCAPES) + "}"


_SUBSCRIPT_DIGITS = str.maketrans("0123456789-+", "₀₁₂₃₄₅₆₇₈₉₋₊")


def sub(index: int | str) -> str:
    """An index as Unicode subscript characters for titles and notes (δ₃, s₂), not `δ_3`."""
    return str(index).translate(_SUBSCRIPT_DIGITS)


_SUPERSCRIPT_DIGITS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def text_num(x: float, figures: int = 3) -> str:
    """A number for prose (notes, titles): 0.0123, 1.2 × 10⁻⁵, −2; never `1e-05`."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    magnitude = math.floor(math.log10(abs(x)))
    if -4 <= magnitude < 6:
        text = f"{x:.{figures}g}"
        if "e" not in text:
            return text.replace("-", "−")
    mantissa, exponent = f"{x:.{figures - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    power = f"10{str(int(exponent)).translate(_SUPERSCRIPT_DIGITS)}"
    return (power if mantissa == "1" else f"{mantissa} × {power}").replace("-", "−")


_SUB_CHARS = dict(
    zip("0123456789+-−=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
_SUP_CHARS = dict(zip("0123456789+-−=()nT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿᵀ", strict=True))
# a script on a one-letter symbol (x_i, z_{k+1}, W_ij, 2^{10}); `ceil_mode` and other
# multi-letter PyTorch names are left alone
_PROSE_SCRIPT = re.compile(r"(?<![A-Za-z_])([A-Za-zα-ωΑ-ΩΣ′]|\d)([_^])(\{[^{}]*\}|[A-Za-z0-9]+)")
_E_NOTATION = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)e([-+]?\d+)\b")


def _script(match: re.Match[str]) -> str:
    base, mark, body = match.groups()
    inner = body[1:-1] if body.startswith("{") else body
    table = _SUB_CHARS if mark == "_" else _SUP_CHARS
    if inner and all(c in table for c in inner.replace(" ", "")):
        return base + "".join(table[c] for c in inner.replace(" ", ""))
    return match.group(0)


def _power_of_ten(match: re.Match[str]) -> str:
    mantissa, exponent = match.groups()
    return text_num(
        float(f"{mantissa}e{exponent}"), max(3, len(mantissa.strip("-").replace(".", "")))
    )


def prose(text: str) -> str:
    """Sentences a student reads (titles, notes, feedback) with scripts and powers of ten as
    Unicode: `x_i` → xᵢ, `z_{k+1}` → zₖ₊₁, `3.81e-06` → 3.81 × 10⁻⁶. A script with no Unicode
    form (p_data) is left as written."""
    return _E_NOTATION.sub(_power_of_ten, _PROSE_SCRIPT.sub(_script, text))


def count(n: int, noun: str, plural: str = "") -> str:
    """`1 word`, `3 words`: a number with its noun in the right number."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
