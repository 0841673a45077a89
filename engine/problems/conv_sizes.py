"""Output sizes of convolutions: `conv2d.output_size` and `convtranspose2d.output_size`.

Sizes follow PyTorch's rules exactly; each reference runs a real `F.conv2d` or
`F.conv_transpose2d` and reads the shape it produces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from engine.errors import ProblemError
from engine.latex import num
from engine.params import ParamModel, pair
from engine.problem import Problem, Wrong, misconception
from engine.problems.sliding_window import (
    Padding,
    Side,
    Window,
    as_answer,
    axis_label,
    both_axes,
    both_scalar,
    check_kernel_fits,
    effective_kernel_step,
    once_if_same,
    padded_input_step,
    per_axis,
    reference_shape,
    sliding_output,
    window_count_step,
)
from engine.trace import Trace

if TYPE_CHECKING:
    import torch


class SlidingWindowParams(ParamModel):
    size: Side
    kernel: Window
    stride: Window = 1
    padding: Padding = 0
    dilation: Window = 1

    @model_validator(mode="after")
    def _kernel_fits(self) -> SlidingWindowParams:
        check_kernel_fits(self.size, self.kernel, self.padding, self.dilation)
        return self

    def rows(self) -> list[tuple[Any, ...]]:
        """(axis, n, k, s, p, d) per axis."""
        return per_axis(self.size, self.kernel, self.stride, self.padding, self.dilation)

    def axes(self) -> list[tuple[Any, ...]]:
        """(axis, n, k, s, p, d) per axis; one entry when both axes are the same."""
        return once_if_same(self.rows())

    @property
    def scalar(self) -> bool:
        return both_scalar(self.size, self.kernel, self.stride, self.padding, self.dilation)

    def sizes(self, **changes: int) -> tuple[int, int]:
        """The output (height, width), or what it is when a rule replaces some parameters."""
        p = self.model_copy(update=changes)
        h, w = (sliding_output(*row[1:]) for row in p.rows())
        return (h, w)

    def under(self, **changes: int) -> int | list[int]:
        """The output size answer when a rule replaces some parameters (for misconceptions)."""
        return as_answer(self.sizes(**changes), self.scalar)


class Conv2dOutputSize(Problem[SlidingWindowParams]):
    id = "conv2d.output_size"
    summary = "Spatial output size of a 2-D convolution: ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1."
    topic = "cnn"
    Params = SlidingWindowParams

    def solve(self, p: SlidingWindowParams, trace: Trace) -> Any:
        rows = p.axes()
        results = {}
        for axis, n, k, s, pad, d in rows:
            where = axis_label(rows, axis)
            span = effective_kernel_step(trace, f"Effective kernel size{where}", k, d)
            padded = padded_input_step(trace, where, n, pad)
            results[axis] = window_count_step(
                trace, f"Output size{where}", padded, span, s, r"k_{\text{eff}}"
            )
        return as_answer(both_axes(results), p.scalar)

    def reference(self, p: SlidingWindowParams, device: torch.device) -> Any:
        import torch.nn.functional as F

        kh, kw = pair(p.kernel)

        def op(x: torch.Tensor) -> torch.Tensor:
            w = x.new_zeros((1, 1, kh, kw))
            return F.conv2d(
                x, w, stride=pair(p.stride), padding=pair(p.padding), dilation=pair(p.dilation)
            )

        return as_answer(reference_shape(pair(p.size), op, device), p.scalar)

    @misconception("ignored_padding")
    def _ignored_padding(self, p: SlidingWindowParams) -> Wrong | None:
        wrong = p.under(padding=0)
        if wrong == self.solve(p, Trace()):
            return None
        n, pad = pair(p.size)[0], pair(p.padding)[0]
        return Wrong(
            wrong,
            f"You left out the padding: with P = {pad} the input is {n + 2 * pad} wide before "
            f"the kernel slides. Use ⌊(n + 2P − k_eff)/S⌋ + 1.",
        )

    @misconception("ignored_stride")
    def _ignored_stride(self, p: SlidingWindowParams) -> Wrong | None:
        wrong = p.under(stride=1)
        if wrong == self.solve(p, Trace()):
            return None
        return Wrong(
            wrong,
            f"You slid the kernel one step at a time, but the stride is {p.stride}: divide "
            f"(n + 2P − k_eff) by S before adding 1.",
        )

    @misconception("ignored_dilation")
    def _ignored_dilation(self, p: SlidingWindowParams) -> Wrong | None:
        wrong = p.under(dilation=1)
        if wrong == self.solve(p, Trace()):
            return None
        d, k = pair(p.dilation)[0], pair(p.kernel)[0]
        return Wrong(
            wrong,
            f"You ignored the dilation: with D = {d} a {k}-wide kernel spans "
            f"D·(k − 1) + 1 = {d * (k - 1) + 1} input positions.",
        )

    @misconception("forgot_plus_one")
    def _forgot_plus_one(self, p: SlidingWindowParams) -> Wrong | None:
        right = self.solve(p, Trace())
        wrong = right - 1 if isinstance(right, int) else [v - 1 for v in right]
        return Wrong(
            wrong,
            "You forgot the + 1: the first window position counts too, so the size is "
            "⌊(n + 2P − k_eff)/S⌋ + 1.",
        )

    @misconception("no_floor")
    def _no_floor(self, p: SlidingWindowParams) -> Wrong | None:
        exact = [(n + 2 * pad - d * (k - 1) - 1) / s + 1 for _, n, k, s, pad, d in p.rows()]
        if all(v == int(v) for v in exact):
            return None
        return Wrong(
            exact[0] if p.scalar else exact,
            "A size must be a whole number: the kernel only fits where a whole window fits, so "
            "round (n + 2P − k_eff)/S down before adding 1.",
        )

    @misconception("rounded_up")
    def _rounded_up(self, p: SlidingWindowParams) -> Wrong | None:
        # −(−a // s) is ⌈a/s⌉ in integers: the window count as if a partial window counted
        sizes = [-(-(n + 2 * pad - d * (k - 1) - 1) // s) + 1 for _, n, k, s, pad, d in p.rows()]
        if sizes == [(n + 2 * pad - d * (k - 1) - 1) // s + 1 for _, n, k, s, pad, d in p.rows()]:
            return None
        return Wrong(
            sizes[0] if p.scalar else sizes,
            "You rounded up. A window that would hang over the padded input does not count, so "
            "the size is ⌊(n + 2P − k_eff)/S⌋ + 1: round the division down (ceil_mode is for "
            "pooling only).",
        )


# --- transposed convolution -------------------------------------------------------------------


def transposed_output(n: int, k: int, s: int, p: int, op: int, d: int) -> int:
    """(n − 1)·s − 2p + d·(k − 1) + output_padding + 1: the size a transposed convolution makes."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


class ConvTransposeSizeParams(ParamModel):
    size: Side
    kernel: Window
    stride: Window = 1
    padding: Padding = 0
    output_padding: Padding = 0
    dilation: Window = 1

    @model_validator(mode="after")
    def _torch_accepts(self) -> ConvTransposeSizeParams:
        for axis, n, k, s, p, op, d in self.rows():
            if op >= s and op >= d:
                raise ProblemError(
                    "output_padding",
                    f"must be smaller than the stride ({s}) or the dilation ({d}) along the "
                    f"{axis}, got {op}",
                )
            out = transposed_output(n, k, s, p, op, d)
            if out < 1:
                raise ProblemError(
                    "padding",
                    f"a padding of {p} removes more than the transposed convolution makes along "
                    f"the {axis}: the output would be {out} wide",
                )
        return self

    def rows(self) -> list[tuple[Any, ...]]:
        """(axis, n, k, s, p, output_padding, d) per axis."""
        return per_axis(
            self.size, self.kernel, self.stride, self.padding, self.output_padding, self.dilation
        )

    @property
    def scalar(self) -> bool:
        return both_scalar(
            self.size, self.kernel, self.stride, self.padding, self.output_padding, self.dilation
        )

    def sizes(self, **changes: Any) -> tuple[int, int]:
        p = self.model_copy(update=changes)
        h, w = (transposed_output(*row[1:]) for row in p.rows())
        return (h, w)


class ConvTranspose2dOutputSize(Problem[ConvTransposeSizeParams]):
    id = "convtranspose2d.output_size"
    summary = "Spatial output size of a transposed convolution: (n − 1)s − 2p + d(k − 1) + op + 1."
    topic = "cnn"
    Params = ConvTransposeSizeParams

    def solve(self, p: ConvTransposeSizeParams, trace: Trace) -> Any:
        rows = once_if_same(p.rows())
        results = {}
        for axis, n, k, s, pad, op, d in rows:
            where = axis_label(rows, axis)
            trace.step(
                f"Inputs spread out by the stride{where}",
                r"(n - 1)\,s + 1",
                rf"({num(n)} - 1) \cdot {num(s)} + 1",
                (n - 1) * s + 1,
            )
            span = effective_kernel_step(trace, f"Effective kernel size{where}", k, d)
            out = transposed_output(n, k, s, pad, op, d)
            trace.step(
                f"Output size{where}: every kernel copy fits, less the padding, plus "
                "output_padding",
                r"(n - 1)\,s + k_{\text{eff}} - 2p + p_{\text{out}}",
                rf"({num(n)} - 1) \cdot {num(s)} + {num(span)} - 2 \cdot {num(pad)} + {num(op)}",
                out,
            )
            if op < s:
                # the defining property: the forward convolution maps the output back to n
                trace.step(
                    f"Check: a convolution with the same settings maps {out} back to {n}{where}",
                    r"\left\lfloor \frac{o + 2p - k_{\text{eff}}}{s} \right\rfloor + 1",
                    rf"\left\lfloor \frac{{{num(out)} + 2 \cdot {num(pad)} - {num(span)}}}"
                    rf"{{{num(s)}}} \right\rfloor + 1",
                    sliding_output(out, k, s, pad, d),
                )
            results[axis] = out
        return as_answer(both_axes(results), p.scalar)

    def reference(self, p: ConvTransposeSizeParams, device: torch.device) -> Any:
        import torch.nn.functional as F

        kh, kw = pair(p.kernel)

        def op(x: torch.Tensor) -> torch.Tensor:
            w = x.new_zeros((1, 1, kh, kw))
            return F.conv_transpose2d(
                x,
                w,
                stride=pair(p.stride),
                padding=pair(p.padding),
                output_padding=pair(p.output_padding),
                dilation=pair(p.dilation),
            )

        return as_answer(reference_shape(pair(p.size), op, device), p.scalar)

    def _wrong(self, p: ConvTransposeSizeParams, wrong: tuple[int, int]) -> Any:
        return None if wrong == p.sizes() else as_answer(wrong, p.scalar)

    @misconception("conv_formula")
    def _conv_formula(self, p: ConvTransposeSizeParams) -> Wrong | None:
        h, w = (sliding_output(n, k, s, pad, d) for _, n, k, s, pad, _, d in p.rows())
        wrong = self._wrong(p, (h, w))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You used the forward convolution's formula, which shrinks the input. A transposed "
            "convolution goes the other way: (n − 1)·S − 2P + D·(k − 1) + output_padding + 1.",
        )

    @misconception("ignored_padding")
    def _ignored_padding(self, p: ConvTransposeSizeParams) -> Wrong | None:
        wrong = self._wrong(p, p.sizes(padding=0))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            f"You left out the padding: in a transposed convolution P = {p.padding} removes "
            "2P from the output.",
        )

    @misconception("added_padding")
    def _added_padding(self, p: ConvTransposeSizeParams) -> Wrong | None:
        h, w = (transposed_output(n, k, s, -pad, op, d) for _, n, k, s, pad, op, d in p.rows())
        wrong = self._wrong(p, (h, w))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            f"You added 2P as in a forward convolution; a transposed convolution's padding "
            f"P = {p.padding} crops the output, so subtract 2P.",
        )

    @misconception("ignored_output_padding")
    def _ignored_output_padding(self, p: ConvTransposeSizeParams) -> Wrong | None:
        wrong = self._wrong(p, p.sizes(output_padding=0))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            f"You left out output_padding = {p.output_padding}: it adds that many rows/columns "
            "on one side of the output.",
        )

    @misconception("ignored_dilation")
    def _ignored_dilation(self, p: ConvTransposeSizeParams) -> Wrong | None:
        wrong = self._wrong(p, p.sizes(dilation=1))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            f"You ignored the dilation: with D = {p.dilation} the kernel spans D·(k − 1) + 1 "
            "positions.",
        )

    @misconception("n_times_stride")
    def _n_times_stride(self, p: ConvTransposeSizeParams) -> Wrong | None:
        h, w = (transposed_output(n, k, s, pad, op, d) + s for _, n, k, s, pad, op, d in p.rows())
        wrong = self._wrong(p, (h, w))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You multiplied n by the stride, but n inputs have only n − 1 gaps between them: "
            "the spread-out input is (n − 1)·S + 1 long.",
        )
