"""Calculus: the derivative of f(x), and the second-derivative test at a critical point of f(x, y).

This module owns `derivative` and `hessian.critical_point`. The function `f` is a parameter typed
as text (`f=x^3-3x`); it is read with the answer parser (`engine.checking`), which never runs
the text as code, so the same rules apply to it as to a student's answer.

`solve` differentiates with the textbook rules (sum, product, power, chain; the derivative of
each elementary function), writing a step for every rule it uses, and evaluates exactly with
SymPy at the point. `reference` is independent: `derivative` takes SymPy's own `diff` for the
expression and torch autograd for the value at `at`; `hessian.critical_point` builds f as a
torch function and takes `torch.autograd.functional.jacobian`/`hessian` at the point, then
`torch.linalg.eigvalsh`.

The Hessian of f(x, y) at a point where the gradient is zero classifies it: both eigenvalues
positive → minimum, both negative → maximum, opposite signs → saddle, a zero eigenvalue →
degenerate (the second-derivative test says nothing). A point where the gradient is not zero is
refused: it is not a critical point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, model_validator

from engine.checking.build import Expr
from engine.checking.errors import AnswerError
from engine.checking.parse import parse_answer
from engine.errors import ProblemError
from engine.latex import matrix, num, paren, vector
from engine.params import ParamModel, Real, Vector
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

# |eigenvalue| at most this (relative to the largest) counts as zero: the test is inconclusive
ZERO_EIGENVALUE = 1e-9
# a gradient this small (times max(1, |f|) at the point) is zero: the point is critical
ZERO_GRADIENT = 1e-6
MAX_STEPS = 40


# --- reading f ------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def read_function(text: str, variables: tuple[str, ...]) -> Any:
    """f as a SymPy expression in `variables`, read by the safe answer parser."""
    import sympy

    try:
        item = parse_answer(text, "expression", symbols=variables).item
    except AnswerError as exc:
        raise ValueError(str(exc)) from None
    if isinstance(item, list):
        raise ValueError("must be one expression, not a list")
    if isinstance(item, Expr):
        return item.expr
    exact = item.exact
    if hasattr(exact, "numerator"):
        return sympy.Rational(exact.numerator, exact.denominator)
    return exact


def _function_of(*variables: str) -> Callable[[Any], str]:
    names = " and ".join(variables)

    def validate(v: Any) -> str:
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise ValueError(f"must be an expression in {names}, e.g. x^3 - 3x")
        text = str(v).strip()
        if not text:
            raise ValueError(f"must be an expression in {names}, e.g. x^3 - 3x")
        read_function(text, variables)
        return text

    return validate


FunctionOfX = Annotated[str, BeforeValidator(_function_of("x"))]
FunctionOfXY = Annotated[str, BeforeValidator(_function_of("x", "y"))]


def symbols(*names: str) -> list[Any]:
    from engine.checking.build import symbol

    return [symbol(n) for n in names]


# --- LaTeX for expressions (the engine.latex subset) -----------------------------------------

_NAMED = {"sin", "cos", "tan", "sinh", "cosh", "asin", "acos", "atan", "sign", "Abs"}


def tex(e: Any) -> str:
    """A SymPy expression in engine.latex's subset (\\operatorname for the trig functions)."""
    import sympy

    if e.is_Symbol:
        return str(e.name)
    if e is sympy.pi:
        return r"\pi"
    if e is sympy.E:
        return "e"
    if e.is_Integer:
        return num(int(e))
    if e.is_Rational:
        body = rf"\frac{{{abs(e.p)}}}{{{e.q}}}"
        return f"-{body}" if e.p < 0 else body
    if e.is_Float:
        return num(float(e))
    if e.is_Add:
        terms = e.as_ordered_terms()
        out = tex(terms[0])
        for t in terms[1:]:
            if t.could_extract_minus_sign():
                out += " - " + _factor(-t)
            else:
                out += " + " + tex(t)
        return out
    if e.is_Mul:
        if e.could_extract_minus_sign():
            return "-" + _factor(-e)
        numer, denom = sympy.fraction(e, exact=True)
        if denom != 1:
            return rf"\frac{{{tex(numer)}}}{{{tex(denom)}}}"
        factors = e.as_ordered_factors()
        pieces = [_factor(f) for f in factors]
        out = pieces[0]
        for piece in pieces[1:]:
            # numbers side by side need a dot (also numbers put in for x: "2 \cdot 0.5"),
            # a function name a thin space (x² sin(3x))
            if piece[:1].isdigit() or piece.startswith("("):
                joint = r" \cdot "
            elif piece.startswith(("\\operatorname", "\\ln", "\\tanh", "e^", "\\sqrt", "\\left")):
                joint = r" \, "
            else:
                joint = " "
            out += joint + piece
        return out
    if e.is_Pow:
        base, exponent = e.args
        if exponent == sympy.S.Half:
            return rf"\sqrt{{{tex(base)}}}"
        if exponent.is_Number and exponent < 0:
            return rf"\frac{{1}}{{{tex(base ** (-exponent))}}}"
        return f"{_base(base)}^{{{tex(exponent)}}}"
    name = type(e).__name__
    if name == "exp":
        return f"e^{{{tex(e.args[0])}}}"
    if name == "log":
        return rf"\ln\left({tex(e.args[0])}\right)"
    if name == "tanh":
        return rf"\tanh\left({tex(e.args[0])}\right)"
    if name in _NAMED:
        word = "abs" if name == "Abs" else name
        return rf"\operatorname{{{word}}}\left({tex(e.args[0])}\right)"
    return rf"\text{{{sympy.sstr(e)}}}"


def expression_latex(text: str) -> str:
    """An expression the engine wrote as text (an answer's `2*x`) as LaTeX of the subset (`2x`).

    The text is read back with the safe answer parser, never `eval`; x, y and the course's
    functions are the names it may use. Text that does not read as an expression stays words.
    """
    try:
        return tex(read_function(text, ("x", "y")))
    except ValueError:
        return rf"\text{{{text}}}"


def _factor(e: Any) -> str:
    """A factor of a product: sums in brackets."""
    return rf"\left({tex(e)}\right)" if e.is_Add else tex(e)


def _base(e: Any) -> str:
    """The base of a power: anything but a symbol or positive number in brackets."""
    if e.is_Symbol or (e.is_Number and e >= 0) or e.is_NumberSymbol:
        return tex(e)
    return rf"\left({tex(e)}\right)"


# --- differentiation by the rules, step by step ---------------------------------------------


class Differentiator:
    """d/dv of an expression by the textbook rules, recording one step per rule applied.

    The rules are written as the course states them (the product rule as a sum over factors,
    the power rule u^n → n·u^(n−1)·u′, the chain rule f(u)′ = f′(u)·u′); the results are SymPy
    expressions, so that they print and evaluate exactly.
    """

    def __init__(self, variable: Any, trace: Trace | None, label: str) -> None:
        self.v = variable
        self.trace = trace
        self.label = (
            label  # how the derivative is written: \frac{d}{dx} or \frac{\partial}{\partial x}
        )
        self.recorded = 0

    def __call__(self, e: Any) -> Any:
        return self.d(e)

    def _step(self, title: str, rule: str, e: Any, result: Any) -> None:
        if self.trace is None or self.recorded >= MAX_STEPS:
            return
        import sympy

        self.recorded += 1
        # the rule is named in the title (it is an identity, not a value of this step), so
        # the step reads d/dx(u) = result and nothing else is chained to it
        self.trace.step(
            f"{title}: {rule}",
            rf"{self.label}\left({tex(e)}\right)",
            "",
            sympy.sstr(result),
            shown=tex(result),
        )

    def d(self, e: Any) -> Any:
        import sympy

        v = self.v
        if not e.has(v):
            return sympy.S.Zero
        if e == v:
            return sympy.S.One
        if e.is_Add:
            result = sympy.Add(*[self.d(t) for t in e.args])
            if sum(1 for t in e.args if t.has(v)) > 1:
                self._step("Sum rule, term by term", "(u + w)′ = u′ + w′", e, result)
            return result
        if e.is_Mul:
            args = list(e.args)
            terms = []
            for i, factor in enumerate(args):
                di = self.d(factor)
                if di != 0:
                    terms.append(sympy.Mul(*args[:i], di, *args[i + 1 :]))
            result = sympy.Add(*terms)
            if sum(1 for a in args if a.has(v)) > 1:
                self._step("Product rule", "(u·w)′ = u′·w + u·w′", e, result)
            return result
        if e.is_Pow:
            return self._power(e)
        return self._function(e)

    def _power(self, e: Any) -> Any:
        import sympy

        base, exponent = e.args
        db, dn = self.d(base), self.d(exponent)
        # u^w = e^{w ln u}: (u^w)' = u^w (w' ln u + w u'/u); with w constant, n u^{n-1} u'
        result = e * (dn * sympy.log(base) + db * exponent / base)
        if dn == 0:
            chain = "" if base == self.v else " with the chain rule"
            if exponent == sympy.S.Half:
                rule = "(√u)′ = u′/(2√u)"
            elif exponent.is_Number and exponent < 0:
                rule = "(1/uⁿ)′ = −n·u′/uⁿ⁺¹"
            else:
                rule = "(uⁿ)′ = n·uⁿ⁻¹·u′"
            self._step(f"Power rule{chain}", rule, e, result)
        elif db == 0:
            self._step("Exponential rule", "(aᵘ)′ = aᵘ·ln(a)·u′", e, result)
        else:
            self._step(
                "Variable base and exponent",
                "(uʷ)′ = uʷ·(w′·ln(u) + w·u′/u)",
                e,
                result,
            )
        return result

    def _function(self, e: Any) -> Any:
        import sympy

        name = type(e).__name__
        if len(e.args) != 1 or name not in _OUTER:
            raise ProblemError("f", f"cannot differentiate {sympy.sstr(e)}")
        u = e.args[0]
        outer, rule = _OUTER[name]
        inner = self.d(u)
        result = outer(u) * inner
        chain = u != self.v
        title = f"Derivative of {name.lower()}" + (" with the chain rule" if chain else "")
        self._step(title, rule + ("·u′" if chain else ""), e, result)
        return result


def _outer_table() -> dict[str, tuple[Callable[[Any], Any], str]]:
    def lazy(fn: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
        def apply(u: Any) -> Any:
            import sympy

            return fn(sympy, u)

        return apply

    return {
        "exp": (lazy(lambda s, u: s.exp(u)), "(eᵘ)′ = eᵘ"),
        "log": (lazy(lambda s, u: 1 / u), "(ln u)′ = 1/u"),
        "sin": (lazy(lambda s, u: s.cos(u)), "sin′(u) = cos(u)"),
        "cos": (lazy(lambda s, u: -s.sin(u)), "cos′(u) = −sin(u)"),
        "tan": (
            lazy(lambda s, u: s.tan(u) ** 2 + 1),
            "tan′(u) = 1 + tan²(u)",
        ),
        "sinh": (lazy(lambda s, u: s.cosh(u)), "sinh′(u) = cosh(u)"),
        "cosh": (lazy(lambda s, u: s.sinh(u)), "cosh′(u) = sinh(u)"),
        "tanh": (lazy(lambda s, u: 1 - s.tanh(u) ** 2), "tanh′(u) = 1 − tanh²(u)"),
        "asin": (
            lazy(lambda s, u: 1 / s.sqrt(1 - u**2)),
            "asin′(u) = 1/√(1 − u²)",
        ),
        "acos": (
            lazy(lambda s, u: -1 / s.sqrt(1 - u**2)),
            "acos′(u) = −1/√(1 − u²)",
        ),
        "atan": (
            lazy(lambda s, u: 1 / (u**2 + 1)),
            "atan′(u) = 1/(1 + u²)",
        ),
        "Abs": (lazy(lambda s, u: s.sign(u)), "|u|′ = sign(u)"),
        # sign is flat away from 0: what abs differentiates into a second time
        "sign": (lazy(lambda s, u: s.S.Zero), "sign′(u) = 0 (u ≠ 0)"),
    }


_OUTER = _outer_table()


def exact_at(e: Any, point: dict[Any, float]) -> float:
    """The value of an expression at a point, evaluated exactly (then rounded to a float)."""
    import sympy

    # the point's floats as exact rationals: 3x² − 3 at x = 1.0 is exactly 0, not 1e-165
    exact = e.xreplace({k: sympy.Rational(v) for k, v in point.items()})
    if not exact.is_number or exact.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ValueError("undefined")
    value = exact.evalf(30)
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ValueError("undefined")
    if not value.is_real:
        raise ValueError("not real")
    return float(value)


# --- torch translation (for the references) --------------------------------------------------


def torch_library() -> dict[str, Callable[..., Any]]:
    """The functions `engine.checking.symbolic.evaluate` needs, as torch operations."""
    import torch

    def power(base: Any, exponent: Any) -> Any:
        if isinstance(exponent, int):
            return base**exponent
        return torch.pow(base, exponent)

    return {
        "exp": torch.exp,
        "log": torch.log,
        "sin": torch.sin,
        "cos": torch.cos,
        "tan": torch.tan,
        "sinh": torch.sinh,
        "cosh": torch.cosh,
        "tanh": torch.tanh,
        "asin": torch.asin,
        "acos": torch.acos,
        "atan": torch.atan,
        "Abs": torch.abs,
        "sign": torch.sign,
        "sqrt": torch.sqrt,
        "pow": power,
    }


# --- derivative -----------------------------------------------------------------------------


@lru_cache(maxsize=256)
def derivative_of(text: str) -> tuple[Any, Any, Any]:
    """(x, f, f′) for f typed as text, without a trace (validation and misconceptions)."""
    (x,) = symbols("x")
    f = read_function(text, ("x",))
    return x, f, Differentiator(x, None, "")(f)


class DerivativeParams(ParamModel):
    f: FunctionOfX
    at: Real | None = None

    @model_validator(mode="after")
    def _defined_at(self) -> DerivativeParams:
        if self.at is None:
            return self
        x, f, d = derivative_of(self.f)
        try:
            exact_at(f, {x: self.at})
            exact_at(d, {x: self.at})
        except (ValueError, TypeError, ZeroDivisionError):
            raise ProblemError(
                "at", f"f or its derivative is not defined at x = {num(self.at)}"
            ) from None
        return self


class Derivative(Problem[DerivativeParams]):
    id = "derivative"
    summary = "The derivative f′(x) of an expression by the rules (and its value at x = at)."
    topic = "calculus"
    Params = DerivativeParams
    symbolic_work = True
    # checking reads this part as an expression (equivalence, not string equality)
    expression_parts = ("derivative",)

    def _derivative(self, p: DerivativeParams) -> tuple[Any, Any, Any]:
        return derivative_of(p.f)

    def expressions(self, p: DerivativeParams) -> dict[str, Any]:
        return {"derivative": derivative_of(p.f)[2]}

    def solve(self, p: DerivativeParams, trace: Trace) -> Any:
        import sympy

        x, f, _ = derivative_of(p.f)
        trace.step("The function", "f(x)", "", sympy.sstr(f), shown=tex(f))
        d = Differentiator(x, trace, r"\frac{d}{dx}")(f)
        text = sympy.sstr(d)
        trace.step("The derivative", "f'(x)", "", text, shown=tex(d))
        value = None
        if p.at is not None:
            value = exact_at(d, {x: p.at})
            # x replaced by a symbol named after the number: the formula with the number put in
            put_in = d.xreplace({x: sympy.Symbol(paren(p.at) if p.at >= 0 else f"({num(p.at)})")})
            trace.step(f"Value at x = {num(p.at)}", rf"f'({num(p.at)})", tex(put_in), value)
        return {"derivative": text, "value": value}

    def reference(self, p: DerivativeParams, device: torch.device) -> Any:
        import sympy
        import torch

        from engine.checking.symbolic import evaluate

        (x,) = symbols("x")
        f = read_function(p.f, ("x",))
        text = sympy.sstr(sympy.diff(f, x))
        value = None
        if p.at is not None:
            t = torch.tensor(p.at, dtype=torch.float64, device=device, requires_grad=True)
            y = evaluate(f, {"x": t}, torch_library())
            if not isinstance(y, torch.Tensor) or not y.requires_grad:
                value = 0.0  # f does not depend on x
            else:
                (g,) = torch.autograd.grad(y, t)
                value = float(g.item())
        return {"derivative": text, "value": value}

    def _wrong_derivative(
        self, p: DerivativeParams, rule: Callable[[Any, Any], Any], explanation: str
    ) -> Wrong | None:
        """f′ by a mistaken `rule` (None where it does not apply), unless it equals the right f′."""
        import sympy

        x, f, d = self._derivative(p)
        wrong = rule(f, x)
        if wrong is None or sympy.expand(wrong - d) == 0:
            return None
        return Wrong(sympy.sstr(wrong), explanation)

    @misconception("forgot_chain_rule", part="derivative")
    def _forgot_chain_rule(self, p: DerivativeParams) -> Wrong | None:
        return self._wrong_derivative(
            p,
            _without_chain,
            "You differentiated the outer function but did not multiply by the derivative of "
            "what is inside it: the chain rule gives f(u)′ = f′(u)·u′.",
        )

    @misconception("forgot_product_rule", part="derivative")
    def _forgot_product_rule(self, p: DerivativeParams) -> Wrong | None:
        return self._wrong_derivative(
            p,
            _product_of_derivatives,
            "You multiplied the derivatives of the factors, but the derivative of a product is "
            "(u·w)′ = u′·w + u·w′.",
        )

    @misconception("power_rule_exponent", part="derivative")
    def _power_rule_exponent(self, p: DerivativeParams) -> Wrong | None:
        return self._wrong_derivative(
            p,
            _keep_exponent,
            "You brought the exponent down but did not lower it by one: (xⁿ)′ = n·xⁿ⁻¹.",
        )


def _product_of_derivatives(f: Any, x: Any) -> Any:
    """f′ with (u·w)′ taken as u′·w′ (the product rule forgotten); None if f has no product."""
    import sympy

    found = False

    def d(e: Any) -> Any:
        nonlocal found
        if e.is_Add:
            return sympy.Add(*[d(t) for t in e.args])
        if e.is_Mul:
            varying = [a for a in e.args if a.has(x)]
            if len(varying) > 1:
                found = True
                constant = sympy.Mul(*[a for a in e.args if not a.has(x)])
                return constant * sympy.Mul(*[Differentiator(x, None, "")(a) for a in varying])
        return Differentiator(x, None, "")(e)

    wrong = d(f)
    return wrong if found else None


#: a misconception's rule for one term: its (wrong) derivative and whether the mistake changed
#: it, or None to differentiate the term correctly
TermRule = Callable[[Any, Callable[[Any], Any]], tuple[Any, bool] | None]


def _misdifferentiate(f: Any, x: Any, rule: TermRule) -> Any:
    """f′ by the sum and product rules, each other term by `rule` (or correctly when it passes);
    None if the mistake changed nothing."""
    import sympy

    found = False

    def d(e: Any) -> Any:
        nonlocal found
        if not e.has(x):
            return sympy.S.Zero
        if e == x:
            return sympy.S.One
        if e.is_Add:
            return sympy.Add(*[d(t) for t in e.args])
        if e.is_Mul:
            args = list(e.args)
            return sympy.Add(
                *[sympy.Mul(*args[:i], d(a), *args[i + 1 :]) for i, a in enumerate(args)]
            )
        taken = rule(e, d)
        if taken is None:
            return Differentiator(x, None, "")(e)
        value, mistaken = taken
        found = found or mistaken
        return value

    wrong = d(f)
    return wrong if found else None


def _without_chain(f: Any, x: Any) -> Any:
    """f′ with every inner derivative left out (the chain rule forgotten); None if no chain."""

    def rule(e: Any, d: Callable[[Any], Any]) -> tuple[Any, bool] | None:
        if e.is_Pow:
            base, n = e.args
            return None if n.has(x) else (n * base ** (n - 1), base != x)
        name = type(e).__name__
        if name in _OUTER and len(e.args) == 1:
            return _OUTER[name][0](e.args[0]), e.args[0] != x
        return None

    return _misdifferentiate(f, x, rule)


def _keep_exponent(f: Any, x: Any) -> Any:
    """f′ with (uⁿ)′ taken as n·uⁿ (exponent not lowered); None if f has no such power."""

    def rule(e: Any, d: Callable[[Any], Any]) -> tuple[Any, bool] | None:
        if e.is_Pow and not e.args[1].has(x) and e.args[1] != 1:
            base, n = e.args
            return n * base**n * d(base), True
        return None

    return _misdifferentiate(f, x, rule)


# --- hessian.critical_point -----------------------------------------------------------------


class HessianParams(ParamModel):
    f: FunctionOfXY
    point: Vector

    @model_validator(mode="after")
    def _critical(self) -> HessianParams:
        if len(self.point) != 2:
            raise ProblemError(
                "point",
                f"must be [x, y], got {len(self.point)} number{'s' if len(self.point) != 1 else ''}",
            )
        try:
            gradient = _gradient_at(self)
        except (ValueError, TypeError, ZeroDivisionError):
            raise ProblemError(
                "point", f"f or its derivatives are not defined at {vector_text(self.point)}"
            ) from None
        if max(abs(g) for g in gradient) > ZERO_GRADIENT * max(1.0, abs(_value_at(self))):
            shown = ", ".join(f"{g:.4g}" for g in gradient)
            raise ProblemError(
                "point",
                f"the gradient of f at {vector_text(self.point)} is ({shown}), not zero: "
                "this is not a critical point",
            )
        return self


def vector_text(v: list[float]) -> str:
    return "(" + ", ".join(f"{x:g}" for x in v) + ")"


@lru_cache(maxsize=256)
def partials(text: str) -> tuple[Any, ...]:
    """(x, y, f, f_x, f_y, f_xx, f_xy, f_yy) for f typed as text, without a trace."""
    x, y = symbols("x", "y")
    f = read_function(text, ("x", "y"))
    fx, fy = Differentiator(x, None, "")(f), Differentiator(y, None, "")(f)
    fxx, fxy = Differentiator(x, None, "")(fx), Differentiator(y, None, "")(fx)
    fyy = Differentiator(y, None, "")(fy)
    return x, y, f, fx, fy, fxx, fxy, fyy


def _value_at(p: HessianParams) -> float:
    x, y, f, *_ = partials(p.f)
    return exact_at(f, {x: p.point[0], y: p.point[1]})


def _gradient_at(p: HessianParams) -> list[float]:
    x, y, _, fx, fy, *_ = partials(p.f)
    at = {x: p.point[0], y: p.point[1]}
    return [exact_at(fx, at), exact_at(fy, at)]


@lru_cache(maxsize=256)
def _hessian_answer(text: str, x0: float, y0: float) -> dict[str, Any]:
    """The answer without a trace (for misconception rules)."""
    x, y, _, fx, fy, fxx, fxy, fyy = partials(text)
    at = {x: x0, y: y0}
    a, b, c = exact_at(fxx, at), exact_at(fxy, at), exact_at(fyy, at)
    eigenvalues = eigenvalues_2x2(a, b, c)
    return {
        "gradient": [exact_at(fx, at), exact_at(fy, at)],
        "hessian": [[a, b], [b, c]],
        "eigenvalues": eigenvalues,
        "kind": classify(eigenvalues),
    }


def eigenvalues_2x2(a: float, b: float, c: float) -> list[float]:
    """Eigenvalues of [[a, b], [b, c]], ascending: (a+c)/2 ∓ √(((a−c)/2)² + b²)."""
    mid = (a + c) / 2
    radius = math.hypot((a - c) / 2, b)
    return [mid - radius, mid + radius]


def classify(eigenvalues: list[float]) -> str:
    scale = max(1.0, *(abs(v) for v in eigenvalues))
    tiny = ZERO_EIGENVALUE * scale
    if any(abs(v) <= tiny for v in eigenvalues):
        return "degenerate"
    if all(v > 0 for v in eigenvalues):
        return "minimum"
    if all(v < 0 for v in eigenvalues):
        return "maximum"
    return "saddle"


def _test_sentence(eigenvalues: list[float], kind: str, where: str) -> str:
    """The second-derivative test as a sentence: the signs of λ₁ and λ₂, and what they mean."""
    first, second = (num(v).replace("-", "−") for v in eigenvalues)
    signs = {
        "minimum": "both positive, so the Hessian is positive definite",
        "maximum": "both negative, so the Hessian is negative definite",
        "saddle": "of opposite signs, so the Hessian is indefinite",
        "degenerate": "with one of them 0, so the test cannot decide",
    }[kind]
    point = {
        "minimum": f"{where} is a local minimum.",
        "maximum": f"{where} is a local maximum.",
        "saddle": f"{where} is a saddle point.",
        "degenerate": f"{where} is a degenerate critical point.",
    }[kind]
    return f"λ₁ = {first} and λ₂ = {second} are {signs}: {point}"


class HessianCriticalPoint(Problem[HessianParams]):
    id = "hessian.critical_point"
    symbolic_work = True
    summary = (
        "Classify a critical point of f(x, y) by the eigenvalues of its Hessian "
        "(minimum, maximum, saddle or degenerate)."
    )
    topic = "calculus"
    Params = HessianParams

    def solve(self, p: HessianParams, trace: Trace) -> Any:
        import sympy

        x, y, f, *_ = partials(p.f)
        x0, y0 = p.point
        at = {x: x0, y: y0}
        where = f"({num(x0)}, {num(y0)})"
        trace.step("The function", "f(x, y)", "", sympy.sstr(f), shown=tex(f))
        fx = Differentiator(x, trace, r"\frac{\partial}{\partial x}")(f)
        fy = Differentiator(y, trace, r"\frac{\partial}{\partial y}")(f)
        trace.step(
            "Gradient",
            r"\nabla f = \left[\frac{\partial f}{\partial x}, \frac{\partial f}{\partial y}\right]",
            "",
            [sympy.sstr(fx), sympy.sstr(fy)],
            shown=rf"\left[{tex(fx)}, {tex(fy)}\right]",
        )
        gradient = [exact_at(fx, at), exact_at(fy, at)]
        trace.step(
            f"Gradient at {where}: zero, so a critical point",
            rf"\nabla f{where}",
            vector(gradient),
            gradient,
        )
        # second derivatives by the same rules, without a step per rule (the first pass showed them)
        fxx = Differentiator(x, None, "")(fx)
        fxy = Differentiator(y, None, "")(fx)
        fyy = Differentiator(y, None, "")(fy)
        trace.step(
            "Second derivatives",
            r"H = \begin{bmatrix} f_{xx} & f_{xy} \\ f_{xy} & f_{yy} \end{bmatrix}",
            "",
            [[sympy.sstr(fxx), sympy.sstr(fxy)], [sympy.sstr(fxy), sympy.sstr(fyy)]],
            shown=r"\begin{bmatrix} "
            + f"{tex(fxx)} & {tex(fxy)} \\\\ {tex(fxy)} & {tex(fyy)}"
            + r" \end{bmatrix}",
        )
        a, b, c = exact_at(fxx, at), exact_at(fxy, at), exact_at(fyy, at)
        hessian = [[a, b], [b, c]]
        trace.step(f"Hessian at {where}", rf"H{where}", matrix(hessian), hessian)
        eigenvalues = eigenvalues_2x2(a, b, c)
        trace.step(
            "Eigenvalues of the symmetric 2×2 Hessian",
            r"\lambda = \frac{a + c}{2} \mp \sqrt{\left(\frac{a - c}{2}\right)^{2} + b^{2}}",
            rf"\frac{{{num(a)} + {paren(c)}}}{{2}} \mp \sqrt{{\left(\frac{{{num(a)} - "
            rf"{paren(c)}}}{{2}}\right)^{{2}} + {paren(b)}^{{2}}}}",
            eigenvalues,
        )
        kind = classify(eigenvalues)
        trace.note("Second-derivative test", _test_sentence(eigenvalues, kind, where))
        return {"gradient": gradient, "hessian": hessian, "eigenvalues": eigenvalues, "kind": kind}

    def reference(self, p: HessianParams, device: torch.device) -> Any:
        import torch
        from torch.autograd.functional import hessian, jacobian

        from engine.checking.symbolic import evaluate

        f = read_function(p.f, ("x", "y"))
        lib = torch_library()

        def fn(v: torch.Tensor) -> torch.Tensor:
            out = evaluate(f, {"x": v[0], "y": v[1]}, lib)
            if not isinstance(out, torch.Tensor):
                out = v.new_tensor(float(out))
            return out + 0 * v.sum()  # depends on v even when f is constant

        point = torch.tensor(p.point, dtype=torch.float64, device=device)
        gradient = jacobian(fn, point)
        h = hessian(fn, point)
        h = (h + h.T) / 2  # autograd's mixed partials agree to rounding; eigvalsh wants symmetry
        eigenvalues = torch.linalg.eigvalsh(h)
        values = [float(v) for v in eigenvalues.cpu()]
        return {
            "gradient": [float(g) for g in gradient.cpu()],
            "hessian": [[float(v) for v in row] for row in h.cpu()],
            "eigenvalues": values,
            "kind": classify(values),
        }

    @misconception("determinant_only", part="kind")
    def _determinant_only(self, p: HessianParams) -> Wrong | None:
        answer = _hessian_answer(p.f, *p.point)
        (a, b), (_, c) = answer["hessian"]
        det = a * c - b * b
        if answer["kind"] != "maximum" or det <= 0:
            return None
        return Wrong(
            "minimum",
            "A positive determinant only says both eigenvalues have the same sign: here both are "
            "negative (f_xx < 0), so the point is a maximum, not a minimum.",
        )

    @misconception("trace_sign", part="kind")
    def _trace_sign(self, p: HessianParams) -> Wrong | None:
        answer = _hessian_answer(p.f, *p.point)
        if answer["kind"] != "saddle":
            return None
        total = sum(answer["eigenvalues"])
        wrong = "minimum" if total > 0 else "maximum"
        return Wrong(
            wrong,
            "You judged by the sign of f_xx + f_yy (the trace), but the eigenvalues have opposite "
            "signs: the point is a saddle. Check the sign of each eigenvalue (or det H < 0).",
        )

    @misconception("gradient_not_hessian", part="eigenvalues")
    def _gradient_not_hessian(self, p: HessianParams) -> Wrong | None:
        answer = _hessian_answer(p.f, *p.point)
        h = answer["hessian"]
        diagonal = sorted([h[0][0], h[1][1]])
        if h[0][1] == 0 or diagonal == answer["eigenvalues"]:
            return None
        return Wrong(
            diagonal,
            "You took the diagonal entries f_xx and f_yy as the eigenvalues, but the Hessian has "
            "a mixed term f_xy ≠ 0: solve det(H − λI) = 0.",
        )
