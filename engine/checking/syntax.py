"""Tokens to Python source for `ast`: rows and lists, implicit multiplication, `^`, `n!`, `ln 2`.

What this adds to the tokens, in the order a student meets it:
- rows: `;` or a new line separates matrix rows (`1 2; 3 4`); inside a row, commas separate
  entries, and so do spaces between complete entries where a list is expected (MATLAB's rule:
  `1 -2` is two entries, `1 - 2` is one);
- `(16, 16, 64)` and `[...]` are lists; `(2)` is a bracketed number;
- implicit multiplication: `3x` → `3*x`, `2 sin(x)` → `2*sin(x)`, `x(x+1)` → `x*(x+1)`, but two
  numbers side by side (`2 3`) or a number after a name (`x2`) are refused, not guessed;
- `^` is a power, `n!` is factorial(n), a function may take its argument without brackets
  (`ln 2`, `sqrt 2`, `sin x^2` = sin(x²)), and `sin^2(x)` is (sin x)²;
- where the answer is a number, `x` and `×` between numbers multiply (`3x3x64`).

The source produced here is never executed: `engine.checking.build` parses it with `ast.parse` and
walks the tree against a whitelist before building any value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from engine.checking.errors import AnswerError
from engine.checking.lexer import Token

SplitMode = Literal["never", "auto", "always"]


@dataclass
class Group:
    """A bracketed run of items: `open` is the `(` or `[` token."""

    open: Token
    items: list[Item] = field(default_factory=list)

    @property
    def space(self) -> bool:
        return self.open.space

    @property
    def bracket(self) -> str:
        return self.open.text


Item = Token | Group


def group(tokens: list[Token]) -> list[Item]:
    """Nest tokens by brackets (already checked to balance and to be shallow)."""
    root: list[Item] = []
    stack: list[list[Item]] = [root]
    for tok in tokens:
        if tok.kind == "open":
            g = Group(tok)
            stack[-1].append(g)
            stack.append(g.items)
        elif tok.kind == "close":
            stack.pop()
        else:
            stack[-1].append(tok)
    return root


def to_source(tokens: list[Token], *, symbols: frozenset[str], split: SplitMode) -> str:
    """Python source for the answer; `symbols` are the variables allowed (x, y) besides e and pi.

    Where `x` is not a variable, it multiplies (`16x16` = 16·16); shapes are read elsewhere.
    """
    if "x" not in symbols:
        tokens = [
            Token("op", "×", t.pos, t.space) if _multiplies(tokens, k) else t
            for k, t in enumerate(tokens)
        ]
    items = group(tokens)
    if not items:
        raise AnswerError("the answer is empty")
    return _level(items, listy=False, split=split)


def _multiplies(tokens: list[Token], k: int) -> bool:
    """`x` between two numbers (or brackets) where x is not a variable: 3x3 is 3 × 3."""
    if tokens[k].kind != "sym" or tokens[k].text != "x" or not 0 < k < len(tokens) - 1:
        return False
    before, after = tokens[k - 1], tokens[k + 1]
    return before.kind in ("num", "close") and after.kind in ("num", "open")


def _kind(item: Item) -> str:
    return "group" if isinstance(item, Group) else item.kind


def _split_at(items: list[Item], kind: str) -> list[list[Item]]:
    pieces: list[list[Item]] = [[]]
    for it in items:
        if _kind(it) == kind:
            pieces.append([])
        else:
            pieces[-1].append(it)
    return pieces


def _level(items: list[Item], *, listy: bool, split: SplitMode) -> str:
    """A list level: rows separated by `;`, entries by commas (or spaces in a list)."""
    rows = [r for r in _split_at(items, "row") if r]  # a trailing `;` or blank line is fine
    if not rows:
        raise AnswerError("empty brackets: write the entries inside, e.g. [1, 2]")
    if len(rows) > 1:
        return "[" + ", ".join(_row(r, listy=True, split="always") for r in rows) + "]"
    return _row(rows[0], listy=listy, split=split)


def _row(items: list[Item], *, listy: bool, split: SplitMode) -> str:
    pieces = _split_at(items, "comma")
    if len(pieces) > 1 and not pieces[-1]:
        pieces.pop()  # one trailing comma is fine
    if any(not p for p in pieces):
        raise AnswerError("two commas with nothing between them (or a comma at the start)")
    if len(pieces) == 1 and split != "never":
        spaced = _juxtaposed(pieces[0])
        if len(spaced) > 1 and (split == "always" or all(map(_plain_number, spaced))):
            pieces = spaced
    if len(pieces) == 1 and not listy:
        return _expr(pieces[0])
    return "[" + ", ".join(_expr(p) for p in pieces) + "]"


def _ends_operand(item: Item) -> bool:
    return _kind(item) in ("num", "sym", "group", "bang")


def _starts_operand(items: list[Item], k: int) -> bool:
    item = items[k]
    if _kind(item) in ("num", "sym", "func", "group"):
        return True
    # MATLAB: `1 -2` is two entries: a sign stuck to what follows, after a space
    if isinstance(item, Token) and item.kind == "op" and item.text in "+-":
        return k + 1 < len(items) and not items[k + 1].space and _starts_operand(items, k + 1)
    return False


def _juxtaposed(items: list[Item]) -> list[list[Item]]:
    """Entries separated by spaces: split where a complete entry is followed by a new one."""
    pieces: list[list[Item]] = [[items[0]]]
    for k in range(1, len(items)):
        if items[k].space and _ends_operand(items[k - 1]) and _starts_operand(items, k):
            pieces.append([])
        pieces[-1].append(items[k])
    return pieces


def _plain_number(items: list[Item]) -> bool:
    kinds = [_kind(i) for i in items]
    if kinds == ["num"]:
        return True
    return kinds == ["op", "num"] and isinstance(items[0], Token) and items[0].text in "+-"


_OPS = {"+": "+", "-": "-", "*": "*", "/": "/", "^": "**", "×": "*"}


def _describe(items: list[Item]) -> str:
    parts = []
    for it in items:
        parts.append(it.bracket + "…" if isinstance(it, Group) else it.text)
    return "".join(parts)


def _expr(items: list[Item]) -> str:
    """One scalar expression (or a nested list written in brackets)."""
    out: list[str] = []
    prev: str | None = None  # "operand" after something that can be multiplied
    prev_text = ""
    i = 0

    def push(text: str, *, number: bool, shown: str) -> None:
        nonlocal prev, prev_text
        if prev == "operand":
            if number:
                if prev_text.replace(".", "").isdigit():
                    raise AnswerError(
                        f"two numbers side by side ({prev_text} {shown}): use * for a product, "
                        "or commas between list entries"
                    )
                raise AnswerError(
                    f"a number right after {prev_text!r}: write the number first (2x, not x2), "
                    "use * for a product, or ^ for a power (x^2)"
                )
            out.append("*")
        out.append(text)
        prev, prev_text = "operand", shown

    while i < len(items):
        it = items[i]
        if isinstance(it, Group):
            push(_group_expr(it), number=False, shown=it.bracket + "…")
            i += 1
            continue
        if it.kind == "num":
            push(it.text, number=True, shown=it.text)
        elif it.kind == "sym":
            push(it.text, number=False, shown=it.text)
        elif it.kind == "func":
            text, after = _apply(items, i)
            push(text, number=False, shown=it.text)
            i = after
            continue
        elif it.kind == "op":
            out.append(_OPS[it.text])
            prev, prev_text = "op", it.text
        elif it.kind == "bang":
            if prev != "operand":
                raise AnswerError("'!' (factorial) must follow a number, as in 5!")
            out[-1] = f"factorial({out[-1]})"
        else:
            where = "a new row" if it.kind == "row" else "a comma"
            raise AnswerError(f"{where} is not expected here")
        i += 1
    return "".join(out)


def _group_expr(g: Group) -> str:
    has_separators = any(_kind(it) in ("comma", "row") for it in g.items)
    if g.bracket == "[" or has_separators:
        return _level(g.items, listy=True, split="always")
    if not g.items:
        raise AnswerError("empty brackets '()'")
    return "(" + _expr(g.items) + ")"


def _primary_end(items: list[Item], j: int) -> int:
    """Index after one primary starting at j: a number, symbol, bracket, or function use."""
    if j >= len(items):
        return j
    kind = _kind(items[j])
    if kind in ("num", "sym", "group"):
        return j + 1
    if kind == "func":
        if j + 1 < len(items) and _kind(items[j + 1]) == "group":
            return j + 2
        return _primary_end(items, j + 1) if j + 1 < len(items) else j
    return j


def _is_power(item: Item) -> bool:
    return isinstance(item, Token) and item.kind == "op" and item.text == "^"


def _apply(items: list[Item], i: int) -> tuple[str, int]:
    """A function use starting at items[i]; returns its source and the index after it."""
    name = items[i].text  # type: ignore[union-attr]
    j = i + 1
    nxt = items[j] if j < len(items) else None
    if isinstance(nxt, Group) and nxt.bracket == "(":
        return f"{name}({_arguments(name, nxt)})", j + 1
    # sin^2(x) means (sin x)^2
    if (
        nxt is not None
        and _is_power(nxt)
        and j + 2 < len(items)
        and _kind(items[j + 1]) in ("num", "sym", "group")
        and isinstance(items[j + 2], Group)
        and items[j + 2].bracket == "("  # type: ignore[union-attr]
    ):
        power = _expr([items[j + 1]])
        return f"({name}({_arguments(name, items[j + 2])}))**{power}", j + 3  # type: ignore[arg-type]
    end = _primary_end(items, j)
    if end == j:
        raise AnswerError(f"{name} needs its argument in brackets, e.g. {name}(2)")
    # `sin x^2` is sin(x²), `ln 5!` is ln(5!)
    while end < len(items):
        if _kind(items[end]) == "bang":
            end += 1
        elif _is_power(items[end]):
            k = end + 1
            if k < len(items) and _kind(items[k]) == "op" and items[k].text in "+-":  # type: ignore[union-attr]
                k += 1
            after = _primary_end(items, k)
            if after == k:
                break
            end = after
        else:
            break
    return f"{name}({_expr(items[j:end])})", end


def _arguments(name: str, g: Group) -> str:
    if not g.items:
        raise AnswerError(f"{name}() needs an argument, e.g. {name}(2)")
    if any(_kind(it) == "row" for it in g.items):
        raise AnswerError(f"a new row inside {name}(…) is not expected")
    args = _split_at(g.items, "comma")
    if any(not a for a in args):
        raise AnswerError(f"an empty argument in {name}(…)")
    return ", ".join(_expr(a) for a in args)
