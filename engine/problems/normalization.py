"""Batch normalisation's forward pass: batch statistics, normalised values and running buffers.

This module owns `batchnorm.forward` and the batch parameter type `batchnorm.backward` shares. It
follows PyTorch's `nn.BatchNorm1d` exactly: in training mode the batch is normalised with the
biased variance (divide by m), the running variance is updated with the unbiased one (divide by
m − 1), and `momentum` is the weight of the new batch:
running ← (1 − momentum)·running + momentum·batch statistic. At prediction time
(`training=false`) the layer normalises with the running statistics and leaves them unchanged.

PyTorch refuses eps = 0 in training mode, a legal input here (the maths only needs a non-zero
variance): the reference then computes the same formulas with plain tensor operations.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from engine.errors import ProblemError
from engine.latex import num, paren, vector
from engine.params import ParamModel, Real
from engine.problem import Problem, Wrong, misconception
from engine.problems.activations import NumberOrVector
from engine.trace import Trace

if TYPE_CHECKING:
    import torch


def _batch(v: Any) -> list[float] | list[list[float]]:
    """x: one feature over a batch (a list) or an N×C matrix (one row per example)."""
    message = "must be a list of numbers (one feature over a batch) or an N×C matrix"
    if not isinstance(v, list | tuple) or not v:
        raise ValueError(message)

    def real(e: Any) -> float:
        if isinstance(e, bool) or not isinstance(e, int | float) or not math.isfinite(e):
            raise ValueError(message)
        return float(e)

    if all(isinstance(r, list | tuple) for r in v):
        width = len(v[0])
        if width == 0 or any(len(r) != width for r in v):
            raise ValueError("must be a matrix: every row non-empty and of the same length")
        return [[real(e) for e in r] for r in v]
    return [real(e) for e in v]


Batch = Annotated[list[list[float]] | list[float], BeforeValidator(_batch)]
PER_CHANNEL = ("gamma", "beta", "running_mean", "running_var")


class BatchNormParams(ParamModel):
    x: Batch = Field(description="one feature over a batch (list), or N×C (one row per example)")
    gamma: NumberOrVector = Field(1.0, description="scale γ (number, or one per channel)")
    beta: NumberOrVector = Field(0.0, description="shift β (number, or one per channel)")
    eps: Real = Field(1e-5, description="added to the variance before the square root")
    momentum: Real = Field(0.1, description="weight of the new batch in the running statistics")
    running_mean: NumberOrVector = Field(0.0, description="running mean before this batch")
    running_var: NumberOrVector = Field(1.0, description="running variance before this batch")
    training: bool = Field(
        True, description="false: prediction time, normalise with the running statistics"
    )

    @property
    def matrix_input(self) -> bool:
        return isinstance(self.x[0], list)

    @property
    def columns(self) -> list[list[float]]:
        """The batch channel by channel: C lists of N values."""
        if self.matrix_input:
            return [list(c) for c in zip(*self.x)]
        return [list(self.x)]  # type: ignore[arg-type]

    def per_channel(self, name: str) -> list[float]:
        value = getattr(self, name)
        if isinstance(value, list):
            return list(value)
        return [value] * len(self.columns)

    @model_validator(mode="after")
    def _check(self) -> BatchNormParams:
        channels = len(self.columns)
        m = len(self.columns[0])
        if m < 2 and self.training:
            raise ProblemError(
                "x",
                "a batch of one example has no spread to normalise by: BatchNorm in training "
                "mode needs at least 2 values per channel",
            )
        for name in PER_CHANNEL:
            value = getattr(self, name)
            if isinstance(value, list) and len(value) != channels:
                if channels == 1:
                    raise ProblemError(name, "x is one feature, so give a single number")
                raise ProblemError(
                    name,
                    f"expected {channels} numbers, one per channel (columns of x), "
                    f"got {len(value)}",
                )
        if not 0 <= self.momentum <= 1:
            raise ProblemError("momentum", "must be between 0 and 1 (the weight of the new batch)")
        if not self.training:
            for c, v in enumerate(self.per_channel("running_var")):
                where = f" (channel {c})" if self.matrix_input else ""
                if v < 0:
                    raise ProblemError("running_var", f"a variance cannot be negative{where}")
                if v + self.eps == 0:
                    raise ProblemError(
                        "eps",
                        f"the running variance{where} is 0, so eps = 0 would divide by zero",
                    )
            if self.eps < 0:
                raise ProblemError("eps", "must be ≥ 0")
            return self
        check_spread(self.columns, self.eps, self.matrix_input)
        return self


def check_spread(columns: list[list[float]], eps: float, matrix_input: bool) -> None:
    """eps ≥ 0, and with eps = 0 every channel of the batch must have some spread."""
    if eps < 0:
        raise ProblemError("eps", "must be ≥ 0")
    if eps == 0:
        for c, col in enumerate(columns):
            if max(col) == min(col):
                where = f"channel {c} of x" if matrix_input else "x"
                raise ProblemError(
                    "eps",
                    f"every value in {where} is the same, so the variance is 0 and eps = 0 "
                    f"would divide by zero",
                )


def _stats(col: list[float]) -> tuple[float, float]:
    """Mean and biased variance of one channel."""
    m = len(col)
    mean = math.fsum(col) / m
    return mean, math.fsum((v - mean) ** 2 for v in col) / m


def batchnorm(
    p: BatchNormParams,
    *,
    normalise_unbiased: bool = False,
    running_unbiased: bool = True,
    momentum_weights_old: bool = False,
    no_sqrt: bool = False,
    batch_statistics: bool = False,
) -> dict[str, Any]:
    """The answer; the keyword arguments switch on known wrong rules (for misconceptions).

    `batch_statistics` normalises with the batch at prediction time too (a wrong rule).
    """
    means, variances, xhats, ys, rms, rvs = [], [], [], [], [], []
    gammas, betas = p.per_channel("gamma"), p.per_channel("beta")
    old_means, old_vars = p.per_channel("running_mean"), p.per_channel("running_var")
    if not p.training and not batch_statistics:
        for c, col in enumerate(p.columns):
            scale = old_vars[c] + p.eps if no_sqrt else math.sqrt(old_vars[c] + p.eps)
            xhat = [(v - old_means[c]) / scale for v in col]
            xhats.append(xhat)
            ys.append([gammas[c] * h + betas[c] for h in xhat])
        return _shape(p, old_means, old_vars, xhats, ys, old_means, old_vars)
    mom = 1.0 - p.momentum if momentum_weights_old else p.momentum
    for c, col in enumerate(p.columns):
        m = len(col)
        mean, var = _stats(col)
        unbiased = var * m / (m - 1)
        if normalise_unbiased:
            var = unbiased
        scale = var + p.eps if no_sqrt else math.sqrt(var + p.eps)
        xhat = [(v - mean) / scale for v in col]
        means.append(mean)
        variances.append(var)
        xhats.append(xhat)
        ys.append([gammas[c] * h + betas[c] for h in xhat])
        rms.append((1.0 - mom) * old_means[c] + mom * mean)
        rvs.append((1.0 - mom) * old_vars[c] + mom * (unbiased if running_unbiased else var))
    return _shape(p, means, variances, xhats, ys, rms, rvs)


def _shape(p: BatchNormParams, *parts: list[Any]) -> dict[str, Any]:
    """Per-channel results in the shape of x: numbers for a list, lists and matrices for N×C."""
    keys = ("mean", "var", "x_hat", "y", "running_mean", "running_var")
    if p.matrix_input:
        out = dict(zip(keys, parts))
        out["x_hat"] = [list(r) for r in zip(*out["x_hat"])]
        out["y"] = [list(r) for r in zip(*out["y"])]
        return out
    return {k: v[0] for k, v in zip(keys, parts)}


def _fmt(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(e) for e in v) + "]"
    return f"{v:.4g}"


def normalise_and_shift(
    trace: Trace,
    title: str,
    stats: tuple[str, str],
    where: str,
    col: list[float],
    mean: float,
    var: float,
    eps: float,
    gamma: float,
    beta: float,
) -> tuple[list[float], list[float]]:
    """The two steps every BatchNorm output takes, x̂ then y = γ·x̂ + β, with the statistics
    named `stats` (the batch's in training, the running ones at prediction time)."""
    mu, sigma2 = stats
    denom = math.sqrt(var + eps)
    xhat = trace.step(
        title,
        rf"\hat{{x}}_{{i}} = \frac{{x_{{i}} - {mu}}}{{\sqrt{{{sigma2} + \epsilon}}}}",
        rf"\frac{{{vector(col)} - {paren(mean)}}}{{\sqrt{{{num(var)} + {num(eps)}}}}}",
        [(v - mean) / denom for v in col],
    )
    y = trace.step(
        "Scale and shift" + where,
        r"y_{i} = \gamma \hat{x}_{i} + \beta",
        rf"{paren(gamma)} \cdot {vector(xhat)} + {paren(beta)}",
        [gamma * h + beta for h in xhat],
    )
    return xhat, y


class BatchNormForward(Problem[BatchNormParams]):
    id = "batchnorm.forward"
    summary = (
        "BatchNorm as nn.BatchNorm1d: in training mode the batch mean and biased variance, x̂, "
        "y = γx̂ + β, and the running mean and variance (updated with the unbiased variance); "
        "with training=false, prediction time: normalised with the running statistics."
    )
    topic = "norm"
    Params = BatchNormParams

    def solve(self, p: BatchNormParams, trace: Trace) -> Any:
        if not p.training:
            return self._predict(p, trace)
        gammas, betas = p.per_channel("gamma"), p.per_channel("beta")
        old_means, old_vars = p.per_channel("running_mean"), p.per_channel("running_var")
        mom = p.momentum
        means, variances, xhats, ys, rms, rvs = [], [], [], [], [], []
        for c, col in enumerate(p.columns):
            where = f" (channel {c})" if p.matrix_input else ""
            m = len(col)
            mean = trace.step(
                "Batch mean" + where,
                r"\mu_{B} = \frac{1}{m} \sum_{i=1}^{m} x_{i}",
                rf"\frac{{1}}{{{m}}} ({' + '.join(paren(v) for v in col)})",
                math.fsum(col) / m,
            )
            squares = " + ".join(rf"({num(v)} - {paren(mean)})^{{2}}" for v in col)
            var = trace.step(
                "Batch variance (biased, divide by m)" + where,
                r"\sigma_{B}^{2} = \frac{1}{m} \sum_{i=1}^{m} (x_{i} - \mu_{B})^{2}",
                rf"\frac{{1}}{{{m}}} ({squares})",
                math.fsum((v - mean) ** 2 for v in col) / m,
            )
            xhat, y = normalise_and_shift(
                trace, "Normalise" + where, (r"\mu_{B}", r"\sigma_{B}^{2}"), where,
                col, mean, var, p.eps, gammas[c], betas[c],
            )  # fmt: skip
            rm = trace.step(
                "Running mean" + where,
                r"\hat{\mu} \leftarrow (1 - \text{momentum}) \, \hat{\mu} + \text{momentum} \cdot \mu_{B}",
                rf"(1 - {num(mom)}) \cdot {paren(old_means[c])} + {num(mom)} \cdot {paren(mean)}",
                (1.0 - mom) * old_means[c] + mom * mean,
            )
            unbiased = trace.step(
                "Unbiased batch variance (divide by m − 1), for the running estimate" + where,
                r"s^{2} = \frac{m}{m - 1} \sigma_{B}^{2}",
                rf"\frac{{{m}}}{{{m - 1}}} \cdot {num(var)}",
                var * m / (m - 1),
            )
            rv = trace.step(
                "Running variance" + where,
                r"\hat{\sigma}^{2} \leftarrow (1 - \text{momentum}) \, \hat{\sigma}^{2} + \text{momentum} \cdot s^{2}",
                rf"(1 - {num(mom)}) \cdot {paren(old_vars[c])} + {num(mom)} \cdot {num(unbiased)}",
                (1.0 - mom) * old_vars[c] + mom * unbiased,
            )
            means.append(mean)
            variances.append(var)
            xhats.append(xhat)
            ys.append(y)
            rms.append(rm)
            rvs.append(rv)
        return _shape(p, means, variances, xhats, ys, rms, rvs)

    def _predict(self, p: BatchNormParams, trace: Trace) -> Any:
        """Prediction time: the running statistics stand in for the batch's, and stay as they are."""
        gammas, betas = p.per_channel("gamma"), p.per_channel("beta")
        means, variances = p.per_channel("running_mean"), p.per_channel("running_var")
        trace.note(
            "Prediction time",
            "The layer normalises with the running mean and variance estimated during training, "
            "not with statistics of this batch, so each example's output does not depend on the "
            "others; the running statistics are not updated.",
        )
        xhats, ys = [], []
        for c, col in enumerate(p.columns):
            where = f" (channel {c})" if p.matrix_input else ""
            mean, var = means[c], variances[c]
            xhat, y = normalise_and_shift(
                trace, "Normalise with the running statistics" + where,
                (r"\hat{\mu}", r"\hat{\sigma}^{2}"), where,
                col, mean, var, p.eps, gammas[c], betas[c],
            )  # fmt: skip
            xhats.append(xhat)
            ys.append(y)
        return _shape(p, means, variances, xhats, ys, means, variances)

    def reference(self, p: BatchNormParams, device: torch.device) -> Any:
        import torch

        if p.training and p.eps == 0:
            return _reference_without_eps(p, device)
        channels = len(p.columns)
        bn = torch.nn.BatchNorm1d(
            channels, eps=p.eps, momentum=p.momentum, device=device, dtype=torch.float64
        )
        with torch.no_grad():
            bn.weight.copy_(torch.tensor(p.per_channel("gamma"), dtype=torch.float64))
            bn.bias.copy_(torch.tensor(p.per_channel("beta"), dtype=torch.float64))
            for name in ("running_mean", "running_var"):
                buffer = getattr(bn, name)
                buffer.copy_(torch.tensor(p.per_channel(name), dtype=torch.float64))
        bn.train(p.training)
        x = torch.tensor(p.x, dtype=torch.float64, device=device)
        if not p.matrix_input:
            x = x.unsqueeze(1)
        with torch.no_grad():
            y = bn(x)
        if not p.training:
            # eval mode: x̂ is what the same layer gives with γ = 1 and β = 0
            with torch.no_grad():
                bn.weight.fill_(1.0)
                bn.bias.zero_()
                x_hat = bn(x)
            rm, rv = bn.running_mean, bn.running_var
            parts = [rm, rv, x_hat.T, y.T, rm, rv]
            return _shape(p, *[t.cpu().tolist() for t in parts])
        # the module keeps neither the batch statistics nor x̂: x̂ is what a BatchNorm without
        # affine weights returns, and the statistics are read off the input
        plain = torch.nn.BatchNorm1d(
            channels,
            eps=p.eps,
            affine=False,
            track_running_stats=False,
            device=device,
            dtype=torch.float64,
        )
        with torch.no_grad():
            x_hat = plain(x)
        mean = x.mean(dim=0)
        var = x.var(dim=0, unbiased=False)
        parts = [mean, var, x_hat.T, y.T, bn.running_mean, bn.running_var]
        return _shape(p, *[t.cpu().tolist() for t in parts])

    # --- misconceptions ----------------------------------------------------------------------
    @misconception("batch_statistics_at_prediction")
    def _batch_statistics_at_prediction(self, p: BatchNormParams) -> Wrong | None:
        if p.training or len(p.columns[0]) < 2 or any(max(c) == min(c) for c in p.columns):
            return None
        wrong = batchnorm(p, batch_statistics=True)
        if wrong == batchnorm(p):
            return None
        return Wrong(
            wrong,
            "You normalised with this batch's mean and variance, as in training. At prediction "
            "time BatchNorm uses the running mean and variance: x̂ = (x − μ̂)/√(σ̂² + ε), and "
            "leaves them unchanged.",
        )

    @misconception("unbiased_variance")
    def _unbiased_variance(self, p: BatchNormParams) -> Wrong | None:
        if not p.training:
            return None
        m = len(p.columns[0])
        return Wrong(
            batchnorm(p, normalise_unbiased=True),
            f"You normalised with the unbiased variance (dividing by m − 1 = {m - 1}). In "
            f"training mode BatchNorm divides by the batch size m = {m}; only the running "
            f"variance uses m − 1.",
        )

    @misconception("biased_running_var", part="running_var")
    def _biased_running_var(self, p: BatchNormParams) -> Wrong | None:
        if p.momentum == 0 or not p.training:
            return None
        m = len(p.columns[0])
        wrong = batchnorm(p, running_unbiased=False)["running_var"]
        return Wrong(
            wrong,
            f"You updated the running variance with the biased batch variance. PyTorch uses the "
            f"unbiased one there, m/(m − 1)·σ²_B with m = {m}, so the running estimate of the "
            f"population variance is not too small.",
        )

    @misconception("momentum_swapped")
    def _momentum_swapped(self, p: BatchNormParams) -> Wrong | None:
        if not p.training:
            return None
        wrong = batchnorm(p, momentum_weights_old=True)
        if p.momentum == 0.5 or wrong == batchnorm(p):
            return None
        return Wrong(
            wrong,
            f"You gave the weight {num(p.momentum)} to the old running value. In PyTorch momentum "
            f"is the weight of the new batch: running ← (1 − {num(p.momentum)})·running + "
            f"{num(p.momentum)}·batch statistic.",
        )

    @misconception("forgot_sqrt")
    def _forgot_sqrt(self, p: BatchNormParams) -> Wrong | None:
        wrong = batchnorm(p, no_sqrt=True)
        right = batchnorm(p)
        if wrong["x_hat"] == right["x_hat"]:
            return None
        return Wrong(
            wrong,
            f"You divided by the variance {_fmt(right['var'])} plus ε instead of by its square "
            f"root: x̂ = (x − μ_B)/√(σ²_B + ε), the standard deviation.",
        )

    @misconception("forgot_beta", part="y")
    def _forgot_beta(self, p: BatchNormParams) -> Wrong | None:
        if all(b == 0 for b in p.per_channel("beta")):
            return None
        wrong = batchnorm(p.model_copy(update={"beta": 0.0}))["y"]
        return Wrong(
            wrong,
            "You scaled x̂ by γ but forgot the shift: the layer's output is y = γ·x̂ + β, and "
            "β is learned just as γ is.",
        )


def _reference_without_eps(p: BatchNormParams, device: torch.device) -> Any:
    """Training mode with eps = 0, which torch's batch_norm refuses: the same formulas in plain
    tensor operations (torch.var for the biased and unbiased variances)."""
    import torch

    x = torch.tensor(p.x, dtype=torch.float64, device=device)
    if not p.matrix_input:
        x = x.unsqueeze(1)

    def channels(name: str) -> torch.Tensor:
        return torch.tensor(p.per_channel(name), dtype=torch.float64, device=device)

    mean = x.mean(dim=0)
    var = x.var(dim=0, unbiased=False)
    x_hat = (x - mean) / torch.sqrt(var)
    y = channels("gamma") * x_hat + channels("beta")
    rm = (1 - p.momentum) * channels("running_mean") + p.momentum * mean
    rv = (1 - p.momentum) * channels("running_var") + p.momentum * x.var(dim=0, unbiased=True)
    parts = [mean, var, x_hat.T, y.T, rm, rv]
    return _shape(p, *[t.cpu().tolist() for t in parts])
