"""A transposed convolution's output on small numbers: `convtranspose2d.forward`.

Worked the way Dumoulin & Visin's guide to convolution arithmetic draws it: insert s − 1 zeros
between the input's entries, pad the result with k − 1 − p zeros on each side (plus
`output_padding` at the bottom and right), then slide the kernel rotated by 180° over it with
stride 1. This equals PyTorch's `conv_transpose2d`, whose weight is stored C_in×C_out×kh×kw:
each input element scatters a copy of the kernel, scaled by it, into the output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.errors import ProblemError
from engine.latex import matrix, num
from engine.params import (
    NonNegativeIntOrPair,
    ParamModel,
    PositiveIntOrPair,
    Tensor,
    pair,
    shape_of,
)
from engine.problem import Problem, Wrong, misconception
from engine.problems.conv_backward import correlate, pad, rot180, spread, written_sum
from engine.problems.conv_backward_trace import count
from engine.problems.conv_forward import Bias
from engine.problems.sliding_window import SHOW_MATRICES, rows_cols, shown
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch


class ConvTransposeParams(ParamModel):
    x: Tensor = Field(description="input: H×W, or C_in×H×W")
    w: Tensor = Field(description="kernel: kh×kw, or C_in×C_out×kh×kw (PyTorch's layout)")
    bias: Bias = Field(0, validate_default=True, description="number, or one per output channel")
    stride: PositiveIntOrPair = 1
    padding: NonNegativeIntOrPair = 0
    output_padding: NonNegativeIntOrPair = 0

    @model_validator(mode="after")
    def _check(self) -> ConvTransposeParams:
        xs, ws = shape_of(self.x), shape_of(self.w)
        if len(xs) not in (2, 3):
            raise ProblemError("x", "must be a matrix (H×W) or one matrix per channel (C_in×H×W)")
        if len(ws) not in (2, 4):
            raise ProblemError(
                "w",
                "must be a kernel kh×kw, or C_in×C_out×kh×kw (the layout PyTorch stores for a "
                f"transposed convolution); got {len(ws)} dimensions",
            )
        channels = xs[0] if len(xs) == 3 else 1
        seen = ws[0] if len(ws) == 4 else 1
        if seen != channels:
            raise ProblemError(
                "w", f"x has {channels} channel(s), so w needs {channels} along its first axis"
            )
        if isinstance(self.bias, list) and len(self.bias) != self.out_channels:
            raise ProblemError(
                "bias", f"expected {self.out_channels} value(s), one per output channel"
            )
        for axis, s, op in zip(("height", "width"), pair(self.stride), pair(self.output_padding)):
            if op >= s:
                raise ProblemError(
                    "output_padding",
                    f"must be smaller than the stride ({s} along the {axis}), as in PyTorch",
                )
        for axis, n in zip(("height", "width"), self.output_size):
            if n < 1:
                raise ProblemError("padding", f"leaves no output along the {axis}")
        return self

    @property
    def out_channels(self) -> int:
        ws = shape_of(self.w)
        return ws[1] if len(ws) == 4 else 1

    @property
    def output_size(self) -> tuple[int, int]:
        """(H − 1)·s − 2p + k + output_padding along each axis."""
        xs, ws = shape_of(self.x), shape_of(self.w)
        return tuple(  # type: ignore[return-value]
            (n - 1) * s - 2 * p + k + op
            for n, k, s, p, op in zip(
                xs[-2:],
                ws[-2:],
                pair(self.stride),
                pair(self.padding),
                pair(self.output_padding),
            )
        )

    def arrays(self) -> tuple[np.ndarray, np.ndarray, list[float]]:
        """x as C_in×H×W, w as C_in×C_out×kh×kw, the bias per output channel."""
        import numpy as np

        x = np.asarray(self.x, dtype=np.float64)
        x = x[None] if x.ndim == 2 else x
        w = np.asarray(self.w, dtype=np.float64)
        w = w[None, None] if w.ndim == 2 else w
        b = list(self.bias) if isinstance(self.bias, list) else [self.bias] * self.out_channels
        return x, w, b

    def shaped(self, y: np.ndarray) -> Any:
        return y[0] if self.out_channels == 1 else y


def prepared(p: ConvTransposeParams) -> tuple[np.ndarray, tuple[int, int], tuple[int, int]]:
    """The input spread by the stride and padded by k − 1 − p (+ output_padding after);
    also the padding before and after (negative: rows or columns cut off)."""
    x, w, _ = p.arrays()
    kh, kw = w.shape[-2:]
    (ph, pw), (oph, opw) = pair(p.padding), pair(p.output_padding)
    before = (kh - 1 - ph, kw - 1 - pw)
    after = (before[0] + oph, before[1] + opw)
    return pad(spread(x, pair(p.stride)), before, after), before, after


def transposed(
    p: ConvTransposeParams, *, flip: bool = True, with_bias: bool = True, swap: bool = False
) -> Any:
    """The output; the keyword arguments switch on known wrong rules (misconceptions)."""
    import numpy as np

    _, w, b = p.arrays()
    z, _, _ = prepared(p)
    kernel = rot180(w) if flip else w
    if swap:  # read C_in×C_out as C_out×C_in
        kernel = kernel.transpose(1, 0, 2, 3)
    # y[o] = Σ_c z[c] ⋆ kernel[c, o]: the kernel's axes swapped to C_out×C_in×kh×kw
    y = correlate(z, kernel.transpose(1, 0, 2, 3))
    if with_bias:
        y = y + np.asarray(b)[:, None, None]
    return p.shaped(y)


class ConvTranspose2dForward(Problem[ConvTransposeParams]):
    id = "convtranspose2d.forward"
    summary = (
        "A transposed convolution's output, as PyTorch's conv_transpose2d (weight C_in×C_out×"
        "kh×kw), worked as Dumoulin & Visin draw it: zeros inserted between inputs, padding "
        "k − 1 − p, then a direct convolution with the flipped kernel."
    )
    topic = "cnn"
    Params = ConvTransposeParams

    def solve(self, p: ConvTransposeParams, trace: Trace) -> Any:
        x, w, b = p.arrays()
        ins, outs, kh, kw = w.shape
        s = pair(p.stride)
        z, before, after = prepared(p)
        trace.note(
            "Method (Dumoulin & Visin)",
            "A transposed convolution is the convolution whose backward pass a strided "
            "convolution has: spread the input out by the stride, pad it so that every kernel "
            "position overlapping an input is counted, and slide the kernel rotated by 180°.",
        )
        rows = list(
            zip(
                ("height", "width"),
                x.shape[-2:],
                (kh, kw),
                s,
                pair(p.padding),
                pair(p.output_padding),
                p.output_size,
            )
        )
        if rows[0][1:] == rows[1][1:]:
            rows = [("", *rows[0][1:])]  # the same numbers along both axes: shown once
        for axis, n, k, st, pd, op, out in rows:
            trace.step(
                f"Output size{f' ({axis})' if axis else ''}",
                r"(n - 1) s - 2 p + k + \text{output padding}",
                rf"({num(n)} - 1) \cdot {num(st)} - 2 \cdot {num(pd)} + {num(k)} + {num(op)}",
                out,
            )
        for c in range(min(ins, SHOW_MATRICES)):
            where = f" (input channel {c})" if ins > 1 else ""
            if s != (1, 1):
                trace.step(
                    f"Zeros inserted between the inputs{where}",
                    rf"x \text{{ with {count(s[0] - 1, 'zero row')} and "
                    rf"{count(s[1] - 1, 'zero column')} between entries}}",
                    "",
                    spread(x, s)[c],
                )
            trace.step(
                f"Padded by k − 1 − p{where}",
                _padding_words(before, after),
                "",
                z[c],
            )
        flipped = rot180(w)
        pairs = [(c, o) for c in range(ins) for o in range(outs)]
        many = ins > 1 or outs > 1
        for c, o in pairs[:SHOW_MATRICES]:
            where = f" (input channel {c}, output channel {o})" if many else ""
            trace.step(
                f"Kernel rotated by 180°{where}",
                r"\tilde{w}_{u,v} = w_{k_h - 1 - u,\, k_w - 1 - v}",
                rf"\operatorname{{rot180}}\left({matrix(w[c, o])}\right)",
                flipped[c, o],
            )
        y = transposed(p)
        y3 = y if outs > 1 else [y]
        with_bias = any(v != 0 for v in b)
        formula = (
            r"y_{o,i,j} = \sum_{c} \sum_{u} \sum_{v} \tilde{w}_{c,o,u,v}\, z_{c,\, i + u,\, j + v}"
            if many
            else r"y_{i,j} = \sum_{u} \sum_{v} \tilde{w}_{u,v}\, z_{i + u,\, j + v}"
        )
        if with_bias:
            formula += " + b_{o}" if outs > 1 else " + b"
        oh, ow = p.output_size
        positions = [(0, i, j) for i in range(oh) for j in range(ow)]
        for o, i, j in positions[: shown(len(positions))]:
            terms = written_sum(
                flipped[:, o].ravel().tolist(), z[:, i : i + kh, j : j + kw].ravel().tolist()
            )
            if with_bias:
                terms += f" + {num(b[o])}" if b[o] >= 0 else f" + ({num(b[o])})"
            index = f"{o}, {i}, {j}" if outs > 1 else f"{i}, {j}"
            trace.step(
                f"y[{index}]: the flipped kernel over {rows_cols(i, i + kh - 1, j, j + kw - 1)} of z",
                formula,
                terms,
                float(y3[o][i][j]),
            )
        if len(positions) > shown(len(positions)):
            trace.note(
                "The other elements",
                "Every other output element is the same sum with the kernel moved by one.",
            )
        for o in range(outs):
            trace.step(f"Output{f' channel {o}' if outs > 1 else ''}", "y", "", y3[o])
        return y

    def reference(self, p: ConvTransposeParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        x0, w0, b0 = p.arrays()
        x = torch.tensor(x0, dtype=torch.float64, device=device)[None]
        w = torch.tensor(w0, dtype=torch.float64, device=device)
        b = torch.tensor(b0, dtype=torch.float64, device=device)
        y = F.conv_transpose2d(
            x,
            w,
            b,
            stride=pair(p.stride),
            padding=pair(p.padding),
            output_padding=pair(p.output_padding),
        )[0]
        return p.shaped(y.cpu().numpy())

    # --- misconceptions ----------------------------------------------------------------------
    def _if_different(self, p: ConvTransposeParams, **rule: Any) -> Any:
        from engine.values import to_json

        wrong = to_json(transposed(p, **rule))
        return None if wrong == to_json(transposed(p)) else wrong

    @misconception("unflipped_kernel")
    def _unflipped_kernel(self, p: ConvTransposeParams) -> Wrong | None:
        wrong = self._if_different(p, flip=False)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You slid the kernel over the spread, padded input as it is. A transposed "
            "convolution written as a direct convolution uses the kernel rotated by 180° "
            "(equivalently: each input scatters an unflipped copy of the kernel).",
        )

    @misconception("forgot_bias")
    def _forgot_bias(self, p: ConvTransposeParams) -> Wrong | None:
        wrong = self._if_different(p, with_bias=False)
        if wrong is None:
            return None
        return Wrong(wrong, "You left out the bias: add it to every output element.")

    @misconception("swapped_weight_layout")
    def _swapped_weight_layout(self, p: ConvTransposeParams) -> Wrong | None:
        _, w, _ = p.arrays()
        if w.shape[0] != w.shape[1] or w.shape[0] == 1:
            return None
        wrong = self._if_different(p, swap=True)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You read the weight as C_out×C_in×kh×kw, as for conv2d. PyTorch stores a transposed "
            "convolution's weight the other way round, C_in×C_out×kh×kw: w[c, o] links input "
            "channel c to output channel o.",
        )


def _padding_words(before: tuple[int, int], after: tuple[int, int]) -> str:
    """The padding step as words: zeros added, or rows cut off when p > k − 1."""
    if before[0] >= 0 and before[1] >= 0:
        text = f"{count(before[0], 'row')} and {count(before[1], 'column')} of zeros on each side"
        if after != before:
            text += (
                f", and {count(after[0] - before[0], 'more row')} at the bottom and "
                f"{count(after[1] - before[1], 'more column')} on the right (output padding)"
            )
        return rf"z \text{{ = the spread input with {text}}}"
    return (
        rf"z \text{{ = the spread input padded by k − 1 − p = {before[0]} rows and {before[1]} "
        r"columns (negative: cut off)}"
    )
