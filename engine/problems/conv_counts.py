"""What a convolution layer costs: `conv2d.params` (learnable parameters) and `conv2d.macs`
(multiply-accumulates and FLOPs on one image).

The references build a real `nn.Conv2d` and count `numel()` of its parameters, and run
`F.conv2d` under torch's FLOP counter; both need only shapes, so large layers use the "meta"
device.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from engine.device import shapes_device
from engine.errors import ProblemError
from engine.latex import num
from engine.params import (
    ParamModel,
    PositiveInt,
    pair,
)
from engine.problem import Problem, Wrong, misconception
from engine.problems.conv_sizes import Conv2dOutputSize, SlidingWindowParams
from engine.problems.sliding_window import (
    Channels,
    Padding,
    Side,
    Window,
    as_answer,
    check_kernel_fits,
)
from engine.trace import Trace

if TYPE_CHECKING:
    import torch


def check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise ProblemError(
                "groups", f"must divide {name} ({value}), but {value} / {groups} is not whole"
            )


def channels_seen(
    in_channels: int, groups: int, per_group: bool = True, counted: bool = True
) -> int:
    """The input channels one filter sees, C_in / groups, or that number under a wrong rule:
    all C_in (`per_group` false) or none beyond one kernel slice (`counted` false)."""
    if not counted:
        return 1
    return in_channels // (groups if per_group else 1)


class Conv2dParamsParams(ParamModel):
    in_channels: Channels
    out_channels: Channels
    kernel: Window
    groups: PositiveInt = 1
    bias: bool = True

    @model_validator(mode="after")
    def _groups_divide(self) -> Conv2dParamsParams:
        check_groups(self.in_channels, self.out_channels, self.groups)
        return self

    def count(
        self, per_group: bool = True, in_channels: bool = True, bias: bool | None = None
    ) -> int:
        """The parameter count, or the count under a wrong rule (for misconceptions)."""
        kh, kw = pair(self.kernel)
        seen = channels_seen(self.in_channels, self.groups, per_group, in_channels)
        with_bias = self.bias if bias is None else bias
        return self.out_channels * seen * kh * kw + (self.out_channels if with_bias else 0)


class Conv2dParams(Problem[Conv2dParamsParams]):
    id = "conv2d.params"
    summary = (
        "Learnable parameters of a Conv2d layer: C_out·(C_in/groups)·k_h·k_w (+ C_out biases)."
    )
    topic = "counts"
    Params = Conv2dParamsParams

    def solve(self, p: Conv2dParamsParams, trace: Trace) -> Any:
        kh, kw = pair(p.kernel)
        g = p.groups
        seen = p.in_channels // g
        if g == 1:
            trace.step(
                "Weights per filter: one kernel-sized slice (height × width) per input channel",
                r"C_{\text{in}} \cdot k_h \cdot k_w",
                rf"{num(p.in_channels)} \cdot {num(kh)} \cdot {num(kw)}",
                seen * kh * kw,
            )
        else:
            trace.step(
                "Weights per filter: each group's filters see C_in / groups channels",
                r"\frac{C_{\text{in}}}{g} \cdot k_h \cdot k_w",
                rf"\frac{{{num(p.in_channels)}}}{{{num(g)}}} \cdot {num(kh)} \cdot {num(kw)}",
                seen * kh * kw,
            )
        per_filter = (
            r"\frac{C_{\text{in}}}{g} \, k_h k_w" if g != 1 else r"C_{\text{in}} \, k_h k_w"
        )
        weights = trace.step(
            "Weights: one filter per output channel",
            r"C_{\text{out}} \cdot " + per_filter,
            rf"{num(p.out_channels)} \cdot {num(seen * kh * kw)}",
            p.out_channels * seen * kh * kw,
        )
        biases = p.out_channels if p.bias else 0
        trace.step(
            "Biases: one per output channel" if p.bias else "Biases: none (bias=false)",
            r"C_{\text{out}}" if p.bias else "0",
            "",
            biases,
        )
        return trace.step(
            "Total",
            r"\text{weights} + \text{biases}",
            rf"{num(weights)} + {num(biases)}",
            weights + biases,
        )

    def reference(self, p: Conv2dParamsParams, device: torch.device) -> Any:
        import torch
        from torch import nn

        kh, kw = pair(p.kernel)
        layer = nn.Conv2d(
            p.in_channels,
            p.out_channels,
            (kh, kw),
            groups=p.groups,
            bias=p.bias,
            dtype=torch.float64,
            device=shapes_device(device, p.out_channels * (p.in_channels // p.groups) * kh * kw),
        )
        return sum(t.numel() for t in layer.parameters())

    @misconception("forgot_bias")
    def _forgot_bias(self, p: Conv2dParamsParams) -> Wrong | None:
        if not p.bias:
            return None
        return Wrong(
            p.count(bias=False),
            f"You counted only the weights. Each of the {p.out_channels} filters also has a bias: "
            f"add C_out = {p.out_channels}.",
        )

    @misconception("counted_bias")
    def _counted_bias(self, p: Conv2dParamsParams) -> Wrong | None:
        if p.bias:
            return None
        return Wrong(
            p.count(bias=True),
            f"You added {p.out_channels} biases, but this layer has bias=false: only the weights "
            "count.",
        )

    @misconception("forgot_in_channels")
    def _forgot_in_channels(self, p: Conv2dParamsParams) -> Wrong | None:
        if p.in_channels == p.groups:
            return None
        kh, kw = pair(p.kernel)
        return Wrong(
            p.count(in_channels=False),
            f"You counted one {kh}×{kw} kernel per filter, but a filter spans every input channel "
            f"it sees: it has (C_in/groups)·{kh}·{kw} = {(p.in_channels // p.groups) * kh * kw} "
            "weights.",
        )

    @misconception("ignored_groups")
    def _ignored_groups(self, p: Conv2dParamsParams) -> Wrong | None:
        if p.groups == 1:
            return None
        return Wrong(
            p.count(per_group=False),
            f"You ignored groups = {p.groups}: each filter sees only C_in / groups = "
            f"{p.in_channels // p.groups} input channels, not all {p.in_channels}.",
        )


class Conv2dMacsParams(ParamModel):
    in_channels: Channels
    out_channels: Channels
    kernel: Window
    size: Side
    stride: Window = 1
    padding: Padding = 0
    dilation: Window = 1
    groups: PositiveInt = 1

    @model_validator(mode="after")
    def _valid(self) -> Conv2dMacsParams:
        check_groups(self.in_channels, self.out_channels, self.groups)
        check_kernel_fits(self.size, self.kernel, self.padding, self.dilation)
        return self

    def window(self) -> SlidingWindowParams:
        return SlidingWindowParams(
            size=self.size,
            kernel=self.kernel,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
        )

    def out_hw(self) -> tuple[int, int]:
        return self.window().sizes()

    def macs(
        self, per_group: bool = True, in_channels: bool = True, input_size: bool = False
    ) -> int:
        kh, kw = pair(self.kernel)
        h, w = pair(self.size) if input_size else self.out_hw()
        seen = channels_seen(self.in_channels, self.groups, per_group, in_channels)
        return self.out_channels * h * w * seen * kh * kw


class Conv2dMacs(Problem[Conv2dMacsParams]):
    id = "conv2d.macs"
    summary = (
        "Multiply-accumulates of one Conv2d on one image: C_out·H_out·W_out·(C_in/groups)·k_h·k_w; "
        "FLOPs = 2·MACs, bias not counted."
    )
    topic = "counts"
    Params = Conv2dMacsParams

    def solve(self, p: Conv2dMacsParams, trace: Trace) -> Any:
        window = p.window()
        size = Conv2dOutputSize().solve(window, trace)
        h, w = p.out_hw()
        kh, kw = pair(p.kernel)
        seen = p.in_channels // p.groups
        group = r"\frac{C_{\text{in}}}{g}" if p.groups != 1 else r"C_{\text{in}}"
        group_num = (
            rf"\frac{{{num(p.in_channels)}}}{{{num(p.groups)}}}"
            if p.groups != 1
            else num(p.in_channels)
        )
        per_output = trace.step(
            "MACs per output value: one multiply-accumulate per weight of a filter",
            rf"{group} \cdot k_h \cdot k_w",
            rf"{group_num} \cdot {num(kh)} \cdot {num(kw)}",
            seen * kh * kw,
        )
        outputs = trace.step(
            "Output values",
            r"C_{\text{out}} \cdot H_{\text{out}} \cdot W_{\text{out}}",
            rf"{num(p.out_channels)} \cdot {num(h)} \cdot {num(w)}",
            p.out_channels * h * w,
        )
        macs = trace.step(
            "MACs",
            r"C_{\text{out}} H_{\text{out}} W_{\text{out}} \cdot " + rf"{group} \, k_h k_w",
            rf"{num(outputs)} \cdot {num(per_output)}",
            outputs * per_output,
        )
        flops = trace.step(
            "FLOPs: a multiply and an add per MAC (bias additions not counted)",
            r"2 \cdot \text{MACs}",
            rf"2 \cdot {num(macs)}",
            2 * macs,
        )
        return {"macs": macs, "flops": flops, "output_size": size}

    def reference(self, p: Conv2dMacsParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        kh, kw = pair(p.kernel)
        sh, sw = pair(p.size)
        ph, pw = pair(p.padding)
        stride, dilation = pair(p.stride), pair(p.dilation)
        where = shapes_device(device, p.in_channels * (sh + 2 * ph) * (sw + 2 * pw))
        if where.type == "meta":
            # too big to run: torch's FLOP counter works from the shapes alone
            from torch.utils.flop_counter import FlopCounterMode

            x = torch.zeros((1, p.in_channels, sh, sw), dtype=torch.float64, device=where)
            w = torch.zeros(
                (p.out_channels, p.in_channels // p.groups, kh, kw), dtype=x.dtype, device=where
            )
            with FlopCounterMode(display=False) as counter:
                y = F.conv2d(x, w, None, stride, (ph, pw), dilation, p.groups)
            macs = int(counter.get_total_flops()) // 2  # torch counts 2 FLOPs per MAC
        else:
            # torch does the multiply-adds itself: with all-ones input (padded with ones, as a
            # padded position is multiplied too) and all-ones weights, each output value is the
            # number of MACs behind it. Output channels of one group are identical, so one per
            # group is run and the sum scaled up.
            x = torch.ones((1, p.in_channels, sh, sw), dtype=torch.float64, device=where)
            x = F.pad(x, (pw, pw, ph, ph), value=1.0)
            w = torch.ones(
                (p.groups, p.in_channels // p.groups, kh, kw), dtype=x.dtype, device=where
            )
            y = F.conv2d(x, w, None, stride, 0, dilation, p.groups)
            macs = int(y.sum().item()) * (p.out_channels // p.groups)
        out = as_answer((int(y.shape[-2]), int(y.shape[-1])), p.window().scalar)
        return {"macs": macs, "flops": 2 * macs, "output_size": out}

    @misconception("macs_as_flops", part="macs")
    def _macs_as_flops(self, p: Conv2dMacsParams) -> Wrong | None:
        return Wrong(
            2 * p.macs(),
            f"That is the FLOP count. A MAC is one multiply plus one add, so MACs = FLOPs / 2 = "
            f"{p.macs()}.",
        )

    @misconception("flops_as_macs", part="flops")
    def _flops_as_macs(self, p: Conv2dMacsParams) -> Wrong | None:
        return Wrong(
            p.macs(),
            f"That is the MAC count. Each multiply-accumulate is two floating-point operations, "
            f"so FLOPs = 2·MACs = {2 * p.macs()}.",
        )

    @misconception("counted_bias", part="flops")
    def _counted_bias(self, p: Conv2dMacsParams) -> Wrong | None:
        h, w = p.out_hw()
        return Wrong(
            2 * p.macs() + p.out_channels * h * w,
            f"You added the {p.out_channels * h * w} bias additions; by convention FLOPs = 2·MACs "
            "and bias additions are not counted.",
        )

    @misconception("forgot_in_channels", part="macs")
    def _forgot_in_channels(self, p: Conv2dMacsParams) -> Wrong | None:
        if p.in_channels == p.groups:
            return None
        return Wrong(
            p.macs(in_channels=False),
            f"You counted one k_h·k_w window per output value, but each output sums over "
            f"C_in/groups = {p.in_channels // p.groups} input channels as well.",
        )

    @misconception("ignored_groups", part="macs")
    def _ignored_groups(self, p: Conv2dMacsParams) -> Wrong | None:
        if p.groups == 1:
            return None
        return Wrong(
            p.macs(per_group=False),
            f"You ignored groups = {p.groups}: each output value sums over only C_in / groups = "
            f"{p.in_channels // p.groups} input channels.",
        )

    @misconception("input_size", part="macs")
    def _input_size(self, p: Conv2dMacsParams) -> Wrong | None:
        wrong = p.macs(input_size=True)
        if wrong == p.macs():
            return None
        h, w = p.out_hw()
        return Wrong(
            wrong,
            f"You multiplied by the input's size; the filter is applied once per OUTPUT position, "
            f"here {h}×{w}.",
        )
