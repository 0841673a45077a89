"""Backpropagation through time for the course's Elman network (`rnn.bptt`).

The forward pass is `engine.problems.rnn`'s: s_t = tanh(U·x_t + W·s_{t−1} + b), o_t = V·s_t + c.
Three losses: `squared` ½·Σ_t‖o_t − y_t‖² (the course's default), `mse` (the mean over all T·o
entries), and `ce`, softmax outputs ŷ_t = softmax(o_t) with cross-entropy at every step,
L = −Σ_t log ŷ_t[y_t] (Goodfellow et al. §10.2.2), where each y_t is a class index. Whatever the
loss, ∂L/∂o_t is "prediction minus target" (ŷ_t − y_t with y_t one-hot for `ce`), and the rest
of the backward pass is the same: δ_t = (Vᵀ ∂L/∂o_t + Wᵀ δ_{t+1}) ⊙ (1 − s_t²), and every
gradient is a sum of one term per step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from engine.compare import distinct
from engine.errors import ProblemError
from engine.latex import column, matrix, num, sub, vector
from engine.params import is_zero
from engine.problem import Problem, Wrong, misconception
from engine.problems.rnn import (
    RnnForwardParams,
    sequence_rows,
    torch_rnn,
    trace_forward,
    unroll,
)
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch

Loss = Literal["squared", "mse", "ce"]


def _class_indices(v: Any) -> list[int]:
    """`ys` under loss=ce: one class index per step (`[0, 2, 1]`; `[[0], [2], [1]]` will do)."""
    if not isinstance(v, list | tuple) or not v:
        raise ProblemError("ys", "with loss=ce, give one class index per step, e.g. [0, 2, 1]")
    out = []
    for item in v:
        if isinstance(item, list | tuple) and len(item) == 1:
            item = item[0]
        whole = isinstance(item, int) or (isinstance(item, float) and item.is_integer())
        if isinstance(item, bool) or not whole:
            raise ProblemError(
                "ys", f"with loss=ce each target is a class index (0, 1, …), got {item!r}"
            )
        out.append(int(item))
    return out


class RnnBpttParams(RnnForwardParams):
    ys: list[list[float]] | list[int] = Field(
        description="targets, one row y_t per time step (T×o); with loss=ce one class index "
        "per step (0-based)"
    )
    loss: Loss = Field(
        "squared",
        description="squared: ½·Σ‖o_t − y_t‖²; mse: mean of (o − y)² over all T·o; "
        "ce: softmax of o_t and cross-entropy at every step, summed over t",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_targets(cls, data: Any) -> Any:
        # what `ys` means depends on the loss: rows of targets, or class indices for ce
        if not isinstance(data, dict) or "ys" not in data:
            return data
        data = dict(data)
        if data.get("loss") == "ce":
            data["ys"] = _class_indices(data["ys"])
        else:
            try:
                data["ys"] = sequence_rows(data["ys"])
            except ValueError as exc:
                raise ProblemError("ys", str(exc)) from None
        return data

    @model_validator(mode="after")
    def _targets_agree(self) -> RnnBpttParams:
        if len(self.ys) != len(self.xs):
            raise ProblemError(
                "ys", f"expected {len(self.xs)} time steps like xs, got {len(self.ys)}"
            )
        o = len(self.V)
        if self.loss == "ce":
            if o < 2:
                raise ProblemError(
                    "V", "loss=ce needs at least 2 outputs (rows of V), one per class"
                )
            for k in self.class_targets:
                if not 0 <= k < o:
                    raise ProblemError(
                        "ys", f"class {k} is out of range: there are {o} classes, 0 to {o - 1}"
                    )
        elif len(self.target_rows[0]) != o:
            raise ProblemError(
                "ys",
                f"expected {o} numbers per time step (rows of V), got {len(self.target_rows[0])}",
            )
        return self

    @property
    def class_targets(self) -> list[int]:
        """The class index of each step (loss=ce)."""
        return [int(k) for k in self.ys]  # type: ignore[arg-type]

    @property
    def target_rows(self) -> list[list[float]]:
        """The target vector y_t of each step: the given rows, or one-hot rows for loss=ce."""
        if self.loss == "ce":
            o = len(self.V)
            return [[1.0 if j == k else 0.0 for j in range(o)] for k in self.class_targets]
        return self.ys  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------------------------


def softmax(o: np.ndarray) -> np.ndarray:
    import numpy as np

    e = np.exp(o - o.max())
    return np.asarray(e / e.sum())


@dataclass(frozen=True)
class Backward:
    """The backward pass: ŷ_t, ∂L/∂o_t, what flows back through W, δ_t, per-step terms."""

    loss: float
    predictions: list[np.ndarray]  # ŷ_t: o_t itself, or softmax(o_t) for ce
    dout: list[np.ndarray]  # ∂L/∂o_t for t = 1..T
    inflow: list[np.ndarray]  # Wᵀ δ_{t+1} arriving at step t
    delta: list[np.ndarray]  # δ_t = ∂L/∂a_t
    terms: dict[str, list[np.ndarray]]  # gradient name -> one term per step
    grads: dict[str, np.ndarray]


def backprop(
    p: RnnBpttParams,
    *,
    recurrent: bool = True,
    tanh_grad: bool = True,
    last_only: bool = False,
    current_state_in_dw: bool = False,
    half: bool = True,
    softmax_grad: bool = True,
) -> Backward:
    """BPTT; the keyword flags switch on the wrong rules the misconceptions describe."""
    import numpy as np

    run = unroll(p)
    W, V = np.array(p.W, dtype=np.float64), np.array(p.V, dtype=np.float64)
    T, o = len(p.xs), V.shape[0]
    ys = [np.array(y, dtype=np.float64) for y in p.target_rows]
    if p.loss == "ce":
        predictions = [softmax(out) for out in run.outputs]
        loss = -sum(math.log(predictions[t][k]) for t, k in enumerate(p.class_targets))
        # ∂L/∂o_t = ŷ_t − y_t; the wrong rule forgets the softmax and uses o_t − y_t
        dout = [(predictions[t] if softmax_grad else run.outputs[t]) - ys[t] for t in range(T)]
    else:
        predictions = list(run.outputs)
        err = [run.outputs[t] - ys[t] for t in range(T)]
        total = sum(float(e @ e) for e in err)
        if p.loss == "mse":
            loss, factor = total / (T * o), 2.0 / (T * o)
        else:
            loss, factor = (0.5 * total, 1.0) if half else (total, 2.0)
        dout = [factor * e for e in err]
    h = W.shape[0]
    delta: list[np.ndarray] = [np.zeros(h)] * T
    inflow: list[np.ndarray] = [np.zeros(h)] * T
    after = np.zeros(h)  # δ_{t+1}; nothing flows in after the last step
    for t in reversed(range(T)):
        inflow[t] = W.T @ after if recurrent else np.zeros(h)
        s = run.states[t + 1]
        delta[t] = (V.T @ dout[t] + inflow[t]) * ((1 - s * s) if tanh_grad else 1.0)
        after = delta[t]
    steps = [T - 1] if last_only else list(range(T))
    terms = {
        "dV": [np.outer(dout[t], run.states[t + 1]) for t in steps],
        "dc": [dout[t] for t in steps],
        "dW": [np.outer(delta[t], run.states[t + 1 if current_state_in_dw else t]) for t in steps],
        "dU": [np.outer(delta[t], run.xs[t]) for t in steps],
        "db": [delta[t] for t in steps],
    }
    grads = {name: np.sum(parts, axis=0) for name, parts in terms.items()}
    return Backward(loss, predictions, dout, inflow, delta, terms, grads)


def bptt_answer(back: Backward) -> dict[str, Any]:
    g = back.grads
    return {
        "loss": back.loss,
        "dU": g["dU"].tolist(),
        "dW": g["dW"].tolist(),
        "dV": g["dV"].tolist(),
        "db": g["db"].tolist(),
        "dc": g["dc"].tolist(),
    }


# how each gradient is written: name in the formula, the per-step term, what it sums
_GRADIENTS = (
    ("dV", r"\frac{\partial L}{\partial V}", r"\frac{\partial L}{\partial o_{t}} s_{t}^{T}"),
    ("dc", r"\frac{\partial L}{\partial c}", r"\frac{\partial L}{\partial o_{t}}"),
    ("dW", r"\frac{\partial L}{\partial W}", r"\delta_{t} s_{t-1}^{T}"),
    ("dU", r"\frac{\partial L}{\partial U}", r"\delta_{t} x_{t}^{T}"),
    ("db", r"\frac{\partial L}{\partial b}", r"\delta_{t}"),
)


def _trace_loss(p: RnnBpttParams, run: Any, back: Backward, trace: Trace) -> tuple[str, str]:
    """The loss step(s); returns the formula of ∂L/∂o_t (with %d for t) and its scale factor."""
    T, o = len(p.xs), len(p.V)
    if p.loss == "ce":
        trace.note(
            "Softmax outputs and cross-entropy at every step",
            "Each output o_t goes through a softmax, ŷ_t = softmax(o_t), and the loss adds "
            "−log of the probability of the right class at every step. The target y_t is the "
            "one-hot vector of that class.",
        )
        for t in range(1, T + 1):
            out = run.outputs[t - 1]
            exps = ", ".join(num(math.exp(v)) for v in out)
            trace.step(
                f"Step {t}: softmax of the output",
                rf"\hat{{y}}_{{{t}}} = \operatorname{{softmax}}(o_{{{t}}}) = "
                rf"\frac{{\exp(o_{{{t}}})}}{{\sum_{{j}} \exp(o_{{{t},j}})}}",
                rf"\frac{{1}}{{{num(sum(math.exp(v) for v in out))}}} \left[ {exps} \right]",
                back.predictions[t - 1],
            )
        picked = " + ".join(
            rf"\log({num(back.predictions[t][k])})" for t, k in enumerate(p.class_targets)
        )
        classes = ", ".join(str(k) for k in p.class_targets)
        trace.step(
            "Loss (cross-entropy, summed over the steps)",
            r"L = -\sum_{t=1}^{T} \log \hat{y}_{t}[y_{t}]",
            rf"-\left( {picked} \right) \quad \text{{(classes {classes})}}",
            back.loss,
        )
        return r"\hat{y}_{%d} - y_{%d}", ""
    errors = [run.outputs[t] - _row(p.target_rows[t]) for t in range(T)]
    squares = " + ".join(num(float(e @ e)) for e in errors)
    if p.loss == "mse":
        trace.step(
            "Loss (mean squared error)",
            r"L = \frac{1}{T \cdot n_{o}} \sum_{t=1}^{T} \lVert o_{t} - y_{t} \rVert^{2}",
            rf"\frac{{1}}{{{T} \cdot {o}}} \left( {squares} \right)",
            back.loss,
        )
        return r"\frac{2}{T \cdot n_{o}} (o_{%d} - y_{%d})", rf"\frac{{2}}{{{T * o}}} "
    trace.step(
        "Loss",
        r"L = \frac{1}{2} \sum_{t=1}^{T} \lVert o_{t} - y_{t} \rVert^{2}",
        rf"\frac{{1}}{{2}} \left( {squares} \right)",
        back.loss,
    )
    return r"o_{%d} - y_{%d}", ""


class RnnBptt(Problem[RnnBpttParams]):
    id = "rnn.bptt"
    summary = (
        "Backpropagation through time for s_t = tanh(U·x_t + W·s_{t−1} + b), o_t = V·s_t + c: "
        "loss ½·Σ_t‖o_t − y_t‖² (loss=mse: mean over all T·o entries; loss=ce: ŷ_t = "
        "softmax(o_t), L = −Σ_t log ŷ_t[y_t] with ys class indices) and its gradients."
    )
    topic = "rnn"
    Params = RnnBpttParams

    def solve(self, p: RnnBpttParams, trace: Trace) -> Any:
        run = unroll(p)
        back = backprop(p)
        T = len(p.xs)
        trace.note(
            "Forward pass",
            f"Unroll the network over the {T} steps, keeping every state: the backward pass "
            "needs them.",
        )
        trace_forward(p, run, trace)
        grad_formula, scale = _trace_loss(p, run, back, trace)
        trace.note(
            "Backward pass",
            f"Go back from t = {T} to t = 1. Each δₜ = ∂L/∂aₜ (the gradient at the "
            "pre-activation aₜ = U·xₜ + W·sₜ₋₁) collects the error of its own output and what "
            "flows back from step t + 1 through W.",
        )
        Wt = _transpose(p.W)
        Vt = _transpose(p.V)
        for t in reversed(range(1, T + 1)):
            i = t - 1
            predicted = back.predictions[i] if p.loss == "ce" else run.outputs[i]
            trace.step(
                f"Step {t}: gradient at the output",
                rf"\frac{{\partial L}}{{\partial o_{{{t}}}}} = " + grad_formula % (t, t),
                rf"{scale}\left( {column(predicted)} - {column(p.target_rows[i])} \right)",
                back.dout[i],
            )
            if t == T:
                trace.note(
                    f"Step {t}: nothing flows back from later steps",
                    f"The sequence ends at step {T}, so δ{sub(T + 1)} = 0 and nothing arrives "
                    f"through W: Wᵀδ{sub(T + 1)} = 0.",
                )
            else:
                trace.step(
                    f"Step {t}: what flows back through W from step {t + 1}",
                    rf"W^{{T}} \delta_{{{t + 1}}}",
                    rf"{matrix(Wt)} {column(back.delta[i + 1])}",
                    back.inflow[i],
                )
            s = run.states[t]
            trace.step(
                f"Step {t}: δ{sub(t)} = ∂L/∂a{sub(t)}",
                rf"\delta_{{{t}}} = \left( V^{{T}} \frac{{\partial L}}{{\partial o_{{{t}}}}} + "
                rf"W^{{T}} \delta_{{{t + 1}}} \right) \odot (1 - s_{{{t}}}^{{2}})",
                rf"\left( {matrix(Vt)} {column(back.dout[i])} + {column(back.inflow[i])} "
                rf"\right) \odot {column(1 - s * s)}",
                back.delta[i],
            )
        trace.table(
            "Per-step quantities",
            ["t", "s_{t}", "o_{t}", r"\frac{\partial L}{\partial o_{t}}", r"W^{T} \delta_{t+1}",
             r"\delta_{t}"],
            [
                # row vectors: a table row stays one line high
                [str(t)] + [vector(v.tolist()) for v in (run.states[t], run.outputs[t - 1],
                 back.dout[t - 1], back.inflow[t - 1], back.delta[t - 1])]
                for t in range(1, T + 1)
            ],
            [
                {"t": t, "s": run.states[t].tolist(), "o": run.outputs[t - 1].tolist(),
                 "dL_do": back.dout[t - 1].tolist(), "inflow": back.inflow[t - 1].tolist(),
                 "delta": back.delta[t - 1].tolist()}
                for t in range(1, T + 1)
            ],
        )  # fmt: skip
        # a zero bias is absent from the network as the question writes it (the forward
        # formulas leave it out too): its gradient is still in the answer, not in the trace
        present = {"db": not is_zero(p.b), "dc": not is_zero(p.c)}
        shared = ["U", "V", "W"] + [n for n, key in (("b", "db"), ("c", "dc")) if present[key]]
        trace.note(
            "Gradients add up over time",
            f"{', '.join(shared[:-1])} and {shared[-1]} are shared by every step, so each "
            "gradient is the sum of one term per step.",
        )
        for name, symbol, term in _GRADIENTS:
            if not present.get(name, True):
                continue
            parts = back.terms[name]
            shown = " + ".join(matrix(part) if part.ndim == 2 else column(part) for part in parts)
            trace.step(
                f"Gradient of {name[1:]}",
                rf"{symbol} = \sum_{{t=1}}^{{T}} {term}",
                shown,
                back.grads[name],
            )
        return bptt_answer(back)

    def reference(self, p: RnnBpttParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        rnn, head, states = torch_rnn(p, device)
        outputs = head(states)
        if p.loss == "ce":
            classes = torch.tensor(p.class_targets, dtype=torch.long, device=device)
            loss = F.cross_entropy(outputs, classes, reduction="sum")
        else:
            ys = torch.tensor(p.target_rows, dtype=torch.float64, device=device)
            if p.loss == "mse":
                loss = F.mse_loss(outputs, ys, reduction="mean")
            else:
                loss = 0.5 * F.mse_loss(outputs, ys, reduction="sum")
        loss.backward()
        weights = dict(rnn.named_parameters())
        grads = {
            "dU": weights["weight_ih_l0"].grad,
            "dW": weights["weight_hh_l0"].grad,
            "dV": head.weight.grad,
            "db": weights["bias_ih_l0"].grad,
            "dc": head.bias.grad,
        }
        return {"loss": loss.item(), **{k: _listed(g) for k, g in grads.items()}}

    def _wrong(self, p: RnnBpttParams, feedback: str, **rule: bool) -> Wrong | None:
        wrong = bptt_answer(backprop(p, **rule))
        # a rule whose answer a checker would accept as right cannot be told apart: it stands aside
        if not distinct(wrong, bptt_answer(backprop(p))):
            return None
        return Wrong(wrong, feedback)

    @misconception("only_last_step")
    def _only_last_step(self, p: RnnBpttParams) -> Wrong | None:
        T = len(p.xs)
        return self._wrong(
            p,
            f"You kept only the term from the last step t = {T}. U, V and W are shared by all "
            f"{T} steps, so each gradient is a sum over t = 1…{T}, e.g. ∂L/∂W = Σ_t δ_t s_{{t−1}}ᵀ.",
            last_only=True,
        )

    @misconception("no_recurrent_term")
    def _no_recurrent_term(self, p: RnnBpttParams) -> Wrong | None:
        return self._wrong(
            p,
            "You forgot the gradient that flows back through W: δ_t = (Vᵀ ∂L/∂o_t + Wᵀ δ_{t+1}) "
            "⊙ (1 − s_t²), because s_t also feeds every later step.",
            recurrent=False,
        )

    @misconception("no_tanh_derivative")
    def _no_tanh_derivative(self, p: RnnBpttParams) -> Wrong | None:
        return self._wrong(
            p,
            "You skipped the tanh: going back through s_t = tanh(a_t) multiplies by "
            "tanh′(a_t) = 1 − s_t² element by element.",
            tanh_grad=False,
        )

    @misconception("wrong_state_in_dW")
    def _wrong_state_in_dw(self, p: RnnBpttParams) -> Wrong | None:
        return self._wrong(
            p,
            "You paired δ_t with s_t in ∂L/∂W. W multiplies the previous state at step t, so "
            "each term is δ_t s_{t−1}ᵀ (s_0 for the first step).",
            current_state_in_dw=True,
        )

    @misconception("forgot_half")
    def _forgot_half(self, p: RnnBpttParams) -> Wrong | None:
        if p.loss != "squared":
            return None
        return self._wrong(
            p,
            "You dropped the ½: the loss is ½·Σ_t‖o_t − y_t‖², so ∂L/∂o_t = o_t − y_t, not "
            "2(o_t − y_t), and the loss is half the sum of squares.",
            half=False,
        )

    @misconception("ce_without_softmax")
    def _ce_without_softmax(self, p: RnnBpttParams) -> Wrong | None:
        if p.loss != "ce":
            return None
        wrong = self._wrong(
            p,
            "You used o_t − y_t at the output. With softmax and cross-entropy the gradient "
            "with respect to o_t is ŷ_t − y_t, where ŷ_t = softmax(o_t) are the probabilities.",
            softmax_grad=False,
        )
        if wrong is None:
            return None
        # the loss itself was right: only the gradients follow the wrong rule
        return Wrong({**wrong.answer, "loss": bptt_answer(backprop(p))["loss"]}, wrong.feedback)


def _listed(g: torch.Tensor | None) -> Any:
    assert g is not None, "every parameter takes part in the loss"
    return g.cpu().tolist()


def _row(v: list[float]) -> np.ndarray:
    import numpy as np

    return np.array(v, dtype=np.float64)


def _transpose(m: list[list[float]]) -> list[list[float]]:
    return [list(r) for r in zip(*m)]
