"""The safe answer parser: what a student typed, read as a number, list, shape or expression.

    parse_answer("3/14")                      → number 3/14, shown "3/14 → 0.2143"
    parse_answer("1 2; 3 4", "list")          → 2×2 matrix, laid out
    parse_answer("16x16x64", "shape")         → [16, 16, 64]
    parse_answer("3x^2", "expression")        → 3·x², as a SymPy expression

The steps (each in its own module) never evaluate the input as code: normalise and tokenise
(`lexer`: a small alphabet, known names only, size limits), arrange into Python source with
explicit operators and list brackets (`syntax`), parse with `ast` and check the tree against a
whitelist, then build exact values with bounded operations (`build`). Everything that goes
wrong raises `AnswerError` with a message that says what to change.

SymPy is imported only when an answer needs it (a name, function or root); plain numbers and
fractions are read with the standard library alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from engine.checking import display
from engine.checking.build import Expr, Num, build
from engine.checking.errors import AnswerError
from engine.checking.lexer import normalise, tokenize
from engine.checking.syntax import SplitMode, to_source

Kind = Literal["auto", "number", "list", "shape", "expression", "word"]
KINDS: tuple[str, ...] = ("auto", "number", "list", "shape", "expression", "word")
MAX_WORD = 200
MAX_SHAPE = 16

_SHAPE = re.compile(r"^[(\[]?\s*[0-9]+(?:\s*(?:[x×X*,]|by)\s*[0-9]+)+\s*,?\s*[)\]]?$")
_SHAPE_SPLIT = re.compile(r"\s*(?:[x×X*,]|by)\s*")


@dataclass(frozen=True)
class Parsed:
    """An answer as read: `kind` is number, list, expression, word or parts.

    `item` holds the values (a `Num`, an `Expr`, a word, nested lists of them, or a dict of
    items for a multi-part answer); `shown` says how the input was read, for a person;
    `to_json()` is the plain value (numbers, nested lists, an expression string).
    """

    kind: str
    text: str
    item: Any
    given_shown: str | None = None

    @property
    def shown(self) -> str:
        """How the input was read, for a person (computed when asked: printing costs time)."""
        if self.given_shown is not None:
            return self.given_shown
        if isinstance(self.item, dict):
            return "\n".join(
                display.labelled(name, display.layout(value)) for name, value in self.item.items()
            )
        if isinstance(self.item, list | Num | Expr):
            return display.layout(self.item)
        return str(self.item)

    def to_json(self) -> Any:
        return _json(self.item)

    @property
    def shape(self) -> tuple[int, ...]:
        return display.shape_of(self.item)


def _json(item: Any) -> Any:
    if isinstance(item, Num | Expr):
        return item.to_json()
    if isinstance(item, Parsed):
        return item.to_json()
    if isinstance(item, list):
        return [_json(v) for v in item]
    if isinstance(item, dict):
        return {k: _json(v) for k, v in item.items()}
    return item


def parse_answer(text: str, kind: str = "auto", *, symbols: Iterable[str] = ("x", "y")) -> Parsed:
    """Read one answer. `kind` says what is expected (it decides how `16x16`, spaces and
    `x` are read); `symbols` are the variables an expression may use. Raises AnswerError."""
    if kind not in KINDS:
        raise ValueError(f"unknown answer kind {kind!r}")
    if not isinstance(text, str):
        raise AnswerError("the answer must be text")
    clean = normalise(text)
    if not clean:
        raise AnswerError("the answer is empty")
    if kind == "word":
        return _word(text, clean)
    if kind in ("shape", "auto") and _SHAPE.match(clean):
        return _shape(text, clean)
    variables = frozenset(symbols) if kind in ("expression", "auto") else frozenset()
    splits: dict[str, SplitMode] = {"list": "always", "shape": "always", "auto": "auto"}
    split: SplitMode = splits.get(kind, "never")
    source = to_source(tokenize(clean), symbols=variables, split=split)
    item = build(source, variables)
    return _parsed(text, item)


def _parsed(text: str, item: Any) -> Parsed:
    if isinstance(item, list):
        if not display.is_rectangular(item):
            raise AnswerError(_ragged(item))
        return Parsed("list", text, item)
    if isinstance(item, Expr):
        return Parsed("expression", text, item)
    return Parsed("number", text, item)


def _ragged(item: list[Any]) -> str:
    lengths = [len(r) if isinstance(r, list) else 1 for r in item]
    for i, n in enumerate(lengths[1:], 2):
        if n != lengths[0]:
            return (
                f"the rows have different lengths (row 1 has {lengths[0]} entries, row {i} "
                f"has {n}): every row of a matrix needs the same number of entries"
            )
    return "every row of a matrix needs the same number of entries"


def _shape(text: str, clean: str) -> Parsed:
    inner = clean.strip("()[] ").rstrip(",")
    pieces = [p for p in _SHAPE_SPLIT.split(inner) if p]
    if len(pieces) > MAX_SHAPE:
        raise AnswerError(f"a shape has at most {MAX_SHAPE} sizes")
    sizes = [int(p) for p in pieces]
    if any(len(str(s)) > 12 for s in sizes):
        raise AnswerError("a size in this shape is too large")
    item = [Num(float(s), Fraction(s), str(s), True, 0) for s in sizes]
    return Parsed("list", text, item, " × ".join(str(s) for s in sizes))


def _word(text: str, clean: str) -> Parsed:
    if len(clean) > MAX_WORD:
        raise AnswerError(f"the answer is too long for a word (at most {MAX_WORD} characters)")
    word = " ".join(clean.lower().split())
    return Parsed("word", text, word, word)


def number_from_json(value: int | float) -> Num:
    """A number that arrived as JSON (a multi-part answer written as JSON), as if typed."""
    text = repr(value)
    if "inf" in text or "nan" in text:
        raise AnswerError("an answer cannot be infinite")
    item: Num = parse_answer(text, "number").item
    return item
