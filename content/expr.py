"""Small arithmetic expressions in content files, evaluated without `eval`.

Question families compute dependent values ("padding = (kernel - 1) // 2") and constraints
("(size + 2 * padding - kernel) % stride == 0") from expressions. They are parsed with `ast`,
checked against a whitelist of node types and function names, and walked by a tiny interpreter:
nothing in a content file can reach Python's builtins, attributes or imports.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from content import limits

__all__ = ["ExprError", "Expression", "FUNCTIONS"]

MAX_POWER = 64
MAX_SEQUENCE = 10_000


class ExprError(ValueError):
    """An expression that cannot be parsed or evaluated; the message is one line."""


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _dot(a: list[float], b: list[float]) -> float:
    if len(a) != len(b):
        raise ExprError(f"dot: lengths {len(a)} and {len(b)} differ")
    return sum(x * y for x, y in zip(a, b))


def _matvec(m: list[list[float]], v: list[float]) -> list[float]:
    return [_dot(row, v) for row in m]


def _transpose(m: list[list[Any]]) -> list[list[Any]]:
    return [list(col) for col in zip(*m)]


def _vadd(a: list[float], b: list[float]) -> list[float]:
    if len(a) != len(b):
        raise ExprError(f"vadd: lengths {len(a)} and {len(b)} differ")
    return [x + y for x, y in zip(a, b)]


def _rows_of(v: list[Any]) -> list[list[Any]]:
    """A vector as a column: each element its own one-element row ([1, 2] → [[1], [2]])."""
    return [[x] for x in v]


def _range(*args: int) -> list[int]:
    r = range(*args)
    if len(r) > MAX_SEQUENCE:
        raise ExprError("range is too long")
    return list(r)


def _column(m: list[list[Any]], j: int) -> list[Any]:
    return [row[j] for row in m]


def _flatten(m: list[Any]) -> list[Any]:
    out: list[Any] = []
    for x in m:
        out.extend(_flatten(x) if isinstance(x, list) else [x])
    return out


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "all": all,
    "any": any,
    "ceil": math.ceil,
    "column": _column,
    "dot": _dot,
    "exp": math.exp,
    "flatten": _flatten,
    "float": float,
    "floor": math.floor,
    "int": int,
    "len": len,
    "log": math.log,
    "matvec": _matvec,
    "max": max,
    "min": min,
    "range": _range,
    "round": round,
    "rows_of": _rows_of,
    "sigmoid": _sigmoid,
    "sign": _sign,
    "sqrt": math.sqrt,
    "str": str,
    "sum": sum,
    "tanh": math.tanh,
    "transpose": _transpose,
    "vadd": _vadd,
}

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_OP_NAMES: dict[type[ast.operator], str] = {ast.Pow: "pow", ast.Mult: "mul", ast.Add: "add"}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


class Expression:
    """A parsed, whitelisted expression; `names` are the values it reads."""

    def __init__(self, source: str) -> None:
        if not isinstance(source, str) or not source.strip():
            raise ExprError("an expression must be a non-empty string")
        try:
            limits.check_expression_source(source.strip())
            tree = ast.parse(source.strip(), mode="eval")
        except limits.LimitError as exc:
            raise ExprError(str(exc)) from None
        except SyntaxError as exc:
            raise ExprError(f"cannot parse expression {source!r}: {exc.msg}") from None
        except (RecursionError, MemoryError):
            raise ExprError("the expression is nested too deeply") from None
        self.source = source.strip()
        self.names: set[str] = set()
        try:
            self._check(tree.body)
        except RecursionError:
            raise ExprError("the expression is nested too deeply") from None
        self._tree = tree.body

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    # --- checking ---------------------------------------------------------------------------
    def _check(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float | str | bool) and node.value is not None:
                raise ExprError(f"constant {node.value!r} is not allowed")
        elif isinstance(node, ast.Name):
            if node.id not in FUNCTIONS and node.id not in ("True", "False", "None"):
                self.names.add(node.id)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExprError(f"operator {type(node.op).__name__} is not allowed")
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise ExprError(f"operator {type(node.op).__name__} is not allowed")
            self._check(node.operand)
        elif isinstance(node, ast.BoolOp):
            for v in node.values:
                self._check(v)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _COMPARE:
                    raise ExprError(f"comparison {type(op).__name__} is not allowed")
            for v in (node.left, *node.comparators):
                self._check(v)
        elif isinstance(node, ast.IfExp):
            for v in (node.test, node.body, node.orelse):
                self._check(v)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                known = ", ".join(sorted(FUNCTIONS))
                raise ExprError(f"unknown function in {ast.unparse(node)!r} (known: {known})")
            if node.keywords:
                raise ExprError("keyword arguments are not allowed in expressions")
            for a in node.args:
                if isinstance(a, ast.Starred):
                    raise ExprError("*args is not allowed in expressions")
                self._check(a)
        elif isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Slice):
                for part in (node.slice.lower, node.slice.upper, node.slice.step):
                    if part is not None:
                        self._check(part)
            else:
                self._check(node.slice)
            self._check(node.value)
        elif isinstance(node, ast.List | ast.Tuple):
            for e in node.elts:
                self._check(e)
        else:
            raise ExprError(f"{type(node).__name__} is not allowed in expressions")

    # --- evaluating -------------------------------------------------------------------------
    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """The value of the expression with `env` giving the names; ExprError on any failure."""
        try:
            return self._eval(self._tree, env)
        except ExprError:
            raise
        except limits.LimitError as exc:
            raise ExprError(f"{self.source[:60]!r}: {exc}") from None
        except RecursionError:
            raise ExprError(f"{self.source[:60]!r}: nested too deeply") from None
        except (ArithmeticError, TypeError, ValueError, IndexError, KeyError) as exc:
            raise ExprError(f"{self.source!r}: {exc}") from None

    def _eval(self, node: ast.AST, env: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            if node.id in env:
                return env[node.id]
            if node.id in FUNCTIONS:
                raise ExprError(f"{node.id} is a function: call it")
            raise ExprError(f"{self.source!r}: unknown name {node.id!r}")
        if isinstance(node, ast.BinOp):
            left = self._eval(node.left, env)
            right = self._eval(node.right, env)
            if isinstance(node.op, ast.Pow) and (
                not isinstance(right, int | float) or abs(right) > MAX_POWER
            ):
                raise ExprError(f"{self.source!r}: exponent too large")
            if isinstance(node.op, ast.Mult) and (
                isinstance(left, list | str) or isinstance(right, list | str)
            ):
                raise ExprError(f"{self.source!r}: cannot repeat a list or string")
            limits.check_operation(_OP_NAMES.get(type(node.op), ""), left, right)
            value = _BINARY[type(node.op)](left, right)
            limits.check_result(value)
            return value
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, env))
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                result: Any = True
                for v in node.values:
                    result = self._eval(v, env)
                    if not result:
                        return result
                return result
            result = False
            for v in node.values:
                result = self._eval(v, env)
                if result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self._eval(node.left, env)
            for op, comp in zip(node.ops, node.comparators):
                right = self._eval(comp, env)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            branch = node.body if self._eval(node.test, env) else node.orelse
            return self._eval(branch, env)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            args = [self._eval(a, env) for a in node.args]
            return FUNCTIONS[node.func.id](*args)
        if isinstance(node, ast.Subscript):
            value = self._eval(node.value, env)
            if isinstance(node.slice, ast.Slice):
                parts = (node.slice.lower, node.slice.upper, node.slice.step)
                lo, hi, st = (None if p is None else self._eval(p, env) for p in parts)
                return value[lo:hi:st]
            return value[self._eval(node.slice, env)]
        if isinstance(node, ast.List | ast.Tuple):
            return [self._eval(e, env) for e in node.elts]
        raise ExprError(f"{type(node).__name__} is not allowed in expressions")  # pragma: no cover
