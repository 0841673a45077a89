"""Backpropagation through a one-hidden-layer perceptron, one training example at a time.

This module owns `mlp.backprop`: the forward pass h = act(W₁x + b₁), ŷ = W₂h + b₂ (softmax of it
for cross-entropy), the loss, and every gradient by the chain rule, written out the way a student
does it by hand (δ₂, ∂L/∂W₂ = δ₂hᵀ, ∂L/∂h = W₂ᵀδ₂, δ₁ = ∂L/∂h ⊙ act′(z₁), ∂L/∂W₁ = δ₁xᵀ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from engine.errors import ProblemError
from engine.latex import matrix, num, paren
from engine.params import Matrix, ParamModel, Vector
from engine.problem import Problem, Wrong, misconception
from engine.problems.activations import NumberOrVector
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch


def _target(v: Any) -> int | float | list[float]:
    """y: a vector of targets, a single number (one output unit) or a class index (ce)."""
    if isinstance(v, bool):
        raise ValueError("must be a list of numbers, or a class index with loss=ce")
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("must be finite")
        return v
    if isinstance(v, list | tuple) and v:
        if any(isinstance(e, bool) or not isinstance(e, int | float) for e in v):
            raise ValueError("must be a flat list of numbers")
        if not all(math.isfinite(e) for e in v):
            raise ValueError("must contain finite numbers only")
        return [float(e) for e in v]
    raise ValueError("must be a list of numbers, or a class index with loss=ce")


Target = Annotated[int | float | list[float], BeforeValidator(_target)]

ACTIVATION_LATEX = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{ReLU}"}
ACTIVATION_PRIME_LATEX = {
    "sigmoid": r"\sigma'(z_{1}) = h \odot (1 - h)",
    "tanh": r"\tanh'(z_{1}) = 1 - h \odot h",
    "relu": r"\operatorname{ReLU}'(z_{1}) = [z_{1} > 0]",
}


class MlpParams(ParamModel):
    x: Vector = Field(description="input (d numbers)")
    y: Target = Field(description="targets (o numbers), or the true class index with loss=ce")
    w1: Matrix = Field(description="hidden weights (h×d)")
    b1: NumberOrVector = Field(description="hidden biases (h numbers, or one for all)")
    w2: Matrix = Field(description="output weights (o×h)")
    b2: NumberOrVector = Field(description="output biases (o numbers, or one for all)")
    activation: Literal["sigmoid", "tanh", "relu"] = Field(
        "sigmoid", description="hidden activation"
    )
    loss: Literal["squared", "mse", "ce"] = Field(
        "squared", description="½·Σ(ŷ − y)², mean of (ŷ − y)², or softmax cross-entropy"
    )

    @model_validator(mode="after")
    def _shapes(self) -> MlpParams:
        d, h, o = len(self.x), len(self.w1), len(self.w2)
        if len(self.w1[0]) != d:
            raise ProblemError(
                "w1", f"expected {d} columns to match x (length {d}), got {len(self.w1[0])}"
            )
        if isinstance(self.b1, list) and len(self.b1) != h:
            raise ProblemError(
                "b1", f"expected {h} numbers, one per hidden unit (rows of w1), got {len(self.b1)}"
            )
        if len(self.w2[0]) != h:
            raise ProblemError(
                "w2",
                f"expected {h} columns to match the hidden layer (w1 has {h} rows), "
                f"got {len(self.w2[0])}",
            )
        if isinstance(self.b2, list) and len(self.b2) != o:
            raise ProblemError(
                "b2", f"expected {o} numbers, one per output (rows of w2), got {len(self.b2)}"
            )
        if self.loss == "ce":
            if o < 2:
                raise ProblemError(
                    "w2", "cross-entropy needs at least 2 output units (rows of w2), got 1"
                )
            y = self.y
            if isinstance(y, float) and y.is_integer():
                y = int(y)
            if not isinstance(y, int) or not 0 <= y < o:
                raise ProblemError(
                    "y",
                    f"with loss=ce, y is the index of the true class, a whole number from 0 "
                    f"to {o - 1}",
                )
        elif isinstance(self.y, list):
            if len(self.y) != o:
                raise ProblemError(
                    "y", f"expected {o} targets, one per output (rows of w2), got {len(self.y)}"
                )
        elif o != 1:
            raise ProblemError("y", f"expected a list of {o} targets, one per output")
        return self

    def bias(self, name: str) -> list[float]:
        """b1 or b2 as a list: a single number is used for every unit."""
        value = getattr(self, name)
        rows = len(self.w1 if name == "b1" else self.w2)
        return list(value) if isinstance(value, list) else [value] * rows

    def class_index(self) -> int:
        return int(self.y)  # type: ignore[arg-type]

    def targets(self) -> list[float]:
        return list(self.y) if isinstance(self.y, list) else [float(self.y)]


@dataclass
class Pass:
    """Every intermediate value of one forward and backward pass."""

    z1: np.ndarray
    h: np.ndarray
    z2: np.ndarray
    out: np.ndarray
    loss: float
    delta2: np.ndarray
    dw2: np.ndarray
    dh: np.ndarray
    act_prime: np.ndarray
    delta1: np.ndarray
    dw1: np.ndarray

    def answer(self) -> dict[str, Any]:
        return {
            "loss": self.loss,
            "h": self.h,
            "output": self.out,
            "grads": {"w1": self.dw1, "b1": self.delta1, "w2": self.dw2, "b2": self.delta2},
        }


def _act(name: str, z: np.ndarray) -> np.ndarray:
    import numpy as np

    if name == "sigmoid":
        # 1/(1 + e^{-z}) written so that neither branch overflows
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if name == "tanh":
        return np.tanh(z)
    return np.where(z > 0, z, 0.0)


def _act_prime(name: str, z: np.ndarray, h: np.ndarray) -> np.ndarray:
    import numpy as np

    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "tanh":
        return 1.0 - h * h
    # PyTorch's ReLU passes no gradient at exactly 0
    return np.where(z > 0, 1.0, 0.0)


def _softmax(z: np.ndarray) -> np.ndarray:
    import numpy as np

    e = np.exp(z - z.max())
    return e / e.sum()


def forward_backward(
    p: MlpParams,
    *,
    act_prime: str = "right",
    loss_scale: float = 1.0,
    grad_sign: float = 1.0,
    mse_as_sum: bool = False,
) -> Pass:
    """The whole computation; the keyword arguments apply a known wrong rule (misconceptions)."""
    import numpy as np

    x = np.array(p.x)
    w1, w2 = np.array(p.w1), np.array(p.w2)
    z1 = w1 @ x + np.array(p.bias("b1"))
    h = _act(p.activation, z1)
    z2 = w2 @ h + np.array(p.bias("b2"))
    o = len(z2)
    if p.loss == "ce":
        out = _softmax(z2)
        k = p.class_index()
        # log-softmax computed from z2 directly keeps tiny probabilities exact
        m = z2.max()
        loss = float(-(z2[k] - m - math.log(np.exp(z2 - m).sum())))
        delta2 = out.copy()
        delta2[k] -= 1.0
    else:
        out = z2
        diff = z2 - np.array(p.targets())
        if p.loss == "squared" or mse_as_sum:
            loss = 0.5 * float(np.sum(diff * diff))
            delta2 = diff
            if mse_as_sum:  # Σ(ŷ − y)² with neither ½ nor 1/o
                loss, delta2 = 2.0 * loss, 2.0 * diff
        else:
            loss = float(np.sum(diff * diff)) / o
            delta2 = 2.0 * diff / o
    loss *= loss_scale
    delta2 = grad_sign * loss_scale * delta2
    dw2 = np.outer(delta2, h)
    dh = w2.T @ delta2
    if act_prime == "one":
        prime = np.ones_like(z1)
    elif act_prime == "at_h":
        prime = _act_prime(p.activation, h, _act(p.activation, h))
    else:
        prime = _act_prime(p.activation, z1, h)
    delta1 = dh * prime
    dw1 = np.outer(delta1, x)
    return Pass(z1, h, z2, out, loss, delta2, dw2, dh, prime, delta1, dw1)


LOSS_WORDS = {
    "squared": "L = ½·Σ(ŷ − y)²",
    "mse": "L = mean of (ŷ − y)² over the outputs",
    "ce": "cross-entropy of the softmax of z₂ with the true class",
}


def _fmt(values: Any) -> str:
    if isinstance(values, float | int):
        return f"{values:.4g}"
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


class MlpBackprop(Problem[MlpParams]):
    id = "mlp.backprop"
    summary = (
        "One forward and backward pass through a one-hidden-layer network: loss, hidden "
        "activations, output and the gradients of W₁, b₁, W₂, b₂."
    )
    topic = "fc"
    Params = MlpParams

    def solve(self, p: MlpParams, trace: Trace) -> Any:
        r = forward_backward(p)
        act = ACTIVATION_LATEX[p.activation]
        b1, b2 = p.bias("b1"), p.bias("b2")
        trace.note(
            "Network",
            f"h = {p.activation}(W₁x + b₁), ŷ = W₂h + b₂"
            + (", then softmax" if p.loss == "ce" else "")
            + f"; loss: {LOSS_WORDS[p.loss]}.",
        )
        # forward pass
        trace.step(
            "Hidden pre-activation",
            r"z_{1} = W_{1} x + b_{1}",
            rf"{matrix(p.w1)} {matrix(p.x)} + {matrix(b1)}",
            r.z1,
        )
        trace.step(
            "Hidden activation", rf"h = {act}(z_{{1}})", rf"{act}\left({matrix(r.z1)}\right)", r.h
        )
        trace.step(
            "Output pre-activation",
            r"z_{2} = W_{2} h + b_{2}",
            rf"{matrix(p.w2)} {matrix(r.h)} + {matrix(b2)}",
            r.z2,
        )
        if p.loss == "ce":
            k = p.class_index()
            exps = " + ".join(rf"e^{{{num(z)}}}" for z in r.z2)
            trace.step(
                "Softmax output",
                r"\hat{y}_{i} = \frac{e^{z_{2,i}}}{\sum_{j} e^{z_{2,j}}}",
                rf"\frac{{1}}{{{exps}}} \left["
                + ", ".join(rf"e^{{{num(z)}}}" for z in r.z2)
                + r"\right]",
                r.out,
            )
            trace.step(
                "Cross-entropy loss",
                r"L = -\ln \hat{y}_{c}",
                rf"-\ln {num(r.out[k])} \quad (c = {k})",
                r.loss,
            )
        else:
            terms = " + ".join(
                rf"({num(a)} - {paren(b)})^{{2}}" for a, b in zip(r.out, p.targets())
            )
            if p.loss == "squared":
                formula = r"L = \frac{1}{2} \sum_{i} (\hat{y}_{i} - y_{i})^{2}"
                subst = rf"\frac{{1}}{{2}} \left({terms}\right)"
            else:
                formula = r"L = \frac{1}{n} \sum_{i} (\hat{y}_{i} - y_{i})^{2}"
                subst = rf"\frac{{1}}{{{len(r.out)}}} \left({terms}\right)"
            trace.step("Output", r"\hat{y} = z_{2}", matrix(r.z2), r.out)
            trace.step("Loss", formula, subst, r.loss)
        # backward pass
        if p.loss == "ce":
            onehot = [1.0 if i == p.class_index() else 0.0 for i in range(len(r.out))]
            trace.step(
                "Output error (softmax with cross-entropy)",
                r"\delta_{2} = \frac{\partial L}{\partial z_{2}} = \hat{y} - \operatorname{onehot}(c)",
                rf"{matrix(r.out)} - {matrix(onehot)}",
                r.delta2,
            )
        elif p.loss == "squared":
            trace.step(
                "Output error",
                r"\delta_{2} = \frac{\partial L}{\partial z_{2}} = \hat{y} - y",
                rf"{matrix(r.out)} - {matrix(p.targets())}",
                r.delta2,
            )
        else:
            trace.step(
                "Output error",
                r"\delta_{2} = \frac{\partial L}{\partial z_{2}} = \frac{2}{n} (\hat{y} - y)",
                rf"\frac{{2}}{{{len(r.out)}}} \left({matrix(r.out)} - {matrix(p.targets())}\right)",
                r.delta2,
            )
        trace.step(
            "Gradient of W₂",
            r"\frac{\partial L}{\partial W_{2}} = \delta_{2} h^{T}",
            rf"{matrix(r.delta2)} {matrix([list(r.h)])}",
            r.dw2,
        )
        trace.step(
            "Gradient of b₂",
            r"\frac{\partial L}{\partial b_{2}} = \delta_{2}",
            matrix(r.delta2),
            r.delta2,
        )
        trace.step(
            "Back to the hidden layer",
            r"\frac{\partial L}{\partial h} = W_{2}^{T} \delta_{2}",
            rf"{matrix([list(c) for c in zip(*p.w2)])} {matrix(r.delta2)}",
            r.dh,
        )
        if p.activation == "relu":
            subst = rf"\left[{matrix(r.z1)} > 0\right]"
        elif p.activation == "sigmoid":
            subst = rf"{matrix(r.h)} \odot \left(1 - {matrix(r.h)}\right)"
        else:
            subst = rf"1 - {matrix(r.h)} \odot {matrix(r.h)}"
        trace.step(
            "Activation derivative", ACTIVATION_PRIME_LATEX[p.activation], subst, r.act_prime
        )
        trace.step(
            "Hidden error",
            rf"\delta_{{1}} = \frac{{\partial L}}{{\partial h}} \odot {act}'(z_{{1}})",
            rf"{matrix(r.dh)} \odot {matrix(r.act_prime)}",
            r.delta1,
        )
        trace.step(
            "Gradient of W₁",
            r"\frac{\partial L}{\partial W_{1}} = \delta_{1} x^{T}",
            rf"{matrix(r.delta1)} {matrix([p.x])}",
            r.dw1,
        )
        trace.step(
            "Gradient of b₁",
            r"\frac{\partial L}{\partial b_{1}} = \delta_{1}",
            matrix(r.delta1),
            r.delta1,
        )
        return r.answer()

    def reference(self, p: MlpParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        def t(v: Any, grad: bool = False) -> torch.Tensor:
            return torch.tensor(v, dtype=torch.float64, device=device, requires_grad=grad)

        w1, b1 = t(p.w1, True), t(p.bias("b1"), True)
        w2, b2 = t(p.w2, True), t(p.bias("b2"), True)
        z1 = F.linear(t(p.x), w1, b1)
        if p.activation == "sigmoid":
            h = torch.sigmoid(z1)
        elif p.activation == "tanh":
            h = torch.tanh(z1)
        else:
            h = F.relu(z1)
        z2 = F.linear(h, w2, b2)
        if p.loss == "ce":
            target = torch.tensor([p.class_index()], device=device)
            loss = F.cross_entropy(z2.unsqueeze(0), target)
            out = torch.softmax(z2, dim=0)
        else:
            y = t(p.targets())
            if p.loss == "squared":
                loss = 0.5 * F.mse_loss(z2, y, reduction="sum")
            else:
                loss = F.mse_loss(z2, y, reduction="mean")
            out = z2
        gw1, gb1, gw2, gb2 = torch.autograd.grad(loss, [w1, b1, w2, b2])
        return {
            "loss": loss.item(),
            "h": h.detach().cpu().tolist(),
            "output": out.detach().cpu().tolist(),
            "grads": {
                "w1": gw1.cpu().tolist(),
                "b1": gb1.cpu().tolist(),
                "w2": gw2.cpu().tolist(),
                "b2": gb2.cpu().tolist(),
            },
        }

    # --- misconceptions ----------------------------------------------------------------------
    def _grads_if_different(self, p: MlpParams, wrong: Pass) -> dict[str, Any] | None:
        from engine.values import to_json

        grads = to_json(wrong.answer()["grads"])
        return None if grads == to_json(forward_backward(p).answer()["grads"]) else grads

    @misconception("forgot_activation_derivative", part="grads")
    def _forgot_activation_derivative(self, p: MlpParams) -> Wrong | None:
        grads = self._grads_if_different(p, forward_backward(p, act_prime="one"))
        if grads is None:
            return None
        r = forward_backward(p)
        return Wrong(
            grads,
            f"You passed ∂L/∂h = {_fmt(r.dh)} straight back to W₁ and b₁. On the way through "
            f"the hidden layer, multiply by the activation's derivative: δ₁ = ∂L/∂h ⊙ "
            f"{p.activation}′(z₁) = {_fmt(r.delta1)}.",
        )

    @misconception("derivative_at_output", part="grads")
    def _derivative_at_output(self, p: MlpParams) -> Wrong | None:
        if p.activation == "relu":
            return None
        grads = self._grads_if_different(p, forward_backward(p, act_prime="at_h"))
        if grads is None:
            return None
        rule = "h ⊙ (1 − h)" if p.activation == "sigmoid" else "1 − h ⊙ h"
        return Wrong(
            grads,
            f"You evaluated the activation's derivative at h instead of at z₁, applying "
            f"{p.activation} twice. Use {p.activation}′(z₁) = {rule}, with h = {_fmt(forward_backward(p).h)}.",
        )

    @misconception("transposed_weight_gradient", part="grads")
    def _transposed(self, p: MlpParams) -> Wrong | None:
        from engine.values import to_json

        right = to_json(forward_backward(p).answer()["grads"])
        wrong = dict(
            right, w1=[list(c) for c in zip(*right["w1"])], w2=[list(c) for c in zip(*right["w2"])]
        )
        if wrong == right:
            return None
        return Wrong(
            wrong,
            "You wrote the weight gradients transposed (x δ₁ᵀ and h δ₂ᵀ). A gradient has the "
            "shape of its weight: ∂L/∂W₂ = δ₂ hᵀ and ∂L/∂W₁ = δ₁ xᵀ.",
        )

    @misconception("wrong_sign", part="grads")
    def _wrong_sign(self, p: MlpParams) -> Wrong | None:
        grads = self._grads_if_different(p, forward_backward(p, grad_sign=-1.0))
        if grads is None:
            return None
        what = "y − ŷ" if p.loss != "ce" else "onehot(c) − ŷ"
        return Wrong(
            grads,
            f"Every gradient has the wrong sign: the output error was taken as {what}. "
            f"The derivative of the loss with respect to z₂ is "
            + ("ŷ − onehot(c)." if p.loss == "ce" else "ŷ − y (times 2/n for the mean)."),
        )

    @misconception("forgot_half")
    def _forgot_half(self, p: MlpParams) -> Wrong | None:
        if p.loss != "squared":
            return None
        from engine.values import to_json

        wrong = to_json(forward_backward(p, loss_scale=2.0).answer())
        if wrong == to_json(forward_backward(p).answer()):
            return None
        return Wrong(
            wrong,
            "You dropped the ½ of the squared loss, which doubles the loss and every gradient. "
            "Here L = ½·Σ(ŷ − y)², so ∂L/∂ŷ = ŷ − y.",
        )

    @misconception("sum_not_mean")
    def _sum_not_mean(self, p: MlpParams) -> Wrong | None:
        if p.loss != "mse" or len(p.w2) == 1:
            return None
        from engine.values import to_json

        wrong = to_json(forward_backward(p, mse_as_sum=True).answer())
        return Wrong(
            wrong,
            f"You summed the squared errors; loss=mse takes their mean over the {len(p.w2)} "
            f"outputs, so the loss and every gradient are divided by {len(p.w2)}.",
        )
