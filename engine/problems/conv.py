"""Convolutional networks: output sizes, parameter and MAC counts, forward passes, receptive fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from engine.errors import ProblemError
from engine.latex import num
from engine.params import NonNegativeIntOrPair, ParamModel, PositiveIntOrPair, pair
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

AXES = ("height", "width")


def sliding_output(n: int, k: int, s: int, p: int, d: int) -> int:
    """⌊(n + 2p − d(k−1) − 1)/s⌋ + 1: the number of window positions along one axis."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def as_answer(values: tuple[int, int], scalar: bool) -> int | list[int]:
    """The contract's int|pair answer: a number when every size parameter was a number."""
    return values[0] if scalar else list(values)


def both_scalar(*values: Any) -> bool:
    return all(isinstance(v, int) for v in values)


class SlidingWindowParams(ParamModel):
    size: PositiveIntOrPair
    kernel: PositiveIntOrPair
    stride: PositiveIntOrPair = 1
    padding: NonNegativeIntOrPair = 0
    dilation: PositiveIntOrPair = 1

    @model_validator(mode="after")
    def _kernel_fits(self) -> SlidingWindowParams:
        for axis, n, k, p, d in zip(
            AXES, pair(self.size), pair(self.kernel), pair(self.padding), pair(self.dilation)
        ):
            span = d * (k - 1) + 1
            if span > n + 2 * p:
                raise ProblemError(
                    "kernel",
                    f"the kernel spans {span} along the {axis} but the padded input is only "
                    f"{n + 2 * p} wide",
                )
        return self

    def axes(self) -> list[tuple[str, int, int, int, int, int]]:
        """(axis, n, k, s, p, d) per axis; one entry when both axes are the same."""
        rows = list(
            zip(
                AXES,
                pair(self.size),
                pair(self.kernel),
                pair(self.stride),
                pair(self.padding),
                pair(self.dilation),
            )
        )
        return rows[:1] if rows[0][1:] == rows[1][1:] else rows

    @property
    def scalar(self) -> bool:
        return both_scalar(self.size, self.kernel, self.stride, self.padding, self.dilation)

    def under(self, **changes: int) -> int | list[int]:
        """The output size when a rule replaces some parameters (for misconceptions)."""
        p = self.model_copy(update=changes)
        values = tuple(
            sliding_output(n, k, s, pad, d)
            for _, n, k, s, pad, d in zip(
                AXES,
                pair(p.size),
                pair(p.kernel),
                pair(p.stride),
                pair(p.padding),
                pair(p.dilation),
            )
        )
        return as_answer(values, self.scalar)  # type: ignore[arg-type]


def _reference_shape(size: tuple[int, int], op: Any, device: torch.device) -> tuple[int, int]:
    """Run `op` on a real input of that size (a shape-only 'meta' tensor when it is huge)."""
    import torch

    where = device if size[0] * size[1] <= 1 << 22 else torch.device("meta")
    x = torch.zeros((1, 1, *size), dtype=torch.float64, device=where)
    out = op(x)
    return (int(out.shape[-2]), int(out.shape[-1]))


class Conv2dOutputSize(Problem[SlidingWindowParams]):
    id = "conv2d.output_size"
    summary = "Spatial output size of a 2-D convolution: ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1."
    topic = "cnn"
    Params = SlidingWindowParams

    def solve(self, p: SlidingWindowParams, trace: Trace) -> Any:
        results = {}
        for axis, n, k, s, pad, d in p.axes():
            where = "" if len(p.axes()) == 1 else f" ({axis})"
            span = d * (k - 1) + 1
            trace.step(
                f"Effective kernel size{where}",
                r"k_{\text{eff}} = d\,(k - 1) + 1",
                rf"{num(d)} \cdot ({num(k)} - 1) + 1",
                span,
            )
            trace.step(
                f"Padded input{where}",
                r"n + 2p",
                rf"{num(n)} + 2 \cdot {num(pad)}",
                n + 2 * pad,
            )
            out = sliding_output(n, k, s, pad, d)
            trace.step(
                f"Output size{where}",
                r"\left\lfloor \frac{n + 2p - k_{\text{eff}}}{s} \right\rfloor + 1",
                rf"\left\lfloor \frac{{{num(n + 2 * pad)} - {num(span)}}}{{{num(s)}}} "
                rf"\right\rfloor + 1",
                out,
            )
            results[axis] = out
        values = (results["height"], results.get("width", results["height"]))
        return as_answer(values, p.scalar)

    def reference(self, p: SlidingWindowParams, device: torch.device) -> Any:
        import torch.nn.functional as F

        kh, kw = pair(p.kernel)
        size = pair(p.size)

        def op(x: torch.Tensor) -> torch.Tensor:
            w = x.new_zeros((1, 1, kh, kw))
            return F.conv2d(
                x, w, stride=pair(p.stride), padding=pair(p.padding), dilation=pair(p.dilation)
            )

        return as_answer(_reference_shape(size, op, device), p.scalar)

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
        exact = []
        for n, k, s, pad, d in zip(
            pair(p.size), pair(p.kernel), pair(p.stride), pair(p.padding), pair(p.dilation)
        ):
            exact.append((n + 2 * pad - d * (k - 1) - 1) / s + 1)
        if all(v == int(v) for v in exact):
            return None
        return Wrong(
            exact[0] if p.scalar else exact,
            "A size must be a whole number: the kernel only fits where a whole window fits, so "
            "round (n + 2P − k_eff)/S down before adding 1.",
        )
