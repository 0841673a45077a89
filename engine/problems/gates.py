"""Gated recurrent cells, one time step: `lstm.step` and `gru.step`.

Weights are laid out as PyTorch stores them (gates stacked by rows: LSTM i, f, g, o; GRU r, z, n)
with PyTorch's two bias vectors. The GRU takes the `variant` convention: PyTorch applies the reset
gate after the recurrent matmul, Cho et al. (2014) before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from engine.compare import differs
from engine.errors import ProblemError
from engine.latex import column, matrix
from engine.params import Matrix, ParamModel, RealOrVector, Vector, as_array, is_zero
from engine.problem import Problem, Wrong, misconception
from engine.problems.common import fmt_list
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch

LSTM_GATES = ("i", "f", "g", "o")
GRU_GATES = ("r", "z", "n")
GATE_NAMES = {
    "i": "Input gate",
    "f": "Forget gate",
    "g": "Candidate cell",
    "o": "Output gate",
    "r": "Reset gate",
    "z": "Update gate",
    "n": "Candidate state",
}


def _check_cell(
    x: list[float],
    h: list[float],
    weight_ih: list[list[float]],
    weight_hh: list[list[float]],
    bias_ih: float | list[float],
    bias_hh: float | list[float],
    gates: tuple[str, ...],
) -> None:
    """Shapes of a cell whose gates are stacked by rows, G·H × d and G·H × H."""
    H, d, G = len(h), len(x), len(gates)
    order = ", ".join(gates)
    for name, m, cols, what in (
        ("weight_ih", weight_ih, d, f"the length of x ({d})"),
        ("weight_hh", weight_hh, H, f"the length of h ({H})"),
    ):
        if len(m) != G * H:
            raise ProblemError(
                name, f"expected {G * H} rows ({G} gates {order} × hidden size {H}), got {len(m)}"
            )
        if len(m[0]) != cols:
            raise ProblemError(name, f"expected {cols} columns to match {what}, got {len(m[0])}")
    for name, b in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if isinstance(b, list) and len(b) != G * H:
            raise ProblemError(
                name,
                f"expected {G * H} numbers ({G} gates {order} × hidden size {H}), got {len(b)}",
            )


@dataclass(frozen=True)
class Blocks:
    """A cell's weights split by gate: W_i* x-weights, W_h* h-weights and both biases."""

    wi: dict[str, np.ndarray]
    wh: dict[str, np.ndarray]
    bi: dict[str, np.ndarray]
    bh: dict[str, np.ndarray]


def _blocks(
    weight_ih: list[list[float]],
    weight_hh: list[list[float]],
    bias_ih: float | list[float],
    bias_hh: float | list[float],
    order: tuple[str, ...],
) -> Blocks:
    import numpy as np

    G = len(order)
    H = len(weight_hh) // G
    Wi, Wh = np.array(weight_ih, dtype=np.float64), np.array(weight_hh, dtype=np.float64)
    bi, bh = as_array(bias_ih, G * H), as_array(bias_hh, G * H)

    def split(a: np.ndarray) -> dict[str, np.ndarray]:
        return {gate: a[k * H : (k + 1) * H] for k, gate in enumerate(order)}

    return Blocks(split(Wi), split(Wh), split(bi), split(bh))


def _sigmoid(a: np.ndarray) -> np.ndarray:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-a))


def _vec(v: np.ndarray) -> list[float]:
    return [float(x) for x in v]


def _gate_step(
    trace: Trace,
    gate: str,
    blocks: Blocks,
    x: np.ndarray,
    h: np.ndarray,
    biases: bool,
    act: str,
    value: np.ndarray,
    pre: np.ndarray,
) -> None:
    """Two steps: a gate's pre-activation (with the numbers put in), then its activation.

    Written as the course writes a gate, W·h + U·x (+ b): W is the gate's block of PyTorch's
    weight_hh, U its block of weight_ih, and b = b_ih + b_hh (PyTorch keeps two bias vectors
    that only ever appear summed). The mapping is stated once, in the "Reading the weights" note.
    """
    terms = rf"W_{{{gate}}} h + U_{{{gate}}} x"
    numbers = rf"{matrix(blocks.wh[gate])} {column(h)} + {matrix(blocks.wi[gate])} {column(x)}"
    if biases:
        terms += rf" + b_{{{gate}}}"
        numbers += rf" + {column(blocks.bi[gate] + blocks.bh[gate])}"
    name = GATE_NAMES[gate]
    trace.step(f"{name}: pre-activation", rf"a_{{{gate}}} = {terms}", numbers, pre)
    fn = r"\sigma" if act == "sigmoid" else r"\tanh"
    trace.step(f"{name} {gate}", rf"{gate} = {fn}(a_{{{gate}}})", rf"{fn} {column(pre)}", value)


def weights_note(gates: tuple[str, ...], blocks: str, biases: bool) -> str:
    """How the course's W·h + U·x maps to PyTorch's stacked matrices, said once per trace."""
    order = ", ".join(gates)
    text = (
        f"Each gate is written W·h + U·x{' + b' if biases else ''}, as in the course. PyTorch "
        f"stacks the gates by rows in the order {order}: {blocks}. A gate's W is its block of "
        "weight_hh (it multiplies h) and its U its block of weight_ih (it multiplies x)."
    )
    if biases:
        text += " Its b is its block of bias_ih plus its block of bias_hh."
    return text


# ---------------------------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------------------------


class LstmStepParams(ParamModel):
    x: Vector = Field(description="input x_t (d numbers)")
    h: Vector = Field(description="previous hidden state h_{t−1} (H numbers)")
    c: Vector = Field(description="previous cell state c_{t−1} (H numbers)")
    weight_ih: Matrix = Field(description="input weights, 4H×d, gates stacked i, f, g, o")
    weight_hh: Matrix = Field(description="recurrent weights, 4H×H, gates stacked i, f, g, o")
    bias_ih: RealOrVector = Field(0.0, description="input bias (number or 4H numbers)")
    bias_hh: RealOrVector = Field(0.0, description="recurrent bias (number or 4H numbers)")

    @model_validator(mode="after")
    def _shapes_agree(self) -> LstmStepParams:
        if len(self.c) != len(self.h):
            raise ProblemError(
                "c",
                f"expected {len(self.h)} numbers like h (one per hidden unit), got {len(self.c)}",
            )
        _check_cell(
            self.x, self.h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, LSTM_GATES
        )
        return self


def lstm_cell(
    p: LstmStepParams,
    *,
    order: tuple[str, ...] = LSTM_GATES,
    candidate: str = "tanh",
    squash_cell: bool = True,
    new_cell_in_h: bool = True,
    keep_old_cell: bool = True,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(pre-activations, values) of one LSTM step; the flags give the misconceptions' rules."""
    import numpy as np

    blk = _blocks(p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh, order)
    x, h, c = (np.array(v, dtype=np.float64) for v in (p.x, p.h, p.c))
    pre = {g: blk.wi[g] @ x + blk.bi[g] + blk.wh[g] @ h + blk.bh[g] for g in LSTM_GATES}
    out = {g: _sigmoid(pre[g]) for g in ("i", "f", "o")}
    out["g"] = np.tanh(pre["g"]) if candidate == "tanh" else _sigmoid(pre["g"])
    out["c"] = (out["f"] * c if keep_old_cell else 0.0) + out["i"] * out["g"]
    cell = out["c"] if new_cell_in_h else c
    out["h"] = out["o"] * (np.tanh(cell) if squash_cell else cell)
    return pre, out


def lstm_answer(out: dict[str, np.ndarray]) -> dict[str, Any]:
    return {k: _vec(out[k]) for k in ("i", "f", "g", "o", "c", "h")}


class LstmStep(Problem[LstmStepParams]):
    id = "lstm.step"
    summary = "One LSTM step (PyTorch layout, gates i, f, g, o): c′ = f⊙c + i⊙g, h′ = o⊙tanh(c′)."
    topic = "rnn"
    Params = LstmStepParams

    def solve(self, p: LstmStepParams, trace: Trace) -> Any:
        import numpy as np

        pre, out = lstm_cell(p)
        blk = _blocks(p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh, LSTM_GATES)
        x, h, c = (np.array(v, dtype=np.float64) for v in (p.x, p.h, p.c))
        H = len(p.h)
        biases = not (is_zero(p.bias_ih) and is_zero(p.bias_hh))
        blocks = (
            f"{_rows(H, 0)} the input gate, {_rows(H, 1)} the forget gate, {_rows(H, 2)} the "
            f"candidate g, {_rows(H, 3)} the output gate"
        )
        trace.note("Reading the weights", weights_note(LSTM_GATES, blocks, biases))
        for gate in LSTM_GATES:
            act = "tanh" if gate == "g" else "sigmoid"
            _gate_step(trace, gate, blk, x, h, biases, act, out[gate], pre[gate])
        trace.step(
            "New cell state",
            r"c' = f \odot c + i \odot g",
            rf"{column(out['f'])} \odot {column(c)} + {column(out['i'])} \odot {column(out['g'])}",
            out["c"],
        )
        trace.step(
            "New hidden state",
            r"h' = o \odot \tanh(c')",
            rf"{column(out['o'])} \odot \tanh {column(out['c'])}",
            out["h"],
        )
        return lstm_answer(out)

    def reference(self, p: LstmStepParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F
        from torch import nn

        H, d = len(p.h), len(p.x)
        cell = nn.LSTMCell(d, H, bias=True, dtype=torch.float64, device=device)
        tensors = _load_cell(cell, p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh, 4 * H, device)
        x, h, c = (_tensor(v, device) for v in (p.x, p.h, p.c))
        with torch.no_grad():
            h1, c1 = cell(x.unsqueeze(0), (h.unsqueeze(0), c.unsqueeze(0)))
            # LSTMCell keeps its gates inside; recompute them from the same weights to report them
            a = F.linear(x, tensors[0], tensors[2]) + F.linear(h, tensors[1], tensors[3])
            ai, af, ag, ao = a.chunk(4)
        gates = {
            "i": torch.sigmoid(ai),
            "f": torch.sigmoid(af),
            "g": torch.tanh(ag),
            "o": torch.sigmoid(ao),
            "c": c1[0],
            "h": h1[0],
        }
        return {k: v.cpu().tolist() for k, v in gates.items()}

    def _wrong(self, p: LstmStepParams, feedback: str, **rule: Any) -> Wrong | None:
        wrong = lstm_answer(lstm_cell(p, **rule)[1])
        if not differs(wrong, lstm_answer(lstm_cell(p)[1])):
            return None
        return Wrong(wrong, feedback)

    @misconception("tanh_of_c_forgotten")
    def _tanh_of_c_forgotten(self, p: LstmStepParams) -> Wrong | None:
        c = lstm_cell(p)[1]["c"]
        return self._wrong(
            p,
            f"You wrote h′ = o ⊙ c′. The cell state goes through tanh first: h′ = o ⊙ tanh(c′), "
            f"with c′ = {fmt_list(c)}.",
            squash_cell=False,
        )

    @misconception("gate_order_ifog")
    def _gate_order_ifog(self, p: LstmStepParams) -> Wrong | None:
        H = len(p.h)
        return self._wrong(
            p,
            "You read the stacked weights in the order i, f, o, g. PyTorch stacks them i, f, g, o: "
            f"{_rows(H, 2)} the candidate g and {_rows(H, 3)} the output gate.",
            order=("i", "f", "o", "g"),
        )

    @misconception("sigmoid_candidate")
    def _sigmoid_candidate(self, p: LstmStepParams) -> Wrong | None:
        return self._wrong(
            p,
            "You squashed the candidate g with a sigmoid. The three gates i, f, o use σ, but the "
            "candidate uses tanh so that it can be negative: g = tanh(a_g).",
            candidate="sigmoid",
        )

    @misconception("forgot_forget_term")
    def _forgot_forget_term(self, p: LstmStepParams) -> Wrong | None:
        return self._wrong(
            p,
            "You left out the f⊙c term: the new cell state keeps part of the old one, "
            "c′ = f⊙c + i⊙g, and h′ = o ⊙ tanh(c′) is then computed from that c′.",
            keep_old_cell=False,
        )

    @misconception("used_old_cell")
    def _used_old_cell(self, p: LstmStepParams) -> Wrong | None:
        return self._wrong(
            p,
            "You used the old cell state in h′. Update the cell first, c′ = f⊙c + i⊙g, then "
            "h′ = o ⊙ tanh(c′) with the new c′.",
            new_cell_in_h=False,
        )


def _rows(H: int, k: int) -> str:
    """Which rows of a stacked weight matrix belong to gate number k (counting from 0)."""
    first, last = k * H + 1, (k + 1) * H
    return f"row {first} is" if first == last else f"rows {first}–{last} are"


def _tensor(value: Any, device: torch.device) -> torch.Tensor:
    import torch

    return torch.as_tensor(value, dtype=torch.float64, device=device)


def _load_cell(
    cell: Any,
    weight_ih: list[list[float]],
    weight_hh: list[list[float]],
    bias_ih: float | list[float],
    bias_hh: float | list[float],
    rows: int,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Copy the problem's weights into an nn.LSTMCell/GRUCell; return them as tensors too."""
    import torch

    tensors = (
        _tensor(weight_ih, device),
        _tensor(weight_hh, device),
        _tensor(bias_ih, device).expand(rows).clone(),
        _tensor(bias_hh, device).expand(rows).clone(),
    )
    with torch.no_grad():
        for param, value in zip(
            (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), tensors
        ):
            param.copy_(value)
    return tensors


# ---------------------------------------------------------------------------------------------
# GRU
# ---------------------------------------------------------------------------------------------

Variant = Literal["pytorch", "cho"]
VARIANT_TEXT = {
    "pytorch": "PyTorch: the reset gate multiplies the recurrent term after the matmul, "
    "n = tanh(r ⊙ (Wₙ·h + bₕₙ) + Uₙ·x + bᵢₙ).",
    "cho": "Cho et al. (2014): the reset gate multiplies the previous state before the matmul, "
    "n = tanh(Wₙ·(r ⊙ h) + Uₙ·x + b).",
}


# What z does: PyTorch and Cho et al. let z keep the old state; Chung et al. (2014) and many
# course notes let z take the candidate. The two give different h′ from the same weights.
UpdateGate = Literal["keeps_old", "takes_new"]
UPDATE_TEXT = {
    "keeps_old": "update_gate=keeps_old (PyTorch, Cho et al. 2014): z is the share of the old "
    "state kept, h′ = (1 − z)⊙n + z⊙h.",
    "takes_new": "update_gate=takes_new (Chung et al. 2014 and many course notes): z is the "
    "share of the candidate taken, h′ = (1 − z)⊙h + z⊙n.",
}


class GruStepParams(ParamModel):
    x: Vector = Field(description="input x_t (d numbers)")
    h: Vector = Field(description="previous hidden state h_{t−1} (H numbers)")
    weight_ih: Matrix = Field(description="input weights, 3H×d, gates stacked r, z, n")
    weight_hh: Matrix = Field(description="recurrent weights, 3H×H, gates stacked r, z, n")
    bias_ih: RealOrVector = Field(0.0, description="input bias (number or 3H numbers)")
    bias_hh: RealOrVector = Field(0.0, description="recurrent bias (number or 3H numbers)")
    variant: Variant = Field(
        "pytorch", description="pytorch: r ⊙ (W_hn h + b_hn); cho: W_hn (r ⊙ h) + b_hn"
    )
    update_gate: UpdateGate = Field(
        "keeps_old",
        description="keeps_old: h′ = (1 − z)⊙n + z⊙h (PyTorch, Cho et al.); "
        "takes_new: h′ = (1 − z)⊙h + z⊙n (Chung et al. 2014)",
    )

    @model_validator(mode="after")
    def _shapes_agree(self) -> GruStepParams:
        _check_cell(
            self.x, self.h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, GRU_GATES
        )
        return self


@dataclass(frozen=True)
class GruRun:
    pre: dict[str, np.ndarray]  # a_r, a_z, a_n
    out: dict[str, np.ndarray]  # r, z, n, h
    recurrent: np.ndarray  # pytorch: W_hn h + b_hn; cho: r ⊙ h


def gru_cell(
    p: GruStepParams,
    *,
    variant: Variant | None = None,
    order: tuple[str, ...] = GRU_GATES,
    swap_z: bool = False,
    use_reset: bool = True,
) -> GruRun:
    """One GRU step under `variant` (default: the one asked); flags give the wrong rules."""
    import numpy as np

    variant = variant or p.variant
    blk = _blocks(p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh, order)
    x, h = np.array(p.x, dtype=np.float64), np.array(p.h, dtype=np.float64)
    pre = {g: blk.wi[g] @ x + blk.bi[g] + blk.wh[g] @ h + blk.bh[g] for g in ("r", "z")}
    r, z = _sigmoid(pre["r"]), _sigmoid(pre["z"])
    gate = r if use_reset else np.ones_like(r)
    if variant == "pytorch":
        recurrent = blk.wh["n"] @ h + blk.bh["n"]
        pre["n"] = blk.wi["n"] @ x + blk.bi["n"] + gate * recurrent
    else:
        recurrent = gate * h
        pre["n"] = blk.wi["n"] @ x + blk.bi["n"] + blk.wh["n"] @ recurrent + blk.bh["n"]
    n = np.tanh(pre["n"])
    takes_new = (p.update_gate == "takes_new") != swap_z
    new_h = z * n + (1 - z) * h if takes_new else (1 - z) * n + z * h
    return GruRun(pre, {"r": r, "z": z, "n": n, "h": new_h}, recurrent)


def gru_answer(run: GruRun) -> dict[str, Any]:
    return {k: _vec(run.out[k]) for k in ("r", "z", "n", "h")}


class GruStep(Problem[GruStepParams]):
    id = "gru.step"
    summary = (
        "One GRU step (PyTorch layout, gates r, z, n): h′ = (1 − z)⊙n + z⊙h (update_gate="
        "takes_new: h′ = (1 − z)⊙h + z⊙n); variant=pytorch resets after the recurrent matmul, "
        "variant=cho (Cho et al. 2014) before it."
    )
    topic = "rnn"
    Params = GruStepParams

    def solve(self, p: GruStepParams, trace: Trace) -> Any:
        import numpy as np

        run = gru_cell(p)
        blk = _blocks(p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh, GRU_GATES)
        x, h = np.array(p.x, dtype=np.float64), np.array(p.h, dtype=np.float64)
        H = len(p.h)
        trace.note(f"GRU variant: {p.variant}", VARIANT_TEXT[p.variant])
        trace.note(f"Update gate: {p.update_gate.replace('_', ' ')}", UPDATE_TEXT[p.update_gate])
        biases = not (is_zero(p.bias_ih) and is_zero(p.bias_hh))
        blocks = (
            f"{_rows(H, 0)} the reset gate, {_rows(H, 1)} the update gate, {_rows(H, 2)} the "
            "candidate n"
        )
        note = weights_note(GRU_GATES, blocks, biases)
        if biases and p.variant == "pytorch":
            note += (
                " The candidate keeps its two biases apart: b_in is added to U·x, and b_hn "
                "inside the reset, to W·h."
            )
        trace.note("Reading the weights", note)
        for gate in ("r", "z"):
            _gate_step(trace, gate, blk, x, h, biases, "sigmoid", run.out[gate], run.pre[gate])
        bi, bh = blk.bi["n"], blk.bh["n"]
        Wi, Wh = matrix(blk.wi["n"]), matrix(blk.wh["n"])
        in_terms = r"U_{n} x + b_{in}" if biases else r"U_{n} x"
        in_numbers = rf"{Wi} {column(x)}" + (rf" + {column(bi)}" if biases else "")
        if p.variant == "pytorch":
            trace.step(
                "Recurrent part of the candidate (before the reset)",
                r"W_{n} h + b_{hn}" if biases else r"W_{n} h",
                rf"{Wh} {column(h)}" + (rf" + {column(bh)}" if biases else ""),
                run.recurrent,
            )
            trace.step(
                "Candidate n: pre-activation (reset after the matmul)",
                r"a_{n} = r \odot (W_{n} h" + (r" + b_{hn})" if biases else ")") + f" + {in_terms}",
                rf"{column(run.out['r'])} \odot {column(run.recurrent)} + {in_numbers}",
                run.pre["n"],
            )
        else:
            trace.step(
                "Reset the previous state (before the matmul)",
                r"r \odot h",
                rf"{column(run.out['r'])} \odot {column(h)}",
                run.recurrent,
            )
            trace.step(
                "Candidate n: pre-activation (reset before the matmul)",
                rf"a_{{n}} = W_{{n}} (r \odot h) + {in_terms}" + (r" + b_{hn}" if biases else ""),
                rf"{Wh} {column(run.recurrent)} + {in_numbers}"
                + (rf" + {column(bh)}" if biases else ""),
                run.pre["n"],
            )
        trace.step(
            "Candidate state n",
            r"n = \tanh(a_{n})",
            rf"\tanh {column(run.pre['n'])}",
            run.out["n"],
        )
        z, n = run.out["z"], run.out["n"]
        if p.update_gate == "takes_new":
            trace.step(
                "New hidden state (z takes the candidate)",
                r"h' = (1 - z) \odot h + z \odot n",
                rf"{column(1 - z)} \odot {column(h)} + {column(z)} \odot {column(n)}",
                run.out["h"],
            )
        else:
            trace.step(
                "New hidden state (z keeps the old state)",
                r"h' = (1 - z) \odot n + z \odot h",
                rf"{column(1 - z)} \odot {column(n)} + {column(z)} \odot {column(h)}",
                run.out["h"],
            )
        return gru_answer(run)

    def reference(self, p: GruStepParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F
        from torch import nn

        H, d = len(p.h), len(p.x)
        cell = nn.GRUCell(d, H, bias=True, dtype=torch.float64, device=device)
        Wi, Wh, bi, bh = _load_cell(
            cell, p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh, 3 * H, device
        )
        x, h = (_tensor(v, device) for v in (p.x, p.h))
        with torch.no_grad():
            gi, gh = F.linear(x, Wi, bi).chunk(3), F.linear(h, Wh, bh).chunk(3)
            r = torch.sigmoid(gi[0] + gh[0])
            z = torch.sigmoid(gi[1] + gh[1])
            if p.variant == "pytorch":
                n = torch.tanh(gi[2] + r * gh[2])
                # the new state itself comes from PyTorch's own cell
                new_h = cell(x.unsqueeze(0), h.unsqueeze(0))[0]
            else:
                W_hn, b_hn = Wh.chunk(3)[2], bh.chunk(3)[2]
                n = torch.tanh(gi[2] + F.linear(r * h, W_hn, b_hn))
                new_h = (1 - z) * n + z * h
            if p.update_gate == "takes_new":
                # the same cell with z's roles exchanged: (1 − z)⊙h + z⊙n = h + n − PyTorch's h′
                new_h = h + n - new_h
        return {k: v.cpu().tolist() for k, v in {"r": r, "z": z, "n": n, "h": new_h}.items()}

    def _wrong(self, p: GruStepParams, feedback: str, **rule: Any) -> Wrong | None:
        wrong = gru_answer(gru_cell(p, **rule))
        if not differs(wrong, gru_answer(gru_cell(p))):
            return None
        return Wrong(wrong, feedback)

    @misconception("cho_reset")
    def _cho_reset(self, p: GruStepParams) -> Wrong | None:
        other: Variant = "cho" if p.variant == "pytorch" else "pytorch"
        return self._wrong(
            p,
            f"You used the {other} convention for the reset gate, but variant={p.variant} was "
            f"asked. {VARIANT_TEXT[p.variant]}",
            variant=other,
        )

    @misconception("swapped_z")
    def _swapped_z(self, p: GruStepParams) -> Wrong | None:
        return self._wrong(
            p,
            "You swapped the roles of z (the other update-gate convention). "
            + UPDATE_TEXT[p.update_gate],
            swap_z=True,
        )

    @misconception("gate_order_zrn")
    def _gate_order_zrn(self, p: GruStepParams) -> Wrong | None:
        H = len(p.h)
        return self._wrong(
            p,
            "You read the stacked weights in the order z, r, n. PyTorch stacks them r, z, n: "
            f"{_rows(H, 0)} the reset gate and {_rows(H, 1)} the update gate.",
            order=("z", "r", "n"),
        )

    @misconception("reset_ignored")
    def _reset_ignored(self, p: GruStepParams) -> Wrong | None:
        return self._wrong(
            p,
            "You left the reset gate out of the candidate. r scales the recurrent part of n: "
            + VARIANT_TEXT[p.variant],
            use_reset=False,
        )
