"""Recurrent networks unrolled in time: the forward pass of the Elman network.

Owns `rnn.forward` for the course's Elman network
`s_t = tanh(U·x_t + W·s_{t−1} + b)`, `o_t = V·s_t + c`, with two shorthands exam questions use:
a number read as a 1×1 matrix, and a list of numbers read as a sequence of scalar inputs.
`rnn.bptt` (the backward pass) lives in `engine.problems.rnn_bptt` and builds on this forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from engine.compare import differs
from engine.errors import ProblemError
from engine.latex import column, count, matrix
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


def sequence_rows(v: Any) -> list[list[float]]:
    # a flat list is a sequence of scalar inputs: `xs=[1, 2, 3]` is the T×1 matrix [[1], [2], [3]]
    if isinstance(v, list | tuple) and v and not any(isinstance(r, list | tuple) for r in v):
        try:
            return [[x] for x in parse_vector(v)]
        except ValueError:
            raise ValueError("must be a list of numbers or a matrix (one row per step)") from None
    return parse_matrix(v)


MatrixOrNumber = Annotated[list[list[float]], BeforeValidator(_matrix_or_number)]
Steps = Annotated[list[list[float]], BeforeValidator(sequence_rows)]


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


def torch_rnn(p: RnnForwardParams, device: torch.device) -> tuple[Any, Any, torch.Tensor]:
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
            _, head, states = torch_rnn(p, device)
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
