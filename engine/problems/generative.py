"""Generative models: the GAN value function, one GAN training step, the optimal discriminator
and the VAE's KL term.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from engine.compare import distinct
from engine.errors import ProblemError
from engine.latex import num, paren, vector
from engine.params import OptionalVector, ParamModel, Real, Vector
from engine.problem import Problem, Wrong, misconception
from engine.problems.common import fmt, fmt_list, mean_of, sum_of
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

# D(x) values this close to 0 have a log below −92; torch's binary cross-entropy clamps logs at
# −100, so refusing them keeps engine and reference in agreement (and no exam uses them).
SMALLEST_PROBABILITY = 1e-40

# How far a distribution's sum may stray from 1 (rounding in typed decimals) before it is refused.
SUM_TOLERANCE = 1e-6


def _log_sigmoid(t: Any) -> Any:
    """log σ(t) without overflow: −log(1 + e^(−t))."""
    import numpy as np

    return -np.logaddexp(0.0, -np.asarray(t, dtype=np.float64))


def _sigmoid(t: Any) -> Any:
    import numpy as np

    return np.exp(_log_sigmoid(t))


# --- gan.value ----------------------------------------------------------------------------------


def _probabilities(name: str, values: list[float]) -> None:
    for i, d in enumerate(values):
        if not 0 < d < 1:
            raise ProblemError(
                name,
                f"entry {i + 1} is {fmt(d)}; a discriminator output is a probability strictly "
                "between 0 and 1 (its log is taken)",
            )
        if d < SMALLEST_PROBABILITY:
            raise ProblemError(
                name, f"entry {i + 1} is {d:g}, too close to 0 to take its log (use ≥ 1e-40)"
            )


class GanValueParams(ParamModel):
    d_real: Vector = Field(description="D(x) for each real sample, each in (0, 1)")
    d_fake: Vector = Field(description="D(G(z)) for each generated sample, each in (0, 1)")

    @model_validator(mode="after")
    def _in_open_unit_interval(self) -> GanValueParams:
        _probabilities("d_real", self.d_real)
        _probabilities("d_fake", self.d_fake)
        return self


def _gan_value_parts(d_real: list[float], d_fake: list[float]) -> dict[str, float]:
    real = sum(math.log(d) for d in d_real) / len(d_real)
    fake = sum(math.log1p(-d) for d in d_fake) / len(d_fake)
    fake_log_d = sum(math.log(d) for d in d_fake) / len(d_fake)
    return {"real": real, "fake": fake, "fake_log_d": fake_log_d}


class GanValue(Problem[GanValueParams]):
    id = "gan.value"
    summary = (
        "GAN value V(D,G) = mean log D(x) + mean log(1 − D(G(z))), the discriminator loss −V "
        "and both generator losses (minimax, non-saturating)."
    )
    topic = "generative"
    Params = GanValueParams

    def solve(self, p: GanValueParams, trace: Trace) -> Any:
        parts = _gan_value_parts(p.d_real, p.d_fake)
        real = trace.step(
            "Real term: mean log D(x) over the real batch",
            r"\frac{1}{n}\sum_{i} \log D(x_{i})",
            mean_of([rf"\log({num(d)})" for d in p.d_real]),
            parts["real"],
        )
        fake = trace.step(
            "Fake term: mean log(1 − D(G(z))) over the generated batch",
            r"\frac{1}{m}\sum_{j} \log(1 - D(G(z_{j})))",
            mean_of([rf"\log(1 - {num(d)})" for d in p.d_fake]),
            parts["fake"],
        )
        value = trace.step(
            "Value of the game (D maximises it, G minimises it)",
            r"V(D, G) = \frac{1}{n}\sum_{i} \log D(x_{i}) + \frac{1}{m}\sum_{j} \log(1 - D(G(z_{j})))",
            f"{num(real)} + {paren(fake)}",
            real + fake,
        )
        d_loss = trace.step(
            "Discriminator loss: D maximises V, so it minimises −V (binary cross-entropy with "
            "label 1 for real and 0 for generated samples, one mean per batch)",
            r"L_{D} = -V(D, G)",
            f"-{paren(value)}",
            -value,
        )
        minimax = trace.step(
            "Generator loss, minimax form: only the fake term of V depends on G",
            r"L_{G}^{\text{minimax}} = \frac{1}{m}\sum_{j} \log(1 - D(G(z_{j})))",
            num(fake),
            fake,
        )
        nonsat = trace.step(
            "Generator loss, non-saturating form: maximise log D(G(z)) instead, which keeps "
            "gradients large while D still rejects the fakes easily",
            r"L_{G}^{\text{NS}} = -\frac{1}{m}\sum_{j} \log D(G(z_{j}))",
            "-" + mean_of([rf"\log({num(d)})" for d in p.d_fake]),
            -parts["fake_log_d"],
        )
        return {
            "value": value,
            "d_loss": d_loss,
            "g_loss_minimax": minimax,
            "g_loss_nonsaturating": nonsat,
        }

    def reference(self, p: GanValueParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        real = torch.tensor(p.d_real, dtype=torch.float64, device=device)
        fake = torch.tensor(p.d_fake, dtype=torch.float64, device=device)
        # BCE(D(x), 1) = −mean log D(x);  BCE(D(G(z)), 0) = −mean log(1 − D(G(z)))
        bce_real = F.binary_cross_entropy(real, torch.ones_like(real))
        bce_fake = F.binary_cross_entropy(fake, torch.zeros_like(fake))
        value = -(bce_real + bce_fake)
        return {
            "value": value.item(),
            "d_loss": (bce_real + bce_fake).item(),
            "g_loss_minimax": (-bce_fake).item(),
            "g_loss_nonsaturating": F.binary_cross_entropy(fake, torch.ones_like(fake)).item(),
        }

    @misconception("sign_error", part="d_loss")
    def _sign_error(self, p: GanValueParams) -> Wrong | None:
        right = self.solve(p, Trace())
        wrong = right["value"]
        if not distinct(wrong, right["d_loss"]):
            return None
        return Wrong(
            wrong,
            f"You gave V = {fmt(wrong)} as the discriminator's loss. D maximises V, so the loss "
            f"it minimises is −V = {fmt(right['d_loss'])}.",
        )

    @misconception("fake_term_log_d", part="value")
    def _fake_term_log_d(self, p: GanValueParams) -> Wrong | None:
        parts = _gan_value_parts(p.d_real, p.d_fake)
        wrong = parts["real"] + parts["fake_log_d"]
        right = parts["real"] + parts["fake"]
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You used log D(G(z)) in the fake term. V rewards D for rejecting fakes, so the "
            f"term is mean log(1 − D(G(z))) = {fmt(parts['fake'])}, giving V = {fmt(right)}.",
        )

    @misconception("summed_not_averaged", part="value")
    def _summed(self, p: GanValueParams) -> Wrong | None:
        parts = _gan_value_parts(p.d_real, p.d_fake)
        wrong = parts["real"] * len(p.d_real) + parts["fake"] * len(p.d_fake)
        right = parts["real"] + parts["fake"]
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You summed the logs over the batch. The expectations in V are estimated by means: "
            f"divide the real term by {len(p.d_real)} and the fake term by {len(p.d_fake)}, "
            f"giving V = {fmt(right)}.",
        )

    @misconception("nonsaturating_sign", part="g_loss_nonsaturating")
    def _nonsaturating_sign(self, p: GanValueParams) -> Wrong | None:
        right = self.solve(p, Trace())["g_loss_nonsaturating"]
        if not distinct(-right, right):
            return None
        return Wrong(
            -right,
            f"You dropped the minus sign. The generator wants log D(G(z)) large, so as a loss "
            f"to minimise it is −mean log D(G(z)) = {fmt(right)} (always ≥ 0).",
        )

    @misconception("minimax_for_nonsaturating", part="g_loss_nonsaturating")
    def _minimax_for_nonsaturating(self, p: GanValueParams) -> Wrong | None:
        right = self.solve(p, Trace())
        wrong = right["g_loss_minimax"]
        if not distinct(wrong, right["g_loss_nonsaturating"]):
            return None
        return Wrong(
            wrong,
            f"That is the minimax loss mean log(1 − D(G(z))). The non-saturating loss replaces "
            f"it by −mean log D(G(z)) = {fmt(right['g_loss_nonsaturating'])}.",
        )


# --- gan.step -----------------------------------------------------------------------------------


class GanStepParams(ParamModel):
    real: Vector = Field(description="real samples x (numbers)")
    z: Vector = Field(description="latent samples z fed to the generator")
    d_w: Real = Field(description="discriminator weight: D(x) = σ(d_w·x + d_b)")
    d_b: Real = Field(description="discriminator bias")
    g_a: Real = Field(description="generator weight: G(z) = g_a·z + g_c")
    g_c: Real = Field(description="generator bias")
    lr: Real = Field(0.1, description="learning rate of both players")
    generator_loss: Literal["nonsaturating", "minimax"] = "nonsaturating"

    @model_validator(mode="after")
    def _positive_lr(self) -> GanStepParams:
        if self.lr <= 0:
            raise ProblemError("lr", f"must be a positive learning rate, got {fmt(self.lr)}")
        return self


def _gan_step(
    p: GanStepParams,
    *,
    d_direction: float = 1.0,
    g_direction: float = -1.0,
    against_new_d: bool = True,
    generator_loss: str | None = None,
    reduce: str = "mean",
) -> dict[str, Any]:
    """Every intermediate of one GAN step; the keyword arguments switch in the wrong rules.

    Gradients follow from d/ds log σ(s) = 1 − σ(s) and d/ds log(1 − σ(s)) = −σ(s).
    """
    import numpy as np

    loss = generator_loss or p.generator_loss
    x = np.array(p.real, dtype=np.float64)
    z = np.array(p.z, dtype=np.float64)
    n, m = len(x), len(z)
    avg: Callable[[Any], float] = (
        (lambda v: float(np.mean(v))) if reduce == "mean" else (lambda v: float(np.sum(v)))
    )
    w, b, a, c = p.d_w, p.d_b, p.g_a, p.g_c

    g = a * z + c
    d_real = _sigmoid(w * x + b)
    d_fake = _sigmoid(w * g + b)
    value = float(np.mean(_log_sigmoid(w * x + b)) + np.mean(_log_sigmoid(-(w * g + b))))
    grad_w = avg((1 - d_real) * x) - avg(d_fake * g)
    grad_b = avg(1 - d_real) - avg(d_fake)
    w_new = w + d_direction * p.lr * grad_w
    b_new = b + d_direction * p.lr * grad_b

    w_g, b_g = (w_new, b_new) if against_new_d else (w, b)
    s_new = w_g * g + b_g
    d_fake_new = _sigmoid(s_new)
    if loss == "nonsaturating":
        g_loss = -float(np.mean(_log_sigmoid(s_new)))
        upstream = -(1 - d_fake_new) * w_g  # ∂(−log D)/∂G
    else:
        g_loss = float(np.mean(_log_sigmoid(-s_new)))
        upstream = -d_fake_new * w_g  # ∂ log(1 − D)/∂G
    grad_a = avg(upstream * z)
    grad_c = avg(upstream)
    a_new = a + g_direction * p.lr * grad_a
    c_new = c + g_direction * p.lr * grad_c
    return {
        "n": n,
        "m": m,
        "g": g,
        "d_real": d_real,
        "d_fake": d_fake,
        "d_fake_new": d_fake_new,
        "g_loss": g_loss,
        "answer": {
            "value": value,
            "d_grads": {"w": grad_w, "b": grad_b},
            "d_after": {"w": w_new, "b": b_new},
            "g_grads": {"a": grad_a, "c": grad_c},
            "g_after": {"a": a_new, "c": c_new},
        },
    }


class GanStep(Problem[GanStepParams]):
    id = "gan.step"
    summary = (
        "One GAN training step on 1-D data: D(x) = σ(w·x + b) ascends V(D,G), then "
        "G(z) = a·z + c descends its loss against the updated D."
    )
    topic = "generative"
    Params = GanStepParams

    def solve(self, p: GanStepParams, trace: Trace) -> Any:
        r = _gan_step(p)
        ans = r["answer"]
        w, b, a, c, lr = p.d_w, p.d_b, p.g_a, p.g_c, p.lr
        g, d_real, d_fake, d_new = r["g"], r["d_real"], r["d_fake"], r["d_fake_new"]

        trace.step(
            "Generator output on each z",
            r"G(z_{j}) = a\,z_{j} + c",
            rf"{num(a)} \cdot {vector(p.z)} + {paren(c)}",
            g,
        )
        trace.step(
            "Discriminator on the real batch",
            r"D(x_{i}) = \sigma(w\,x_{i} + b)",
            rf"\sigma({num(w)} \cdot {vector(p.real)} + {paren(b)})",
            d_real,
        )
        trace.step(
            "Discriminator on the generated batch",
            r"D(G(z_{j})) = \sigma(w\,G(z_{j}) + b)",
            rf"\sigma({num(w)} \cdot {vector(g)} + {paren(b)})",
            d_fake,
        )
        trace.step(
            "Value before the step",
            r"V = \frac{1}{n}\sum_{i} \log D(x_{i}) + \frac{1}{m}\sum_{j} \log(1 - D(G(z_{j})))",
            mean_of([rf"\log({num(d)})" for d in d_real])
            + " + "
            + mean_of([rf"\log(1 - {num(d)})" for d in d_fake]),
            ans["value"],
        )
        trace.note(
            "Chain rule for the discriminator",
            "With s = w·x + b: d/ds log σ(s) = 1 − σ(s) and d/ds log(1 − σ(s)) = −σ(s); "
            "ds/dw = x and ds/db = 1. G(z) is held fixed while D learns.",
        )
        real_w = [rf"(1 - {num(d)}) \cdot {paren(xi)}" for d, xi in zip(d_real, p.real)]
        fake_w = [rf"{num(d)} \cdot {paren(gi)}" for d, gi in zip(d_fake, g)]
        trace.step(
            "Gradient of V with respect to w",
            r"\frac{\partial V}{\partial w} = \frac{1}{n}\sum_{i} (1 - D(x_{i}))\,x_{i}"
            r" - \frac{1}{m}\sum_{j} D(G(z_{j}))\,G(z_{j})",
            f"{mean_of(real_w)} - {mean_of(fake_w)}",
            ans["d_grads"]["w"],
        )
        trace.step(
            "Gradient of V with respect to b",
            r"\frac{\partial V}{\partial b} = \frac{1}{n}\sum_{i} (1 - D(x_{i}))"
            r" - \frac{1}{m}\sum_{j} D(G(z_{j}))",
            f"{mean_of([rf'(1 - {num(d)})' for d in d_real])} - "
            f"{mean_of([num(d) for d in d_fake])}",
            ans["d_grads"]["b"],
        )
        w_new = trace.step(
            "Discriminator step: gradient ascent on V",
            r"w' = w + \eta\,\frac{\partial V}{\partial w}",
            rf"{num(w)} + {num(lr)} \cdot {paren(ans['d_grads']['w'])}",
            ans["d_after"]["w"],
        )
        b_new = trace.step(
            "Discriminator step for the bias",
            r"b' = b + \eta\,\frac{\partial V}{\partial b}",
            rf"{num(b)} + {num(lr)} \cdot {paren(ans['d_grads']['b'])}",
            ans["d_after"]["b"],
        )
        trace.step(
            "Updated discriminator on the same generated samples",
            r"D'(G(z_{j})) = \sigma(w'\,G(z_{j}) + b')",
            rf"\sigma({num(w_new)} \cdot {vector(g)} + {paren(b_new)})",
            d_new,
        )
        if p.generator_loss == "nonsaturating":
            trace.step(
                "Generator loss (non-saturating) against the updated D",
                r"L_{G} = -\frac{1}{m}\sum_{j} \log D'(G(z_{j}))",
                "-" + mean_of([rf"\log({num(d)})" for d in d_new]),
                r["g_loss"],
            )
            trace.note(
                "Chain rule for the generator",
                "d/dG (−log σ(w'·G + b')) = −(1 − D'(G))·w'; dG/da = z and dG/dc = 1.",
            )
            factor = [rf"(1 - {num(d)})" for d in d_new]
            grad_a_formula = (
                r"\frac{\partial L_{G}}{\partial a} = -\frac{1}{m}\sum_{j} "
                r"(1 - D'(G(z_{j})))\,w'\,z_{j}"
            )
            grad_c_formula = (
                r"\frac{\partial L_{G}}{\partial c} = -\frac{1}{m}\sum_{j} (1 - D'(G(z_{j})))\,w'"
            )
        else:
            trace.step(
                "Generator loss (minimax) against the updated D",
                r"L_{G} = \frac{1}{m}\sum_{j} \log(1 - D'(G(z_{j})))",
                mean_of([rf"\log(1 - {num(d)})" for d in d_new]),
                r["g_loss"],
            )
            trace.note(
                "Chain rule for the generator",
                "d/dG log(1 − σ(w'·G + b')) = −D'(G)·w'; dG/da = z and dG/dc = 1.",
            )
            factor = [num(d) for d in d_new]
            grad_a_formula = (
                r"\frac{\partial L_{G}}{\partial a} = -\frac{1}{m}\sum_{j} D'(G(z_{j}))\,w'\,z_{j}"
            )
            grad_c_formula = (
                r"\frac{\partial L_{G}}{\partial c} = -\frac{1}{m}\sum_{j} D'(G(z_{j}))\,w'"
            )
        trace.step(
            "Gradient of the generator loss with respect to a",
            grad_a_formula,
            "-"
            + mean_of(
                [rf"{f} \cdot {paren(w_new)} \cdot {paren(zj)}" for f, zj in zip(factor, p.z)]
            ),
            ans["g_grads"]["a"],
        )
        trace.step(
            "Gradient of the generator loss with respect to c",
            grad_c_formula,
            "-" + mean_of([rf"{f} \cdot {paren(w_new)}" for f in factor]),
            ans["g_grads"]["c"],
        )
        trace.step(
            "Generator step: gradient descent on its loss",
            r"a' = a - \eta\,\frac{\partial L_{G}}{\partial a}",
            rf"{num(a)} - {num(lr)} \cdot {paren(ans['g_grads']['a'])}",
            ans["g_after"]["a"],
        )
        trace.step(
            "Generator step for the bias",
            r"c' = c - \eta\,\frac{\partial L_{G}}{\partial c}",
            rf"{num(c)} - {num(lr)} \cdot {paren(ans['g_grads']['c'])}",
            ans["g_after"]["c"],
        )
        return ans

    def reference(self, p: GanStepParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F
        from torch import nn
        from torch.optim.sgd import sgd

        kw: dict[str, Any] = {"dtype": torch.float64, "device": device}
        disc, gen = nn.Linear(1, 1, **kw), nn.Linear(1, 1, **kw)
        with torch.no_grad():
            disc.weight.fill_(p.d_w)
            disc.bias.fill_(p.d_b)
            gen.weight.fill_(p.g_a)
            gen.bias.fill_(p.g_c)
        x = torch.tensor(p.real, **kw).unsqueeze(1)
        z = torch.tensor(p.z, **kw).unsqueeze(1)

        def sgd_step(module: nn.Module, maximize: bool) -> list[float]:
            # torch.optim's SGD update, the function SGD.step calls (the class would import
            # torch._dynamo on first use, about a second)
            params: list[torch.Tensor] = list(module.parameters())
            grads = [q.grad for q in params if q.grad is not None]
            assert len(grads) == len(params)
            with torch.no_grad():
                sgd(
                    params,
                    grads,
                    [None] * len(params),
                    weight_decay=0.0,
                    momentum=0.0,
                    lr=p.lr,
                    dampening=0.0,
                    nesterov=False,
                    maximize=maximize,
                )
            return [g.item() for g in grads]

        # D: one step of gradient ascent on V, the generator's samples held fixed
        fake = gen(z).detach()
        value = F.logsigmoid(disc(x)).mean() + F.logsigmoid(-disc(fake)).mean()
        value.backward()
        d_w, d_b = sgd_step(disc, maximize=True)

        # G: one step of gradient descent against the updated D, same z
        logits = disc(gen(z))
        if p.generator_loss == "nonsaturating":
            g_loss = -F.logsigmoid(logits).mean()
        else:
            g_loss = F.logsigmoid(-logits).mean()
        g_loss.backward()
        g_a, g_c = sgd_step(gen, maximize=False)
        return {
            "value": value.item(),
            "d_grads": {"w": d_w, "b": d_b},
            "d_after": {"w": disc.weight.item(), "b": disc.bias.item()},
            "g_grads": {"a": g_a, "c": g_c},
            "g_after": {"a": gen.weight.item(), "c": gen.bias.item()},
        }

    def _compare(self, p: GanStepParams, part: str, **wrong_rule: Any) -> tuple[Any, Any] | None:
        right = _gan_step(p)["answer"][part]
        wrong = _gan_step(p, **wrong_rule)["answer"][part]
        return (wrong, right) if distinct(wrong, right) else None

    @misconception("generator_old_d", part="g_after")
    def _generator_old_d(self, p: GanStepParams) -> Wrong | None:
        pair = self._compare(p, "g_after", against_new_d=False)
        if pair is None:
            return None
        wrong, right = pair
        after = _gan_step(p)["answer"]["d_after"]
        return Wrong(
            wrong,
            f"You updated G against the old discriminator (w = {fmt(p.d_w)}, b = {fmt(p.d_b)}). "
            f"The players alternate: G's step uses the D that has just stepped "
            f"(w' = {fmt(after['w'])}, b' = {fmt(after['b'])}), giving a = {fmt(right['a'])}, "
            f"c = {fmt(right['c'])}.",
        )

    @misconception("d_descent", part="d_after")
    def _d_descent(self, p: GanStepParams) -> Wrong | None:
        pair = self._compare(p, "d_after", d_direction=-1.0)
        if pair is None:
            return None
        wrong, right = pair
        return Wrong(
            wrong,
            f"You stepped D downhill on V. D maximises V, so it takes a gradient-ascent step "
            f"w + η·∂V/∂w, giving w = {fmt(right['w'])}, b = {fmt(right['b'])}.",
        )

    @misconception("g_ascent", part="g_after")
    def _g_ascent(self, p: GanStepParams) -> Wrong | None:
        pair = self._compare(p, "g_after", g_direction=1.0)
        if pair is None:
            return None
        wrong, right = pair
        return Wrong(
            wrong,
            f"You stepped G uphill on its loss. G minimises its loss, so a ← a − η·∂L_G/∂a, "
            f"giving a = {fmt(right['a'])}, c = {fmt(right['c'])}.",
        )

    @misconception("other_generator_loss", part="g_grads")
    def _other_generator_loss(self, p: GanStepParams) -> Wrong | None:
        other = "minimax" if p.generator_loss == "nonsaturating" else "nonsaturating"
        pair = self._compare(p, "g_grads", generator_loss=other)
        if pair is None:
            return None
        wrong, right = pair
        formula = (
            "−mean log D(G(z))" if p.generator_loss == "nonsaturating" else "mean log(1 − D(G(z)))"
        )
        return Wrong(
            wrong,
            f"Those are the gradients of the {other} loss. This step uses the "
            f"{p.generator_loss} loss {formula}, giving ∂L/∂a = {fmt(right['a'])}, "
            f"∂L/∂c = {fmt(right['c'])}.",
        )

    @misconception("summed_not_averaged", part="d_grads")
    def _summed(self, p: GanStepParams) -> Wrong | None:
        pair = self._compare(p, "d_grads", reduce="sum")
        if pair is None:
            return None
        wrong, right = pair
        return Wrong(
            wrong,
            f"You summed over the batch. V uses means, so each sum is divided by its batch size "
            f"({len(p.real)} real, {len(p.z)} generated): ∂V/∂w = {fmt(right['w'])}, "
            f"∂V/∂b = {fmt(right['b'])}.",
        )


# --- gan.optimal_discriminator ------------------------------------------------------------------


def _distribution(name: str, values: list[float]) -> None:
    for i, q in enumerate(values):
        if q < 0:
            raise ProblemError(name, f"entry {i + 1} is {fmt(q)}; probabilities cannot be negative")
    total = sum(values)
    if abs(total - 1) > SUM_TOLERANCE:
        raise ProblemError(name, f"must sum to 1 (a probability distribution), got {total:.6g}")


class OptimalDiscriminatorParams(ParamModel):
    p_data: Vector = Field(description="data distribution over a set of points")
    p_g: Vector = Field(description="generator distribution over the same points")

    @model_validator(mode="after")
    def _distributions(self) -> OptimalDiscriminatorParams:
        _distribution("p_data", self.p_data)
        _distribution("p_g", self.p_g)
        if len(self.p_g) != len(self.p_data):
            raise ProblemError(
                "p_g",
                f"expected {len(self.p_data)} probabilities to match p_data (the same points), "
                f"got {len(self.p_g)}",
            )
        return self


def _normalised(values: list[float]) -> list[float]:
    total = math.fsum(values)
    return [v / total for v in values]


def _xlogy(x: float, y: float) -> float:
    """x·log y with 0·log 0 = 0, as in every sum over a distribution."""
    return 0.0 if x == 0 else x * math.log(y)


def _kl(p: list[float], q: list[float]) -> float:
    return math.fsum(_xlogy(a, a) - _xlogy(a, b) for a, b in zip(p, q))


def _optimal_d(pd: list[float], pg: list[float]) -> list[float]:
    # Where neither distribution puts mass, V does not depend on D(x): 0.5 is the usual choice.
    return [0.5 if a + b == 0 else a / (a + b) for a, b in zip(pd, pg)]


class OptimalDiscriminator(Problem[OptimalDiscriminatorParams]):
    id = "gan.optimal_discriminator"
    summary = (
        "Optimal discriminator D∗ = p_data/(p_data + p_g) for a fixed generator, and "
        "V(D∗, G) = −log 4 + 2·JSD(p_data ‖ p_g) (natural logs; D∗ = 0.5 where both are 0)."
    )
    topic = "generative"
    Params = OptimalDiscriminatorParams

    def solve(self, p: OptimalDiscriminatorParams, trace: Trace) -> Any:
        pd, pg = p.p_data, p.p_g
        if math.fsum(pd) != 1 or math.fsum(pg) != 1:
            pd = trace.step(
                "Rescale p_data to sum exactly to 1",
                r"p_{\text{data}}(x) / \sum p_{\text{data}}",
                rf"{vector(p.p_data)} / {num(math.fsum(p.p_data))}",
                _normalised(p.p_data),
            )
            pg = trace.step(
                "Rescale p_g to sum exactly to 1",
                r"p_{g}(x) / \sum p_{g}",
                rf"{vector(p.p_g)} / {num(math.fsum(p.p_g))}",
                _normalised(p.p_g),
            )
        trace.note(
            "Why D∗ has this form",
            "For a fixed G, V = Σ_x [p_data(x)·log D(x) + p_g(x)·log(1 − D(x))]. Each term "
            "a·log D + b·log(1 − D) is largest at D = a/(a + b).",
        )
        d = _optimal_d(pd, pg)
        if any(a + b == 0 for a, b in zip(pd, pg)):
            trace.note(
                "Points outside both supports",
                "Where p_data(x) = p_g(x) = 0 the value does not depend on D(x); D∗ = 0.5 there.",
            )
        trace.step(
            "Optimal discriminator at each point",
            r"D^{\ast}(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_{g}(x)}",
            ", ".join(
                rf"\frac{{{num(a)}}}{{{num(a)} + {num(b)}}}" for a, b in zip(pd, pg) if a + b > 0
            )
            or "0.5",
            d,
        )
        terms = [rf"{num(a)} \log({num(di)})" for a, di in zip(pd, d) if a > 0]
        terms += [rf"{num(b)} \log(1 - {num(di)})" for b, di in zip(pg, d) if b > 0]
        value = trace.step(
            "Value at the optimum (terms with zero probability contribute 0)",
            r"V(D^{\ast}, G) = \sum_{x} \left[p_{\text{data}}(x) \log D^{\ast}(x)"
            r" + p_{g}(x) \log(1 - D^{\ast}(x))\right]",
            sum_of(terms),
            math.fsum(_xlogy(a, di) for a, di in zip(pd, d))
            + math.fsum(_xlogy(b, 1 - di) for b, di in zip(pg, d)),
        )
        mix = trace.step(
            "Mixture of the two distributions",
            r"m(x) = \frac{p_{\text{data}}(x) + p_{g}(x)}{2}",
            ", ".join(rf"\frac{{{num(a)} + {num(b)}}}{{2}}" for a, b in zip(pd, pg)),
            [(a + b) / 2 for a, b in zip(pd, pg)],
        )
        kl_d = trace.step(
            "KL of the data distribution from the mixture",
            r"\operatorname{KL}(p_{\text{data}} \lVert m) = \sum_{x} p_{\text{data}}(x) "
            r"\log \frac{p_{\text{data}}(x)}{m(x)}",
            sum_of(
                [rf"{num(a)} \log \frac{{{num(a)}}}{{{num(mi)}}}" for a, mi in zip(pd, mix) if a]
            ),
            _kl(pd, mix),
        )
        kl_g = trace.step(
            "KL of the generator distribution from the mixture",
            r"\operatorname{KL}(p_{g} \lVert m) = \sum_{x} p_{g}(x) \log \frac{p_{g}(x)}{m(x)}",
            sum_of(
                [rf"{num(b)} \log \frac{{{num(b)}}}{{{num(mi)}}}" for b, mi in zip(pg, mix) if b]
            ),
            _kl(pg, mix),
        )
        jsd = trace.step(
            "Jensen–Shannon divergence (in nats)",
            r"\operatorname{JSD} = \frac{1}{2}\operatorname{KL}(p_{\text{data}} \lVert m) "
            r"+ \frac{1}{2}\operatorname{KL}(p_{g} \lVert m)",
            rf"\frac{{1}}{{2}} \cdot {num(kl_d)} + \frac{{1}}{{2}} \cdot {num(kl_g)}",
            (kl_d + kl_g) / 2,
        )
        trace.step(
            "Check: the value is −log 4 + 2·JSD, smallest (−log 4) exactly when p_g = p_data",
            r"-\log 4 + 2\,\operatorname{JSD}",
            rf"-{num(math.log(4))} + 2 \cdot {num(jsd)}",
            -math.log(4) + 2 * jsd,
        )
        return {"d": d, "value": value, "jsd": jsd}

    def reference(self, p: OptimalDiscriminatorParams, device: torch.device) -> Any:
        import torch
        from torch.distributions import Categorical, kl_divergence

        data = Categorical(probs=torch.tensor(p.p_data, dtype=torch.float64, device=device))
        gen = Categorical(probs=torch.tensor(p.p_g, dtype=torch.float64, device=device))
        pd, pg = data.probs, gen.probs  # normalised by torch
        both = pd + pg
        d = torch.where(both > 0, pd / both.clamp_min(1e-300), torch.full_like(pd, 0.5))
        value = torch.special.xlogy(pd, d).sum() + torch.special.xlogy(pg, 1 - d).sum()
        mixture = Categorical(probs=both / 2)
        jsd = (kl_divergence(data, mixture) + kl_divergence(gen, mixture)) / 2
        return {"d": d.tolist(), "value": value.item(), "jsd": jsd.item()}

    @misconception("swapped_ratio", part="d")
    def _swapped_ratio(self, p: OptimalDiscriminatorParams) -> Wrong | None:
        right = _optimal_d(p.p_data, p.p_g)
        wrong = _optimal_d(p.p_g, p.p_data)
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You put p_g on top. D(x) is the probability that x is real, so "
            f"D∗(x) = p_data(x)/(p_data(x) + p_g(x)) = {fmt_list(right)}.",
        )

    @misconception("forgot_log4", part="value")
    def _forgot_log4(self, p: OptimalDiscriminatorParams) -> Wrong | None:
        right = self.solve(p, Trace())
        wrong = 2 * right["jsd"]
        return Wrong(
            wrong,
            f"You gave 2·JSD = {fmt(wrong)}. The value at the optimum is −log 4 + 2·JSD "
            f"= {fmt(right['value'])}: with p_g = p_data it is −log 4, not 0.",
        )

    @misconception("jsd_in_bits", part="jsd")
    def _jsd_in_bits(self, p: OptimalDiscriminatorParams) -> Wrong | None:
        right = self.solve(p, Trace())["jsd"]
        wrong = right / math.log(2)
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You used log base 2 (bits). GAN theory uses natural logs: JSD = {fmt(right)} nats.",
        )

    @misconception("kl_not_jsd", part="jsd")
    def _kl_not_jsd(self, p: OptimalDiscriminatorParams) -> Wrong | None:
        pd, pg = _normalised(p.p_data), _normalised(p.p_g)
        if any(a > 0 and b == 0 for a, b in zip(pd, pg)):
            return None  # KL(p_data ‖ p_g) is infinite: nobody writes that down
        wrong = _kl(pd, pg)
        right = self.solve(p, Trace())["jsd"]
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"That is KL(p_data ‖ p_g). The JSD compares each distribution with their mixture "
            f"m = (p_data + p_g)/2: ½KL(p_data ‖ m) + ½KL(p_g ‖ m) = {fmt(right)}.",
        )


# --- vae.kl -------------------------------------------------------------------------------------


class VaeKlParams(ParamModel):
    mu: Vector = Field(description="encoder means μ, one per latent dimension")
    sigma: OptionalVector = Field(None, description="encoder standard deviations σ > 0")
    logvar: OptionalVector = Field(None, description="encoder log-variances log σ² (instead)")

    @model_validator(mode="after")
    def _one_spread(self) -> VaeKlParams:
        if self.sigma is None and self.logvar is None:
            raise ProblemError("sigma", "required parameter is missing (or give logvar instead)")
        if self.sigma is not None and self.logvar is not None:
            raise ProblemError("logvar", "give either sigma or logvar, not both")
        name, spread = ("sigma", self.sigma) if self.sigma is not None else ("logvar", self.logvar)
        assert spread is not None
        if len(spread) != len(self.mu):
            raise ProblemError(
                name,
                f"expected {len(self.mu)} values to match mu (length {len(self.mu)}), "
                f"got {len(spread)}",
            )
        if name == "sigma":
            for i, s in enumerate(spread):
                if s <= 0:
                    raise ProblemError(
                        "sigma",
                        f"entry {i + 1} is {fmt(s)}; a standard deviation must be positive",
                    )
        return self

    def variances(self) -> list[float]:
        if self.sigma is not None:
            return [s * s for s in self.sigma]
        assert self.logvar is not None
        return [math.exp(lv) for lv in self.logvar]

    def log_variances(self) -> list[float]:
        if self.logvar is not None:
            return list(self.logvar)
        assert self.sigma is not None
        return [2 * math.log(s) for s in self.sigma]


def _vae_kl(mu: list[float], var: list[float], logvar: list[float]) -> list[float]:
    return [0.5 * (m * m + v - lv - 1) for m, v, lv in zip(mu, var, logvar)]


class VaeKl(Problem[VaeKlParams]):
    id = "vae.kl"
    summary = (
        "KL(N(μ, σ²) ‖ N(0, 1)) of a VAE's diagonal Gaussian encoder, ½(μ² + σ² − log σ² − 1) "
        "per dimension, from sigma or logvar."
    )
    topic = "generative"
    Params = VaeKlParams

    def solve(self, p: VaeKlParams, trace: Trace) -> Any:
        if p.sigma is not None:
            var = trace.step(
                "Variances",
                r"\sigma^{2}",
                ", ".join(f"{paren(s)}^{{2}}" for s in p.sigma),
                p.variances(),
            )
            logvar = trace.step(
                "Log-variances",
                r"\log \sigma^{2}",
                ", ".join(rf"\log({num(v)})" for v in var),
                p.log_variances(),
            )
        else:
            assert p.logvar is not None
            logvar = p.log_variances()
            var = trace.step(
                "Variances from the log-variances",
                r"\sigma^{2} = \exp(\log \sigma^{2})",
                ", ".join(rf"\exp({num(lv)})" for lv in p.logvar),
                p.variances(),
            )
        per_dim = trace.step(
            "KL per latent dimension",
            r"\operatorname{KL}_{k} = \frac{1}{2}\left(\mu_{k}^{2} + \sigma_{k}^{2} "
            r"- \log \sigma_{k}^{2} - 1\right)",
            ", ".join(
                rf"\frac{{1}}{{2}}\left({paren(m)}^{{2}} + {num(v)} - {paren(lv)} - 1\right)"
                for m, v, lv in zip(p.mu, var, logvar)
            ),
            _vae_kl(p.mu, var, logvar),
        )
        total = trace.step(
            "Total KL: the dimensions are independent, so their KLs add",
            r"\operatorname{KL} = \sum_{k} \operatorname{KL}_{k}",
            sum_of([num(x) for x in per_dim]),
            math.fsum(per_dim),
        )
        return {"per_dim": per_dim, "total": total}

    def reference(self, p: VaeKlParams, device: torch.device) -> Any:
        import torch
        from torch.distributions import Normal, kl_divergence

        mu = torch.tensor(p.mu, dtype=torch.float64, device=device)
        if p.sigma is not None:
            sigma = torch.tensor(p.sigma, dtype=torch.float64, device=device)
        else:
            sigma = torch.exp(0.5 * torch.tensor(p.logvar, dtype=torch.float64, device=device))
        kl = kl_divergence(Normal(mu, sigma), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
        return {"per_dim": kl.tolist(), "total": kl.sum().item()}

    def _total(self, p: VaeKlParams) -> float:
        return math.fsum(_vae_kl(p.mu, p.variances(), p.log_variances()))

    @misconception("forgot_half", part="total")
    def _forgot_half(self, p: VaeKlParams) -> Wrong | None:
        right = self._total(p)
        if not distinct(2 * right, right):
            return None
        return Wrong(
            2 * right,
            f"You left out the ½: KL = ½·Σ(μ² + σ² − log σ² − 1) = {fmt(right)}.",
        )

    @misconception("sigma_not_squared", part="total")
    def _sigma_not_squared(self, p: VaeKlParams) -> Wrong | None:
        sigma = [math.sqrt(v) for v in p.variances()]
        wrong = math.fsum(_vae_kl(p.mu, sigma, [math.log(s) for s in sigma]))
        right = self._total(p)
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You used σ where the formula has the variance σ². With σ² and log σ² the KL is "
            f"{fmt(right)}.",
        )

    @misconception("forgot_minus_one", part="total")
    def _forgot_minus_one(self, p: VaeKlParams) -> Wrong | None:
        right = self._total(p)
        wrong = right + len(p.mu) / 2
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You left out the −1 in each dimension (it makes the KL 0 when μ = 0 and σ = 1): "
            f"KL = {fmt(right)}.",
        )

    @misconception("averaged_dims", part="total")
    def _averaged_dims(self, p: VaeKlParams) -> Wrong | None:
        right = self._total(p)
        wrong = right / len(p.mu)
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You averaged over the {len(p.mu)} latent dimensions. The KL of independent "
            f"dimensions is their sum: {fmt(right)}.",
        )
