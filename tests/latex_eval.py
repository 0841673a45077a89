"""A small, safe evaluator of the engine's LaTeX subset, in interval arithmetic, for tests.

It reads a printed formula through the renderers' own parser (`revise.render.latex_tree`),
never `eval`: numbers, + − · × /, fractions, square roots, powers, brackets, absolute values,
vectors `[a, b]`, `∓`, and the functions exp, log/ln, tanh, σ, max, min. Each printed number
stands for the interval of the values it rounds from (0.1235 is [0.12345, 0.12355]), so a step
recomputed from its printed inputs gives an interval that must meet the printed result's own.
Anything else (a symbol, a matrix, words) raises `Unevaluable`: that step is not checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from revise.render.latex_tree import (
    SPACES,
    Accent,
    Chars,
    Delimited,
    Frac,
    Matrix,
    Node,
    Scripts,
    Seq,
    Space,
    Sqrt,
    Symbol,
    Word,
    parse_latex,
)


class Unevaluable(ValueError):
    """The formula is not plain arithmetic on printed numbers."""


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float

    @staticmethod
    def exact(x: float) -> Interval:
        return Interval(x, x)

    def _corners(self, other: Interval, op: Callable[[float, float], float]) -> Interval:
        values = [op(a, b) for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(min(values), max(values))

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def __sub__(self, other: Interval) -> Interval:
        return Interval(self.lo - other.hi, self.hi - other.lo)

    def __mul__(self, other: Interval) -> Interval:
        return self._corners(other, lambda a, b: a * b)

    def __truediv__(self, other: Interval) -> Interval:
        if other.lo <= 0 <= other.hi:
            raise Unevaluable("division by an interval around 0")
        return self._corners(other, lambda a, b: a / b)

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def power(self, other: Interval) -> Interval:
        if other.lo == other.hi and float(other.lo).is_integer():
            n = int(other.lo)
            if abs(n) > 64:
                raise Unevaluable("exponent too large")
            ends = [self.lo**n, self.hi**n] if n >= 0 or not (self.lo <= 0 <= self.hi) else []
            if not ends:
                raise Unevaluable("negative power of an interval around 0")
            if n % 2 == 0 and n > 0 and self.lo <= 0 <= self.hi:
                ends.append(0.0)
            return Interval(min(ends), max(ends))
        if self.lo <= 0:
            raise Unevaluable("a real power of a value that may be negative")
        return self._corners(other, lambda a, b: a**b)

    def monotone(self, fn: Callable[[float], float]) -> Interval:
        a, b = fn(self.lo), fn(self.hi)
        return Interval(min(a, b), max(a, b))

    def meets(self, other: Interval, slack: float = 1e-9) -> bool:
        scale = slack * max(1.0, abs(self.lo), abs(self.hi))
        return self.lo <= other.hi + scale and other.lo <= self.hi + scale


Value = Interval | list[Interval]


# `engine.latex.num` rounds to max(DECIMALS, FIGURES − 1 − ⌊log₁₀|x|⌋) places and drops
# trailing zeros only from exact values: a number using every place (0.001250) was rounded
# and stands for an interval; a shorter one (0.999, 0.5, 3) is exact as written
DECIMALS, FIGURES = 4, 4


def printed(text: str) -> Interval:
    """A printed number as the interval of the values that print as it."""
    value = float(text)
    if value == 0:
        return Interval.exact(0.0)
    places = max(DECIMALS, FIGURES - 1 - math.floor(math.log10(abs(value))))
    written = len(text.split(".")[1]) if "." in text else 0
    if written < places:
        return Interval.exact(value)
    half = 0.5 * 10.0**-places
    return Interval(value - half, value + half)


def _mantissa(text: str) -> Interval:
    """The a of a × 10ⁿ: rounded to FIGURES significant figures when it uses them all."""
    value = float(text)
    written = len(text.split(".")[1]) if "." in text else 0
    if written < FIGURES - 1:
        return Interval.exact(value)
    half = 0.5 * 10.0 ** -(FIGURES - 1)
    return Interval(value - half, value + half)


def _exact_integer(text: str) -> Interval:
    return Interval.exact(float(text))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


FUNCTIONS: dict[str, Callable[[float], float]] = {
    "exp": math.exp,
    "log": math.log,
    "ln": math.log,
    "tanh": math.tanh,
    "sigma": _sigmoid,
}


def _map(value: Value, fn: Callable[[Interval], Interval]) -> Value:
    return [fn(v) for v in value] if isinstance(value, list) else fn(value)


def _zip(a: Value, b: Value, fn: Callable[[Interval, Interval], Interval]) -> Value:
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            raise Unevaluable("vectors of different lengths")
        return [fn(x, y) for x, y in zip(a, b)]
    if isinstance(a, list):
        return [fn(x, b) for x in a]  # type: ignore[arg-type]
    if isinstance(b, list):
        return [fn(a, y) for y in b]
    return fn(a, b)


class _Reader:
    """Turns a parsed formula into tokens, then reads them with precedence."""

    def __init__(self, exact_integers: bool) -> None:
        self.exact_integers = exact_integers

    def tokens(self, node: Node) -> list[object]:
        out: list[object] = []
        items = node.items if isinstance(node, Seq) else [node]
        digits = ""
        literal = ""  # the text of the last number read, for a mantissa

        def flush() -> None:
            nonlocal digits, literal
            if digits:
                literal = digits
                if digits == ".":
                    raise Unevaluable("a lone dot")
                exact = self.exact_integers and "." not in digits
                out.append(_exact_integer(digits) if exact else printed(digits))
                digits = ""

        for item in items:
            if (
                digits
                and isinstance(item, Scripts)
                and isinstance(item.base, Chars)
                and item.base.text.isdigit()
            ):
                # `10^{-4}` parses as 1, then 0 raised: the script belongs to the whole number
                item = Scripts(Chars(digits + item.base.text), item.sup, item.sub)
                digits = ""
                if len(out) >= 2 and out[-1] == "*" and isinstance(out[-2], Interval):
                    out[-2] = _mantissa(literal)
            if isinstance(item, Chars) and all(c.isdigit() or c == "." for c in item.text):
                digits += item.text
                continue
            if isinstance(item, Space) and digits and item.width == SPACES[","]:
                continue  # `34\,944`: a thin space groups the digits of one number
            flush()
            if isinstance(item, Space):
                continue
            if isinstance(item, Chars):
                for c in item.text:
                    if c in "+-*/(),":
                        out.append(c)
                    elif c == "e":
                        out.append(Interval.exact(math.e))
                    else:
                        raise Unevaluable(f"the symbol {c!r}")
            elif isinstance(item, Symbol):
                if item.name in ("cdot", "times"):
                    out.append("*")
                elif item.name in ("mp", "pm"):
                    out.append(item.name)
                elif item.name == "pi":
                    out.append(Interval.exact(math.pi))
                elif item.name == "sigma":
                    out.append(("fn", "sigma"))
                else:
                    raise Unevaluable(f"\\{item.name}")
            elif isinstance(item, Word):
                if item.text not in (*FUNCTIONS, "max", "min"):
                    raise Unevaluable(f"the word {item.text!r}")
                out.append(("fn", item.text))
            else:
                out.append(self.node(item))
        flush()
        return out

    def node(self, node: Node) -> Value:
        if isinstance(node, Seq):
            return _Reader(self.exact_integers).expression(node)
        if isinstance(node, Frac):
            return _zip(self.node(node.num), self.node(node.den), lambda a, b: a / b)
        if isinstance(node, Sqrt):
            return _map(self.node(node.body), lambda v: v.power(Interval.exact(0.5)))
        if isinstance(node, Scripts):
            if node.sub is not None or node.sup is None:
                raise Unevaluable("a subscript names a quantity")
            base = self.node(node.base)
            exponent = _Reader(exact_integers=True).node(node.sup)
            if isinstance(exponent, list):
                raise Unevaluable("a vector exponent")
            return _map(base, lambda v: v.power(exponent))
        if isinstance(node, Delimited):
            body = node.body
            if node.left == "(" and node.right == ")":
                return self.node(body)
            if node.left == "[" and node.right == "]":
                if isinstance(body, Matrix):
                    raise Unevaluable("a matrix")
                value = self.node(body)
                return value if isinstance(value, list) else [value]
            if node.left == "|" and node.right == "|":
                return _map(
                    self.node(body),
                    lambda v: (
                        v.monotone(abs)
                        if v.lo >= 0 or v.hi <= 0
                        else Interval(0.0, max(-v.lo, v.hi))
                    ),
                )
            raise Unevaluable(f"brackets {node.left}{node.right}")
        if isinstance(node, Chars) and node.text.replace(".", "").isdigit():
            exact = self.exact_integers and "." not in node.text
            return _exact_integer(node.text) if exact else printed(node.text)
        if isinstance(node, Chars | Symbol | Word):
            return _Reader(self.exact_integers).expression(Seq([node]))
        raise Unevaluable(type(node).__name__)

    def expression(self, seq: Seq) -> Value:
        self.items = self.tokens(seq)
        self.pos = 0
        value = self.listing()
        if self.pos != len(self.items):
            raise Unevaluable("trailing tokens")
        return value

    def peek(self) -> object:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def listing(self) -> Value:
        first = self.plusminus()
        if self.peek() != ",":
            return first
        values = [first]
        while self.peek() == ",":
            self.pos += 1
            values.append(self.plusminus())
        if any(isinstance(v, list) for v in values):
            raise Unevaluable("a list of vectors")
        return values  # type: ignore[return-value]

    def plusminus(self) -> Value:
        left = self.sum()
        if self.peek() in ("mp", "pm"):
            sign = self.items[self.pos]
            self.pos += 1
            right = self.sum()
            if isinstance(left, list) or isinstance(right, list):
                raise Unevaluable("∓ on vectors")
            low, high = left - right, left + right
            return [low, high] if sign == "mp" else [high, low]
        return left

    def sum(self) -> Value:
        value = self.product()
        while self.peek() in ("+", "-"):
            op = self.items[self.pos]
            self.pos += 1
            right = self.product()
            value = _zip(value, right, (lambda a, b: a + b) if op == "+" else (lambda a, b: a - b))
        return value

    def product(self) -> Value:
        value = self.unary()
        while True:
            token = self.peek()
            if token in ("*", "/"):
                self.pos += 1
                right = self.unary()
                fn = (lambda a, b: a * b) if token == "*" else (lambda a, b: a / b)
                value = _zip(value, right, fn)
            elif token is not None and token not in ("+", "-", ",", ")", "mp", "pm"):
                value = _zip(value, self.unary(), lambda a, b: a * b)  # juxtaposition
            else:
                return value

    def unary(self) -> Value:
        token = self.peek()
        if token in ("+", "-"):
            self.pos += 1
            value = self.unary()
            return _map(value, lambda v: -v) if token == "-" else value
        return self.atom()

    def atom(self) -> Value:
        token = self.peek()
        if token is None:
            raise Unevaluable("missing operand")
        self.pos += 1
        if isinstance(token, Interval | list):
            return token
        if token == "(":
            value = self.listing()
            if self.peek() != ")":
                raise Unevaluable("unbalanced (")
            self.pos += 1
            return value
        if isinstance(token, tuple):
            name = token[1]
            argument = self.atom()
            if name in ("max", "min"):
                if not isinstance(argument, list):
                    return argument
                pick = max if name == "max" else min
                return Interval(pick(v.lo for v in argument), pick(v.hi for v in argument))
            fn = FUNCTIONS[name]
            if name in ("log", "ln"):
                return _map(argument, lambda v: v.monotone(fn) if v.lo > 0 else _bad())
            return _map(argument, lambda v: v.monotone(fn))
        raise Unevaluable(f"unexpected {token!r}")


def _bad() -> Interval:
    raise Unevaluable("log of a value that may be ≤ 0")


def evaluate(latex: str) -> Value:
    """The interval (or vector of intervals) a printed formula stands for."""
    try:
        tree = parse_latex(latex)
    except ValueError as exc:
        raise Unevaluable(str(exc)) from None
    if any(isinstance(n, Accent) for n in tree.items):
        raise Unevaluable("an accent names a quantity")
    try:
        return _Reader(exact_integers=False).node(tree)
    except (OverflowError, ZeroDivisionError) as exc:
        raise Unevaluable(str(exc)) from None
