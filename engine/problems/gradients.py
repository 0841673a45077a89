"""Gradients through deep networks: why they vanish in a plain chain and survive a residual one.

`residual.gradient` back-propagates through scalar residual blocks x_{i+1} = x_i + w_i·act(x_i)
(He et al. 2016, eq. 5: the gradient is the upstream gradient times Π(1 + w_i·act′(x_i))), and
`vanishing.chain` compares the gradient of a deep chain of activations with the bound
max|act′|^depth·|w|^depth. Both are checked against torch autograd.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from engine.compare import agrees_to_6_digits
from engine.errors import ProblemError
from engine.latex import num, paren
from engine.params import ParamModel, PositiveInt, Real, Vector
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

Activation = Literal["tanh", "relu", "sigmoid"]

MAX_BLOCKS = 100
MAX_DEPTH = 1000
# layers of vanishing.chain written out one by one in the trace; the rest are summarised
TRACED_LAYERS = 6

# max over x of |act′(x)|: σ′ peaks at 1/4 (x = 0), tanh′ at 1 (x = 0), ReLU′ is 1 for x > 0
MAX_SLOPE = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}


def act(name: str, x: float) -> float:
    if name == "tanh":
        return math.tanh(x)
    if name == "sigmoid":
        # the two forms avoid overflow of exp for large |x|
        return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
    return max(0.0, x)


def act_prime(name: str, x: float) -> float:
    """The derivative; ReLU′(0) = 0, as autograd takes it."""
    if name == "tanh":
        return 1 - math.tanh(x) ** 2
    if name == "sigmoid":
        s = act("sigmoid", x)
        return s * (1 - s)
    return 1.0 if x > 0 else 0.0


def act_latex(name: str, x: str) -> str:
    """act(x) written out: the function applied to a LaTeX argument."""
    if name == "tanh":
        return rf"\tanh({x})"
    if name == "sigmoid":
        return rf"\sigma({x})"
    return rf"\max(0, {x})"


def prime_latex(name: str, value: float, x: float) -> str:
    """act′ written with numbers: from the activation's value (tanh, σ) or the input's sign."""
    if name == "tanh":
        return rf"\left(1 - {paren(value)}^{{2}}\right)"
    if name == "sigmoid":
        return rf"{num(value)} \cdot (1 - {num(value)})"
    return num(1.0 if x > 0 else 0.0)


PRIME_TEXT = {
    "tanh": "tanh′(x) = 1 − tanh²(x)",
    "sigmoid": "σ′(x) = σ(x)·(1 − σ(x))",
    "relu": "relu′(x) = 1 for x > 0, else 0 (also at 0, as autograd takes it)",
}


def _torch_act(name: str) -> Any:
    import torch

    return {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[name]


# --- residual.gradient -----------------------------------------------------------------------


class ResidualParams(ParamModel):
    x0: Real = Field(description="the input x₀ (a number)")
    weights: Vector = Field(description="w_i of each block x_{i+1} = x_i + w_i·act(x_i)")
    activation: Activation = "tanh"

    @model_validator(mode="after")
    def _check(self) -> ResidualParams:
        if len(self.weights) > MAX_BLOCKS:
            raise ProblemError("weights", f"at most {MAX_BLOCKS} blocks, got {len(self.weights)}")
        return self


def residual_forward(p: ResidualParams) -> list[float]:
    xs = [p.x0]
    for w in p.weights:
        xs.append(xs[-1] + w * act(p.activation, xs[-1]))
    return xs


class ResidualGradient(Problem[ResidualParams]):
    id = "residual.gradient"
    summary = (
        "Gradient of ½·x_L² through residual blocks x_{i+1} = x_i + w_i·act(x_i): "
        "x_L · Π(1 + w_i·act′(x_i)) (He et al. 2016, eq. 5)."
    )
    topic = "gradients"
    Params = ResidualParams

    def solve(self, p: ResidualParams, trace: Trace) -> Any:
        name = p.activation
        xs = [p.x0]
        for i, w in enumerate(p.weights):
            x = xs[-1]
            a = act(name, x)
            xs.append(
                trace.step(
                    f"Block {i + 1} forward",
                    rf"x_{{{i + 1}}} = x_{{{i}}} + w_{{{i}}} \cdot {act_latex(name, f'x_{{{i}}}')}",
                    rf"{num(x)} + {paren(w)} \cdot {act_latex(name, num(x))} = {num(x)} + "
                    rf"{paren(w)} \cdot {paren(a)}",
                    x + w * a,
                )
            )
        self._check_finite(0.5 * xs[-1] * xs[-1])
        trace.note(
            "Backward through a block",
            "Each block passes the gradient along two paths: the identity (derivative 1) and the "
            "residual branch (derivative w_i·act′(x_i)). So ∂x_{i+1}/∂x_i = 1 + w_i·act′(x_i), "
            "and the '1 +' keeps the product from vanishing. Here " + PRIME_TEXT[name] + ".",
        )
        locals_ = []
        for i, w in enumerate(p.weights):
            x = xs[i]
            d = act_prime(name, x)
            locals_.append(
                trace.step(
                    f"Block {i + 1} local derivative",
                    rf"\frac{{\partial x_{{{i + 1}}}}}{{\partial x_{{{i}}}}} = 1 + w_{{{i}}} "
                    rf"\cdot {_prime_symbol(name)}(x_{{{i}}})",
                    rf"1 + {paren(w)} \cdot {prime_latex(name, act(name, x), x)}",
                    1 + w * d,
                )
            )
        L = len(p.weights)
        upstream = trace.step(
            f"Upstream gradient of the loss ½·x_{{{L}}}²",
            rf"\frac{{\partial L}}{{\partial x_{{{L}}}}} = x_{{{L}}}",
            "",
            xs[-1],
        )
        factor = math.prod(locals_)
        trace.step(
            "Product of the block derivatives",
            rf"\prod_{{i=0}}^{{{L - 1}}} \left(1 + w_{{i}} {_prime_symbol(name)}(x_{{i}})\right)",
            r" \cdot ".join(paren(v) for v in locals_) if locals_ else "1",
            factor,
        )
        self._check_finite(upstream * factor)
        grad = trace.step(
            "Gradient at the input",
            rf"\frac{{\partial L}}{{\partial x_{{0}}}} = \frac{{\partial L}}{{\partial x_{{{L}}}}}"
            rf" \prod_{{i}} \left(1 + w_{{i}} {_prime_symbol(name)}(x_{{i}})\right)",
            rf"{paren(upstream)} \cdot {paren(factor)}",
            upstream * factor,
        )
        return {"grad": grad, "upstream": upstream, "factor": factor}

    @staticmethod
    def _check_finite(x: float) -> None:
        if not math.isfinite(x):
            raise ProblemError("weights", "the numbers overflow; use smaller weights or x0")

    def reference(self, p: ResidualParams, device: torch.device) -> Any:
        import torch

        f = _torch_act(p.activation)
        x0 = torch.tensor(p.x0, dtype=torch.float64, device=device, requires_grad=True)
        x = x0
        for w in p.weights:
            x = x + w * f(x)
        loss = 0.5 * x**2
        upstream, grad = torch.autograd.grad(loss, [x, x0], retain_graph=True)
        (factor,) = torch.autograd.grad(x, x0)
        return {"grad": grad.item(), "upstream": upstream.item(), "factor": factor.item()}

    # --- misconceptions ---------------------------------------------------------------------
    def _parts(self, p: ResidualParams) -> tuple[list[float], float, float, float]:
        xs = residual_forward(p)
        factor = math.prod(1 + w * act_prime(p.activation, x) for w, x in zip(p.weights, xs))
        return xs, xs[-1], factor, xs[-1] * factor

    def _no_identity(self, p: ResidualParams) -> float:
        xs = residual_forward(p)
        return math.prod(w * act_prime(p.activation, x) for w, x in zip(p.weights, xs))

    @misconception("forgot_identity", part="grad")
    def _forgot_identity_grad(self, p: ResidualParams) -> Wrong | None:
        _, upstream, _, grad = self._parts(p)
        wrong = upstream * self._no_identity(p)
        if agrees_to_6_digits(wrong, grad):
            return None
        return Wrong(
            wrong,
            f"You multiplied only the residual branches' derivatives w_i·act′(x_i), as in a plain "
            f"network, and dropped the identity path. Each block's derivative is "
            f"1 + w_i·act′(x_i); the gradient is x_L·Π(1 + w_i·act′(x_i)) = {grad:.6g}.",
        )

    @misconception("forgot_identity", part="factor")
    def _forgot_identity_factor(self, p: ResidualParams) -> Wrong | None:
        _, _, factor, _ = self._parts(p)
        wrong = self._no_identity(p)
        if agrees_to_6_digits(wrong, factor):
            return None
        return Wrong(
            wrong,
            f"You multiplied w_i·act′(x_i) without the identity path: each block contributes "
            f"1 + w_i·act′(x_i), so the factor is {factor:.6g}.",
        )

    @misconception("forgot_upstream", part="grad")
    def _forgot_upstream(self, p: ResidualParams) -> Wrong | None:
        _, upstream, factor, grad = self._parts(p)
        if agrees_to_6_digits(factor, grad):
            return None
        return Wrong(
            factor,
            f"You gave the product of the block derivatives but forgot the upstream gradient "
            f"∂L/∂x_L = x_L = {upstream:.6g}: multiply them.",
        )

    @misconception("gave_upstream", part="grad")
    def _gave_upstream(self, p: ResidualParams) -> Wrong | None:
        _, upstream, factor, grad = self._parts(p)
        if agrees_to_6_digits(upstream, grad):
            return None
        return Wrong(
            upstream,
            f"You gave ∂L/∂x_L = x_L = {upstream:.6g}, the gradient at the output. Carrying it "
            f"back to x_0 multiplies by every block's derivative 1 + w_i·act′(x_i), whose "
            f"product is {factor:.6g}.",
        )

    @misconception("used_activation", part="grad")
    def _used_activation(self, p: ResidualParams) -> Wrong | None:
        xs, upstream, _, grad = self._parts(p)
        wrong = upstream * math.prod(1 + w * act(p.activation, x) for w, x in zip(p.weights, xs))
        if agrees_to_6_digits(wrong, grad):
            return None
        return Wrong(
            wrong,
            f"You used act(x_i) where its derivative belongs: the chain rule needs act′(x_i) "
            f"({PRIME_TEXT[p.activation]}) in each factor 1 + w_i·act′(x_i).",
        )


def _prime_symbol(name: str) -> str:
    return {"tanh": r"\tanh'", "sigmoid": r"\sigma'", "relu": r"\operatorname{relu}'"}[name]


# --- vanishing.chain -------------------------------------------------------------------------


class ChainParams(ParamModel):
    depth: PositiveInt = Field(description="number of layers")
    activation: Literal["sigmoid", "tanh", "relu"] = "sigmoid"
    w: Real = Field(1.0, description="the weight of every layer")
    x: Real = Field(0.0, description="the input z₀")
    residual: bool = Field(False, description="z_{k+1} = z_k + act(w·z_k) instead of act(w·z_k)")

    @model_validator(mode="after")
    def _check(self) -> ChainParams:
        if self.depth > MAX_DEPTH:
            raise ProblemError("depth", f"at most {MAX_DEPTH} layers, got {self.depth}")
        return self


def chain_forward(p: ChainParams) -> list[float]:
    zs = [p.x]
    for _ in range(p.depth):
        z = zs[-1]
        zs.append(z + act(p.activation, p.w * z) if p.residual else act(p.activation, p.w * z))
    return zs


def chain_locals(p: ChainParams, zs: list[float], identity: bool, weight: bool) -> list[float]:
    """dz_{k+1}/dz_k for every layer (optionally without the identity path or the weight)."""
    w = p.w if weight else 1.0
    base = 1.0 if identity else 0.0
    return [base + w * act_prime(p.activation, p.w * z) for z in zs[:-1]]


class VanishingChain(Problem[ChainParams]):
    id = "vanishing.chain"
    summary = (
        "Gradient dz_depth/dz_0 of a deep chain z_{k+1} = act(w·z_k) (or z_k + act(w·z_k)) "
        "against the bound max|act′|^depth·|w|^depth."
    )
    topic = "gradients"
    Params = ChainParams

    def solve(self, p: ChainParams, trace: Trace) -> Any:
        name, w = p.activation, p.w
        zs = chain_forward(p)
        if not all(math.isfinite(z) for z in zs):
            raise ProblemError(
                "depth", "the values overflow at this depth; use a smaller depth or w"
            )
        shown = _shown_layers(p.depth)
        if len(shown) < p.depth:
            first, last = TRACED_LAYERS + 1, p.depth - 1
            which = f"Layer {first} is" if first == last else f"Layers {first}–{last} are"
            trace.note(
                "Layers shown",
                f"{which} computed the same way and not written out; the product below uses "
                f"all {p.depth} layers.",
            )
        factors = []
        for k, z in enumerate(zs[:-1]):
            a = w * z
            d = act_prime(name, a)
            factor = (1 + w * d) if p.residual else w * d
            factors.append(factor)
            if k not in shown:
                continue
            zk, zn = f"z_{{{k}}}", f"z_{{{k + 1}}}"
            arg = rf"{paren(w)} \cdot {paren(z)}"
            inner = act_latex(name, r"w \cdot " + zk)
            trace.step(
                f"Layer {k + 1} forward",
                rf"{zn} = {zk} + {inner}" if p.residual else rf"{zn} = {inner}",
                rf"{paren(z)} + {act_latex(name, arg)} = {paren(z)} + {paren(act(name, a))}"
                if p.residual
                else act_latex(name, arg),
                zs[k + 1],
            )
            prime = prime_latex(name, act(name, a), a)
            trace.step(
                f"Layer {k + 1} local derivative ({name}′ at w·z_{k} = {a:.4g})",
                rf"\frac{{\partial {zn}}}{{\partial {zk}}} = "
                + (
                    rf"1 + w \cdot {_prime_symbol(name)}(w \cdot {zk})"
                    if p.residual
                    else rf"w \cdot {_prime_symbol(name)}(w \cdot {zk})"
                ),
                (rf"1 + {paren(w)} \cdot {prime}" if p.residual else rf"{paren(w)} \cdot {prime}"),
                factor,
            )
        gradient = math.prod(factors)
        written = (
            r" \cdot ".join(paren(f) for f in factors)
            if p.depth <= TRACED_LAYERS + 1
            else r" \cdot ".join(paren(factors[k]) for k in range(TRACED_LAYERS))
            + rf" \cdots {paren(factors[-1])}"
        )
        trace.step(
            "Gradient through the chain (chain rule: multiply the local derivatives)",
            rf"\frac{{\partial z_{{{p.depth}}}}}{{\partial z_{{0}}}} = \prod_{{k=0}}^{{{p.depth - 1}}}"
            rf" \frac{{\partial z_{{k+1}}}}{{\partial z_{{k}}}}",
            written,
            gradient,
        )
        slope = MAX_SLOPE[name]
        where = {"sigmoid": "at 0", "tanh": "at 0", "relu": "for any positive input"}[name]
        trace.note(
            "Largest slope of the activation",
            f"max |{name}′| = {slope:g}, reached {where}"
            + (" (σ′(0) = σ(0)(1 − σ(0)) = 0.5·0.5)." if name == "sigmoid" else "."),
        )
        bound = trace.step(
            "Bound on a plain chain's gradient",
            rf"\left|\frac{{\partial z_{{{p.depth}}}}}{{\partial z_{{0}}}}\right| \le "
            rf"\left(\max |\operatorname{{act}}'| \cdot |w|\right)^{{{p.depth}}}",
            rf"\left({num(slope)} \cdot {num(abs(w))}\right)^{{{p.depth}}}",
            _power(slope * abs(w), p.depth),
        )
        if not (math.isfinite(gradient) and math.isfinite(bound)):
            raise ProblemError(
                "depth",
                f"the gradient or its bound overflows at depth {p.depth}; use a smaller depth or w",
            )
        if p.residual:
            trace.note(
                "Residual chain",
                "The bound is for the plain chain. With the skip connection every factor is "
                "1 + w·act′(w·z_k), which stays near 1 instead of shrinking, so the gradient does "
                "not vanish and need not respect the bound.",
            )
        elif slope * abs(w) < 1:
            trace.note(
                "Why it vanishes",
                f"Each layer multiplies the gradient by at most {slope * abs(w):g} < 1, so after "
                f"{p.depth} layers it is at most {bound:.3g}: it shrinks exponentially with depth.",
            )
        return {"gradient": gradient, "bound": bound}

    def reference(self, p: ChainParams, device: torch.device) -> Any:
        import torch

        f = _torch_act(p.activation)
        z0 = torch.tensor(p.x, dtype=torch.float64, device=device, requires_grad=True)
        z = z0
        for _ in range(p.depth):
            z = z + f(p.w * z) if p.residual else f(p.w * z)
        (gradient,) = torch.autograd.grad(z, z0)
        # the largest slope, found by autograd on a grid that includes 0 and positive inputs
        grid = torch.cat(
            [
                torch.linspace(-8, 8, 4001, dtype=torch.float64, device=device),
                torch.tensor([0.0], dtype=torch.float64, device=device),
            ]
        ).requires_grad_(True)
        (slopes,) = torch.autograd.grad(f(grid).sum(), grid)
        slope = slopes.abs().max()
        bound = (slope * abs(p.w)) ** p.depth
        return {"gradient": gradient.item(), "bound": bound.item()}

    # --- misconceptions ---------------------------------------------------------------------
    def _right(self, p: ChainParams) -> tuple[list[float], float]:
        zs = chain_forward(p)
        return zs, math.prod(chain_locals(p, zs, identity=p.residual, weight=True))

    @misconception("forgot_weight", part="gradient")
    def _forgot_weight(self, p: ChainParams) -> Wrong | None:
        zs, right = self._right(p)
        wrong = math.prod(chain_locals(p, zs, identity=p.residual, weight=False))
        if agrees_to_6_digits(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You multiplied only the activation slopes. The inner function w·z_k contributes "
            f"its own derivative w = {p.w:g} at every layer: each factor is "
            f"{'1 + ' if p.residual else ''}w·act′(w·z_k).",
        )

    @misconception("forgot_identity", part="gradient")
    def _forgot_identity(self, p: ChainParams) -> Wrong | None:
        if not p.residual:
            return None
        zs, right = self._right(p)
        wrong = math.prod(chain_locals(p, zs, identity=False, weight=True))
        if agrees_to_6_digits(wrong, right):
            return None
        return Wrong(
            wrong,
            "You dropped the skip connection's derivative: z_{k+1} = z_k + act(w·z_k) has "
            "∂z_{k+1}/∂z_k = 1 + w·act′(w·z_k), not just w·act′(w·z_k).",
        )

    @misconception("sigmoid_slope_one", part="bound")
    def _sigmoid_slope_one(self, p: ChainParams) -> Wrong | None:
        if p.activation != "sigmoid":
            return None
        right = _power(0.25 * abs(p.w), p.depth)
        wrong = _power(abs(p.w), p.depth)
        if agrees_to_6_digits(wrong, right):
            return None
        return Wrong(
            wrong,
            "The sigmoid's slope is at most σ′(0) = 0.25, not 1: the bound is "
            f"(0.25·|w|)^depth = (0.25·{abs(p.w):g})^{p.depth}.",
        )

    @misconception("bound_without_weight", part="bound")
    def _bound_without_weight(self, p: ChainParams) -> Wrong | None:
        slope = MAX_SLOPE[p.activation]
        right = _power(slope * abs(p.w), p.depth)
        wrong = _power(slope, p.depth)
        if agrees_to_6_digits(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You left |w| = {abs(p.w):g} out of the bound: every layer multiplies by w as well "
            f"as by act′, so the bound is (max|act′|·|w|)^depth.",
        )


def _power(base: float, exponent: int) -> float:
    """base**exponent, inf (not an exception) when it overflows, as torch gives."""
    try:
        return base**exponent
    except OverflowError:
        return math.inf


def _shown_layers(depth: int) -> set[int]:
    """The layer indices written out in the trace: the first few and the last."""
    if depth <= TRACED_LAYERS + 1:
        return set(range(depth))
    return set(range(TRACED_LAYERS)) | {depth - 1}
