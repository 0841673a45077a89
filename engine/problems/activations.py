"""Activation functions and their derivatives, and maxout units.

This module owns `activation` (value and derivative of one of nine element-wise activations, at a
number or at each entry of a list) and `activation.maxout`. It also holds small helpers the other
fully-connected modules share: a number-or-list parameter type and a numerically safe sigmoid.

Where the activations have a kink (ReLU and leaky ReLU at 0, ELU at 0) the derivative is the one
PyTorch's autograd returns: ReLU′(0) = 0, leaky ReLU′(0) = slope, ELU′(0) = α.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from engine.errors import ProblemError
from engine.latex import num, paren
from engine.params import Matrix, ParamModel, Real, Vector, real_or_vector
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

# --- helpers shared by the fully connected modules ------------------------------------------


# one message for every failure (an empty, nested or non-finite list too): it names what fits
NumberOrVector = Annotated[
    float | list[float],
    BeforeValidator(real_or_vector("must be a number or a non-empty flat list of finite numbers")),
]


def sigmoid(x: float) -> float:
    """σ(x) without overflow for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def as_list(v: float | list[float]) -> list[float]:
    return list(v) if isinstance(v, list) else [v]


def like(shape_of: float | list[float], values: Sequence[Any]) -> Any:
    """A number when the input was a number, else a list: answers follow the shape of `x`."""
    return list(values) if isinstance(shape_of, list) else values[0]


def mat_vec(a: Sequence[Sequence[float]], v: Sequence[float]) -> list[float]:
    return [math.fsum(w * x for w, x in zip(row, v)) for row in a]


def dot_latex(row: Sequence[float], v: Sequence[float]) -> str:
    """`w·x` written out as `a·b + c·d + …` with the numbers put in."""
    return " + ".join(rf"{paren(w)} \cdot {paren(x)}" for w, x in zip(row, v))


# --- activation ----------------------------------------------------------------------------

ActivationName = Literal[
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus"
]

# F.softplus returns x itself where beta·x exceeds this, to stay exact and avoid overflow
SOFTPLUS_THRESHOLD = 20.0
GELU_TANH_C = math.sqrt(2.0 / math.pi)
GELU_TANH_K = 0.044715


class ActivationParams(ParamModel):
    name: ActivationName = Field(description="which activation")
    x: NumberOrVector = Field(description="a number, or a list of numbers (element-wise)")
    slope: Real = Field(0.01, description="leaky ReLU slope for x ≤ 0 (PyTorch default 0.01)")
    alpha: Real = Field(1.0, description="ELU scale α for x ≤ 0")
    beta: Real = Field(1.0, description="softplus sharpness β: (1/β)·ln(1 + e^(βx))")

    @model_validator(mode="after")
    def _check(self) -> ActivationParams:
        if self.name == "softplus" and self.beta <= 0:
            raise ProblemError("beta", f"softplus needs beta > 0, got {num(self.beta)}")
        return self


def _value(name: str, x: float, p: ActivationParams) -> float:
    if name == "sigmoid":
        return sigmoid(x)
    if name == "tanh":
        return math.tanh(x)
    if name == "relu":
        return x if x > 0 else 0.0
    if name == "leaky_relu":
        return x if x > 0 else p.slope * x
    if name == "elu":
        return x if x > 0 else p.alpha * math.expm1(x)
    if name == "gelu":
        return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))
    if name == "gelu_tanh":
        return 0.5 * x * (1.0 + math.tanh(GELU_TANH_C * (x + GELU_TANH_K * x**3)))
    if name == "silu":
        return x * sigmoid(x)
    if name == "softplus":
        bx = p.beta * x
        return x if bx > SOFTPLUS_THRESHOLD else math.log1p(math.exp(bx)) / p.beta
    raise AssertionError(name)


def _derivative(name: str, x: float, p: ActivationParams) -> float:
    if name == "sigmoid":
        s = sigmoid(x)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - math.tanh(x) ** 2
    if name == "relu":
        return 1.0 if x > 0 else 0.0
    if name == "leaky_relu":
        return 1.0 if x > 0 else p.slope
    if name == "elu":
        return 1.0 if x > 0 else p.alpha * math.exp(x)
    if name == "gelu":
        cdf = 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))
        pdf = math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
        return cdf + x * pdf
    if name == "gelu_tanh":
        t = math.tanh(GELU_TANH_C * (x + GELU_TANH_K * x**3))
        inner = GELU_TANH_C * (1.0 + 3.0 * GELU_TANH_K * x * x)
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inner
    if name == "silu":
        s = sigmoid(x)
        return s * (1.0 + x * (1.0 - s))
    if name == "softplus":
        bx = p.beta * x
        return 1.0 if bx > SOFTPLUS_THRESHOLD else sigmoid(bx)
    raise AssertionError(name)


def _value_latex(name: str, x: float, p: ActivationParams) -> tuple[str, str]:
    """(formula, formula with the numbers put in) for the value at x."""
    X = paren(x)
    if name == "sigmoid":
        return r"\sigma(x) = \frac{1}{1 + e^{-x}}", rf"\frac{{1}}{{1 + e^{{-{X}}}}}"
    if name == "tanh":
        return (
            r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
            rf"\frac{{e^{{{X}}} - e^{{-{X}}}}}{{e^{{{X}}} + e^{{-{X}}}}}",
        )
    if name == "relu":
        return r"\operatorname{ReLU}(x) = \max(0, x)", rf"\max(0, {num(x)})"
    if name == "leaky_relu":
        if x > 0:
            return r"\operatorname{LeakyReLU}(x) = x \text{ for } x > 0", num(x)
        return (
            r"\operatorname{LeakyReLU}(x) = a \cdot x \text{ for } x \le 0",
            rf"{num(p.slope)} \cdot {X}",
        )
    if name == "elu":
        # x ≥ 0 takes the identity piece, as the questions state ELU; at 0 both pieces give 0
        if x >= 0:
            return r"\operatorname{ELU}(x) = x \text{ for } x \ge 0", num(x)
        return (
            r"\operatorname{ELU}(x) = \alpha (e^{x} - 1) \text{ for } x < 0",
            rf"{num(p.alpha)} \cdot (e^{{{X}}} - 1)",
        )
    if name == "gelu":
        return (
            r"\operatorname{GELU}(x) = x \, \Phi(x) = \frac{x}{2} \left(1 + "
            r"\operatorname{erf}\left(\frac{x}{\sqrt{2}}\right)\right)",
            rf"\frac{{{num(x)}}}{{2}} \left(1 + \operatorname{{erf}}\left(\frac{{{num(x)}}}{{\sqrt{{2}}}}"
            r"\right)\right)",
        )
    if name == "gelu_tanh":
        return (
            r"\frac{x}{2} \left(1 + \tanh\left(\sqrt{\frac{2}{\pi}} (x + 0.044715 x^{3})"
            r"\right)\right)",
            rf"\frac{{{num(x)}}}{{2}} \left(1 + \tanh\left(\sqrt{{\frac{{2}}{{\pi}}}} ({num(x)} + "
            rf"0.044715 \cdot {X}^{{3}})\right)\right)",
        )
    if name == "silu":
        return r"\operatorname{SiLU}(x) = x \, \sigma(x)", rf"{X} \cdot \sigma({X})"
    if name == "softplus":
        if p.beta * x > SOFTPLUS_THRESHOLD:
            return (
                r"\operatorname{softplus}(x) = x \text{ when } \beta x > 20 \text{ (as PyTorch)}",
                num(x),
            )
        return (
            r"\operatorname{softplus}(x) = \frac{1}{\beta} \ln(1 + e^{\beta x})",
            rf"\frac{{1}}{{{num(p.beta)}}} \ln(1 + e^{{{num(p.beta)} \cdot {X}}})",
        )
    raise AssertionError(name)


def _derivative_latex(name: str, x: float, p: ActivationParams) -> tuple[str, str]:
    """(formula, formula with the numbers put in) for the derivative at x."""
    X = paren(x)
    if name == "sigmoid":
        s = sigmoid(x)
        return r"\sigma'(x) = \sigma(x) (1 - \sigma(x))", rf"{num(s)} \cdot (1 - {num(s)})"
    if name == "tanh":
        return r"\tanh'(x) = 1 - \tanh^{2}(x)", rf"1 - {paren(math.tanh(x))}^{{2}}"
    if name == "relu":
        if x > 0:
            return r"\operatorname{ReLU}'(x) = 1 \text{ for } x > 0", "1"
        return (
            r"\operatorname{ReLU}'(x) = 0 \text{ for } x \le 0 \text{ (PyTorch takes 0 at 0)}",
            "0",
        )
    if name == "leaky_relu":
        if x > 0:
            return r"\operatorname{LeakyReLU}'(x) = 1 \text{ for } x > 0", "1"
        return r"\operatorname{LeakyReLU}'(x) = a \text{ for } x \le 0", num(p.slope)
    if name == "elu":
        if x > 0:
            return r"\operatorname{ELU}'(x) = 1 \text{ for } x > 0", "1"
        if x == 0:
            return (
                r"\operatorname{ELU}'(0) = \alpha e^{0} \text{ (PyTorch takes the left piece at 0)}",
                rf"{num(p.alpha)} \cdot e^{{0}}",
            )
        return (
            r"\operatorname{ELU}'(x) = \alpha e^{x} \text{ for } x < 0",
            rf"{num(p.alpha)} \cdot e^{{{X}}}",
        )
    if name == "gelu":
        cdf = 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))
        return (
            r"\operatorname{GELU}'(x) = \Phi(x) + x \, \frac{e^{-x^{2}/2}}{\sqrt{2 \pi}}",
            rf"{num(cdf)} + {X} \cdot \frac{{e^{{-{X}^{{2}}/2}}}}{{\sqrt{{2 \pi}}}}",
        )
    if name == "gelu_tanh":
        t = math.tanh(GELU_TANH_C * (x + GELU_TANH_K * x**3))
        return (
            r"\frac{1}{2}(1 + t) + \frac{x}{2}(1 - t^{2}) \sqrt{\frac{2}{\pi}} "
            r"(1 + 3 \cdot 0.044715 x^{2}), \quad t = \tanh\left(\sqrt{\frac{2}{\pi}} "
            r"(x + 0.044715 x^{3})\right)",
            rf"\frac{{1}}{{2}}(1 + {paren(t)}) + \frac{{{num(x)}}}{{2}}(1 - {paren(t)}^{{2}}) "
            rf"\sqrt{{\frac{{2}}{{\pi}}}} (1 + 3 \cdot 0.044715 \cdot {X}^{{2}})",
        )
    if name == "silu":
        s = sigmoid(x)
        return (
            r"\operatorname{SiLU}'(x) = \sigma(x) (1 + x (1 - \sigma(x)))",
            rf"{num(s)} \cdot (1 + {X} \cdot (1 - {num(s)}))",
        )
    if name == "softplus":
        if p.beta * x > SOFTPLUS_THRESHOLD:
            return (
                r"\operatorname{softplus}'(x) = 1 \text{ when } \beta x > 20 \text{ (as PyTorch)}",
                "1",
            )
        return (
            r"\operatorname{softplus}'(x) = \sigma(\beta x) = \frac{1}{1 + e^{-\beta x}}",
            rf"\frac{{1}}{{1 + e^{{-{num(p.beta)} \cdot {X}}}}}",
        )
    raise AssertionError(name)


# how the right derivative reads in feedback sentences
DERIVATIVE_RULE = {
    "sigmoid": "σ′(x) = σ(x)(1 − σ(x))",
    "tanh": "tanh′(x) = 1 − tanh²(x)",
    "relu": "ReLU′(x) = 1 for x > 0, else 0",
    "leaky_relu": "LeakyReLU′(x) = 1 for x > 0, else the slope",
    "elu": "ELU′(x) = 1 for x > 0, else α·eˣ",
    "gelu": "GELU′(x) = Φ(x) + x·φ(x)",
    "gelu_tanh": "the product rule on ½x(1 + tanh(√(2/π)(x + 0.044715x³)))",
    "silu": "SiLU′(x) = σ(x)(1 + x(1 − σ(x)))",
    "softplus": "softplus′(x) = σ(βx)",
}


def _fmt(values: Sequence[float] | float) -> str:
    """Numbers for a feedback sentence."""
    if isinstance(values, int | float):
        return f"{values:.4g}"
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


class Activation(Problem[ActivationParams]):
    id = "activation"
    summary = (
        "Value and derivative of an activation (sigmoid, tanh, ReLU, leaky ReLU, ELU, GELU, "
        "SiLU, softplus) at x, as PyTorch's autograd gives them."
    )
    topic = "fc"
    Params = ActivationParams

    def solve(self, p: ActivationParams, trace: Trace) -> Any:
        xs = as_list(p.x)
        values, derivatives = [], []
        for i, x in enumerate(xs):
            where = f" at x = {_fmt(x)}" + (f" (entry {i + 1})" if len(xs) > 1 else "")
            formula, subst = _value_latex(p.name, x, p)
            values.append(trace.step("Value" + where, formula, subst, _value(p.name, x, p)))
            formula, subst = _derivative_latex(p.name, x, p)
            derivatives.append(
                trace.step("Derivative" + where, formula, subst, _derivative(p.name, x, p))
            )
        return {"value": like(p.x, values), "derivative": like(p.x, derivatives)}

    def reference(self, p: ActivationParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        fns: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
            "sigmoid": torch.sigmoid,
            "tanh": torch.tanh,
            "relu": F.relu,
            "leaky_relu": lambda t: F.leaky_relu(t, negative_slope=p.slope),
            "elu": lambda t: F.elu(t, alpha=p.alpha),
            "gelu": lambda t: F.gelu(t, approximate="none"),
            "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
            "silu": F.silu,
            "softplus": lambda t: F.softplus(t, beta=p.beta, threshold=SOFTPLUS_THRESHOLD),
        }
        x = torch.tensor(as_list(p.x), dtype=torch.float64, device=device, requires_grad=True)
        y = fns[p.name](x)
        # the activation acts entry by entry, so the gradient of the sum is each derivative
        (grad,) = torch.autograd.grad(y.sum(), x)
        return {
            "value": like(p.x, y.detach().cpu().tolist()),
            "derivative": like(p.x, grad.cpu().tolist()),
        }

    def _under(self, p: ActivationParams, **changes: Any) -> Any:
        return self.solve(p.model_copy(update=changes), Trace())

    @misconception("wrong_slope")
    def _wrong_slope(self, p: ActivationParams) -> Wrong | None:
        if p.name != "leaky_relu":
            return None
        # the course notes write 0.1, PyTorch's default is 0.01: the usual swap
        other = 0.1 if p.slope == 0.01 else 0.01
        wrong = self._under(p, slope=other)
        if wrong == self.solve(p, Trace()):
            return None
        return Wrong(
            wrong,
            f"You used the slope {num(other)} for x ≤ 0, but this leaky ReLU has slope "
            f"{num(p.slope)}: LeakyReLU(x) = x for x > 0 and {num(p.slope)}·x otherwise, and its "
            f"derivative is {num(p.slope)} there.",
        )

    @misconception("derivative_is_value", part="derivative")
    def _derivative_is_value(self, p: ActivationParams) -> Wrong | None:
        right = self.solve(p, Trace())
        if right["value"] == right["derivative"]:
            return None
        return Wrong(
            right["value"],
            f"You gave the function's value {_fmt(right['value'])} as its derivative. "
            f"Differentiate: {DERIVATIVE_RULE[p.name]}, which gives {_fmt(right['derivative'])}.",
        )

    @misconception("forgot_square", part="derivative")
    def _forgot_square(self, p: ActivationParams) -> Wrong | None:
        if p.name not in ("tanh", "sigmoid"):
            return None
        xs = as_list(p.x)
        if p.name == "tanh":
            wrong = [1.0 - math.tanh(x) for x in xs]
            rule = "1 − tanh(x) instead of 1 − tanh²(x)"
        else:
            wrong = [1.0 - sigmoid(x) for x in xs]
            rule = "1 − σ(x) instead of σ(x)(1 − σ(x))"
        right = self.solve(p, Trace())["derivative"]
        if like(p.x, wrong) == right:
            return None
        return Wrong(
            like(p.x, wrong),
            f"You wrote {rule}. The derivative is {DERIVATIVE_RULE[p.name]} = {_fmt(right)}.",
        )

    @misconception("forgot_product_rule", part="derivative")
    def _forgot_product_rule(self, p: ActivationParams) -> Wrong | None:
        xs = as_list(p.x)
        if p.name == "silu":
            wrong = [sigmoid(x) for x in xs]
            what = "σ(x)"
        elif p.name == "gelu":
            wrong = [0.5 * (1.0 + math.erf(x / math.sqrt(2.0))) for x in xs]
            what = "Φ(x)"
        elif p.name == "gelu_tanh":
            wrong = [0.5 * (1.0 + math.tanh(GELU_TANH_C * (x + GELU_TANH_K * x**3))) for x in xs]
            what = "½(1 + tanh(…))"
        else:
            return None
        right = self.solve(p, Trace())["derivative"]
        if like(p.x, wrong) == right:
            return None
        return Wrong(
            like(p.x, wrong),
            f"You differentiated only the gate and gave {what} = {_fmt(like(p.x, wrong))}. "
            f"x is multiplied by the gate, so use the product rule: {DERIVATIVE_RULE[p.name]} "
            f"= {_fmt(right)}.",
        )

    @misconception("forgot_alpha")
    def _forgot_alpha(self, p: ActivationParams) -> Wrong | None:
        if p.name != "elu" or p.alpha == 1.0:
            return None
        wrong = self._under(p, alpha=1.0)
        if wrong == self.solve(p, Trace()):
            return None
        return Wrong(
            wrong,
            f"You left out α = {num(p.alpha)}: for x ≤ 0, ELU(x) = α(eˣ − 1) and its derivative "
            f"is α·eˣ.",
        )

    @misconception("forgot_beta")
    def _forgot_beta(self, p: ActivationParams) -> Wrong | None:
        if p.name != "softplus" or p.beta == 1.0:
            return None
        wrong = self._under(p, beta=1.0)
        if wrong == self.solve(p, Trace()):
            return None
        return Wrong(
            wrong,
            f"You computed ln(1 + eˣ) without β = {num(p.beta)}. With β the softplus is "
            f"(1/β)·ln(1 + e^(βx)), and its derivative is σ(βx).",
        )


# --- maxout --------------------------------------------------------------------------------


class MaxoutParams(ParamModel):
    x: Vector = Field(description="input vector (d numbers)")
    w: Matrix = Field(description="one row of weights per piece (k×d)")
    b: Vector = Field(description="one bias per piece (k numbers)")

    @model_validator(mode="after")
    def _shapes(self) -> MaxoutParams:
        d, k = len(self.x), len(self.w)
        if len(self.w[0]) != d:
            raise ProblemError(
                "w", f"expected {d} columns to match x (length {d}), got {len(self.w[0])}"
            )
        if len(self.b) != k:
            raise ProblemError(
                "b", f"expected {k} numbers, one per row (piece) of w, got {len(self.b)}"
            )
        return self


class Maxout(Problem[MaxoutParams]):
    id = "activation.maxout"
    summary = "A maxout unit: k affine pieces zᵢ = wᵢ·x + bᵢ, output max over i."
    topic = "fc"
    Params = MaxoutParams

    def solve(self, p: MaxoutParams, trace: Trace) -> Any:
        pieces = []
        for i, (row, bias) in enumerate(zip(p.w, p.b), start=1):
            z = math.fsum(w * x for w, x in zip(row, p.x)) + bias
            pieces.append(
                trace.step(
                    f"Piece {i}",
                    rf"z_{{{i}}} = w_{{{i}}}^{{T}} x + b_{{{i}}}",
                    rf"{dot_latex(row, p.x)} + {paren(bias)}",
                    z,
                )
            )
        value = trace.step(
            "Maxout output",
            r"\max_{i} z_{i}",
            r"\max\left(" + ", ".join(num(z) for z in pieces) + r"\right)",
            max(pieces),
        )
        return {"pieces": pieces, "value": value}

    def reference(self, p: MaxoutParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        def t(v: Any) -> torch.Tensor:
            return torch.tensor(v, dtype=torch.float64, device=device)

        z = F.linear(t(p.x), t(p.w), t(p.b))
        return {"pieces": z.cpu().tolist(), "value": z.max().item()}

    @misconception("forgot_bias")
    def _forgot_bias(self, p: MaxoutParams) -> Wrong | None:
        if all(b == 0 for b in p.b):
            return None
        pieces = mat_vec(p.w, p.x)
        return Wrong(
            {"pieces": pieces, "value": max(pieces)},
            f"You left out the biases {_fmt(p.b)}: each piece is wᵢ·x + bᵢ before the maximum "
            f"is taken.",
        )
