"""Recurrent networks unrolled in time: the forward pass and backpropagation through time.

Owns `rnn.forward` and `rnn.bptt` for the course's Elman network
`s_t = tanh(U·x_t + W·s_{t−1} + b)`, `o_t = V·s_t + c`, with two shorthands exam questions use:
a number read as a 1×1 matrix, and a list of numbers read as a sequence of scalar inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from engine.compare import differs
from engine.errors import ProblemError
from engine.latex import column, count, matrix, num, sub
from engine.params import (
    ParamModel,
    RealOrVector,
    as_array,
    is_zero,
    parse_matrix,
    parse_real,
    parse_vector,
)
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch

# ---------------------------------------------------------------------------------------------
# Parameter shorthands of the Elman network
# ---------------------------------------------------------------------------------------------


def _matrix_or_number(v: Any) -> list[list[float]]:
    # a hidden size of 1 is common in exam questions: `W=0.5` means the 1×1 matrix [[0.5]]
    if isinstance(v, int | float) and not isinstance(v, bool):
        return [[parse_real(v)]]
    return parse_matrix(v)


def _sequence(v: Any) -> list[list[float]]:
    # a flat list is a sequence of scalar inputs: `xs=[1, 2, 3]` is the T×1 matrix [[1], [2], [3]]
    if isinstance(v, list | tuple) and v and not any(isinstance(r, list | tuple) for r in v):
        try:
            return [[x] for x in parse_vector(v)]
        except ValueError:
            raise ValueError("must be a list of numbers or a matrix (one row per step)") from None
    return parse_matrix(v)


MatrixOrNumber = Annotated[list[list[float]], BeforeValidator(_matrix_or_number)]
Steps = Annotated[list[list[float]], BeforeValidator(_sequence)]


def check_length(name: str, value: float | list[float], n: int, what: str) -> None:
    """A number-or-vector parameter must have n entries when it is a vector."""
    if isinstance(value, list) and len(value) != n:
        raise ProblemError(name, f"expected {n} numbers ({what}), got {len(value)}")


def check_shape(name: str, m: list[list[float]], rows: int, cols: int, what: str) -> None:
    if len(m) != rows or len(m[0]) != cols:
        raise ProblemError(
            name, f"expected a {rows}×{cols} matrix ({what}), got {len(m)}×{len(m[0])}"
        )


# ---------------------------------------------------------------------------------------------
# The Elman network
# ---------------------------------------------------------------------------------------------


class RnnForwardParams(ParamModel):
    U: MatrixOrNumber = Field(description="input-to-hidden weights, h×d")
    W: MatrixOrNumber = Field(description="hidden-to-hidden weights, h×h")
    V: MatrixOrNumber = Field(description="hidden-to-output weights, o×h")
    b: RealOrVector = Field(0.0, description="hidden bias (number or h numbers)")
    c: RealOrVector = Field(0.0, description="output bias (number or o numbers)")
    xs: Steps = Field(description="inputs, one row x_t per time step (T×d)")
    s0: RealOrVector = Field(0.0, description="initial state (number or h numbers)")

    @model_validator(mode="after")
    def _shapes_agree(self) -> RnnForwardParams:
        h, d = len(self.U), len(self.U[0])
        check_shape("W", self.W, h, h, f"hidden size {h}, the number of rows of U")
        if len(self.V[0]) != h:
            raise ProblemError(
                "V",
                f"expected {h} columns to match the hidden size (rows of U: {h}), "
                f"got {len(self.V[0])}",
            )
        if len(self.xs[0]) != d:
            raise ProblemError(
                "xs",
                f"expected {d} numbers per time step to match U ({d} columns), "
                f"got {len(self.xs[0])}",
            )
        check_length("b", self.b, h, "one per hidden unit")
        check_length("c", self.c, len(self.V), "one per output, the rows of V")
        check_length("s0", self.s0, h, "one per hidden unit")
        return self


class RnnBpttParams(RnnForwardParams):
    ys: Steps = Field(description="targets, one row y_t per time step (T×o)")
    loss: Literal["squared", "mse"] = Field(
        "squared", description="squared: ½·Σ‖o_t − y_t‖²; mse: mean of (o − y)² over all T·o"
    )

    @model_validator(mode="after")
    def _targets_agree(self) -> RnnBpttParams:
        if len(self.ys) != len(self.xs):
            raise ProblemError(
                "ys", f"expected {len(self.xs)} time steps like xs, got {len(self.ys)}"
            )
        if len(self.ys[0]) != len(self.V):
            raise ProblemError(
                "ys",
                f"expected {len(self.V)} numbers per time step (rows of V), got {len(self.ys[0])}",
            )
        return self


@dataclass(frozen=True)
class Unrolled:
    """Every intermediate of the forward pass: pre-activations a_t, states s_0..s_T, outputs."""

    xs: list[np.ndarray]
    pre: list[np.ndarray]
    states: list[np.ndarray]  # states[0] is s_0
    outputs: list[np.ndarray]


def unroll(p: RnnForwardParams, *, recurrent: bool = True, squash: bool = True) -> Unrolled:
    """The forward pass; the flags switch off parts of it for misconception rules."""
    import numpy as np

    U, W, V = (np.array(m, dtype=np.float64) for m in (p.U, p.W, p.V))
    h, o = U.shape[0], V.shape[0]
    b, c = as_array(p.b, h), as_array(p.c, o)
    xs = [np.array(x, dtype=np.float64) for x in p.xs]
    states = [as_array(p.s0, h)]
    pre, outputs = [], []
    for x in xs:
        a = U @ x + (W @ states[-1] if recurrent else 0.0) + b
        s = np.tanh(a) if squash else a
        pre.append(a)
        states.append(s)
        outputs.append(V @ s + c)
    return Unrolled(xs, pre, states, outputs)


def trace_forward(p: RnnForwardParams, run: Unrolled, trace: Trace) -> None:
    show_b, show_c = not is_zero(p.b), not is_zero(p.c)
    h, o = len(p.U), len(p.V)
    for t in range(1, len(run.xs) + 1):
        prev = run.states[t - 1]
        trace.step(
            f"Step {t}: pre-activation",
            rf"a_{{{t}}} = U x_{{{t}}} + W s_{{{t - 1}}}" + (" + b" if show_b else ""),
            rf"{matrix(p.U)} {column(run.xs[t - 1])} + {matrix(p.W)} {column(prev)}"
            + (f" + {column(as_array(p.b, h))}" if show_b else ""),
            run.pre[t - 1],
        )
        trace.step(
            f"Step {t}: state",
            rf"s_{{{t}}} = \tanh(a_{{{t}}})",
            rf"\tanh {column(run.pre[t - 1])}",
            run.states[t],
        )
        trace.step(
            f"Step {t}: output",
            rf"o_{{{t}}} = V s_{{{t}}}" + (" + c" if show_c else ""),
            rf"{matrix(p.V)} {column(run.states[t])}"
            + (f" + {column(as_array(p.c, o))}" if show_c else ""),
            run.outputs[t - 1],
        )


def forward_answer(run: Unrolled) -> dict[str, Any]:
    return {
        "states": [s.tolist() for s in run.states[1:]],
        "outputs": [y.tolist() for y in run.outputs],
    }


def _torch_rnn(p: RnnForwardParams, device: torch.device) -> tuple[Any, Any, torch.Tensor]:
    """nn.RNN (tanh) and nn.Linear holding the problem's weights, and the output sequence."""
    import torch
    from torch import nn

    def t(value: Any) -> torch.Tensor:
        return torch.as_tensor(value, dtype=torch.float64, device=device)

    h, d, o = len(p.U), len(p.U[0]), len(p.V)
    rnn = nn.RNN(d, h, nonlinearity="tanh", bias=True, dtype=torch.float64, device=device)
    head = nn.Linear(h, o, dtype=torch.float64, device=device)
    weights = dict(rnn.named_parameters())
    with torch.no_grad():
        weights["weight_ih_l0"].copy_(t(p.U))
        weights["weight_hh_l0"].copy_(t(p.W))
        weights["bias_ih_l0"].copy_(t(p.b).expand(h))
        # the course's single bias b lives in bias_ih; PyTorch's second bias stays zero
        weights["bias_hh_l0"].zero_()
        head.weight.copy_(t(p.V))
        head.bias.copy_(t(p.c).expand(o))
    xs = t(p.xs)
    s0 = t(p.s0).expand(h).reshape(1, h)
    states, _ = rnn(xs, s0)  # unbatched: (T, d) in, (T, h) out
    return rnn, head, states


class RnnForward(Problem[RnnForwardParams]):
    id = "rnn.forward"
    summary = (
        "Unroll an RNN: s_t = tanh(U·x_t + W·s_{t−1} + b), o_t = V·s_t + c; "
        "states are s_1…s_T (s_0 not repeated)."
    )
    topic = "rnn"
    Params = RnnForwardParams

    def solve(self, p: RnnForwardParams, trace: Trace) -> Any:
        run = unroll(p)
        trace.note(
            "The same U, W, V at every step",
            f"The network reads {count(len(p.xs), 'input')} one after another; each step uses the previous "
            "state and the same weights.",
        )
        trace_forward(p, run, trace)
        return forward_answer(run)

    def reference(self, p: RnnForwardParams, device: torch.device) -> Any:
        import torch

        with torch.no_grad():
            _, head, states = _torch_rnn(p, device)
            return {"states": states.cpu().tolist(), "outputs": head(states).cpu().tolist()}

    @misconception("ignored_recurrence")
    def _ignored_recurrence(self, p: RnnForwardParams) -> Wrong | None:
        wrong = forward_answer(unroll(p, recurrent=False))
        if not differs(wrong, forward_answer(unroll(p))):
            return None
        return Wrong(
            wrong,
            "You left out the previous state: every step adds W·s_{t−1}, so s_1 feeds into s_2 "
            f"and so on through all {count(len(p.xs), 'step')}. Use s_t = tanh(U·x_t + W·s_{{t−1}} + b).",
        )

    @misconception("no_tanh")
    def _no_tanh(self, p: RnnForwardParams) -> Wrong | None:
        wrong = forward_answer(unroll(p, squash=False))
        if not differs(wrong, forward_answer(unroll(p))):
            return None
        first = unroll(p).pre[0]
        return Wrong(
            wrong,
            f"You forgot the tanh: the state is tanh of the pre-activation, e.g. s_1 = "
            f"tanh({_short(first)}), not the pre-activation itself.",
        )


def _short(v: Any) -> str:
    values = v.tolist() if hasattr(v, "tolist") else v
    return ", ".join(f"{x:.4g}" for x in values)


# ---------------------------------------------------------------------------------------------
# Backpropagation through time
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backward:
    """The backward pass: ∂L/∂o_t, what flows back through W, δ_t, and the per-step terms."""

    loss: float
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
) -> Backward:
    """BPTT; the keyword flags switch on the wrong rules the misconceptions describe."""
    import numpy as np

    run = unroll(p)
    W, V = np.array(p.W, dtype=np.float64), np.array(p.V, dtype=np.float64)
    T, o = len(p.xs), V.shape[0]
    ys = [np.array(y, dtype=np.float64) for y in p.ys]
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
    return Backward(loss, dout, inflow, delta, terms, grads)


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


class RnnBptt(Problem[RnnBpttParams]):
    id = "rnn.bptt"
    summary = (
        "Backpropagation through time for s_t = tanh(U·x_t + W·s_{t−1} + b), o_t = V·s_t + c: "
        "loss ½·Σ_t‖o_t − y_t‖² (loss=mse: mean over all T·o entries) and its gradients."
    )
    topic = "rnn"
    Params = RnnBpttParams

    def solve(self, p: RnnBpttParams, trace: Trace) -> Any:
        run = unroll(p)
        back = backprop(p)
        T, o = len(p.xs), len(p.V)
        trace.note(
            "Forward pass",
            f"Unroll the network over the {T} steps, keeping every state: the backward pass "
            "needs them.",
        )
        trace_forward(p, run, trace)
        errors = [run.outputs[t] - _row(p.ys[t]) for t in range(T)]
        squares = " + ".join(num(float(e @ e)) for e in errors)
        if p.loss == "mse":
            trace.step(
                "Loss (mean squared error)",
                r"L = \frac{1}{T \cdot n_{o}} \sum_{t=1}^{T} \lVert o_{t} - y_{t} \rVert^{2}",
                rf"\frac{{1}}{{{T} \cdot {o}}} \left( {squares} \right)",
                back.loss,
            )
            grad_formula = r"\frac{2}{T \cdot n_{o}} (o_{%d} - y_{%d})"
            scale = rf"\frac{{2}}{{{T * o}}} "
        else:
            trace.step(
                "Loss",
                r"L = \frac{1}{2} \sum_{t=1}^{T} \lVert o_{t} - y_{t} \rVert^{2}",
                rf"\frac{{1}}{{2}} \left( {squares} \right)",
                back.loss,
            )
            grad_formula = r"o_{%d} - y_{%d}"
            scale = ""
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
            trace.step(
                f"Step {t}: gradient at the output",
                rf"\frac{{\partial L}}{{\partial o_{{{t}}}}} = " + grad_formula % (t, t),
                (
                    rf"{scale}\left( {column(run.outputs[i])} - {column(p.ys[i])} \right)"
                    if scale
                    else rf"{column(run.outputs[i])} - {column(p.ys[i])}"
                ),
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
            [
                "t",
                "s_{t}",
                "o_{t}",
                r"\frac{\partial L}{\partial o_{t}}",
                r"W^{T} \delta_{t+1}",
                r"\delta_{t}",
            ],
            [
                [
                    str(t),
                    column(run.states[t]),
                    column(run.outputs[t - 1]),
                    column(back.dout[t - 1]),
                    column(back.inflow[t - 1]),
                    column(back.delta[t - 1]),
                ]
                for t in range(1, T + 1)
            ],
            [
                {
                    "t": t,
                    "s": run.states[t].tolist(),
                    "o": run.outputs[t - 1].tolist(),
                    "dL_do": back.dout[t - 1].tolist(),
                    "inflow": back.inflow[t - 1].tolist(),
                    "delta": back.delta[t - 1].tolist(),
                }
                for t in range(1, T + 1)
            ],
        )
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

        rnn, head, states = _torch_rnn(p, device)
        outputs = head(states)
        ys = torch.tensor(p.ys, dtype=torch.float64, device=device)
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
        if not differs(wrong, bptt_answer(backprop(p))):
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


def _listed(g: torch.Tensor | None) -> Any:
    assert g is not None, "every parameter takes part in the loss"
    return g.cpu().tolist()


def _row(v: list[float]) -> np.ndarray:
    import numpy as np

    return np.array(v, dtype=np.float64)


def _transpose(m: list[list[float]]) -> list[list[float]]:
    return [list(r) for r in zip(*m)]
