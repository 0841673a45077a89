"""Batch normalisation's backward pass in training mode: `batchnorm.backward`.

Given the upstream gradient g_i = ∂L/∂y_i over a batch of m values (per channel), with
x̂_i = (x_i − μ_B)/σ and σ = √(σ_B² + ε):

    ∂L/∂β = Σ g_i,   ∂L/∂γ = Σ g_i x̂_i,
    ∂L/∂x_i = γ/(m σ) · (m g_i − Σ_j g_j − x̂_i Σ_j g_j x̂_j)

The three terms are the direct path through x̂_i, the path through the batch mean and the path
through the batch variance: every x_j moves μ_B and σ_B², so each gradient depends on the whole
batch. `bn_backward` computes it with switches for the wrong rules the misconceptions name.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.errors import ProblemError
from engine.latex import num, paren, vector
from engine.params import ParamModel, Real
from engine.problem import Problem, Wrong, misconception
from engine.problems.activations import NumberOrVector
from engine.problems.common import fmt, fmt_list, sum_of
from engine.problems.normalization import Batch, check_spread
from engine.trace import Trace

if TYPE_CHECKING:
    import torch


class BatchNormBackwardParams(ParamModel):
    x: Batch = Field(description="one feature over a batch (list), or N×C (one row per example)")
    gamma: NumberOrVector = Field(1.0, description="scale γ (number, or one per channel)")
    beta: NumberOrVector = Field(0.0, description="shift β (number, or one per channel)")
    eps: Real = Field(1e-5, description="added to the variance before the square root (0 allowed)")
    upstream: Batch = Field(description="∂L/∂y, the same shape as x")

    @property
    def matrix_input(self) -> bool:
        return isinstance(self.x[0], list)

    def columns(self, name: str = "x") -> list[list[float]]:
        """x (or upstream) channel by channel: C lists of N values."""
        value = getattr(self, name)
        if self.matrix_input:
            return [list(c) for c in zip(*value)]
        return [list(value)]

    def per_channel(self, name: str) -> list[float]:
        value = getattr(self, name)
        return list(value) if isinstance(value, list) else [value] * len(self.columns())

    @model_validator(mode="after")
    def _check(self) -> BatchNormBackwardParams:
        cols = self.columns()
        if len(cols[0]) < 2:
            raise ProblemError(
                "x",
                "a batch of one example has no spread to normalise by: BatchNorm in training "
                "mode needs at least 2 values per channel",
            )
        up_matrix = isinstance(self.upstream[0], list)
        n, c = len(self.x), len(cols)
        shape = f"{n}×{c}" if self.matrix_input else f"{n} values"
        if (
            up_matrix != self.matrix_input
            or len(self.upstream) != n
            or (
                up_matrix and len(self.upstream[0]) != c  # type: ignore[arg-type]
            )
        ):
            raise ProblemError("upstream", f"∂L/∂y must have the shape of x ({shape})")
        for name in ("gamma", "beta"):
            value = getattr(self, name)
            if isinstance(value, list) and len(value) != c:
                if c == 1:
                    raise ProblemError(name, "x is one feature, so give a single number")
                raise ProblemError(
                    name, f"expected {c} numbers, one per channel (columns of x), got {len(value)}"
                )
        check_spread(cols, self.eps, self.matrix_input)
        return self


def bn_backward(
    p: BatchNormBackwardParams,
    *,
    sum_scale: float | None = None,
    mean_term: bool = True,
    variance_term: bool = True,
    statistics_constant: bool = False,
    with_gamma: bool = True,
    dgamma_on_x: bool = False,
) -> dict[str, Any]:
    """The answer; the keyword arguments switch on known wrong rules (for misconceptions).

    `sum_scale` replaces the 1/m in front of the two sums (1.0: forgot it).
    """
    dgammas, dbetas, dxs = [], [], []
    gammas = p.per_channel("gamma")
    for c, (col, g) in enumerate(zip(p.columns(), p.columns("upstream"))):
        m = len(col)
        mean = math.fsum(col) / m
        var = math.fsum((v - mean) ** 2 for v in col) / m
        sigma = math.sqrt(var + p.eps)
        xhat = [(v - mean) / sigma for v in col]
        dbeta = math.fsum(g)
        dgamma = math.fsum(gi * (v if dgamma_on_x else h) for gi, v, h in zip(g, col, xhat))
        gamma = gammas[c] if with_gamma else 1.0
        if statistics_constant:
            dx = [gamma * gi / sigma for gi in g]
        else:
            k = 1.0 / m if sum_scale is None else sum_scale
            s1 = math.fsum(g) if mean_term else 0.0
            s2 = math.fsum(gi * h for gi, h in zip(g, xhat)) if variance_term else 0.0
            dx = [gamma / sigma * (gi - k * s1 - k * h * s2) for gi, h in zip(g, xhat)]
        dgammas.append(dgamma)
        dbetas.append(dbeta)
        dxs.append(dx)
    return _shape(p, dgammas, dbetas, dxs)


def _shape(
    p: BatchNormBackwardParams, dgammas: list[Any], dbetas: list[Any], dxs: list[Any]
) -> Any:
    if p.matrix_input:
        return {"dgamma": dgammas, "dbeta": dbetas, "dx": [list(r) for r in zip(*dxs)]}
    return {"dgamma": dgammas[0], "dbeta": dbetas[0], "dx": dxs[0]}


class BatchNormBackward(Problem[BatchNormBackwardParams]):
    id = "batchnorm.backward"
    summary = (
        "BatchNorm's backward pass in training mode: ∂L/∂γ, ∂L/∂β and ∂L/∂x from the upstream "
        "gradient ∂L/∂y, with the three-term formula for ∂L/∂x (direct, mean and variance paths)."
    )
    topic = "norm"
    Params = BatchNormBackwardParams

    def solve(self, p: BatchNormBackwardParams, trace: Trace) -> Any:
        gammas = p.per_channel("gamma")
        trace.note(
            "Why every input's gradient depends on the whole batch",
            "In training mode each x_j enters the batch mean μ_B and variance σ_B², which every "
            "output uses; so ∂L/∂x_i has three terms: the direct path through x̂_i, the path "
            "through μ_B and the path through σ_B².",
        )
        dgammas, dbetas, dxs = [], [], []
        for c, (col, g) in enumerate(zip(p.columns(), p.columns("upstream"))):
            where = f" (channel {c})" if p.matrix_input else ""
            m = len(col)
            gamma = gammas[c]
            mean = trace.step(
                "Batch mean" + where,
                r"\mu_{B} = \frac{1}{m} \sum_{i} x_{i}",
                rf"\frac{{1}}{{{m}}} ({sum_of([paren(v) for v in col])})",
                math.fsum(col) / m,
            )
            var = trace.step(
                "Batch variance (biased)" + where,
                r"\sigma_{B}^{2} = \frac{1}{m} \sum_{i} (x_{i} - \mu_{B})^{2}",
                rf"\frac{{1}}{{{m}}} ("
                + sum_of([rf"({num(v)} - {paren(mean)})^{{2}}" for v in col])
                + ")",
                math.fsum((v - mean) ** 2 for v in col) / m,
            )
            sigma = trace.step(
                "Standard deviation used by the layer" + where,
                r"\sigma = \sqrt{\sigma_{B}^{2} + \epsilon}",
                rf"\sqrt{{{num(var)} + {num(p.eps)}}}",
                math.sqrt(var + p.eps),
            )
            xhat = trace.step(
                "Normalised inputs" + where,
                r"\hat{x}_{i} = \frac{x_{i} - \mu_{B}}{\sigma}",
                rf"\frac{{{vector(col)} - {paren(mean)}}}{{{num(sigma)}}}",
                [(v - mean) / sigma for v in col],
            )
            dbeta = trace.step(
                "Gradient of β" + where,
                r"\frac{\partial L}{\partial \beta} = \sum_{i} \frac{\partial L}{\partial y_{i}}",
                sum_of([paren(v) for v in g]),
                math.fsum(g),
            )
            dgamma = trace.step(
                "Gradient of γ" + where,
                r"\frac{\partial L}{\partial \gamma} = \sum_{i} \frac{\partial L}{\partial y_{i}} "
                r"\hat{x}_{i}",
                sum_of([rf"{paren(gi)} \cdot {paren(h)}" for gi, h in zip(g, xhat)]),
                math.fsum(gi * h for gi, h in zip(g, xhat)),
            )
            dx = trace.step(
                "Gradient of x: direct, mean and variance terms" + where,
                r"\frac{\partial L}{\partial x_{i}} = \frac{\gamma}{m \sigma} \left(m "
                r"\frac{\partial L}{\partial y_{i}} - \sum_{j} \frac{\partial L}{\partial y_{j}} "
                r"- \hat{x}_{i} \sum_{j} \frac{\partial L}{\partial y_{j}} \hat{x}_{j}\right)",
                rf"\frac{{{num(gamma)}}}{{{m} \cdot {num(sigma)}}} \left({m} \cdot {vector(g)} "
                rf"- {paren(dbeta)} - {vector(xhat)} \cdot {paren(dgamma)}\right)",
                [gamma / (m * sigma) * (m * gi - dbeta - h * dgamma) for gi, h in zip(g, xhat)],
            )
            dgammas.append(dgamma)
            dbetas.append(dbeta)
            dxs.append(dx)
        return _shape(p, dgammas, dbetas, dxs)

    def reference(self, p: BatchNormBackwardParams, device: torch.device) -> Any:
        """Autograd through torch's batch_norm in training mode (which refuses eps = 0: then
        through the same formulas in plain tensor operations)."""
        import torch
        import torch.nn.functional as F

        def t(v: Any, grad: bool = False) -> torch.Tensor:
            return torch.tensor(v, dtype=torch.float64, device=device, requires_grad=grad)

        x = t(p.x, True)
        xs = x if p.matrix_input else x.unsqueeze(1)
        gamma, beta = t(p.per_channel("gamma"), True), t(p.per_channel("beta"), True)
        if p.eps > 0:
            y = F.batch_norm(xs, None, None, gamma, beta, training=True, eps=p.eps)
        else:
            mean = xs.mean(dim=0)
            var = xs.var(dim=0, unbiased=False)
            y = gamma * (xs - mean) / torch.sqrt(var) + beta
        upstream = t(p.upstream)
        if not p.matrix_input:
            upstream = upstream.unsqueeze(1)
        dx, dgamma, dbeta = torch.autograd.grad(y, [x, gamma, beta], grad_outputs=upstream)
        if p.matrix_input:
            return {"dgamma": dgamma.tolist(), "dbeta": dbeta.tolist(), "dx": dx.tolist()}
        return {"dgamma": dgamma[0].item(), "dbeta": dbeta[0].item(), "dx": dx.cpu().tolist()}

    # --- misconceptions ----------------------------------------------------------------------
    def _if_different(self, p: BatchNormBackwardParams, **rule: Any) -> Any:
        from engine.values import max_abs_diff

        wrong, right = bn_backward(p, **rule), bn_backward(p)
        return None if max_abs_diff(wrong, right) < 1e-9 else wrong

    @misconception("forgot_one_over_m")
    def _forgot_one_over_m(self, p: BatchNormBackwardParams) -> Wrong | None:
        wrong = self._if_different(p, sum_scale=1.0)
        if wrong is None:
            return None
        m = len(p.columns()[0])
        return Wrong(
            wrong,
            f"You left out the 1/m of the mean and variance paths: ∂μ_B/∂x_i = 1/m and "
            f"∂σ_B²/∂x_i = 2(x_i − μ_B)/m, so both sums are divided by m = {m}: "
            f"∂L/∂x_i = (γ/σ)(g_i − (1/m)Σg_j − x̂_i·(1/m)Σg_j x̂_j).",
        )

    @misconception("statistics_as_constants")
    def _statistics_as_constants(self, p: BatchNormBackwardParams) -> Wrong | None:
        wrong = self._if_different(p, statistics_constant=True)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You treated μ_B and σ_B² as constants and gave ∂L/∂x_i = γ·g_i/σ. In training mode "
            "they are computed from the batch, so two more terms come back through them: "
            "subtract the mean of g and x̂_i times the mean of g·x̂.",
        )

    @misconception("forgot_variance_path")
    def _forgot_variance_path(self, p: BatchNormBackwardParams) -> Wrong | None:
        wrong = self._if_different(p, variance_term=False)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You kept the mean's path but not the variance's: σ_B² depends on every x_j too, "
            "which gives the term −x̂_i·(1/m)Σ_j g_j x̂_j.",
        )

    @misconception("forgot_mean_path")
    def _forgot_mean_path(self, p: BatchNormBackwardParams) -> Wrong | None:
        wrong = self._if_different(p, mean_term=False)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You kept the variance's path but not the mean's: μ_B depends on every x_j, which "
            "gives the term −(1/m)Σ_j g_j.",
        )

    @misconception("forgot_gamma", part="dx")
    def _forgot_gamma(self, p: BatchNormBackwardParams) -> Wrong | None:
        wrong = self._if_different(p, with_gamma=False)
        if wrong is None:
            return None
        return Wrong(
            wrong["dx"],
            f"You left out γ = {fmt_list(p.per_channel('gamma')) if p.matrix_input else fmt(p.per_channel('gamma')[0])}: "
            "y = γx̂ + β, so ∂L/∂x̂ = γ·∂L/∂y before the rest of the chain.",
        )

    @misconception("dgamma_with_x", part="dgamma")
    def _dgamma_with_x(self, p: BatchNormBackwardParams) -> Wrong | None:
        wrong = self._if_different(p, dgamma_on_x=True)
        if wrong is None:
            return None
        return Wrong(
            wrong["dgamma"],
            "You multiplied the upstream gradient by x instead of by x̂: y = γx̂ + β, so "
            "∂L/∂γ = Σ_i (∂L/∂y_i)·x̂_i.",
        )
