"""Sliding-window arithmetic and trace steps shared by the convolution and pooling problems.

A kernel of size k, dilated by d, spans d·(k − 1) + 1 inputs; over an input of n padded by p
on each side, moved by a stride s, it fits ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1 times. Sizes are
`int | (h, w)` parameters: a size answer is a number when every size parameter was one.

This module defines no problem; `conv_sizes`, `conv_counts`, `conv_forward`, `pooling` and
`receptive_field` do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator

from engine.budget import at_most
from engine.device import shapes_device
from engine.errors import ProblemError
from engine.latex import num
from engine.params import NonNegativeIntOrPair, PositiveInt, PositiveIntOrPair, pair
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

AXES = ("height", "width")

# The limits of every sliding-window parameter: far beyond any exam question, and small enough
# that every tensor torch is asked the shape of (side² × channels × kernel²) fits in int64.
SIDE_LIMIT = 100_000  # an input's height or width
WINDOW_LIMIT = 1_000  # a kernel, stride, dilation or padding
CHANNEL_LIMIT = 1_000_000  # input or output channels of a convolution
# numbers a forward pass may touch (padded input, multiply-adds): a course example uses hundreds
WORK_LIMIT = 1_000_000
Side = Annotated[PositiveIntOrPair, AfterValidator(at_most(SIDE_LIMIT))]
Window = Annotated[PositiveIntOrPair, AfterValidator(at_most(WINDOW_LIMIT))]
Padding = Annotated[NonNegativeIntOrPair, AfterValidator(at_most(WINDOW_LIMIT))]
Channels = Annotated[PositiveInt, AfterValidator(at_most(CHANNEL_LIMIT))]

# the trace writes out every output element of small answers, and the first few of larger ones
SHOW_ALL_UP_TO = 9
SHOW_FIRST = 4
# matrices shown one by one (padded channels, flipped kernels) before "and likewise"
SHOW_MATRICES = 8


# --- sizes ------------------------------------------------------------------------------------


def effective_kernel(k: int, d: int) -> int:
    """d·(k − 1) + 1: how many inputs a kernel of size k with dilation d spans."""
    return d * (k - 1) + 1


def sliding_output(n: int, k: int, s: int, p: int, d: int) -> int:
    """⌊(n + 2p − d(k−1) − 1)/s⌋ + 1: the number of window positions along one axis."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def as_answer(values: tuple[int, int], scalar: bool) -> int | list[int]:
    """The contract's int|pair answer: a number when every size parameter was a number."""
    return values[0] if scalar else list(values)


def both_scalar(*values: Any) -> bool:
    return all(isinstance(v, int) for v in values)


def per_axis(*values: int | tuple[int, int]) -> list[tuple[Any, ...]]:
    """(axis, value₁, value₂, …) for the height, then the width, of int|pair values."""
    return list(zip(AXES, *(pair(v) for v in values)))


def once_if_same(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The per-axis rows, only the first when both axes have the same numbers (shown once)."""
    return rows[:1] if rows[0][1:] == rows[1][1:] else rows


def axis_label(rows: list[tuple[Any, ...]], axis: str) -> str:
    """ " (height)" after a step's title when the axes are shown one by one, else nothing."""
    return "" if len(rows) == 1 else f" ({axis})"


def both_axes(results: dict[str, int]) -> tuple[int, int]:
    """(height, width) from per-axis results; the width is the height's when shown once."""
    return (results["height"], results.get("width", results["height"]))


def check_forward_work(
    size: tuple[int, int],
    kernel: tuple[int, int],
    padding: tuple[int, int],
    stride: tuple[int, int],
    channels: int = 1,
) -> None:
    """Refuse a forward pass over more than WORK_LIMIT numbers before computing any of it:
    the padded input, and the output positions times the window each one reads."""
    from engine.budget import check_work

    (h, w), (kh, kw), (ph, pw), (sh, sw) = size, kernel, padding, stride
    padded = channels * (h + 2 * ph) * (w + 2 * pw)
    check_work("padding", padded, WORK_LIMIT, "the number of values in the padded input")
    outputs = ((h + 2 * ph - kh) // sh + 1) * ((w + 2 * pw - kw) // sw + 1)
    check_work(
        "kernel",
        outputs * channels * kh * kw,
        WORK_LIMIT,
        "the number of multiply-adds over all windows",
    )


def check_kernel_fits(
    size: int | tuple[int, int],
    kernel: int | tuple[int, int],
    padding: int | tuple[int, int],
    dilation: int | tuple[int, int] = 1,
) -> None:
    """A window must fit inside the padded input at least once along each axis."""
    for axis, n, k, p, d in per_axis(size, kernel, padding, dilation):
        span = effective_kernel(k, d)
        if span > n + 2 * p:
            raise ProblemError(
                "kernel",
                f"the kernel spans {span} along the {axis} but the padded input is only "
                f"{n + 2 * p} wide",
            )


def reference_shape(
    size: tuple[int, int], op: Callable[[torch.Tensor], torch.Tensor], device: torch.device
) -> tuple[int, int]:
    """Run `op` on a real input of that size (a shape-only 'meta' tensor when it is huge)."""
    import torch

    where = shapes_device(device, size[0] * size[1])
    x = torch.zeros((1, 1, *size), dtype=torch.float64, device=where)
    out = op(x)
    return (int(out.shape[-2]), int(out.shape[-1]))


# --- trace steps ------------------------------------------------------------------------------


def effective_kernel_step(trace: Trace, title: str, k: int, d: int) -> int:
    """Record k_eff = d·(k − 1) + 1."""
    span = effective_kernel(k, d)
    trace.step(
        title, r"k_{\text{eff}} = d\,(k - 1) + 1", rf"{num(d)} \cdot ({num(k)} - 1) + 1", span
    )
    return span


def padded_input_step(trace: Trace, where: str, n: int, p: int) -> int:
    """Record n + 2p, the input's length with its padding."""
    trace.step(f"Padded input{where}", r"n + 2p", rf"{num(n)} + 2 \cdot {num(p)}", n + 2 * p)
    return n + 2 * p


def window_count_step(
    trace: Trace, title: str, padded: int, span: int, s: int, kernel: str, ceil: bool = False
) -> int:
    """Record ⌊(n + 2p − k)/s⌋ + 1 (⌈ ⌉ with ceil_mode): the window positions along one axis.

    `kernel` is how the formula names the window's span: k, or k_eff when dilated.
    """
    left, right = (r"\lceil", r"\rceil") if ceil else (r"\lfloor", r"\rfloor")
    top = padded - span
    count = (-(-top // s) if ceil else top // s) + 1
    trace.step(
        title,
        rf"\left{left} \frac{{n + 2p - {kernel}}}{{s}} \right{right} + 1",
        rf"\left{left} \frac{{{num(padded)} - {num(span)}}}{{{num(s)}}} \right{right} + 1",
        count,
    )
    return count


def zero_padding_step(trace: Trace, title: str, ph: int, pw: int, padded: Any) -> None:
    """Record an input surrounded by rows and columns of zeros."""
    trace.step(
        title,
        rf"x \text{{ with }} {num(ph)} \text{{ rows and }} {num(pw)} "
        r"\text{ columns of zeros on each side}",
        "",
        padded,
    )


def shown(count: int) -> int:
    """How many of `count` output elements a trace works out one by one."""
    return count if count <= SHOW_ALL_UP_TO else SHOW_FIRST


def rows_cols(r0: int, r1: int, c0: int, c1: int) -> str:
    """The input rows and columns a window covers, in words."""
    rows = f"row {r0}" if r0 == r1 else f"rows {r0}–{r1}"
    cols = f"column {c0}" if c0 == c1 else f"columns {c0}–{c1}"
    return f"{rows}, {cols}"
