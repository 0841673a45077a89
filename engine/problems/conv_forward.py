"""A convolution layer's forward pass on small numbers: `conv2d.forward`.

PyTorch's conv2d computes a cross-correlation (the kernel slides as it is) while the course notes
write a true convolution, y[i,j] = Σ_u Σ_v w[u,v]·x[i−u+1, j−v+1] (the kernel flipped): `mode`
chooses. The trace writes out the sum behind each of the first output elements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from engine.errors import ProblemError
from engine.latex import count, matrix, num, paren
from engine.params import (
    ParamModel,
    Tensor,
    pair,
    real_or_vector,
    shape_of,
)
from engine.problem import Problem, Wrong, misconception
from engine.problems.sliding_window import (
    AXES,
    SHOW_FIRST,
    SHOW_MATRICES,
    Padding,
    Window,
    axis_label,
    both_axes,
    check_forward_work,
    once_if_same,
    per_axis,
    rows_cols,
    shown,
    window_count_step,
    zero_padding_step,
)
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

# one bias for every output channel, or one each
Bias = Annotated[
    float | list[float],
    BeforeValidator(
        real_or_vector("must be a number or a list of numbers, one per output channel")
    ),
]


class Conv2dForwardParams(ParamModel):
    x: Tensor
    w: Tensor
    bias: Bias = Field(0, validate_default=True)
    stride: Window = 1
    padding: Padding = 0
    mode: Literal["cross-correlation", "convolution"] = "cross-correlation"

    @model_validator(mode="after")
    def _shapes_agree(self) -> Conv2dForwardParams:
        xs, ws = shape_of(self.x), shape_of(self.w)
        if len(xs) not in (2, 3):
            raise ProblemError(
                "x",
                f"must be a matrix (H×W) or one matrix per channel (C×H×W), got {len(xs)} "
                "dimension(s)",
            )
        if len(ws) not in (2, 3, 4):
            raise ProblemError(
                "w",
                "must be a kernel k_h×k_w, one per input channel C×k_h×k_w, or C_out×C×k_h×k_w; "
                f"got {len(ws)} dimension(s)",
            )
        channels = xs[0] if len(xs) == 3 else 1
        seen = ws[-3] if len(ws) >= 3 else 1
        if seen != channels:
            raise ProblemError(
                "w",
                f"x has {channels} channels, so give one kernel per channel ({channels}×k_h×k_w)"
                if len(ws) == 2
                else f"expected {channels} input channel(s) to match x, got {seen}",
            )
        if isinstance(self.bias, list) and len(self.bias) != self.out_channels:
            raise ProblemError(
                "bias",
                f"expected {self.out_channels} value(s), one per output channel, got "
                f"{len(self.bias)}",
            )
        for axis, n, k, p in zip(AXES, xs[-2:], ws[-2:], pair(self.padding)):
            if k > n + 2 * p:
                raise ProblemError(
                    "w",
                    f"the kernel is {k} along the {axis} but the padded input is only {n + 2 * p}",
                )
        check_forward_work(
            (xs[-2], xs[-1]),
            (ws[-2], ws[-1]),
            pair(self.padding),
            pair(self.stride),
            channels * self.out_channels,
        )
        return self

    @property
    def out_channels(self) -> int:
        ws = shape_of(self.w)
        return ws[0] if len(ws) == 4 else 1

    def x3(self) -> list[Any]:
        """x as C×H×W."""
        return self.x if len(shape_of(self.x)) == 3 else [self.x]

    def w4(self) -> list[Any]:
        """w as C_out×C×k_h×k_w."""
        depth = len(shape_of(self.w))
        return {2: [[self.w]], 3: [self.w], 4: self.w}[depth]

    def biases(self) -> list[float]:
        return list(self.bias) if isinstance(self.bias, list) else [self.bias] * self.out_channels

    def fits_unpadded(self) -> bool:
        return all(k <= n for n, k in zip(shape_of(self.x)[-2:], shape_of(self.w)[-2:]))


class Conv2dForward(Problem[Conv2dForwardParams]):
    id = "conv2d.forward"
    summary = (
        "A 2-D convolution layer's output on small numbers: cross-correlation as PyTorch computes "
        "it, or true convolution (flipped kernel) as the course notes write it."
    )
    topic = "cnn"
    Params = Conv2dForwardParams

    def solve(self, p: Conv2dForwardParams, trace: Trace) -> Any:
        import numpy as np

        x = np.asarray(p.x3(), dtype=np.float64)
        w = np.asarray(p.w4(), dtype=np.float64)
        b = p.biases()
        c_out, c_in, kh, kw = w.shape
        sh, sw = pair(p.stride)
        ph, pw = pair(p.padding)
        flip = p.mode == "convolution"
        several_in, several_out = c_in > 1, c_out > 1

        def label(o: int | None, c: int | None) -> str:
            parts = []
            if o is not None and several_out:
                parts.append(f"output channel {o}")
            if c is not None and several_in:
                parts.append(f"input channel {c}")
            return f" ({', '.join(parts)})" if parts else ""

        if flip:
            trace.note(
                "Convention: true convolution (course notes)",
                "y[i, j] = Σ_u Σ_v w[u, v]·x[i − u + 1, j − v + 1] runs over the kernel backwards. "
                "That is the same as rotating the kernel by 180° (flipping it up–down and "
                "left–right) and then sliding it as PyTorch's conv2d does; indices below start "
                "at 0.",
            )
            flipped = w[:, :, ::-1, ::-1]
            pairs = [(o, c) for o in range(c_out) for c in range(c_in)]
            for o, c in pairs[:SHOW_MATRICES]:
                trace.step(
                    f"Flipped kernel{label(o, c)}",
                    r"\tilde{w}_{u,v} = w_{k_h - 1 - u,\, k_w - 1 - v}",
                    rf"\operatorname{{rot180}}\left({matrix(w[o, c])}\right)",
                    flipped[o, c],
                )
            if len(pairs) > SHOW_MATRICES:
                trace.note("Flipped kernel (the others)", "Every other kernel is flipped alike.")
            w = flipped
        else:
            trace.note(
                "Convention: cross-correlation (PyTorch)",
                "PyTorch's conv2d slides the kernel over the input as it is, without flipping: "
                "y[i, j] = Σ_u Σ_v w[u, v]·x[s·i + u, s·j + v] + b, indices from 0.",
            )

        xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
        if ph or pw:
            for c in range(min(c_in, SHOW_MATRICES)):
                title = f"Padded input{label(None, c)}: zeros around the border"
                zero_padding_step(trace, title, ph, pw, xp[c])
            if c_in > SHOW_MATRICES:
                trace.note("Padded input (the others)", "Every other channel is padded alike.")
        hp, wp = xp.shape[1:]
        size_rows = once_if_same(per_axis((hp, wp), (kh, kw), (sh, sw)))
        out = {
            axis: window_count_step(
                trace, f"Output size{axis_label(size_rows, axis)}", n, k, s, "k"
            )
            for axis, n, k, s in size_rows
        }
        oh, ow = both_axes(out)

        y = np.empty((c_out, oh, ow))
        for o in range(c_out):
            for i in range(oh):
                for j in range(ow):
                    window = xp[:, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    y[o, i, j] = float(np.sum(window * w[o])) + b[o]

        kernel = r"\tilde{w}" if flip else "w"
        with_bias = any(v != 0 for v in b)
        if several_in or several_out:
            formula = (
                rf"y_{{o,i,j}} = \sum_{{c}} \sum_{{u}} \sum_{{v}} {kernel}_{{o,c,u,v}}\, "
                r"x_{c,\, s i + u,\, s j + v}"
            )
        else:
            formula = (
                rf"y_{{i,j}} = \sum_{{u}} \sum_{{v}} {kernel}_{{u,v}}\, x_{{s i + u,\, s j + v}}"
            )
        if with_bias:
            formula += " + b_{o}" if several_out else " + b"
        padded = " of the padded input" if ph or pw else ""
        positions = [(0, i, j) for i in range(oh) for j in range(ow)]
        positions = positions[: shown(len(positions))]
        positions += [(o, 0, 0) for o in range(1, min(c_out, SHOW_FIRST + 1))]
        for o, i, j in positions:
            window = xp[:, i * sh : i * sh + kh, j * sw : j * sw + kw]
            terms = [
                rf"{paren(wv)} \cdot {paren(xv)}"
                for wv, xv in zip(w[o].ravel().tolist(), window.ravel().tolist())
            ]
            if with_bias:
                terms.append(paren(b[o]))
            where = rows_cols(i * sh, i * sh + kh - 1, j * sw, j * sw + kw - 1)
            index = f"{o}, {i}, {j}" if several_out else f"{i}, {j}"
            trace.step(
                f"y[{index}]: the kernel over {where}{padded}",
                formula,
                " + ".join(terms),
                y[o, i, j],
            )
        if len(positions) < c_out * oh * ow:
            trace.note(
                "The other elements",
                "Every other output element is the same sum with the kernel moved by the stride.",
            )
        for o in range(c_out):
            trace.step(f"Output{label(o, None)}", "y" if c_out == 1 else f"y_{{{o}}}", "", y[o])
        return y[0] if c_out == 1 else y

    def reference(self, p: Conv2dForwardParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        x = torch.tensor(p.x3(), dtype=torch.float64, device=device).unsqueeze(0)
        w = torch.tensor(p.w4(), dtype=torch.float64, device=device)
        if p.mode == "convolution":
            w = torch.flip(w, dims=(-2, -1))
        b = torch.tensor(p.biases(), dtype=torch.float64, device=device)
        y = F.conv2d(x, w, b, stride=pair(p.stride), padding=pair(p.padding))[0].cpu()
        return y[0].tolist() if p.out_channels == 1 else y.tolist()

    def _under(self, p: Conv2dForwardParams, **changes: Any) -> Any:
        from engine.values import to_json

        right = to_json(self.solve(p, Trace()))
        wrong = to_json(self.solve(p.model_copy(update=changes), Trace()))
        return None if wrong == right else wrong

    @misconception("flipped_kernel")
    def _flipped_kernel(self, p: Conv2dForwardParams) -> Wrong | None:
        other = "cross-correlation" if p.mode == "convolution" else "convolution"
        wrong = self._under(p, mode=other)
        if wrong is None:
            return None
        if p.mode == "convolution":
            feedback = (
                "You slid the kernel as it is (cross-correlation, PyTorch's conv2d). A true "
                "convolution, y[i,j] = Σ w[u,v]·x[i−u+1, j−v+1], uses the kernel rotated by 180°."
            )
        else:
            feedback = (
                "You flipped the kernel (true convolution). Cross-correlation, which PyTorch's "
                "conv2d computes, slides the kernel as it is: y[i,j] = Σ w[u,v]·x[i+u, j+v]."
            )
        return Wrong(wrong, feedback)

    @misconception("forgot_bias")
    def _forgot_bias(self, p: Conv2dForwardParams) -> Wrong | None:
        wrong = self._under(p, bias=0.0)
        if wrong is None:
            return None
        if isinstance(p.bias, list):
            added = "each output channel's bias (b = " + ", ".join(num(v) for v in p.bias) + ")"
        else:
            added = f"b = {num(p.bias)}"
        return Wrong(wrong, f"You left out the bias: add {added} to every output element.")

    @misconception("ignored_padding")
    def _ignored_padding(self, p: Conv2dForwardParams) -> Wrong | None:
        if p.padding == 0 or not p.fits_unpadded():
            return None
        wrong = self._under(p, padding=0)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            f"You left out the padding: first surround x with {_rings(p.padding)} of zeros, "
            "then slide the kernel over the padded input.",
        )

    @misconception("ignored_stride")
    def _ignored_stride(self, p: Conv2dForwardParams) -> Wrong | None:
        if p.stride == 1:
            return None
        wrong = self._under(p, stride=1)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            f"You moved the kernel one step at a time; with stride {p.stride} it jumps "
            f"{p.stride} positions between outputs.",
        )


def _rings(padding: int | tuple[int, int]) -> str:
    """How much zero padding, in words: `1 ring`, `2 rings`, `1 row and 2 columns`."""
    if isinstance(padding, int):
        return count(padding, "ring")
    rows, cols = padding
    if rows == cols:
        return count(rows, "ring")
    return f"{count(rows, 'row')} and {count(cols, 'column')}"
