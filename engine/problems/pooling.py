"""Pooling: `pool2d.output_size` and `pool2d.forward` (max or average), as PyTorch pools.

The stride defaults to the kernel size. With `ceil_mode` the count of windows rounds up, but a
last window that would start in the right padding is dropped (PyTorch's rule). Max pooling pads
with −∞; average pooling counts padded zeros in its divisor when `count_include_pad` (the
default) and only the input values otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from engine.errors import ProblemError
from engine.latex import num, paren
from engine.params import Matrix, ParamModel, pair
from engine.problem import Problem, Wrong, misconception
from engine.problems.sliding_window import (
    Padding,
    Side,
    Window,
    as_answer,
    axis_label,
    both_axes,
    both_scalar,
    check_forward_work,
    effective_kernel,
    effective_kernel_step,
    once_if_same,
    padded_input_step,
    per_axis,
    reference_shape,
    rows_cols,
    shown,
    window_count_step,
    zero_padding_step,
)
from engine.trace import Trace

if TYPE_CHECKING:
    import torch


def pool_output(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling size along one axis: like convolution, optionally rounding up.

    With `ceil_mode` a last, partial window is kept only if it starts inside the input or the
    left padding; a window starting in the right padding would see nothing but padding.
    """
    top = n + 2 * p - d * (k - 1) - 1
    out = (-(-top // s) if ceil_mode else top // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def check_pool(
    size: tuple[int, int],
    kernel: int | tuple[int, int],
    stride: int | tuple[int, int],
    padding: int | tuple[int, int],
    dilation: int | tuple[int, int],
    ceil_mode: bool,
) -> None:
    """The settings torch's pooling accepts: padding at most half the kernel, one window or more."""
    for axis, n, k, s, p, d in per_axis(size, kernel, stride, padding, dilation):
        if p > k // 2:
            raise ProblemError(
                "padding",
                f"pooling padding can be at most half the kernel (⌊{k}/2⌋ = {k // 2}) along the "
                f"{axis}, got {p}",
            )
        if pool_output(n, k, s, p, d, ceil_mode) < 1:
            raise ProblemError(
                "kernel",
                f"the pooling window spans {effective_kernel(k, d)} along the {axis} but the padded "
                f"input is only {n + 2 * p} wide",
            )


def _stride_defaults_to_kernel(data: Any) -> Any:
    """Pooling slides by its own size unless told otherwise (torch: stride=None means kernel)."""
    if isinstance(data, dict) and data.get("stride") is None and "kernel" in data:
        return {**data, "stride": data["kernel"]}
    return data


STRIDE_DEFAULT = Field(None, description="defaults to the kernel size")


def _pool_size_steps(trace: Trace, rows: list[tuple[Any, ...]], ceil_mode: bool) -> tuple[int, int]:
    """Record the pooled size per axis (stride, effective kernel, rounding, last-window rule)."""
    results = {}
    for axis, n, k, s, pad, d in rows:
        where = axis_label(rows, axis)
        if s == k:
            trace.step(f"Stride{where}: the kernel size, pooling's default", r"s = k", "", s)
        if d != 1:
            span = effective_kernel_step(trace, f"Effective kernel size{where}", k, d)
        else:
            span = k
        if pad:
            padded_input_step(trace, where, n, pad)
        title = "Windows, rounding up for ceil_mode" if ceil_mode else "Output size"
        raw = window_count_step(
            trace,
            f"{title}{where}",
            n + 2 * pad,
            span,
            s,
            r"k_{\text{eff}}" if d != 1 else "k",
            ceil=ceil_mode,
        )
        out = raw
        if ceil_mode:
            # the last window starts at (o − 1)·s in padded coordinates; it must begin before the
            # right padding, i.e. at most n + p − 1
            start = (raw - 1) * s
            out = raw - 1 if start >= n + pad else raw
            relation = r"\ge" if start >= n + pad else "<"
            verdict = (
                "dropped, it would start in the right padding"
                if out < raw
                else "kept, it starts inside the input or the left padding"
            )
            trace.step(
                f"Last window{where}: {verdict}",
                r"(o - 1)\,s < n + p \text{ keeps it, else } o \leftarrow o - 1",
                rf"({num(raw)} - 1) \cdot {num(s)} = {num(start)} {relation} "
                rf"{num(n)} + {num(pad)}",
                out,
            )
        results[axis] = out
    return both_axes(results)


class PoolSizeParams(ParamModel):
    size: Side
    kernel: Window
    stride: Window | None = STRIDE_DEFAULT
    padding: Padding = 0
    dilation: Window = 1
    ceil_mode: bool = False

    @model_validator(mode="before")
    @classmethod
    def _fill_stride(cls, data: Any) -> Any:
        return _stride_defaults_to_kernel(data)

    @model_validator(mode="after")
    def _torch_accepts(self) -> PoolSizeParams:
        check_pool(
            pair(self.size), self.kernel, self.step, self.padding, self.dilation, self.ceil_mode
        )
        return self

    @property
    def step(self) -> int | tuple[int, int]:
        return self.kernel if self.stride is None else self.stride

    def rows(self) -> list[tuple[Any, ...]]:
        """(axis, n, k, s, p, d) per axis."""
        return per_axis(self.size, self.kernel, self.step, self.padding, self.dilation)

    @property
    def scalar(self) -> bool:
        return both_scalar(self.size, self.kernel, self.step, self.padding, self.dilation)

    def sizes(self, last_window_rule: bool = True, **changes: Any) -> tuple[int, int]:
        """Output sizes under changed settings (for misconceptions), without validation."""
        p = self.model_copy(update=changes)
        values = []
        for _, n, k, s, pad, d in p.rows():
            if p.ceil_mode and not last_window_rule:
                values.append(-(-(n + 2 * pad - d * (k - 1) - 1) // s) + 1)
            else:
                values.append(pool_output(n, k, s, pad, d, p.ceil_mode))
        return (values[0], values[1])


def _distinct(p: PoolSizeParams, right: tuple[int, int], wrong: tuple[int, int]) -> Any:
    """The wrong sizes as an answer, or None when they are the right ones."""
    return None if wrong == right else as_answer(wrong, p.scalar)


class Pool2dOutputSize(Problem[PoolSizeParams]):
    id = "pool2d.output_size"
    summary = (
        "Spatial output size of 2-D pooling: stride defaults to the kernel; ceil_mode rounds up "
        "but drops a last window that would start in the right padding."
    )
    topic = "cnn"
    Params = PoolSizeParams

    def solve(self, p: PoolSizeParams, trace: Trace) -> Any:
        return as_answer(_pool_size_steps(trace, once_if_same(p.rows()), p.ceil_mode), p.scalar)

    def reference(self, p: PoolSizeParams, device: torch.device) -> Any:
        from torch import nn

        pool = nn.MaxPool2d(
            pair(p.kernel),
            stride=pair(p.step),
            padding=pair(p.padding),
            dilation=pair(p.dilation),
            ceil_mode=p.ceil_mode,
        )
        return as_answer(reference_shape(pair(p.size), pool, device), p.scalar)

    @misconception("stride_one")
    def _stride_one(self, p: PoolSizeParams) -> Wrong | None:
        wrong = _distinct(p, p.sizes(), p.sizes(stride=1))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            f"You slid the window one step at a time. Pooling moves by its stride, here "
            f"{p.step} (when no stride is given it is the kernel size, so windows do not overlap).",
        )

    @misconception("ignored_ceil_mode")
    def _ignored_ceil_mode(self, p: PoolSizeParams) -> Wrong | None:
        if not p.ceil_mode:
            return None
        wrong = _distinct(p, p.sizes(), p.sizes(ceil_mode=False))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You rounded down, but ceil_mode=true rounds (n + 2P − k_eff)/S up, so a last partial "
            "window counts too (unless it would start in the right padding).",
        )

    @misconception("ceil_without_last_window_rule")
    def _no_last_window_rule(self, p: PoolSizeParams) -> Wrong | None:
        if not p.ceil_mode:
            return None
        wrong = _distinct(p, p.sizes(), p.sizes(last_window_rule=False))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You rounded up but kept a last window that starts in the right padding. PyTorch "
            "drops it: with ceil_mode the last window must start inside the input or the left "
            "padding, (o − 1)·S < n + P.",
        )

    @misconception("ignored_padding")
    def _ignored_padding(self, p: PoolSizeParams) -> Wrong | None:
        wrong = _distinct(p, p.sizes(), p.sizes(padding=0))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            f"You left out the padding: with P = {p.padding} the window slides over n + 2P "
            "positions.",
        )

    @misconception("forgot_plus_one")
    def _forgot_plus_one(self, p: PoolSizeParams) -> Wrong | None:
        h, w = p.sizes()
        if p.ceil_mode and (h - 1, w - 1) == p.sizes(ceil_mode=False):
            return None  # rounding down instead of up explains this answer better
        return Wrong(
            as_answer((h - 1, w - 1), p.scalar),
            "You forgot the + 1: the first window position counts too.",
        )


# --- pool2d.forward ---------------------------------------------------------------------------


def pool_windows(
    x: list[list[float]],
    kind: str,
    kernel: int | tuple[int, int],
    stride: int | tuple[int, int],
    padding: int | tuple[int, int],
    ceil_mode: bool,
    count_include_pad: bool,
    zero_padding_for_max: bool = False,
) -> list[list[tuple[float, list[float], tuple[int, int, int, int]]]]:
    """Each output's (value, the values it combined, input rows/columns covered), as torch pools.

    A window may reach into the padding and, with ceil_mode, past it. Max pooling pads with −∞
    (padding never wins). Average pooling counts the padded zeros inside the padded input when
    count_include_pad, and only real input values otherwise; past the padding nothing counts.
    """
    h, w = len(x), len(x[0])
    kh, kw = pair(kernel)
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    oh = pool_output(h, kh, sh, ph, 1, ceil_mode)
    ow = pool_output(w, kw, sw, pw, 1, ceil_mode)

    def value(r: int, c: int) -> float:
        return x[r][c] if 0 <= r < h and 0 <= c < w else 0.0

    out = []
    for i in range(oh):
        row = []
        r0 = i * sh - ph
        for j in range(ow):
            c0 = j * sw - pw
            inside_rows = range(max(r0, 0), min(r0 + kh, h))
            inside_cols = range(max(c0, 0), min(c0 + kw, w))
            padded_rows = range(r0, min(r0 + kh, h + ph))
            padded_cols = range(c0, min(c0 + kw, w + pw))
            with_padding = kind == "avg" and count_include_pad
            with_padding = with_padding or (kind == "max" and zero_padding_for_max)
            rows, cols = (padded_rows, padded_cols) if with_padding else (inside_rows, inside_cols)
            values = [value(r, c) for r in rows for c in cols]
            result = max(values) if kind == "max" else sum(values) / len(values)
            span = (inside_rows[0], inside_rows[-1], inside_cols[0], inside_cols[-1])
            row.append((result, values, span))
        out.append(row)
    return out


class Pool2dForwardParams(ParamModel):
    x: Matrix
    kind: Literal["max", "avg"] = "max"
    kernel: Window
    stride: Window | None = STRIDE_DEFAULT
    padding: Padding = 0
    ceil_mode: bool = False
    count_include_pad: bool = True

    @model_validator(mode="before")
    @classmethod
    def _fill_stride(cls, data: Any) -> Any:
        return _stride_defaults_to_kernel(data)

    @model_validator(mode="after")
    def _torch_accepts(self) -> Pool2dForwardParams:
        check_pool(self.hw, self.kernel, self.step, self.padding, 1, self.ceil_mode)
        check_forward_work(self.hw, pair(self.kernel), pair(self.padding), pair(self.step))
        return self

    @property
    def hw(self) -> tuple[int, int]:
        return (len(self.x), len(self.x[0]))

    @property
    def step(self) -> int | tuple[int, int]:
        return self.kernel if self.stride is None else self.stride

    def windows(self, **changes: Any) -> list[list[tuple[float, list[float], Any]]] | None:
        """The pooled windows, under changed settings for misconceptions (None: impossible)."""
        zero_pad = bool(changes.pop("zero_padding_for_max", False))
        p = self.model_copy(update=changes)
        for n, k, s, pad in zip(p.hw, pair(p.kernel), pair(p.step), pair(p.padding)):
            if pool_output(n, k, s, pad, 1, p.ceil_mode) < 1:
                return None
        return pool_windows(
            p.x,
            p.kind,
            p.kernel,
            p.step,
            p.padding,
            p.ceil_mode,
            p.count_include_pad,
            zero_padding_for_max=zero_pad,
        )


def _values_of(windows: list[list[tuple[float, list[float], Any]]]) -> list[list[float]]:
    return [[v for v, _, _ in row] for row in windows]


class Pool2dForward(Problem[Pool2dForwardParams]):
    id = "pool2d.forward"
    summary = (
        "Max or average pooling of a matrix, window by window, with PyTorch's padding and "
        "ceil_mode rules."
    )
    topic = "cnn"
    Params = Pool2dForwardParams

    def solve(self, p: Pool2dForwardParams, trace: Trace) -> Any:
        if p.kind == "max":
            trace.note(
                "Max pooling",
                "Each output is the largest value in its window. Padding counts as −∞, so it "
                "never wins; only input values compete.",
            )
        elif p.count_include_pad:
            trace.note(
                "Average pooling, padding counted (count_include_pad=true)",
                "Each output is the mean of its window; padded zeros inside the padded input "
                "count in the divisor (a window running past the padding with ceil_mode counts "
                "only what lies inside it).",
            )
        else:
            trace.note(
                "Average pooling, padding not counted (count_include_pad=false)",
                "Each output is the mean of the input values its window covers; padding is left "
                "out of both the sum and the divisor.",
            )
        rows = per_axis(p.hw, p.kernel, p.step, p.padding, 1)
        _pool_size_steps(trace, once_if_same(rows), p.ceil_mode)
        ph, pw = pair(p.padding)
        if (ph or pw) and p.kind == "avg" and p.count_include_pad:
            h, w = p.hw
            padded = [[0.0] * (w + 2 * pw) for _ in range(h + 2 * ph)]
            for r in range(h):
                padded[r + ph][pw : pw + w] = p.x[r]
            zero_padding_step(trace, "Padded input: zeros around the border", ph, pw, padded)
        windows = pool_windows(
            p.x, p.kind, p.kernel, p.step, p.padding, p.ceil_mode, p.count_include_pad
        )
        if p.kind == "max":
            formula = r"y_{i,j} = \max_{u,v}\, x_{s i + u,\, s j + v}"
        else:
            formula = r"y_{i,j} = \frac{1}{N} \sum_{u,v} x_{s i + u,\, s j + v}"
        cells = [(i, j) for i in range(len(windows)) for j in range(len(windows[0]))]
        worked = cells[: shown(len(cells))]
        for i, j in worked:
            result, values, (r0, r1, c0, c1) = windows[i][j]
            if p.kind == "max":
                substituted = r"\max\left(" + ", ".join(num(v) for v in values) + r"\right)"
            else:
                total = " + ".join(paren(v) for v in values)
                substituted = rf"\frac{{{total}}}{{{num(len(values))}}}"
            inside = (r1 - r0 + 1) * (c1 - c0 + 1)
            also = " and padding" if len(values) > inside else ""
            trace.step(
                f"y[{i}, {j}]: window over input {rows_cols(r0, r1, c0, c1)}{also}",
                formula,
                substituted,
                result,
            )
        if len(worked) < len(cells):
            trace.note(
                "The other windows",
                "Every other output is found the same way, the window moved by the stride.",
            )
        return trace.step("Output", "y", "", _values_of(windows))

    def reference(self, p: Pool2dForwardParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        x = torch.tensor(p.x, dtype=torch.float64, device=device)[None, None]
        kernel, stride, padding = pair(p.kernel), pair(p.step), pair(p.padding)
        if p.kind == "max":
            y = F.max_pool2d(x, kernel, stride, padding, ceil_mode=p.ceil_mode)
        else:
            y = F.avg_pool2d(
                x,
                kernel,
                stride,
                padding,
                ceil_mode=p.ceil_mode,
                count_include_pad=p.count_include_pad,
            )
        return y[0, 0].cpu().tolist()

    def _wrong(self, p: Pool2dForwardParams, **changes: Any) -> list[list[float]] | None:
        wrong = p.windows(**changes)
        if wrong is None:
            return None
        values = _values_of(wrong)
        return None if values == self.solve(p, Trace()) else values

    @misconception("wrong_pad_count")
    def _wrong_pad_count(self, p: Pool2dForwardParams) -> Wrong | None:
        if p.kind != "avg":
            return None
        wrong = self._wrong(p, count_include_pad=not p.count_include_pad)
        if wrong is None:
            return None
        if p.count_include_pad:
            feedback = (
                "You divided by the number of input values only. With count_include_pad=true "
                "(PyTorch's default) the padded zeros count too: divide by the whole window."
            )
        else:
            feedback = (
                "You counted the padded zeros in the divisor. With count_include_pad=false only "
                "the input values the window covers count."
            )
        return Wrong(wrong, feedback)

    @misconception("padded_with_zeros")
    def _padded_with_zeros(self, p: Pool2dForwardParams) -> Wrong | None:
        if p.kind != "max":
            return None
        wrong = self._wrong(p, zero_padding_for_max=True)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You let the padding take part as zeros, so windows of negative values gave 0. Max "
            "pooling pads with −∞: only input values compete.",
        )

    @misconception("stride_one")
    def _stride_one(self, p: Pool2dForwardParams) -> Wrong | None:
        if p.step == 1:
            return None
        wrong = self._wrong(p, stride=1)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            f"You moved the window one step at a time; it moves by the stride, {p.step} (pooling's "
            "stride is the kernel size unless given).",
        )

    @misconception("ignored_ceil_mode")
    def _ignored_ceil_mode(self, p: Pool2dForwardParams) -> Wrong | None:
        if not p.ceil_mode:
            return None
        wrong = self._wrong(p, ceil_mode=False)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You dropped the last, partial window. With ceil_mode=true it is kept (as long as it "
            "starts inside the input or the left padding) and pools what it covers.",
        )

    @misconception("ignored_padding")
    def _ignored_padding(self, p: Pool2dForwardParams) -> Wrong | None:
        if p.padding == 0:
            return None
        wrong = self._wrong(p, padding=0)
        if wrong is None:
            return None
        return Wrong(
            wrong, f"You left out the padding of {p.padding}: the windows start in the padding."
        )
