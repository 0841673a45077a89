"""How an answer was read, as text: `3/14 → 0.2143`, `3x^2 → 3·x²`, matrices laid out.

These strings are shown to the student before grading, so that a misread answer is noticed
(`1/2x` read as x/2, `ln 2x` read as ln(2)·x). Plain text with Unicode, no markup: the terminal,
the app and JSON output all show them as they are.
"""

from __future__ import annotations

import math
import re
from typing import Any

from engine.checking.build import Expr, Num

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_POWER = re.compile(r"\*\*\((-?\d+)\)|\*\*(-?\d+)(?![\d.])")
_SQRT = re.compile(r"sqrt\(([A-Za-z0-9.]+)\)")


def number_text(x: float) -> str:
    """A number to about 4 significant figures, the way a person writes it (0.2143, 6.76e-4)."""
    if isinstance(x, int) or (math.isfinite(x) and x == int(x) and abs(x) < 1e15):
        return str(int(x))
    if x == 0 or not math.isfinite(x):
        return str(x)
    magnitude = math.floor(math.log10(abs(x)))
    if -3 <= magnitude < 6:
        text = f"{x:.{max(0, 3 - magnitude)}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exponent = f"{x:.3e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def pretty(source: str) -> str:
    """Python-style source (`3*x**2`, `sqrt(2)/2`) as a person writes it (`3·x²`, `√2/2`)."""
    text = source.replace(" ", "")
    text = _POWER.sub(lambda m: (m.group(1) or m.group(2)).translate(_SUPERSCRIPTS), text)
    text = text.replace("**", "^")
    text = re.sub(r"factorial\(([A-Za-z0-9.]+)\)", r"\1!", text)
    text = _SQRT.sub(r"√\1", text)
    text = text.replace("sqrt(", "√(")
    text = re.sub(r"\bpi\b", "π", text)
    text = re.sub(r"\bE\b", "e", text)
    text = text.replace("*", "·")
    # spaces around binary + and - (not a sign after an operator or a bracket)
    text = re.sub(r"(?<=[0-9A-Za-zπ)\]²³¹⁰⁴⁵⁶⁷⁸⁹!])([+-])", r" \1 ", text)
    return text


def expression_text(expr: Any) -> str:
    import sympy

    return pretty(sympy.sstr(expr))


def leaf_text(leaf: Num | Expr) -> str:
    """One entry: the typed number, or the exact form with its value (`3/14 → 0.2143`)."""
    if isinstance(leaf, Expr):
        read = expression_text(leaf.expr)
        typed = pretty(leaf.source)
        return read if typed == read else f"{typed} → {read}"
    if leaf.literal:
        return leaf.source.replace(" ", "")
    typed = pretty(leaf.source)
    value = number_text(leaf.value)
    return value if typed == value else f"{typed} → {value}"


def entry_text(leaf: Any) -> str:
    """An entry inside a list or matrix: the value only, so that columns stay narrow."""
    if isinstance(leaf, Num):
        return leaf.source.replace(" ", "") if leaf.literal else number_text(leaf.value)
    if isinstance(leaf, Expr):
        return expression_text(leaf.expr)
    return str(leaf)


def shape_of(value: Any) -> tuple[int, ...]:
    dims: list[int] = []
    while isinstance(value, list):
        dims.append(len(value))
        if not value:
            break
        value = value[0]
    return tuple(dims)


def is_rectangular(value: Any) -> bool:
    if not isinstance(value, list):
        return True
    if not value:
        return True
    inner = [shape_of(v) for v in value]
    return all(s == inner[0] for s in inner) and all(is_rectangular(v) for v in value)


def labelled(name: str, shown: str) -> str:
    """`name: shown`, with the lines of a laid-out matrix indented under the first."""
    if "\n" not in shown:
        return f"{name}: {shown}"
    pad = " " * (len(name) + 2)
    first, *rest = shown.split("\n")
    return "\n".join([f"{name}: {first}", *(pad + line for line in rest)])


def layout(value: Any) -> str:
    """A value as text: numbers inline, vectors in brackets, matrices laid out row by row."""
    if isinstance(value, Num | Expr):
        return leaf_text(value)
    if not isinstance(value, list):
        return str(value)
    shape = shape_of(value)
    if len(shape) == 1 or not is_rectangular(value):
        return _inline(value)
    if len(shape) == 2:
        return _matrix([[entry_text(v) for v in row] for row in value])
    blocks = []
    for i, sub in enumerate(value, 1):
        blocks.append(f"[{i}]\n{layout(sub)}")
    return "\n".join(blocks)


def _inline(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return entry_text(value)


def _matrix(cells: list[list[str]]) -> str:
    width = max((len(r) for r in cells), default=0)
    cols = [max(len(r[j]) for r in cells if j < len(r)) for j in range(width)]
    lines = ["  ".join(c.rjust(cols[j]) for j, c in enumerate(row)) for row in cells]
    if len(lines) == 1:  # one row: a vector, written as vectors are, with commas
        return "[" + ", ".join(cells[0]) + "]"
    out = []
    for i, line in enumerate(lines):
        left, right = ("⎡", "⎤") if i == 0 else ("⎣", "⎦") if i == len(lines) - 1 else ("⎢", "⎥")
        out.append(f"{left}{line}{right}")
    return "\n".join(out)


def shape_text(dims: tuple[int, ...] | list[int]) -> str:
    """A shape as a person writes it: 2×3 (a single length is just the number of entries)."""
    return "×".join(str(d) for d in dims)
