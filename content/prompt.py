"""Prompt templates: Markdown with `$…$` maths and `{name}` placeholders, filled with a draw's values.

A family's prompt is Markdown whose inline maths is written in the project's LaTeX subset
(`engine.latex`). A placeholder is a plain identifier in braces naming a `let`, `params` or
`derived` value — nothing else: no attributes, indices, format specs or conversions, so a content
file cannot reach Python internals or ask for a billion-character field.

- Inside maths, `{name}` is replaced by the value written as LaTeX according to its type
  (`value_latex`): a number (`10^{-8}`, never `1e-08`), a vector `[1, -0.5]`, a matrix as a
  `bmatrix`, a formula typed as text (`(2*x - 1)**3`) through SymPy's LaTeX printer. Any other
  brace group inside maths is LaTeX (`$s_{t-1}$`), unless it looks like a field of a declared
  name (`{size.real}`, `{x[0]}`, `{lr:.2f}`), which is an error.
- In the prose, `{name}` must be a declared name: text goes in as written, whole numbers as
  digits, anything else as inline maths (so a list is never written in Python's notation).
- A declared name as the argument of `\\text`, `\\operatorname` and the like is an error: it
  would replace the word (`$P(\\text{sentence})$` with a value named `sentence`).

`check_template` lists the problems of a template for the loader; `fill` puts values in. The
result is the Markdown that every back-end parses once (`revise.printout.card_markdown`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from engine.latex import num

#: a placeholder: a plain identifier in braces
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: a brace group with no braces inside
_GROUP = re.compile(r"\{([^{}]*)\}")
#: a declared name followed by what would make it a Python format field
_FIELD_LIKE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*[.\[:!]")
#: LaTeX commands whose argument is words or a name, never a value (`\\text{sentence}`)
_COMMAND_BEFORE = re.compile(
    r"\\(text|mathrm|operatorname|mathbf|begin|end|hat|bar|tilde|vec|dot)\s*$"
)
#: significant digits a drawn number keeps (values are drawn on short grids)
DIGITS = 10


class PromptError(ValueError):
    """A prompt template that is not plain Markdown with `{name}` placeholders."""


def _pieces(template: str) -> Iterator[tuple[bool | None, str]]:
    """(is_maths, text) pieces of a template, split at unescaped `$` (`$$` counts as one); the
    fences themselves come as (None, fence)."""
    pieces = re.split(r"(?<!\\)(\$\$?)", template)
    maths = False
    for k, piece in enumerate(pieces):
        if k % 2:
            maths = not maths
            yield None, piece
        elif piece:
            yield maths, piece
    if maths:
        raise PromptError("a `$` opens maths that is never closed (write \\$ for a dollar sign)")


def segments(template: str) -> Iterator[tuple[bool, str]]:
    """(is_maths, text) pieces of a template, without the `$` fences."""
    for maths, text in _pieces(template):
        if maths is not None:
            yield maths, text


def check_template(template: str, declared: Collection[str]) -> list[str]:
    """Every problem of a template, as messages; `declared` are the family's value names."""
    problems: list[str] = []
    try:
        parts = list(segments(template))
    except PromptError as exc:
        return [str(exc)]
    for maths, text in parts:
        if maths:
            for group in _GROUP.finditer(text):
                body = group.group(1)
                field = _FIELD_LIKE.match(body)
                if field and field.group(1) in declared:
                    problems.append(_not_plain(body))
                command = _COMMAND_BEFORE.search(text[: group.start()])
                if body in declared and command:
                    problems.append(
                        f"{{{body}}} after \\{command.group(1)} would put the value of {body!r} "
                        "there: write other words, or give the value another name"
                    )
            continue
        for message in _prose_fields(text, declared):
            problems.append(message)
    return list(dict.fromkeys(problems))


def _prose_fields(text: str, declared: Collection[str]) -> Iterator[str]:
    at = 0
    while (start := text.find("{", at)) >= 0:
        end = text.find("}", start)
        nested = text.find("{", start + 1)
        if end < 0 or 0 <= nested < end:
            yield "a `{` in the prose must open a placeholder such as {kernel}; braces belong in maths"
            return
        body = text[start + 1 : end]
        if not _NAME.fullmatch(body):
            yield _not_plain(body)
        elif body not in declared:
            yield f"placeholder {{{body}}} is not provided by let, params or derived"
        at = end + 1
    if "}" in re.sub(r"\{[^{}]*\}", "", text):
        yield "a `}` in the prose closes no placeholder; braces belong in maths"


def _not_plain(body: str) -> str:
    return (
        f"placeholder {{{body}}} is not a plain name: write {{kernel}}, with no attribute, "
        "index, format or conversion"
    )


def placeholders(template: str, declared: Collection[str]) -> list[str]:
    """The declared names a template puts in, in order of appearance (each once)."""
    found: list[str] = []
    for maths, text in segments(template):
        for group in _GROUP.finditer(text):
            name = group.group(1)
            if _NAME.fullmatch(name) and (name in declared or not maths):
                found.append(name)
    return list(dict.fromkeys(found))


def fill(template: str, values: Mapping[str, Any]) -> str:
    """The template with its placeholders replaced: LaTeX inside maths, prose outside."""
    out: list[str] = []
    for maths, text in _pieces(template):
        if maths is None:
            out.append(text)
        elif maths:
            out.append(_GROUP.sub(lambda m: _in_maths(m, values), text))
        else:
            out.append(_GROUP.sub(lambda m: _in_prose(m, values), text))
    return "".join(out).strip()


def _in_maths(match: re.Match[str], values: Mapping[str, Any]) -> str:
    name = match.group(1)
    if _NAME.fullmatch(name) and name in values:
        latex = value_latex(values[name])
        # an argument keeps its braces (`x^{n}`, `\\frac{1}{n}`); elsewhere a group would
        # only clutter the source
        before = match.string[: match.start()].rstrip()
        argument = before.endswith(("^", "_", "}")) or re.search(r"\\[A-Za-z]+$", before)
        return "{" + latex + "}" if argument else latex
    field = _FIELD_LIKE.match(name)
    if field and field.group(1) in values:
        raise PromptError(_not_plain(name))
    return match.group(0)


def _in_prose(match: re.Match[str], values: Mapping[str, Any]) -> str:
    name = match.group(1)
    if not _NAME.fullmatch(name):
        raise PromptError(_not_plain(name))
    if name not in values:
        raise PromptError(f"placeholder {{{name}}} is not provided by let, params or derived")
    return value_prose(values[name])


# --- values by type -------------------------------------------------------------------------


def number_latex(x: float | int) -> str:
    """A drawn number exactly as drawn: `0.25`, `-3`, `10^{-8}`, `2.5 \\times 10^{-5}`."""
    if isinstance(x, bool):
        return r"\text{true}" if x else r"\text{false}"
    if isinstance(x, int):
        return num(x)
    if not math.isfinite(x):
        return num(x)
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e15):
        mantissa, exponent = f"{x:.{DIGITS - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        power = f"10^{{{int(exponent)}}}"
        if mantissa in ("1", "-1"):
            return power if mantissa == "1" else f"-{power}"
        return rf"{mantissa} \times {power}"
    return num(x, DIGITS)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_matrix(v: Any) -> bool:
    return (
        isinstance(v, list | tuple)
        and bool(v)
        and all(isinstance(r, list | tuple) and r and all(map(_is_number, r)) for r in v)
        and len({len(r) for r in v}) == 1
    )


def text_latex(words: str) -> str:
    r"""Words as `\text{…}`: the characters LaTeX reserves are left out or written as words."""
    clean = re.sub(r"[\\{}$%&#^~]", "", words).replace("_", " ")
    return r"\text{" + clean + "}"


def formula_latex(text: str) -> str | None:
    """A formula typed as text (`x**2*exp(x)`) as LaTeX, read by the engine's safe parser.

    None when the text is not a formula. Single letters are its variables; SymPy's printer writes
    the LaTeX (`\\ln` for the natural logarithm).
    """
    import sympy

    from engine.checking.build import Expr
    from engine.checking.errors import AnswerError
    from engine.checking.parse import parse_answer

    letters = tuple(sorted(set(re.findall(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])", text))))
    try:
        item = parse_answer(text, "expression", symbols=letters or ("x",)).item
    except (AnswerError, ValueError, RecursionError):
        return None
    if isinstance(item, Expr):
        return sympy.latex(item.expr, ln_notation=True)
    return None


def value_latex(v: Any) -> str:
    """A value as LaTeX by its type: number, vector, matrix, formula, words, record."""
    if v is None:
        return r"\text{none}"
    if isinstance(v, bool) or _is_number(v):
        return number_latex(v)
    if isinstance(v, str):
        formula = formula_latex(v)
        return formula if formula is not None else text_latex(v)
    if _is_matrix(v):
        rows = [" & ".join(number_latex(x) for x in row) for row in v]
        return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"
    if isinstance(v, list | tuple):
        return r"\left[" + ", ".join(value_latex(x) for x in v) + r"\right]"
    if isinstance(v, Mapping):
        return r",\; ".join(f"{text_latex(str(k))} = {value_latex(x)}" for k, x in v.items())
    if hasattr(v, "free_symbols"):  # a SymPy expression
        import sympy

        return str(sympy.latex(v, ln_notation=True))
    return text_latex(str(v))


def value_prose(v: Any) -> str:
    """A value inside a sentence: words as written, whole numbers as digits, the rest as maths."""
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v) if v >= 0 else f"−{-v}"
    if isinstance(v, Mapping):  # a record: `kernel 3, stride 1`
        return ", ".join(f"{str(k).replace('_', ' ')} {value_prose(x)}" for k, x in v.items())
    if isinstance(v, list | tuple) and v and all(isinstance(x, str) for x in v):
        return ", ".join(f"“{x}”" for x in v)
    if isinstance(v, list | tuple) and v and all(isinstance(x, Mapping) for x in v):
        return "; ".join(value_prose(x) for x in v)
    return "$" + value_latex(v) + "$"
