"""The receptive field of a stack of convolution and pooling layers: `receptive_field`.

Layer by layer from one input pixel: r_l = r_{l−1} + (k_eff − 1)·j_{l−1} and j_l = j_{l−1}·s_l,
where the jump j is the input distance between neighbouring outputs of a layer. The reference
measures the field as the reach of an output pixel's gradient through real `nn.Conv2d` layers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, ValidationError, model_validator

from engine.errors import ProblemError
from engine.latex import num
from engine.params import NonNegativeInt, ParamModel, PositiveInt
from engine.problem import Problem, Wrong, misconception
from engine.problems.sliding_window import effective_kernel, effective_kernel_step
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

LAYER_KEYS = ("kernel", "stride", "dilation", "padding", "name")
# The reference runs the stack on a real input a few times wider than the field: stacks whose
# check would take more than about this many multiply-adds are refused (no exam comes close).
MAX_CHECK_WORK = 200_000_000


class Layer(ParamModel):
    kernel: PositiveInt
    stride: PositiveInt = 1
    dilation: PositiveInt = 1
    padding: NonNegativeInt = 0
    name: str | None = None


def _layers_list(v: Any) -> Any:
    """Catch mistakes in the layer list with messages that name the layer (layers[2]...)."""
    if not isinstance(v, list) or not v:
        raise ProblemError(
            "layers", 'must be a non-empty list of layers, e.g. [{"kernel": 3, "stride": 2}]'
        )
    out = []
    for i, layer in enumerate(v):
        if isinstance(layer, int) and not isinstance(layer, bool):
            layer = {"kernel": layer}  # a bare number is a kernel size
        if not isinstance(layer, dict):
            raise ProblemError(
                f"layers[{i}]", 'must be an object such as {"kernel": 3, "stride": 1}'
            )
        unknown = [k for k in layer if k not in LAYER_KEYS]
        if unknown:
            raise ProblemError(
                f"layers[{i}]",
                f"unknown key {unknown[0]!r} (a layer takes {', '.join(LAYER_KEYS)})",
            )
        if "kernel" not in layer:
            raise ProblemError(f"layers[{i}]", "needs a kernel size")
        try:
            out.append(Layer.model_validate(layer))
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(k) for k in err.get("loc", ()))
            message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
            raise ProblemError(f"layers[{i}].{key}", message) from None
    return out


def field_growth(layers: list[Layer]) -> Iterator[tuple[int, int, int, int, int]]:
    """(k_eff, r_before, j_before, r_after, j_after) layer by layer, from one input pixel."""
    r, j = 1, 1
    for layer in layers:
        span = effective_kernel(layer.kernel, layer.dilation)
        r_next, j_next = r + (span - 1) * j, j * layer.stride
        yield span, r, j, r_next, j_next
        r, j = r_next, j_next


class ReceptiveFieldParams(ParamModel):
    layers: Annotated[list[Layer], BeforeValidator(_layers_list)]

    @model_validator(mode="after")
    def _not_huge(self) -> ReceptiveFieldParams:
        *_, (_, _, _, r, j) = field_growth(self.layers)
        width = 4 * (r + 2 * j)  # about the input the reference needs
        work = sum(
            layer.kernel * (width // j_after + 1)
            for layer, (*_, j_after) in zip(self.layers, field_growth(self.layers))
        )
        if work > MAX_CHECK_WORK:
            raise ProblemError(
                "layers",
                f"this stack is too large to check (its receptive field is {r:,} pixels); "
                "use fewer or smaller layers",
            )
        return self


class ReceptiveField(Problem[ReceptiveFieldParams]):
    id = "receptive_field"
    summary = (
        "Receptive field and jump of a stack of conv/pool layers: "
        "r_l = r_{l−1} + (k_eff − 1)·j_{l−1}, j_l = j_{l−1}·s_l."
    )
    topic = "cnn"
    Params = ReceptiveFieldParams

    def solve(self, p: ReceptiveFieldParams, trace: Trace) -> Any:
        trace.step(
            "Start: one input pixel sees itself, and neighbouring pixels are 1 apart",
            r"r_0 = 1, \quad j_0 = 1",
            "",
            {"receptive_field": 1, "jump": 1},
        )
        if any(layer.padding for layer in p.layers):
            trace.note(
                "Padding",
                "Padding moves where the field sits on the input, not how large it is.",
            )
        r = j = 1
        for index, (layer, row) in enumerate(zip(p.layers, field_growth(p.layers)), start=1):
            span, r_prev, j_prev, r, j = row
            name = f"Layer {index}" + (f" ({layer.name})" if layer.name else "")
            if layer.dilation != 1:
                effective_kernel_step(
                    trace, f"{name}: effective kernel size", layer.kernel, layer.dilation
                )
            trace.step(
                f"{name}: receptive field, each extra kernel tap reaches one jump further",
                rf"r_{{{index}}} = r_{{{index - 1}}} + (k_{{\text{{eff}}}} - 1) \cdot j_{{{index - 1}}}",
                rf"{num(r_prev)} + ({num(span)} - 1) \cdot {num(j_prev)}",
                r,
            )
            trace.step(
                f"{name}: jump, the input distance between neighbouring outputs",
                rf"j_{{{index}}} = j_{{{index - 1}}} \cdot s_{{{index}}}",
                rf"{num(j_prev)} \cdot {num(layer.stride)}",
                j,
            )
        return {"receptive_field": r, "jump": j}

    def reference(self, p: ReceptiveFieldParams, device: torch.device) -> Any:
        import torch
        from torch import nn

        # One column of real Conv2d layers with all-ones weights: the gradient of one output
        # pixel is then positive exactly on the input pixels that can reach it. Padding is left
        # out: it shifts the field, not its size, and keeps every field inside the input.
        convs = [
            nn.Conv2d(
                1,
                1,
                (layer.kernel, 1),
                stride=(layer.stride, 1),
                dilation=(layer.dilation, 1),
                bias=False,
                dtype=torch.float64,
                device=device,
            )
            for layer in p.layers
        ]
        for conv in convs:
            nn.init.ones_(conv.weight)
        stack = nn.Sequential(*convs)

        def outputs(n: int) -> int:
            probe = torch.zeros((1, 1, n, 1), dtype=torch.float64, device=device)
            for layer in p.layers:
                probe = torch.nn.functional.conv2d(
                    probe,
                    probe.new_zeros((1, 1, layer.kernel, 1)),
                    stride=(layer.stride, 1),
                    dilation=(layer.dilation, 1),
                )
            return int(probe.shape[2])

        # grow the input until the stack gives three outputs: the middle one's field is whole
        n = 1
        while True:
            try:
                if outputs(n) >= 3:
                    break
            except RuntimeError:  # too small for some layer's kernel
                pass
            n *= 2
        x = torch.ones((1, 1, n, 1), dtype=torch.float64, device=device, requires_grad=True)
        y = stack(x)[0, 0, :, 0]
        middle = y.shape[0] // 2

        def reach(index: int) -> tuple[int, int]:
            (grad,) = torch.autograd.grad(y[index], x, retain_graph=True)
            hit = torch.nonzero(grad[0, 0, :, 0]).flatten()
            return int(hit.min()), int(hit.max())

        first, last = reach(middle)
        next_first, _ = reach(middle + 1)
        return {"receptive_field": last - first + 1, "jump": next_first - first}

    def _field(self, p: ReceptiveFieldParams) -> int:
        *_, (_, _, _, r, _) = field_growth(p.layers)
        return r

    @misconception("no_jump", part="receptive_field")
    def _no_jump(self, p: ReceptiveFieldParams) -> Wrong | None:
        wrong = 1 + sum(span - 1 for span, *_ in field_growth(p.layers))
        if wrong == self._field(p):
            return None
        return Wrong(
            wrong,
            "You added the kernel sizes as if every layer looked at neighbouring input pixels. "
            "After a stride, neighbouring pixels of a layer are j apart in the input, so each "
            "layer adds (k_eff − 1)·j_{l−1}, with j the product of the earlier strides.",
        )

    @misconception("current_stride", part="receptive_field")
    def _current_stride(self, p: ReceptiveFieldParams) -> Wrong | None:
        wrong = 1 + sum((span - 1) * j_after for span, _, _, _, j_after in field_growth(p.layers))
        if wrong == self._field(p):
            return None
        return Wrong(
            wrong,
            "You multiplied each layer's (k_eff − 1) by the jump after its own stride. A layer's "
            "taps are spaced by the jump of its input, j_{l−1}: the product of the EARLIER "
            "strides only.",
        )

    @misconception("ignored_dilation", part="receptive_field")
    def _ignored_dilation(self, p: ReceptiveFieldParams) -> Wrong | None:
        plain = [layer.model_copy(update={"dilation": 1}) for layer in p.layers]
        *_, (_, _, _, wrong, _) = field_growth(plain)
        if wrong == self._field(p):
            return None
        return Wrong(
            wrong,
            "You ignored the dilation: a dilated kernel spans k_eff = d·(k − 1) + 1 pixels.",
        )

    @misconception("sum_of_kernels", part="receptive_field")
    def _sum_of_kernels(self, p: ReceptiveFieldParams) -> Wrong | None:
        wrong = sum(layer.kernel for layer in p.layers)
        if wrong == self._field(p):
            return None
        return Wrong(
            wrong,
            "You added the kernel sizes. Consecutive kernels overlap: each layer adds "
            "(k_eff − 1)·j_{l−1} to the field, starting from one pixel.",
        )

    @misconception("jump_sum", part="jump")
    def _jump_sum(self, p: ReceptiveFieldParams) -> Wrong | None:
        *_, (_, _, _, _, jump) = field_growth(p.layers)
        wrong = sum(layer.stride for layer in p.layers)
        if wrong == jump:
            return None
        return Wrong(
            wrong,
            "You added the strides. Strides compound: the jump is their product, "
            "j_l = j_{l−1}·s_l.",
        )
