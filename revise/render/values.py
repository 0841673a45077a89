"""Answer values (numbers, vectors, matrices, objects) as LaTeX and as terminal text."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from engine.latex import num, text
from revise.render.unicode_math import Box, hcat, latex_box

ANSWER_DECIMALS = 6
# a table-like list longer than this is not written out inline: the trace draws it as a table
INLINE_TABLE_ROWS = 8


def is_matrix(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(r, list) and r and not isinstance(r[0], list | dict) for r in value)
    )


def is_vector(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    )


def expression_parts(problem_id: str) -> frozenset[str]:
    """The answer keys whose strings are expressions (a derivative), drawn as maths, not words."""
    from engine import get_problem

    return frozenset(getattr(get_problem(problem_id), "expression_parts", ()))


def answer_expressions(problem_id: str, part: str | None = None) -> frozenset[str]:
    """The `expressions` argument for a problem's answer, or for one part of it."""
    keys = expression_parts(problem_id)
    if part:
        return frozenset({""}) if part in keys else frozenset()
    return keys


def _expression(text: str) -> str:
    from engine.problems.calculus import expression_latex

    return expression_latex(text)


def value_latex(value: Any, decimals: int = 4, expressions: Collection[str] = ()) -> str:
    """LaTeX for a JSON value; objects become `key = value` lists separated by `\\quad`.

    `expressions` names the keys of an object whose strings are expressions ("" for the value
    itself), so that `2*x` from the engine reads `2x`.
    """
    if value is None:
        return r"\text{—}"
    if isinstance(value, str):
        return _expression(value) if "" in expressions else text(value)
    if isinstance(value, bool) or isinstance(value, int | float):
        return num(value, decimals)
    if is_matrix(value):
        if all(x is None or isinstance(x, int | float) for row in value for x in row):
            rows = [" & ".join(value_latex(x, decimals) for x in row) for row in value]
            return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"
    if is_vector(value):
        return r"\left[" + ", ".join(num(v, decimals) for v in value) + r"\right]"
    if is_table(value) and len(value) > INLINE_TABLE_ROWS:
        return rf"\text{{a table of {len(value)} rows (see the worked solution)}}"
    if isinstance(value, list):
        return r",\; ".join(value_latex(v, decimals) for v in value)
    if isinstance(value, dict):
        parts = [
            rf"{key_latex(k)} = {value_latex(v, decimals, _inner(k, expressions))}"
            for k, v in value.items()
        ]
        return r",\quad ".join(parts)
    return text(str(value))


def _inner(key: str, expressions: Collection[str]) -> frozenset[str]:
    return frozenset({""}) if key in expressions else frozenset()


def name_latex(name: str) -> str:
    """A parameter's name as maths: one letter stays a symbol; `weight_ih` is upright text.

    `\\mathrm` with `\\_` reads `weight_ih` in MathJax, Typst and the terminal alike, where
    `\\text{weight\\_ih}` shows its backslash in MathJax."""
    if len(name) == 1:
        return name
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


def key_text(key: str) -> str:
    """An answer key as words for the terminal: `receptive_field` reads `receptive field`."""
    return key.replace("_", " ")


def key_latex(key: str) -> str:
    """An answer key as upright words: `running_mean` reads `running mean`, never `running\\_mean`."""
    return text(key.replace("_", " "))


def is_table(value: Any) -> bool:
    """A list of flat objects with the same keys (e.g. a network's layers)."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) for v in value)
        and all(list(v) == list(value[0]) for v in value)
        and all(_cell_value(x) for v in value for x in v.values())
    )


def _cell_value(x: Any) -> bool:
    """A value that fits in a table cell: a number, a word, null, or a short list of numbers
    (a shape such as [64, 112, 112])."""
    if isinstance(x, dict):
        return False
    if isinstance(x, list):
        return len(x) <= 4 and is_vector(x)
    return True


def _cell_text(v: Any, decimals: int) -> str:
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "[" + ", ".join(format_value(x, decimals) for x in v) + "]"
    return format_value(v, decimals)


def table_box(rows: list[dict[str, Any]], decimals: int) -> Box:
    """Rows as aligned columns under a header; numbers right-aligned."""
    keys = list(rows[0])
    cells = [[k for k in keys]] + [[_cell_text(v, decimals) for v in row.values()] for row in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(keys))]
    numeric = [all(isinstance(r[k], int | float) for r in rows) for k in keys]
    lines = [
        "  ".join(
            c.rjust(w) if num_col else c.ljust(w) for c, w, num_col in zip(r, widths, numeric)
        )
        for r in cells
    ]
    return Box(tuple(line.ljust(max(map(len, lines))) for line in lines), 0)


def value_box(value: Any, decimals: int = 4, expressions: Collection[str] = ()) -> Box:
    """A value laid out for the terminal: objects one key per line, matrices in brackets."""
    if is_table(value):
        return table_box(value, decimals)
    if isinstance(value, dict):
        rows = [
            hcat([Box.text(f"{key_text(k)} = "), value_box(v, decimals, _inner(k, expressions))])
            for k, v in value.items()
        ]
        lines = tuple(line for r in rows for line in (*r.lines, ""))[:-1] if rows else ("",)
        return Box(tuple(line for line in lines), 0)
    if isinstance(value, str) and "" not in expressions:
        return Box.text(value)
    return latex_box(value_latex(value, decimals, expressions))


def format_value(value: Any, decimals: int = 4, expressions: Collection[str] = ()) -> str:
    return "\n".join(line.rstrip() for line in value_box(value, decimals, expressions).lines)
