"""Python source to values through a whitelisted `ast` walk: nothing is ever executed.

`build(source, symbols)` parses the source made by `engine.checking.syntax` with `ast.parse`,
then walks the whole tree before building anything: only the node types of arithmetic, numbers,
the known names and calls of the known functions (one or two positional arguments) are allowed;
attributes, subscripts, lambdas, keywords, comprehensions, strings, comparisons and the rest are
refused. The number of nodes and the depth of the tree are bounded.

Values are then built bottom-up, each operation checked before it is done:
- plain arithmetic on numbers stays in exact fractions (`fractions.Fraction`), without SymPy;
- names (x, y, e, pi), functions and roots build SymPy objects directly (`sympy.Integer`,
  `sympy.Rational`, `sympy.Symbol`, `sympy.sqrt`...), never through `sympify`;
- a power is refused before it is computed when its exponent or its result would be too large
  (`9**9**9**9`, `10**10**10`), a factorial when its argument is over 100, `exp` of more than
  690, a root or logarithm of a negative number (not a real number), a division by zero;
- a float estimate of every numeric node travels with it, so sizes are known without evaluating.
The finished SymPy expression is walked once more: only known node classes, no infinities, no
imaginary unit.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from engine.checking.errors import AnswerError
from engine.checking.lexer import FUNCTIONS

MAX_NODES = 6_000
MAX_AST_DEPTH = 200
MAX_POWER = 1_000  # |exponent| of a number
MAX_SYMBOLIC_POWER = 64  # |exponent| of x or y
MAX_BITS = 20_000  # size of an exact fraction (numerator and denominator bits)
MAX_ROOT_BITS = 512
MAX_FACTORIAL = 100
MAX_MAGNITUDE = 300  # decimal exponent of any number in an answer
MAX_EXP_ARGUMENT = 690.0
MAX_TRIG_ARGUMENT = 1e6
CONSTANTS = frozenset({"e", "pi"})

_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Call,
    ast.List,
    ast.Tuple,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.UAdd,
    ast.USub,
)
_CONTAINERS = (ast.List, ast.Tuple)


@dataclass(frozen=True)
class Num:
    """A number as read: its value, exact form, and how it was typed.

    `exact` is a Fraction (plain arithmetic) or a SymPy number (roots, e, pi, functions).
    `literal` is true for a plain number (`0.25`, `-3`, `4.2e-3`); then `rounded_at` is the
    decimal exponent of its last digit (0.0007 → -4, 3 → 0), which tells a rounded answer apart
    from a wrong one. Exact forms (`3/14`, `sqrt(2)/2`) have no `rounded_at`.
    """

    value: float
    exact: Any
    source: str
    literal: bool
    rounded_at: int | None

    @property
    def integer(self) -> int | None:
        """The value as an int when it is exactly a whole number."""
        if isinstance(self.exact, Fraction):
            return int(self.exact) if self.exact.denominator == 1 else None
        if getattr(self.exact, "is_Integer", False):
            return int(self.exact)
        return None

    def to_json(self) -> int | float:
        whole = self.integer
        return whole if whole is not None and abs(whole) < 2**53 else self.value


@dataclass(frozen=True)
class Expr:
    """An expression in x (and y) as a SymPy expression, with the source it came from."""

    expr: Any
    source: str

    def to_json(self) -> str:
        import sympy

        return sympy.sstr(self.expr)


Leaf = Num | Expr


@dataclass(frozen=True)
class _Value:
    exact: Any  # Fraction or a SymPy expression
    approx: float | None  # None when the value depends on a variable


def build(source: str, symbols: frozenset[str]) -> Any:
    """A leaf (Num or Expr) or nested lists of leaves, from whitelisted source."""
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise AnswerError(_syntax_hint(source)) from None
    _check_tree(tree, symbols)
    return _container(tree.body, source)


def _syntax_hint(source: str) -> str:
    stripped = source.rstrip()
    if stripped.endswith(("+", "-", "*", "/")):
        return "the answer ends with an operator: something is missing after it"
    if "**" in stripped and stripped.endswith("*"):
        return "a power needs an exponent after ^"
    return "this cannot be read as an answer"


def _check_tree(tree: ast.Expression, symbols: frozenset[str]) -> None:
    """The whole tree against the whitelist, iteratively (no recursion on hostile depth)."""
    names = symbols | CONSTANTS
    count = 0
    stack: list[tuple[ast.AST, int, bool]] = [(tree.body, 1, True)]
    while stack:
        node, depth, container_ok = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise AnswerError("the answer is too long")
        if depth > MAX_AST_DEPTH:
            raise AnswerError("the answer is nested too deeply")
        if not isinstance(node, _ALLOWED_NODES):
            raise AnswerError(f"{type(node).__name__.lower()} is not allowed in an answer")
        if isinstance(node, _CONTAINERS):
            if not container_ok:
                raise AnswerError("a list cannot be part of a calculation: write each entry")
            stack.extend((e, depth + 1, True) for e in node.elts)
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise AnswerError("only numbers can be written in an answer")
            continue
        if isinstance(node, ast.Name):
            if node.id not in names:
                if node.id in FUNCTIONS:
                    raise AnswerError(f"{node.id} needs an argument, e.g. {node.id}(2)")
                raise AnswerError(_unknown_symbol(node.id, symbols))
            continue
        if isinstance(node, ast.Call):
            _check_call(node)
            stack.extend((a, depth + 1, False) for a in node.args)
            continue
        stack.extend((child, depth + 1, False) for child in _operands(node))


def _operands(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.op, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.op, node.operand]
    return [child for child in ast.iter_child_nodes(node)]


def _unknown_symbol(name: str, symbols: frozenset[str]) -> str:
    if not symbols:
        return f"{name} cannot appear here: this must be a number"
    allowed = " and ".join(sorted(symbols))
    return f"{name} cannot appear here: only {allowed} may be used"


def _check_call(node: ast.Call) -> None:
    func = node.func
    if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
        raise AnswerError("only the known functions can be called (sqrt, exp, ln, sin, ...)")
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise AnswerError(f"{func.id}(…) takes plain arguments")
    most = 2 if func.id == "log" else 1
    if not 1 <= len(node.args) <= most:
        raise AnswerError(
            f"{func.id} takes {'one or two arguments' if most == 2 else 'one argument'}"
        )


def _segment(source: str, node: ast.AST) -> str | None:
    """`ast.get_source_segment` in constant time for one line of ASCII (what the lexer makes):
    the standard one splits the whole source into lines on every call, quadratic over a long
    matrix."""
    if "\n" in source or not source.isascii():
        return ast.get_source_segment(source, node)
    start, end = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
    if start is None or end is None:
        return None
    return source[start:end]


def _container(node: ast.AST, source: str) -> Any:
    if isinstance(node, _CONTAINERS):
        return [_container(e, source) for e in node.elts]
    return _leaf(node, source)


def _leaf(node: ast.AST, source: str) -> Leaf:
    text = _segment(source, node) or ""
    literal = _literal_text(node, source)
    value = _value(node, source)
    if value.approx is None:
        _check_result(value.exact)
        if value.exact.free_symbols:
            return Expr(value.exact, text)
        literal = None  # x - x: a number after all, but not a typed one
    if isinstance(value.exact, Fraction):
        number = float(value.exact)
    else:
        _check_result(value.exact)
        number = float(value.exact.evalf(20))
    _check_magnitude(number)
    rounded_at = None
    if literal is not None:
        exponent = Decimal(literal).as_tuple().exponent
        rounded_at = int(exponent) if isinstance(exponent, int) else None
    return Num(number, value.exact, text, literal is not None, rounded_at)


def _literal_text(node: ast.AST, source: str) -> str | None:
    """The digits of a plain (signed) number, for precision; None for any other form."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        node = node.operand
    if isinstance(node, ast.Constant):
        return _segment(source, node)
    return None


# --- building values ------------------------------------------------------------------------


def _value(node: ast.AST, source: str) -> _Value:
    if isinstance(node, ast.Constant):
        text = _segment(source, node) or repr(node.value)
        return _Value(Fraction(text), float(Fraction(text)))
    if isinstance(node, ast.UnaryOp):
        v = _value(node.operand, source)
        if isinstance(node.op, ast.USub):
            return _Value(-v.exact, None if v.approx is None else -v.approx)
        return v
    if isinstance(node, ast.BinOp):
        a, b = _value(node.left, source), _value(node.right, source)
        return _binary(node.op, a, b)
    if isinstance(node, ast.Name):
        return _name(node.id)
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        args = [_value(a, source) for a in node.args]
        return _call(name, args)
    raise AnswerError("this cannot be read as an answer")  # pragma: no cover - whitelisted


def _sym(v: _Value) -> Any:
    import sympy

    if isinstance(v.exact, Fraction):
        return sympy.Rational(v.exact.numerator, v.exact.denominator)
    return v.exact


def symbol(name: str) -> Any:
    """The SymPy symbol for a variable: real, so that sqrt(x²) and friends simplify sensibly."""
    import sympy

    return sympy.Symbol(name, real=True)


def _name(name: str) -> _Value:
    import sympy

    if name == "e":
        return _Value(sympy.E, math.e)
    if name == "pi":
        return _Value(sympy.pi, math.pi)
    return _Value(symbol(name), None)


def _check_magnitude(x: float) -> None:
    if not math.isfinite(x) or abs(x) > 10.0**MAX_MAGNITUDE:
        raise AnswerError(f"a number in this answer is too large (more than 1e{MAX_MAGNITUDE})")


def _check_bits(q: Fraction) -> None:
    if q.numerator.bit_length() + q.denominator.bit_length() > MAX_BITS:
        raise AnswerError("the numbers in this answer grow too large")


def _approx(fn: Callable[[], float]) -> float:
    try:
        x = fn()
    except OverflowError:
        raise AnswerError(
            f"a number in this answer is too large (more than 1e{MAX_MAGNITUDE})"
        ) from None
    except (ValueError, ZeroDivisionError):
        raise AnswerError("this is not a real number") from None
    _check_magnitude(x)
    return x


def _binary(op: ast.operator, a: _Value, b: _Value) -> _Value:
    if isinstance(op, ast.Pow):
        return _power(a, b)
    if isinstance(op, ast.Div) and b.approx is not None and b.exact == 0:
        raise AnswerError("division by zero")
    if isinstance(a.exact, Fraction) and isinstance(b.exact, Fraction):
        if isinstance(op, ast.Add):
            q = a.exact + b.exact
        elif isinstance(op, ast.Sub):
            q = a.exact - b.exact
        elif isinstance(op, ast.Mult):
            q = a.exact * b.exact
        else:
            q = a.exact / b.exact
        _check_bits(q)
        return _Value(q, _approx(lambda: float(q)))
    x, y = _sym(a), _sym(b)
    if isinstance(op, ast.Add):
        exact = x + y
        fn: Callable[[float, float], float] = lambda p, q: p + q  # noqa: E731
    elif isinstance(op, ast.Sub):
        exact = x - y
        fn = lambda p, q: p - q  # noqa: E731
    elif isinstance(op, ast.Mult):
        exact = x * y
        fn = lambda p, q: p * q  # noqa: E731
    else:
        exact = x / y
        fn = lambda p, q: p / q  # noqa: E731
    if a.approx is None or b.approx is None:
        return _Value(exact, None)
    pa, pb = a.approx, b.approx
    return _Value(exact, _approx(lambda: fn(pa, pb)))


def _is_whole(v: _Value) -> bool:
    if isinstance(v.exact, Fraction):
        return v.exact.denominator == 1
    return bool(getattr(v.exact, "is_Integer", False))


def _power(a: _Value, b: _Value) -> _Value:
    if b.approx is None:
        if a.approx is not None and a.approx <= 0:
            raise AnswerError("a power with x in the exponent needs a positive base")
        return _Value(_sym(a) ** _sym(b), None)
    n = b.approx
    if abs(n) > MAX_POWER:
        raise AnswerError(f"the exponent is too large (at most {MAX_POWER})")
    if a.approx is None:
        if abs(n) > MAX_SYMBOLIC_POWER:
            raise AnswerError(f"a power of x is at most {MAX_SYMBOLIC_POWER} here")
        return _Value(_sym(a) ** _sym(b), None)
    base = a.approx
    if a.exact == 0:
        if n < 0:
            raise AnswerError("division by zero (0 to a negative power)")
    elif abs(n * math.log10(abs(base))) > MAX_MAGNITUDE:
        raise AnswerError(f"the power is too large (more than 1e{MAX_MAGNITUDE})")
    whole = _is_whole(b)
    if base < 0 and not whole:
        raise AnswerError("a negative number to a fractional power is not a real number")
    if isinstance(a.exact, Fraction) and whole:
        bits = a.exact.numerator.bit_length() + a.exact.denominator.bit_length()
        if bits * abs(int(n)) > MAX_BITS:
            raise AnswerError("the numbers in this answer grow too large")
        q = a.exact ** int(b.exact)
        return _Value(q, _approx(lambda: float(q)))
    if isinstance(a.exact, Fraction):
        bits = a.exact.numerator.bit_length() + a.exact.denominator.bit_length()
        if bits > MAX_ROOT_BITS:
            raise AnswerError("the number under the root is too large")
    return _Value(_sym(a) ** _sym(b), _approx(lambda: math.pow(base, n)))


def _call(name: str, args: list[_Value]) -> _Value:
    a = args[0]
    x = a.approx
    numeric = x is not None
    if name == "factorial":
        if not numeric or not _is_whole(a) or not 0 <= x <= MAX_FACTORIAL:  # type: ignore[operator]
            raise AnswerError(f"factorial needs a whole number from 0 to {MAX_FACTORIAL}")
        n = int(a.exact)
        return _Value(Fraction(math.factorial(n)), float(math.factorial(n)))

    import sympy

    if name in ("sqrt", "cbrt"):
        if numeric and isinstance(a.exact, Fraction):
            if a.exact.numerator.bit_length() + a.exact.denominator.bit_length() > MAX_ROOT_BITS:
                raise AnswerError("the number under the root is too large")
        if name == "sqrt":
            if numeric and x < 0:  # type: ignore[operator]
                raise AnswerError("the square root of a negative number is not a real number")
            return _apply(sympy.sqrt(_sym(a)), x, math.sqrt)
        third = sympy.Rational(1, 3)
        if numeric and x < 0:  # type: ignore[operator]
            return _apply(-((-_sym(a)) ** third), x, lambda t: -((-t) ** (1 / 3)))
        return _apply(_sym(a) ** third, x, lambda t: t ** (1 / 3))
    if name == "exp":
        _limit(x, MAX_EXP_ARGUMENT, "exp")
        return _apply(sympy.exp(_sym(a)), x, math.exp)
    if name in ("ln", "log", "log2", "log10"):
        if numeric and x <= 0:  # type: ignore[operator]
            raise AnswerError(f"{name} needs a positive number")
        base: Any = {"log2": 2, "log10": 10}.get(name)
        if name == "log" and len(args) == 2:
            b = args[1]
            if b.approx is None or b.approx <= 0 or b.exact == 1:
                raise AnswerError("the base of a logarithm must be a positive number other than 1")
            base = _sym(b)
        if base is None:
            return _apply(sympy.log(_sym(a)), x, math.log)
        fbase = float(base) if not isinstance(base, int) else base
        return _apply(sympy.log(_sym(a), base), x, lambda t: math.log(t) / math.log(fbase))
    if name in ("sin", "cos", "tan"):
        _limit(x, MAX_TRIG_ARGUMENT, name)
        fn = getattr(sympy, name)
        if name == "tan" and numeric and abs(math.cos(x)) < 1e-15:  # type: ignore[arg-type]
            raise AnswerError("tan is not defined there")
        return _apply(fn(_sym(a)), x, getattr(math, name))
    if name in ("sinh", "cosh"):
        _limit(x, MAX_EXP_ARGUMENT, name)
        return _apply(getattr(sympy, name)(_sym(a)), x, getattr(math, name))
    if name == "tanh":
        return _apply(sympy.tanh(_sym(a)), x, math.tanh)
    if name in ("asin", "acos", "arcsin", "arccos"):
        short = name.replace("arc", "a")
        if numeric and abs(x) > 1:  # type: ignore[arg-type]
            raise AnswerError(f"{name} needs a number between -1 and 1")
        return _apply(getattr(sympy, short)(_sym(a)), x, getattr(math, short))
    if name in ("atan", "arctan"):
        return _apply(sympy.atan(_sym(a)), x, math.atan)
    if name == "abs":
        return _apply(sympy.Abs(_sym(a)), x, abs)
    if name == "sigmoid":
        _limit(x, MAX_EXP_ARGUMENT, name)
        return _apply(1 / (1 + sympy.exp(-_sym(a))), x, lambda t: 1 / (1 + math.exp(-t)))
    if name == "softplus":
        _limit(x, MAX_EXP_ARGUMENT, name)
        return _apply(sympy.log(1 + sympy.exp(_sym(a))), x, lambda t: math.log1p(math.exp(t)))
    raise AnswerError(f"{name} is not a function an answer can use")  # pragma: no cover


def _limit(x: float | None, bound: float, name: str) -> None:
    if x is not None and abs(x) > bound:
        raise AnswerError(f"{name} of a number this large is out of range (at most {bound:g})")


def _apply(exact: Any, x: float | None, fn: Callable[[float], float]) -> _Value:
    if x is None:
        return _Value(exact, None)
    return _Value(exact, _approx(lambda: fn(x)))


# --- the finished expression ----------------------------------------------------------------

_ALLOWED_CLASSES = frozenset(
    {
        "Add",
        "Mul",
        "Pow",
        "Symbol",
        "Integer",
        "Rational",
        "Half",
        "One",
        "NegativeOne",
        "Zero",
        "Float",
        "Pi",
        "Exp1",
        "exp",
        "log",
        "sin",
        "cos",
        "tan",
        "sinh",
        "cosh",
        "tanh",
        "asin",
        "acos",
        "atan",
        "Abs",
        "cot",
        "sec",
        "csc",
        "coth",
        "sign",
    }
)


def _check_result(expr: Any) -> None:
    """Walk the built SymPy expression: known node classes only; no oo, zoo, nan or I."""
    import sympy

    count = 0
    for node in sympy.preorder_traversal(expr):
        count += 1
        if count > 4 * MAX_NODES:
            raise AnswerError("the answer is too long")
        cls = type(node).__name__
        if node in (sympy.zoo, sympy.nan) or cls in ("ComplexInfinity", "NaN"):
            raise AnswerError("this is undefined (a division by zero?)")
        if cls in ("Infinity", "NegativeInfinity"):
            raise AnswerError("this is infinite")
        if cls == "ImaginaryUnit":
            raise AnswerError("this is not a real number")
        if cls not in _ALLOWED_CLASSES and not isinstance(node, sympy.Rational):
            raise AnswerError(f"{cls} is not allowed in an answer")
