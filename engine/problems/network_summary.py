"""A whole network, layer by layer: `network.summary`.

From an input shape and a stack of layers (JSON layer objects, the compact form of
`network_compact`, or a preset of `network_presets`), one row per layer: output shape,
parameters, multiply-accumulates and receptive field, then the totals. The trace is the summary
table (drawn the way torchinfo prints one), then a table per quantity with each layer's formula
and its numbers, so any row can be redone by hand.

The reference builds the real `torch.nn` modules, runs a tensor through them and counts
`numel()` of their parameters; MACs are each conv's weight count times its output positions
(a linear layer's weight count), read from forward hooks; the receptive field follows the
modules' own kernel, stride and dilation. Networks too large to run quickly in float64 on a CPU
(VGG, ResNet, AlexNet) run on torch's shape-only "meta" device: shapes and counts are the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import Field, model_validator

from engine.device import META_ABOVE
from engine.errors import ProblemError
from engine.latex import num
from engine.params import ParamModel
from engine.problem import Problem, Wrong, misconception
from engine.problems.common import sum_of
from engine.problems.counts import VARIANTS
from engine.problems.network_compact import parse_compact, read_shape
from engine.problems.network_layers import Row, Rules, count, layer_names, shape_latex, walk
from engine.problems.network_presets import (
    DEFAULT_VARIANT,
    PRESETS,
    preset_description,
    preset_input,
    preset_layers,
)
from engine.problems.network_specs import (
    MAX_LAYERS,
    BasicBlock,
    Conv,
    Layer,
    Pool,
    read_layer,
)
from engine.problems.network_torch import layer_module, torch_field
from engine.trace import Trace

if TYPE_CHECKING:
    import torch
    from torch import nn

MAX_SIDE = 10_000
MAX_INPUT_CHANNELS = 100_000
# the reference runs a real float64 tensor through networks up to this many multiply-adds
RUN_MACS_UP_TO = 20_000_000


def _input(raw: Any) -> list[int]:
    if isinstance(raw, str):
        raw = read_shape(raw)
    ok = isinstance(raw, list) and len(raw) in (1, 3)
    if ok and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in raw):
        if len(raw) == 3 and (raw[1] > MAX_SIDE or raw[2] > MAX_SIDE):
            raise ProblemError("input", f"height and width must be at most {MAX_SIDE:,}")
        if raw[0] > MAX_INPUT_CHANNELS:
            raise ProblemError("input", f"must have at most {MAX_INPUT_CHANNELS:,} channels")
        return list(raw)
    raise ProblemError(
        "input", "must be a shape [C, H, W] (or [n] for a fully connected net), e.g. [3, 32, 32]"
    )


def _layers(raw: Any) -> tuple[list[Layer], list[str]]:
    """The layers, validated, each with how the person wrote it (for error messages)."""
    if isinstance(raw, str):
        compact = parse_compact(raw)
        return (
            [read_layer(obj, f"layers: layer {i}, {text}") for i, (obj, text) in
             enumerate(compact, start=1)],
            [f"layers: layer {i}, {text}" for i, (_, text) in enumerate(compact, start=1)],
        )  # fmt: skip
    if not isinstance(raw, list) or not raw:
        raise ProblemError(
            "layers",
            'must be a non-empty list of layer objects, e.g. [{"type": "conv", '
            '"out_channels": 6, "kernel": 5}], or the compact form "conv(6,5) relu pool(2)"',
        )
    if len(raw) > MAX_LAYERS:
        raise ProblemError("layers", f"at most {MAX_LAYERS} layers")
    where = [f"layers[{i}]" for i in range(len(raw))]
    return [read_layer(obj, w) for obj, w in zip(raw, where)], where


class NetworkSummaryParams(ParamModel):
    input: list[int] | None = Field(
        None, description="[C, H, W] (or 3x224x224, or [n]); a preset brings its own"
    )
    layers: list[Any] | None = Field(
        None,
        description='layer objects, or the compact form "conv(6,5) relu pool(2) flatten '
        'linear(10)"',
    )
    preset: Literal["lenet5", "alexnet", "vgg11", "vgg16", "resnet18"] | None = Field(
        None, description="a classic network instead of layers"
    )
    variant: Literal["original", "modern", "ungrouped", "torchvision"] | None = Field(
        None, description="lenet5: original|modern; alexnet: original|ungrouped|torchvision"
    )

    @model_validator(mode="before")
    @classmethod
    def _read(cls, data: Any) -> Any:
        """Read the layers (either form) and walk them once, so that an impossible network is
        refused when the call is made, with the layer named."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        preset, layers = data.get("preset"), data.get("layers")
        if preset is not None and layers is not None:
            raise ProblemError("layers", "give either layers or a preset, not both")
        if preset is None and layers is None:
            raise ProblemError("layers", f"give layers, or a preset ({', '.join(PRESETS)})")
        if preset is not None:
            if preset not in PRESETS:
                raise ProblemError("preset", f"must be one of {', '.join(PRESETS)}")
            variant = data.get("variant")
            allowed = VARIANTS.get(preset, ())
            if variant is not None and variant not in allowed:
                has = f"comes as {' or '.join(allowed)}" if allowed else "has no variants"
                raise ProblemError("variant", f"{preset} {has}, not {variant!r}")
            variant = data["variant"] = variant or DEFAULT_VARIANT.get(preset)
            shape = _input(data["input"]) if data.get("input") is not None else None
            shape = shape or preset_input(preset, variant)
            data["input"] = shape
            named = preset_layers(preset, variant)
            walk(named, tuple(shape))
            return data
        if data.get("variant") is not None:
            raise ProblemError("variant", "goes with a preset (variant of lenet5 or alexnet)")
        if data.get("input") is None:
            raise ProblemError("input", "required with layers: the input shape, e.g. [3, 32, 32]")
        data["input"] = _input(data["input"])
        read, where = _layers(layers)
        walk(list(zip(layer_names(read), read)), tuple(data["input"]), where=where)
        data["layers"] = read
        return data

    def network(self) -> list[tuple[str, Layer]]:
        if self.preset is not None:
            return preset_layers(self.preset, self.variant)
        assert self.layers is not None
        return list(zip(layer_names(self.layers), self.layers))

    def shape(self) -> tuple[int, ...]:
        assert self.input is not None
        return tuple(self.input)


def summary_answer(rows: list[Row], shape: tuple[int, ...]) -> dict[str, Any]:
    return {
        "layers": [row.answer() for row in rows],
        "output_shape": list(rows[-1].shape if rows else shape),
        "total_params": sum(row.params for row in rows),
        "total_macs": sum(row.macs for row in rows),
    }


def _field_cell(row: Row) -> str:
    if row.field is None:
        return r"\text{—}"
    rh, rw = row.field.r
    return num(rh) if rh == rw else rf"{num(rh)} \times {num(rw)}"


def _name(row: Row) -> str:
    return r"\text{" + row.name.replace("_", r"\_") + "}"


SIZE_FORMULA = r"H' = \left\lfloor \frac{H + 2p - d \cdot (k - 1) - 1}{s} \right\rfloor + 1"
PARAMS_FORMULA = (
    r"P_{\text{conv}} = \left(k_{h} k_{w} \frac{C_{\text{in}}}{g} + 1\right) C_{\text{out}}, "
    r"\quad P_{\text{linear}} = (n_{\text{in}} + 1) \, n_{\text{out}}, "
    r"\quad P_{\text{BN}} = 2 C"
)
MACS_FORMULA = (
    r"\text{MACs}_{\text{conv}} = C_{\text{out}} H' W' \cdot k_{h} k_{w} \frac{C_{\text{in}}}{g}, "
    r"\quad \text{MACs}_{\text{linear}} = n_{\text{in}} n_{\text{out}}"
)
FIELD_FORMULA = (
    r"r_{l} = r_{l-1} + (k_{\text{eff}} - 1) \cdot j_{l-1}, \quad j_{l} = j_{l-1} \cdot s_{l}"
)


class NetworkSummary(Problem[NetworkSummaryParams]):
    id = "network.summary"
    summary = (
        "A network layer by layer (layers, the compact form, or a preset lenet5, alexnet, vgg11, "
        "vgg16, resnet18): output shape, parameters, MACs and receptive field of each layer, "
        "and the totals."
    )
    topic = "cnn"
    Params = NetworkSummaryParams
    # a feature map's shape may be typed channels first or last (55x55x96 or 96x55x55)
    shape_parts = ("output_shape",)

    def solve(self, p: NetworkSummaryParams, trace: Trace) -> Any:
        shape = p.shape()
        rows = walk(p.network(), shape)
        answer = summary_answer(rows, shape)
        where = "C × H × W" if len(shape) == 3 else "features"
        intro = f"The input is {' × '.join(map(str, shape))} ({where})."
        if p.preset is not None:
            intro = f"{preset_description(p.preset, p.variant)} {intro}"
        trace.note("The network", intro)
        header = [r"\text{Layer}", r"\text{Type}", r"\text{Output shape}", r"\text{Parameters}",
                  r"\text{MACs}", r"\text{Receptive field}"]  # fmt: skip
        table = [
            [_name(r), r.what, shape_latex(r.shape), count(r.params), count(r.macs), _field_cell(r)]
            for r in rows
        ]
        table.append([r"\text{Total}", "", shape_latex(tuple(answer["output_shape"])),
                      count(answer["total_params"]), count(answer["total_macs"]), ""])  # fmt: skip
        trace.table("Summary: one row per layer", header, table, answer["layers"])
        self._working(trace, rows)
        counted = [r for r in rows if r.params]
        trace.step(
            "Total parameters: the sum over the layers",
            r"\sum_{l} P_{l}",
            sum_of([count(r.params) for r in counted]) if len(counted) > 1 else "",
            answer["total_params"],
        )
        multiplied = [r for r in rows if r.macs]
        trace.step(
            "Total multiply-accumulates (conv and linear layers only; FLOPs are twice this)",
            r"\sum_{l} \text{MACs}_{l}",
            sum_of([count(r.macs) for r in multiplied]) if len(multiplied) > 1 else "",
            answer["total_macs"],
        )
        return answer

    def _working(self, trace: Trace, rows: list[Row]) -> None:
        """One table per quantity: each layer's formula with its numbers."""
        sized = [r for r in rows if r.size_work]
        if sized:
            trace.table(
                "Output size of each layer that changes it (pooling with ceil_mode rounds up)",
                [r"\text{Layer}", r"\text{Size}", r"\text{Output shape}"],
                [[_name(r), r.size_work or "", shape_latex(r.shape)] for r in sized],
                [list(r.shape) for r in sized],
                formula=SIZE_FORMULA,
            )
        counted = [r for r in rows if r.params_work]
        if counted:
            trace.table(
                "Parameters of each layer that has some (BN: γ and β; its running mean and "
                "variance are buffers, not parameters)",
                [r"\text{Layer}", r"\text{Parameters}"],
                [[_name(r), r.params_work or ""] for r in counted],
                [r.params for r in counted],
                formula=PARAMS_FORMULA,
            )
        multiplied = [r for r in rows if r.macs_work]
        if multiplied:
            trace.table(
                "Multiply-accumulates of each conv and linear layer",
                [r"\text{Layer}", r"\text{MACs}"],
                [[_name(r), r.macs_work or ""] for r in multiplied],
                [r.macs for r in multiplied],
                formula=MACS_FORMULA,
            )
        grown = [r for r in rows if r.field_work]
        if grown:
            trace.table(
                "Receptive field on the input (one output unit; null after global pooling, "
                "flatten and linear layers)",
                [r"\text{Layer}", r"r", r"j"],
                [[_name(r), r.field_work or "", _jump(r)] for r in grown],
                [r.answer()["receptive_field"] for r in grown],
                formula=FIELD_FORMULA,
            )

    # --- the reference ----------------------------------------------------------------------

    def reference(self, p: NetworkSummaryParams, device: torch.device) -> Any:
        import torch

        shape = p.shape()
        named = p.network()
        # only shapes and counts are compared: big networks run on the shape-only device
        cheap = walk(named, shape)
        work = sum(r.macs for r in cheap)
        size = sum(r.params for r in cheap)
        if work > RUN_MACS_UP_TO or size > META_ABOVE:
            device = torch.device("meta")
        modules = [(name, layer_module(layer, shape_in, device)) for (name, layer), shape_in in
                   zip(named, [shape, *(r.shape for r in cheap)])]  # fmt: skip
        macs: dict[str, int] = {}

        def hook(key: str) -> Any:
            def count_macs(module: nn.Module, _: Any, out: torch.Tensor) -> None:
                if isinstance(module, torch.nn.Conv2d):
                    positions = int(out.shape[-1] * out.shape[-2])
                    macs[key] = macs.get(key, 0) + module.weight.numel() * positions
                elif isinstance(module, torch.nn.Linear):
                    macs[key] = macs.get(key, 0) + module.weight.numel()
                elif hasattr(module, "centres"):  # LeNet-5's RBF: one product per centre entry
                    macs[key] = macs.get(key, 0) + cast("torch.Tensor", module.centres).numel()

            return count_macs

        for name, module in modules:
            for sub in module.modules():
                sub.register_forward_hook(hook(name))
            module.eval()
        x = torch.zeros((1, *shape), dtype=torch.float64, device=device)
        layers = []
        field: tuple[list[int], list[int]] | None = ([1, 1], [1, 1]) if len(shape) == 3 else None
        with torch.no_grad():
            for name, module in modules:
                x = module(x)
                field = torch_field(module, field)
                layers.append(
                    {
                        "name": name,
                        "output_shape": list(x.shape[1:]),
                        "params": int(sum(t.numel() for t in module.parameters())),
                        "macs": macs.get(name, 0),
                        "receptive_field": None
                        if field is None
                        else (field[0][0] if field[0][0] == field[0][1] else list(field[0])),
                    }
                )
        return {
            "layers": layers,
            "output_shape": list(x.shape[1:]),
            "total_params": sum(layer["params"] for layer in layers),
            "total_macs": sum(layer["macs"] for layer in layers),
        }

    # --- misconceptions ---------------------------------------------------------------------

    def _recount(self, p: NetworkSummaryParams, rules: Rules) -> dict[str, Any] | None:
        try:
            rows = walk(p.network(), p.shape(), rules)
        except ProblemError:
            return None  # the wrong rule cannot even build this network
        return summary_answer(rows, p.shape())

    def _rule(self, p: NetworkSummaryParams, rules: Rules, feedback: str) -> Wrong | None:
        wrong = self._recount(p, rules)
        right = self._recount(p, Rules())
        if wrong is None or wrong == right:
            return None
        return Wrong(wrong, feedback)

    @misconception("forgot_bias")
    def _forgot_bias(self, p: NetworkSummaryParams) -> Wrong | None:
        return self._rule(
            p,
            Rules(biases=False),
            "You left out the biases: a conv layer has one per output channel, (k·k·C_in + 1)·"
            "C_out, and a linear layer one per output unit, (n_in + 1)·n_out.",
        )

    @misconception("forgot_linear_bias")
    def _forgot_linear_bias(self, p: NetworkSummaryParams) -> Wrong | None:
        return self._rule(
            p,
            Rules(linear_biases=False),
            "You left out the biases of the fully connected layers: each output unit has one, "
            "so a linear layer has (n_in + 1)·n_out parameters, not n_in·n_out.",
        )

    @misconception("ignored_groups")
    def _ignored_groups(self, p: NetworkSummaryParams) -> Wrong | None:
        return self._rule(
            p,
            Rules(groups=False),
            "A convolution in g groups splits its input channels: each kernel reads only "
            "C_in/g of them, so it holds k·k·C_in/g weights (and does that many MACs per "
            "position), not k·k·C_in.",
        )

    @misconception("bn_running_stats")
    def _bn_running(self, p: NetworkSummaryParams) -> Wrong | None:
        return self._rule(
            p,
            Rules(bn_running=True),
            "You counted BatchNorm's running mean and variance as parameters. They are buffers "
            "updated by averaging, not learned: a BN layer has 2·C parameters (γ and β).",
        )

    @misconception("same_padding")
    def _same_padding(self, p: NetworkSummaryParams) -> Wrong | None:
        if not any(isinstance(layer, Conv) and layer.padding == "same" for _, layer in p.network()):
            return None
        return self._rule(
            p,
            Rules(same_as_zero=True),
            '"Same" padding keeps the size: with stride 1 it pads (k − 1)/2 on each side '
            "(d·(k − 1)/2 when dilated), not 0.",
        )

    @misconception("ceil_floor")
    def _ceil_floor(self, p: NetworkSummaryParams) -> Wrong | None:
        pools = [layer for _, layer in p.network() if isinstance(layer, Pool)]
        if not pools:
            return None
        return self._rule(
            p,
            Rules(flip_ceil=True),
            "Pooling rounds the output size down, ⌊(n + 2p − k)/s⌋ + 1, unless ceil_mode is set "
            "(then up, with the last window starting inside the input): you rounded the other "
            "way.",
        )

    @misconception("forgot_in_channels")
    def _forgot_in_channels(self, p: NetworkSummaryParams) -> Wrong | None:
        return self._rule(
            p,
            Rules(in_channels=False),
            "A conv kernel reaches through every input channel (of its group): it holds "
            "k·k·C_in weights, not k·k.",
        )

    @misconception("macs_one_position")
    def _one_position(self, p: NetworkSummaryParams) -> Wrong | None:
        return self._rule(
            p,
            Rules(per_position=True),
            "You counted a conv layer's multiply-accumulates for one output position. The "
            "kernels slide over every one of the H'·W' positions: multiply by them.",
        )

    @misconception("gave_flops")
    def _gave_flops(self, p: NetworkSummaryParams) -> Wrong | None:
        right = self._recount(p, Rules())
        if right is None or not right["total_macs"]:
            return None
        wrong = dict(right)
        wrong["layers"] = [layer | {"macs": 2 * layer["macs"]} for layer in right["layers"]]
        wrong["total_macs"] = 2 * right["total_macs"]
        return Wrong(
            wrong,
            "You gave FLOPs: a multiply-accumulate is one multiplication and one addition, so "
            "FLOPs = 2·MACs; the question asks for MACs.",
        )

    @misconception("missing_shortcut")
    def _missing_shortcut(self, p: NetworkSummaryParams) -> Wrong | None:
        right = self._recount(p, Rules())
        if right is None:
            return None
        shape = p.shape()
        extra = 0
        rows = walk(p.network(), shape)
        for (_, layer), before in zip(p.network(), [shape, *(r.shape for r in rows)]):
            if isinstance(layer, BasicBlock) and (
                layer.stride != 1 or before[0] != layer.out_channels
            ):
                extra += before[0] * layer.out_channels + 2 * layer.out_channels
        if not extra:
            return None
        return Wrong(
            right | {"total_params": right["total_params"] - extra},
            "A basic block that changes the shape has a shortcut with parameters of its own: "
            "a 1×1 conv (C_in·C_out weights, no bias) and a BN (2·C_out).",
        )


def _jump(row: Row) -> str:
    if row.field is None:
        return ""
    jh, jw = row.field.j
    return num(jh) if jh == jw else rf"{num(jh)} \times {num(jw)}"
