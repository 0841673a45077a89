"""Optimisers: parameter updates of SGD, momentum, Nesterov, Adagrad, RMSprop, Adam and AdamW.

One problem, `optim.step`, runs an optimiser over a list of given gradients and records its state
at every step. The arithmetic follows `torch.optim` exactly (weight decay added to the gradient,
except AdamW's decoupled decay; epsilon outside the square root; the SGD momentum buffer starts
at the first gradient, undamped) and the reference steps the real torch optimiser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from engine.compare import distinct
from engine.errors import ProblemError
from engine.latex import num, paren, text_num, vector
from engine.params import ParamModel, Real, Vector
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch

Name = Literal["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]

# torch's defaults where they depend on the optimiser
DEFAULT_EPS = {"adagrad": 1e-10, "rmsprop": 1e-8, "adam": 1e-8, "adamw": 1e-8}
DEFAULT_WEIGHT_DECAY = {"adamw": 0.01}
MAX_STEPS = 50

# Small parameter changes are the whole point of an optimiser step: θ = 0.5 → 0.499 must not be
# accepted as 0.5, so answers here are checked to a relative error of 1e-4 (about 4 figures).
RELATIVE_TOLERANCE = 1e-4


def _gradient_list(v: Any) -> list[list[float]]:
    example = "e.g. [[0.1, -0.2]] for one step of a 2-parameter model"
    if not isinstance(v, list | tuple) or not v:
        raise ValueError(f"must be a list of gradient vectors, one per step, {example}")
    if not all(isinstance(g, list | tuple) for g in v):
        raise ValueError(f"must be a list of gradient vectors (one per step), {example}")
    rows = []
    for g in v:
        if not g:
            raise ValueError("every gradient must be a non-empty list of numbers")
        for x in g:
            if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
                raise ValueError("every gradient must be a list of finite numbers")
        rows.append([float(x) for x in g])
    return rows


GradientList = Annotated[list[list[float]], BeforeValidator(_gradient_list)]


class OptimParams(ParamModel):
    name: Name = Field(description="the optimiser")
    params: Vector = Field(description="the starting parameters θ₀")
    grads: GradientList = Field(description="one gradient vector per step, each as long as params")
    lr: Real = Field(description="learning rate η")
    momentum: Real = Field(0.9, description="momentum μ (optimisers momentum and nesterov)")
    dampening: Real = Field(0.0, description="dampening τ of the momentum buffer")
    weight_decay: Real | None = Field(
        None, description="weight decay λ; null: torch's default (0.01 for adamw, else 0)"
    )
    alpha: Real = Field(0.99, description="RMSprop smoothing constant")
    eps: Real | None = Field(
        None, description="ε; null: torch's default (1e-10 for adagrad, 1e-8 otherwise)"
    )
    betas: Vector = Field([0.9, 0.999], description="Adam's (β₁, β₂)")
    centered: bool = Field(False, description="centred RMSprop")
    initial_accumulator_value: Real = Field(0.0, description="Adagrad's starting sum of squares")

    @model_validator(mode="before")
    @classmethod
    def _torch_defaults(cls, data: Any) -> Any:
        # Fill in the optimiser-dependent defaults so that the echoed parameters show the
        # numbers actually used (weight_decay 0.01 for adamw, eps 1e-10 for adagrad).
        if isinstance(data, dict):
            name = data.get("name")
            data = dict(data)
            if data.get("weight_decay") is None:
                data["weight_decay"] = DEFAULT_WEIGHT_DECAY.get(str(name), 0.0)
            if data.get("eps") is None:
                data["eps"] = DEFAULT_EPS.get(str(name), 1e-8)
        return data

    @model_validator(mode="after")
    def _check(self) -> OptimParams:
        n = len(self.params)
        if len(self.grads) > MAX_STEPS:
            raise ProblemError("grads", f"at most {MAX_STEPS} steps, got {len(self.grads)}")
        for i, g in enumerate(self.grads):
            if len(g) != n:
                raise ProblemError(
                    "grads",
                    f"gradient {i + 1} has {len(g)} number{'s' if len(g) != 1 else ''}, "
                    f"expected {n} to match params "
                    f"(length {n})",
                )
        if self.lr < 0:
            raise ProblemError("lr", "the learning rate must be ≥ 0")
        if self.momentum < 0:
            raise ProblemError("momentum", "must be ≥ 0")
        if not 0 <= self.dampening <= 1:
            raise ProblemError("dampening", "must be between 0 and 1")
        if self.wd < 0:
            raise ProblemError("weight_decay", "must be ≥ 0")
        if not 0 <= self.alpha <= 1:
            raise ProblemError("alpha", "must be between 0 and 1")
        if self.epsilon < 0:
            raise ProblemError("eps", "must be ≥ 0")
        if len(self.betas) != 2:
            raise ProblemError("betas", f"must be two numbers [β₁, β₂], got {len(self.betas)}")
        if not all(0 <= b < 1 for b in self.betas):
            raise ProblemError("betas", "each β must be in [0, 1)")
        if self.initial_accumulator_value < 0:
            raise ProblemError("initial_accumulator_value", "must be ≥ 0")
        if self.name == "nesterov":
            if self.momentum <= 0:
                raise ProblemError("momentum", "Nesterov momentum needs momentum > 0")
            if self.dampening != 0:
                raise ProblemError("dampening", "Nesterov momentum needs dampening 0")
        return self

    @property
    def wd(self) -> float:
        return float(self.weight_decay or 0.0)

    @property
    def epsilon(self) -> float:
        return float(self.eps or 0.0)


@dataclass(frozen=True)
class Rule:
    """How the update is done: torch's way by default; each misconception switches one thing."""

    momentum: bool = True  # False: plain SGD steps for momentum/nesterov
    nesterov: bool = True  # False: Nesterov asked for, ordinary momentum done
    damp_first: bool = False  # the first buffer damped as well: b₁ = (1 − τ)·g₁
    bias_correction: bool = True
    eps_inside_sqrt: bool = False
    weight_decay: bool = True
    decoupled: bool | None = None  # None: as torch does (decoupled for AdamW only)
    centered: bool | None = None  # None: as asked
    accumulate: bool = True  # False (Adagrad): only the current squared gradient


def _v(x: Sequence[float] | np.ndarray) -> str:
    """A vector as LaTeX; a single parameter as a plain number."""
    values = list(x)
    return paren(values[0]) if len(values) == 1 else vector(values)


def _sq(x: np.ndarray) -> str:
    return f"{_v(x)}^{{2}}"


def _divided(eta: float, top: np.ndarray, root: np.ndarray, eps: float, inside: bool) -> str:
    if inside:
        denominator = rf"\sqrt{{{_v(root)} + {num(eps)}}}"
    else:
        denominator = rf"\sqrt{{{_v(root)}}} + {num(eps)}"
    return rf"{num(eta)} \cdot \frac{{{_v(top)}}}{{{denominator}}}"


def run(p: OptimParams, trace: Trace, rule: Rule = Rule()) -> list[list[float]]:
    """Step the optimiser through every gradient; returns θ₁ … θ_T."""
    import numpy as np

    name, lr, wd, eps = p.name, p.lr, p.wd if rule.weight_decay else 0.0, p.epsilon
    decoupled = (name == "adamw") if rule.decoupled is None else rule.decoupled
    centered = p.centered if rule.centered is None else rule.centered
    mu, tau = p.momentum, p.dampening
    b1, b2 = p.betas
    theta = np.array(p.params, dtype=np.float64)
    n = len(theta)
    zeros = np.zeros(n)
    buf = zeros.copy()
    acc = np.full(n, p.initial_accumulator_value, dtype=np.float64)
    avg = zeros.copy()
    m, v = zeros.copy(), zeros.copy()
    out: list[list[float]] = []
    ew = ", element-wise" if n > 1 else ""

    def record(title: str, formula: str, substituted: str, value: np.ndarray) -> np.ndarray:
        # one parameter is traced as a number, matching the numbers in the substituted formula
        trace.step(title, formula, substituted, value[0] if n == 1 else value)
        return value

    # a zero denominator (eps = 0 and nothing accumulated yet) is reported below as a ProblemError
    with np.errstate(divide="ignore", invalid="ignore"):
        for t, raw in enumerate(p.grads, start=1):
            s = f"Step {t}: "
            prev = rf"\theta_{{{t - 1}}}"
            g = np.array(raw, dtype=np.float64)
            if wd and decoupled:
                shrink = 1 - lr * wd
                theta = record(
                    s + "decoupled weight decay (AdamW shrinks θ before the Adam step)",
                    rf"\theta' = \theta_{{{t - 1}}} (1 - \eta \lambda)",
                    rf"{_v(theta)} \cdot (1 - {num(lr)} \cdot {num(wd)})",
                    theta * shrink,
                )
                prev = r"\theta'"
            elif wd:
                g = record(
                    s + "gradient plus weight decay (L2 term added to the gradient)",
                    rf"g_{{{t}}} = \nabla L(\theta_{{{t - 1}}}) + \lambda \theta_{{{t - 1}}}",
                    rf"{_v(raw)} + {num(wd)} \cdot {_v(theta)}",
                    g + wd * theta,
                )

            if name == "sgd" or (name in ("momentum", "nesterov") and not rule.momentum):
                update = g
                formula = rf"\theta_{{{t}}} = {prev} - \eta g_{{{t}}}"
                substituted = rf"{_v(theta)} - {num(lr)} \cdot {_v(g)}"
                theta = theta - lr * update
            elif name in ("momentum", "nesterov"):
                if t == 1 and not rule.damp_first:
                    buf = record(
                        s + "momentum buffer (torch starts it at the first gradient, undamped)",
                        r"b_{1} = g_{1}",
                        "",
                        g.copy(),
                    )
                elif t == 1:
                    buf = record(
                        s + "momentum buffer",
                        r"b_{1} = (1 - \tau) g_{1}",
                        rf"(1 - {num(tau)}) \cdot {_v(g)}",
                        (1 - tau) * g,
                    )
                else:
                    buf = record(
                        s + "momentum buffer",
                        rf"b_{{{t}}} = \mu b_{{{t - 1}}} + (1 - \tau) g_{{{t}}}",
                        rf"{num(mu)} \cdot {_v(buf)} + (1 - {num(tau)}) \cdot {_v(g)}",
                        mu * buf + (1 - tau) * g,
                    )
                if name == "nesterov" and rule.nesterov:
                    update = record(
                        s + "Nesterov look-ahead direction",
                        rf"d_{{{t}}} = g_{{{t}}} + \mu b_{{{t}}}",
                        rf"{_v(g)} + {num(mu)} \cdot {_v(buf)}",
                        g + mu * buf,
                    )
                    formula = rf"\theta_{{{t}}} = {prev} - \eta d_{{{t}}}"
                else:
                    update = buf
                    formula = rf"\theta_{{{t}}} = {prev} - \eta b_{{{t}}}"
                substituted = rf"{_v(theta)} - {num(lr)} \cdot {_v(update)}"
                theta = theta - lr * update
            elif name == "adagrad":
                if rule.accumulate:
                    acc = record(
                        s + f"sum of squared gradients (s₀ = initial accumulator{ew})",
                        rf"s_{{{t}}} = s_{{{t - 1}}} + g_{{{t}}}^{{2}}",
                        rf"{_v(acc)} + {_sq(g)}",
                        acc + g * g,
                    )
                else:
                    acc = g * g
                formula = (
                    rf"\theta_{{{t}}} = {prev} - \eta \frac{{g_{{{t}}}}}"
                    rf"{{\sqrt{{s_{{{t}}}}} + \epsilon}}"
                )
                substituted = rf"{_v(theta)} - " + _divided(lr, g, acc, eps, rule.eps_inside_sqrt)
                root = np.sqrt(acc + eps) if rule.eps_inside_sqrt else np.sqrt(acc) + eps
                theta = theta - lr * g / root
            elif name == "rmsprop":
                acc = record(
                    s + f"running average of squared gradients (v₀ = 0{ew})",
                    rf"v_{{{t}}} = \alpha v_{{{t - 1}}} + (1 - \alpha) g_{{{t}}}^{{2}}",
                    rf"{num(p.alpha)} \cdot {_v(acc)} + (1 - {num(p.alpha)}) \cdot {_sq(g)}",
                    p.alpha * acc + (1 - p.alpha) * g * g,
                )
                if centered:
                    avg = record(
                        s + "running average of gradients (centred RMSprop)",
                        rf"\bar{{g}}_{{{t}}} = \alpha \bar{{g}}_{{{t - 1}}} + (1 - \alpha) g_{{{t}}}",
                        rf"{num(p.alpha)} \cdot {_v(avg)} + (1 - {num(p.alpha)}) \cdot {_v(g)}",
                        p.alpha * avg + (1 - p.alpha) * g,
                    )
                    spread = record(
                        s + "centred second moment (variance estimate)",
                        rf"v_{{{t}}} - \bar{{g}}_{{{t}}}^{{2}}",
                        rf"{_v(acc)} - {_sq(avg)}",
                        acc - avg * avg,
                    )
                    formula = (
                        rf"\theta_{{{t}}} = {prev} - \eta \frac{{g_{{{t}}}}}"
                        rf"{{\sqrt{{v_{{{t}}} - \bar{{g}}_{{{t}}}^{{2}}}} + \epsilon}}"
                    )
                else:
                    spread = acc
                    formula = (
                        rf"\theta_{{{t}}} = {prev} - \eta \frac{{g_{{{t}}}}}"
                        rf"{{\sqrt{{v_{{{t}}}}} + \epsilon}}"
                    )
                substituted = rf"{_v(theta)} - " + _divided(
                    lr, g, spread, eps, rule.eps_inside_sqrt
                )
                root = np.sqrt(spread + eps) if rule.eps_inside_sqrt else np.sqrt(spread) + eps
                theta = theta - lr * g / root
            else:  # adam, adamw
                m = record(
                    s + "first moment (running mean of gradients)",
                    rf"m_{{{t}}} = \beta_{{1}} m_{{{t - 1}}} + (1 - \beta_{{1}}) g_{{{t}}}",
                    rf"{num(b1)} \cdot {_v(m)} + (1 - {num(b1)}) \cdot {_v(g)}",
                    b1 * m + (1 - b1) * g,
                )
                v = record(
                    s + f"second moment (running mean of squared gradients{ew})",
                    rf"v_{{{t}}} = \beta_{{2}} v_{{{t - 1}}} + (1 - \beta_{{2}}) g_{{{t}}}^{{2}}",
                    rf"{num(b2)} \cdot {_v(v)} + (1 - {num(b2)}) \cdot {_sq(g)}",
                    b2 * v + (1 - b2) * g * g,
                )
                if rule.bias_correction:
                    m_hat = record(
                        s + "bias-corrected first moment",
                        rf"\hat{{m}}_{{{t}}} = \frac{{m_{{{t}}}}}{{1 - \beta_{{1}}^{{{t}}}}}",
                        rf"\frac{{{_v(m)}}}{{1 - {num(b1)}^{{{t}}}}}",
                        m / (1 - b1**t),
                    )
                    v_hat = record(
                        s + "bias-corrected second moment",
                        rf"\hat{{v}}_{{{t}}} = \frac{{v_{{{t}}}}}{{1 - \beta_{{2}}^{{{t}}}}}",
                        rf"\frac{{{_v(v)}}}{{1 - {num(b2)}^{{{t}}}}}",
                        v / (1 - b2**t),
                    )
                else:
                    m_hat, v_hat = m, v
                formula = (
                    rf"\theta_{{{t}}} = {prev} - \eta \frac{{\hat{{m}}_{{{t}}}}}"
                    rf"{{\sqrt{{\hat{{v}}_{{{t}}}}} + \epsilon}}"
                )
                substituted = rf"{_v(theta)} - " + _divided(
                    lr, m_hat, v_hat, eps, rule.eps_inside_sqrt
                )
                root = np.sqrt(v_hat + eps) if rule.eps_inside_sqrt else np.sqrt(v_hat) + eps
                theta = theta - lr * m_hat / root

            if not np.all(np.isfinite(theta)):
                raise ProblemError(
                    "eps",
                    f"step {t} divides by zero (the accumulated squared gradients are 0 and "
                    f"eps = {eps:g}); use eps > 0",
                )
            theta = record(s + "update the parameters", formula, substituted, theta)
            out.append([float(x) for x in theta])
    return out


def _first(values: list[list[float]]) -> str:
    """θ₁ as a person writes it, for feedback sentences."""
    row = values[0]
    text = ", ".join(f"{x:.6g}" for x in row)
    return text if len(row) == 1 else f"[{text}]"


NAMES = {
    "sgd": "SGD",
    "momentum": "SGD with momentum",
    "nesterov": "SGD with Nesterov momentum",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
}


class OptimStep(Problem[OptimParams]):
    id = "optim.step"
    summary = (
        "Parameters after T steps of an optimiser as torch.optim runs it (SGD, momentum, "
        "Nesterov, Adagrad, RMSprop, Adam, AdamW); answers checked to 1e-4 relative error."
    )
    topic = "optim"
    Params = OptimParams
    relative_tolerance = RELATIVE_TOLERANCE

    def solve(self, p: OptimParams, trace: Trace) -> Any:
        self._notes(p, trace)
        return {"params": run(p, trace)}

    def _notes(self, p: OptimParams, trace: Trace) -> None:
        said = {
            "sgd": "Plain SGD: θ ← θ − η·g (momentum and the adaptive settings are not used).",
            "momentum": "SGD with momentum as torch.optim.SGD does it: the buffer starts at the "
            "first gradient (no dampening on step 1), then b ← μ·b + (1 − τ)·g and θ ← θ − η·b.",
            "nesterov": "Nesterov momentum as torch.optim.SGD(nesterov=True) does it: the buffer "
            "as for momentum, then the step uses g + μ·b.",
            "adagrad": "Adagrad: the squared gradients are summed, and ε is added outside the "
            "square root.",
            "rmsprop": "RMSprop: a running average v of squared gradients (named v as in Adam), "
            "ε outside the square root"
            + (
                " (centred: the squared running mean of the gradients is subtracted)."
                if p.centered
                else "."
            ),
            "adam": "Adam: running means of g and g², corrected for their start at 0, and ε "
            "outside the square root.",
            "adamw": "AdamW: the Adam step, with the weight decay applied directly to θ "
            "(decoupled), not added to the gradient.",
        }[p.name]
        settings = [f"η = {text_num(p.lr)}"]
        if p.name in ("momentum", "nesterov"):
            settings += [f"μ = {p.momentum:g}", f"τ = {p.dampening:g}"]
        if p.name == "rmsprop":
            settings.append(f"α = {p.alpha:g}")
        if p.name in ("adam", "adamw"):
            settings.append(f"β₁ = {p.betas[0]:g}, β₂ = {p.betas[1]:g}")
        if p.name in DEFAULT_EPS:
            settings.append(f"ε = {text_num(p.epsilon)}")
        if p.name == "adagrad":
            settings.append(f"s₀ = {p.initial_accumulator_value:g}")
        settings.append(f"weight decay λ = {p.wd:g}")
        trace.note("Method", said + " Settings: " + ", ".join(settings) + ".")

    def reference(self, p: OptimParams, device: torch.device) -> Any:
        # torch.optim's own update functions, the ones each Optimizer.step calls. The Optimizer
        # classes themselves import torch._dynamo on first use (about a second, cold); the tests
        # hold these functions to the classes.
        import torch
        from torch.optim import adagrad, adam, adamw, rmsprop, sgd

        def zeros() -> list[torch.Tensor]:
            return [torch.zeros_like(theta)]

        theta = torch.tensor(p.params, dtype=torch.float64, device=device)
        step = [torch.tensor(0.0, dtype=torch.float64)]
        momentum_buffer: list[torch.Tensor | None] = [None]
        first, second, grad_mean = zeros(), zeros(), zeros()
        accumulator = [torch.full_like(theta, p.initial_accumulator_value)]
        common: dict[str, Any] = {"lr": p.lr, "weight_decay": p.wd, "maximize": False}
        out = []
        for g in p.grads:
            grad = [torch.tensor(g, dtype=torch.float64, device=device)]
            if p.name in ("sgd", "momentum", "nesterov"):
                momentum = p.momentum if p.name != "sgd" else 0.0
                sgd.sgd(
                    [theta],
                    grad,
                    momentum_buffer,
                    momentum=momentum,
                    dampening=p.dampening,
                    nesterov=p.name == "nesterov",
                    **common,
                )
            elif p.name == "adagrad":
                adagrad.adagrad(
                    [theta], grad, accumulator, step, lr_decay=0.0, eps=p.epsilon, **common
                )
            elif p.name == "rmsprop":
                rmsprop.rmsprop(
                    [theta],
                    grad,
                    second,
                    grad_mean,
                    [],
                    step,
                    alpha=p.alpha,
                    eps=p.epsilon,
                    momentum=0.0,
                    centered=p.centered,
                    **common,
                )
            else:
                update = adam.adam if p.name == "adam" else adamw.adamw
                update(
                    [theta],
                    grad,
                    first,
                    second,
                    [],
                    step,
                    amsgrad=False,
                    beta1=p.betas[0],
                    beta2=p.betas[1],
                    eps=p.epsilon,
                    **common,
                )
            out.append(theta.cpu().tolist())
        return {"params": out}

    # --- misconceptions ---------------------------------------------------------------------
    def _wrong(self, p: OptimParams, rule: Rule, feedback: str) -> Wrong | None:
        right = run(p, Trace())
        wrong = run(p, Trace(), rule)
        if not distinct(wrong, right, relative=RELATIVE_TOLERANCE):
            return None
        return Wrong(wrong, feedback.format(wrong=_first(wrong), right=_first(right)))

    @misconception("no_bias_correction", part="params")
    def _no_bias_correction(self, p: OptimParams) -> Wrong | None:
        if p.name not in ("adam", "adamw"):
            return None
        b1, b2 = p.betas
        return self._wrong(
            p,
            Rule(bias_correction=False),
            f"You used m and v without bias correction (giving θ₁ = {{wrong}}). Both start at 0, "
            f"so at step t divide m by 1 − β₁^t and v by 1 − β₂^t: at step 1 that is "
            f"{1 - b1:g} and {1 - b2:g}, then θ ← θ − η·m̂/(√v̂ + ε).",
        )

    @misconception("sign_flipped", part="params")
    def _sign_flipped(self, p: OptimParams) -> Wrong | None:
        # the same steps taken uphill: every update added instead of subtracted
        right = run(p, Trace())
        wrong = run(p.model_copy(update={"lr": -p.lr}), Trace())
        if not distinct(wrong, right, relative=RELATIVE_TOLERANCE):
            return None
        return Wrong(
            wrong,
            f"You moved θ up the gradient (θ₁ = {_first(wrong)}). Gradient descent subtracts "
            f"the step: θ ← θ − η·(update), which gives θ₁ = {_first(right)}.",
        )

    @misconception("no_momentum", part="params")
    def _no_momentum(self, p: OptimParams) -> Wrong | None:
        if p.name not in ("momentum", "nesterov"):
            return None
        return self._wrong(
            p,
            Rule(momentum=False),
            f"You took plain SGD steps θ ← θ − η·g (θ₁ = {{wrong}}) and left out the momentum "
            f"buffer: keep b ← {p.momentum:g}·b + (1 − {p.dampening:g})·g (b₁ = g₁) and step along "
            + ("the look-ahead g + μ·b." if p.name == "nesterov" else "b."),
        )

    @misconception("eps_inside_sqrt", part="params")
    def _eps_inside_sqrt(self, p: OptimParams) -> Wrong | None:
        if p.name not in DEFAULT_EPS:
            return None
        return self._wrong(
            p,
            Rule(eps_inside_sqrt=True),
            f"You put ε = {p.epsilon:g} inside the square root (θ₁ = {{wrong}}). torch.optim adds "
            f"it after taking the root: divide by √(…) + ε.",
        )

    @misconception("adamw_as_l2", part="params")
    def _adamw_as_l2(self, p: OptimParams) -> Wrong | None:
        if p.name != "adamw" or p.wd == 0:
            return None
        return self._wrong(
            p,
            Rule(decoupled=False),
            f"You treated AdamW as Adam with an L2 term, adding λθ = {p.wd:g}·θ to the gradient "
            f"(θ₁ = {{wrong}}). AdamW decouples the decay: θ ← θ·(1 − ηλ) = θ·"
            f"{1 - p.lr * p.wd:g}, then the ordinary Adam step with the raw gradient.",
        )

    @misconception("decoupled_weight_decay", part="params")
    def _decoupled(self, p: OptimParams) -> Wrong | None:
        if p.wd == 0 or p.name == "adamw":
            return None
        return self._wrong(
            p,
            Rule(decoupled=True),
            f"You shrank θ directly by (1 − ηλ) as AdamW does (θ₁ = {{wrong}}). "
            f"{NAMES[p.name]}'s weight_decay adds λθ = {p.wd:g}·θ to the gradient before the "
            f"update.",
        )

    @misconception("ignored_weight_decay", part="params")
    def _ignored_weight_decay(self, p: OptimParams) -> Wrong | None:
        if p.wd == 0:
            return None
        how = (
            "shrink θ by (1 − ηλ) before the Adam step"
            if p.name == "adamw"
            else "add λθ to the gradient first"
        )
        return self._wrong(
            p,
            Rule(weight_decay=False),
            f"You left out the weight decay λ = {p.wd:g} (θ₁ = {{wrong}}): {how}.",
        )

    @misconception("damped_first_step", part="params")
    def _damped_first_step(self, p: OptimParams) -> Wrong | None:
        if p.name not in ("momentum", "nesterov") or p.dampening == 0:
            return None
        return self._wrong(
            p,
            Rule(damp_first=True),
            f"You damped the first momentum buffer, b₁ = (1 − {p.dampening:g})·g₁ "
            f"(θ₁ = {{wrong}}). torch starts the buffer at the raw gradient, b₁ = g₁; dampening "
            f"applies from step 2: b ← μ·b + (1 − τ)·g.",
        )

    @misconception("plain_momentum", part="params")
    def _plain_momentum(self, p: OptimParams) -> Wrong | None:
        if p.name != "nesterov":
            return None
        return self._wrong(
            p,
            Rule(nesterov=False),
            f"You stepped along the momentum buffer b (θ₁ = {{wrong}}), which is ordinary "
            f"momentum. Nesterov steps along the look-ahead g + μ·b with μ = {p.momentum:g}.",
        )

    @misconception("no_accumulation", part="params")
    def _no_accumulation(self, p: OptimParams) -> Wrong | None:
        if p.name != "adagrad":
            return None
        return self._wrong(
            p,
            Rule(accumulate=False),
            "You divided by the current gradient's magnitude only. Adagrad divides by the root of "
            "the SUM of all squared gradients so far (plus the initial accumulator value), "
            "s ← s + g², θ ← θ − η·g/(√s + ε).",
        )

    @misconception("uncentered", part="params")
    def _uncentered(self, p: OptimParams) -> Wrong | None:
        if p.name != "rmsprop" or not p.centered:
            return None
        return self._wrong(
            p,
            Rule(centered=False),
            f"You used plain RMSprop (θ₁ = {{wrong}}), but centered=true: also keep the running "
            f"mean of the gradients ḡ ← {p.alpha:g}·ḡ + (1 − {p.alpha:g})·g and divide by "
            f"√(s − ḡ²) + ε.",
        )
