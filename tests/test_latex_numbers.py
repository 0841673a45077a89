"""Numbers and prose as a student reads them: engine.latex's num, text_num, prose and count."""

from __future__ import annotations

import math
import re

from hypothesis import given
from hypothesis import strategies as st

from engine.latex import count, num, prose, text_num

FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def _value(printed: str) -> float:
    match = re.fullmatch(r"(-?[\d.]+) \\times 10\^\{(-?\d+)\}", printed)
    if match:
        return float(match.group(1)) * 10.0 ** int(match.group(2))
    return float(printed)


def _significant(printed: str) -> int:
    mantissa = printed.split(" ")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(mantissa)


@given(FINITE)
def test_every_printed_number_keeps_four_significant_figures_or_is_exact(x: float) -> None:
    printed = num(x)
    value = _value(printed)
    exact = math.isclose(value, x, rel_tol=1e-12, abs_tol=1e-300)
    assert exact or _significant(printed) >= 4, (x, printed)
    # rounding, not truncation: within half a unit of the last printed digit
    assert math.isclose(value, x, rel_tol=5e-4, abs_tol=5e-5), (x, printed)


def test_small_values_are_not_rounded_away() -> None:
    # Adam's v₂ = 0.00124975: 0.0012 would make v̂ wrong when redone by hand
    assert num(0.00124975) == "0.001250"
    assert num(0.001249) == "0.001249"
    assert num(2.5e-4) == r"2.5 \times 10^{-4}"
    assert num(0.5) == "0.5" and num(3.0) == "3" and num(-0.0) == "0"


def test_a_rounded_number_keeps_its_trailing_zeros_an_exact_one_does_not() -> None:
    assert num(0.96403) == "0.9640"
    assert num(0.1 + 0.2) == "0.3"  # floating-point dust is not rounding


def test_prose_writes_scripts_and_powers_of_ten_as_a_person_does() -> None:
    assert prose("∂x_{i+1}/∂x_i = 1 + w_i·act′(x_i)") == "∂xᵢ₊₁/∂xᵢ = 1 + wᵢ·act′(xᵢ)"
    assert prose("at most 3.81e-06 after 2^{10} steps") == "at most 3.81 × 10⁻⁶ after 2¹⁰ steps"
    # PyTorch's option names are names, not scripts
    assert prose("ceil_mode and num_batches_tracked") == "ceil_mode and num_batches_tracked"


def test_numbers_in_prose_and_counts() -> None:
    assert text_num(1e-8) == "10⁻⁸" and text_num(-2.0) == "−2" and text_num(0.0123) == "0.0123"
    assert count(1, "word") == "1 word" and count(3, "word") == "3 words"
    assert count(1, "entry", "entries") == "1 entry" and count(2, "entry", "entries") == "2 entries"
