"""What each layer of `network.summary` does to a feature map, with the formulas that say so.

`walk` takes the layers (the models of `network_specs`) through the network one after another,
from the input shape, and gives a `Row` per layer: output shape, parameters, multiply-accumulates,
receptive field, and each of them written as the formula with its numbers, for the trace.
`Rules` switches on one mistake at a time, so the misconception rules recompute the whole network
the wrong way with the same code. This module defines no problem: `network_summary` does;
`network_compact` reads the compact command-line form, `network_presets` holds the classic
networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import ProblemError
from engine.latex import num
from engine.params import pair
from engine.problems.network_specs import (
    Activation,
    AdaptiveAvgPool,
    BasicBlock,
    BatchNorm,
    Conv,
    Dropout,
    EuclideanRBF,
    Flatten,
    Layer,
    Linear,
    LocalResponseNorm,
    PartialConv,
    Pool,
    Subsampling,
)

# --- mistakes the misconception rules make on purpose ----------------------------------------


@dataclass(frozen=True)
class Rules:
    """How a layer is counted: the defaults are right, each other setting is one mistake."""

    biases: bool = True  # False: forgot the bias of conv and linear layers
    bn_running: bool = False  # True: counted BN's running mean and variance as parameters
    same_as_zero: bool = False  # True: took "same" padding to mean no padding
    flip_ceil: bool = False  # True: pooled with ceil where floor was asked (and the reverse)
    in_channels: bool = True  # False: a conv kernel counted as k·k, without its input depth
    groups: bool = True  # False: a grouped conv's kernels counted as reading every channel
    linear_biases: bool = True  # False: forgot the biases of the linear layers only
    per_position: bool = False  # True: conv MACs of one output position only


RIGHT = Rules()


# --- one row per layer -----------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """Receptive field r and jump j per axis (height, width), from one input pixel."""

    r: tuple[int, int]
    j: tuple[int, int]


@dataclass(frozen=True)
class Row:
    """One layer as the table shows it, and the formulas with their numbers that make it."""

    name: str
    what: str  # LaTeX: the layer in a few symbols, e.g. conv 64@3×3, s = 2
    shape: tuple[int, ...]
    params: int
    macs: int
    field: Field | None
    biases: int = 0
    size_work: str | None = None
    params_work: str | None = None
    macs_work: str | None = None
    field_work: str | None = None

    def answer(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "output_shape": list(self.shape),
            "params": self.params,
            "macs": self.macs,
            "receptive_field": field_answer(self.field),
        }


def field_answer(field: Field | None) -> int | list[int] | None:
    if field is None:
        return None
    rh, rw = field.r
    return rh if rh == rw else [rh, rw]


def count(n: int) -> str:
    """A count in a formula, thousands apart by thin spaces (138 357 544)."""
    digits = str(n)
    if n < 10_000:
        return digits
    groups = []
    while digits:
        groups.append(digits[-3:])
        digits = digits[:-3]
    return r"\,".join(reversed(groups))


def shape_latex(shape: tuple[int, ...]) -> str:
    return r" \times ".join(num(d) for d in shape)


def _size(h: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    span = d * (k - 1) + 1
    top = h + 2 * p - span
    if not ceil:
        return top // s + 1
    out = -(-top // s) + 1
    # PyTorch's ceil mode: the last window must start inside the input or its left padding
    if (out - 1) * s >= h + p:
        out -= 1
    return out


def _size_formula(h: int, k: int, s: int, p: int, d: int, ceil: bool, out: int) -> str:
    left, right = (r"\left\lceil", r"\right\rceil") if ceil else (r"\left\lfloor", r"\right\rfloor")
    kernel = num(k) if d == 1 else rf"{num(d)} \cdot ({num(k)} - 1) - 1"
    pad = rf" + 2 \cdot {num(p)}" if p else ""
    # written on one line (a/b, not a stacked fraction): it sits in a table cell
    return rf"{left} ({num(h)}{pad} - {kernel}) / {num(s)} {right} + 1 = {num(out)}"


def _window(
    name: str,
    what: str,
    chw: tuple[int, int, int],
    out_channels: int,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    ceil: bool,
) -> tuple[tuple[int, int, int], str]:
    """The output shape of a sliding window, and its size formula (both axes when they differ)."""
    _, h, w = chw
    outs, works = [], []
    for axis, n in enumerate((h, w)):
        k, s, p, d = kernel[axis], stride[axis], padding[axis], dilation[axis]
        span = d * (k - 1) + 1
        if span > n + 2 * p:
            raise ProblemError(
                name,
                f"the {'×'.join(map(str, kernel))} window is larger than the padded {h}×{w} input",
            )
        out = _size(n, k, s, p, d, ceil)
        outs.append(out)
        works.append(_size_formula(n, k, s, p, d, ceil, out))
    if works[0] == works[1]:
        work = works[0]
    else:
        work = rf"H' = {works[0]}, \quad W' = {works[1]}"
    return (out_channels, outs[0], outs[1]), work


def _grow(field: Field | None, kernel: tuple[int, int], stride: tuple[int, int],
          dilation: tuple[int, int] = (1, 1)) -> tuple[Field | None, str | None]:  # fmt: skip
    """r ← r + (k_eff − 1)·j, j ← j·s per axis, and the formula of the height's growth."""
    if field is None:
        return None, None
    r, j = [], []
    for axis in range(2):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        r.append(field.r[axis] + (span - 1) * field.j[axis])
        j.append(field.j[axis] * stride[axis])
    new = Field((r[0], r[1]), (j[0], j[1]))
    span = dilation[0] * (kernel[0] - 1) + 1
    work = rf"{num(field.r[0])} + ({num(span)} - 1) \cdot {num(field.j[0])} = {num(r[0])}"
    if r[0] != r[1]:
        span_w = dilation[1] * (kernel[1] - 1) + 1
        work += (
            rf", \quad {num(field.r[1])} + ({num(span_w)} - 1) \cdot {num(field.j[1])} "
            rf"= {num(r[1])}"
        )
    return new, work


def _kernel_text(kernel: tuple[int, int]) -> str:
    return rf"{num(kernel[0])} \times {num(kernel[1])}"


def _need_map(name: str, shape: tuple[int, ...], kind: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ProblemError(
            name, f"a {kind} layer needs a C×H×W feature map, but its input has shape {list(shape)}"
        )
    return shape[0], shape[1], shape[2]


def conv_row(name: str, layer: Conv, shape: tuple[int, ...], field: Field | None,
             rules: Rules) -> Row:  # fmt: skip
    c, h, w = _need_map(name, shape, "conv")
    k, s, d = pair(layer.kernel), pair(layer.stride), pair(layer.dilation)
    g = layer.groups
    if c % g or layer.out_channels % g:
        raise ProblemError(
            name,
            f"groups={g} must divide both the {c} input channels and the "
            f"{layer.out_channels} output channels",
        )
    if layer.padding == "same":
        if s != (1, 1) or k[0] % 2 == 0 or k[1] % 2 == 0:
            raise ProblemError(name, '"same" padding needs stride 1 and an odd kernel')
        p = (0, 0) if rules.same_as_zero else (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)
    else:
        p = pair(layer.padding)
    out, size_work = _window(name, "conv", (c, h, w), layer.out_channels, k, s, p, d, False)
    reads = c // g if rules.groups else c  # the input channels one kernel reads
    per_kernel = k[0] * k[1] * (reads if rules.in_channels else 1)
    biased = layer.bias and rules.biases
    params = per_kernel * layer.out_channels + (layer.out_channels if biased else 0)
    positions = 1 if rules.per_position else out[1] * out[2]
    macs = k[0] * k[1] * reads * layer.out_channels * positions
    depth = num(c) if g == 1 else rf"{num(c)} / {num(g)}"
    taps = rf"{num(k[0])} \cdot {num(k[1])} \cdot {depth}"
    if biased:
        params_work = rf"({taps} + 1) \cdot {num(layer.out_channels)} = {count(params)}"
    else:
        params_work = rf"{taps} \cdot {num(layer.out_channels)} = {count(params)}"
    macs_work = (
        rf"{num(out[0])} \cdot {num(out[1])} \cdot {num(out[2])} \cdot {taps} = {count(macs)}"
    )
    new_field, field_work = _grow(field, k, s, d)
    what = rf"\text{{conv }} {num(layer.out_channels)} @ {_kernel_text(k)}"
    if s != (1, 1):
        what += rf", s = {num(s[0]) if s[0] == s[1] else _kernel_text(s)}"
    if g != 1:
        what += rf", g = {num(g)}"
    return Row(name, what, out, params, macs, new_field, layer.out_channels if biased else 0,
               size_work, params_work, macs_work, field_work)  # fmt: skip


def pool_row(name: str, layer: Pool, shape: tuple[int, ...], field: Field | None,
             rules: Rules) -> Row:  # fmt: skip
    c, h, w = _need_map(name, shape, "pool")
    k = pair(layer.kernel)
    s = pair(layer.stride if layer.stride is not None else layer.kernel)
    p = pair(layer.padding)
    if p[0] * 2 > k[0] or p[1] * 2 > k[1]:
        raise ProblemError(name, "pooling padding must be at most half the kernel (as PyTorch)")
    ceil = layer.ceil_mode != rules.flip_ceil
    out, size_work = _window(name, "pool", (c, h, w), c, k, s, p, (1, 1), ceil)
    new_field, field_work = _grow(field, k, s)
    what = rf"\text{{{layer.kind} pool }} {_kernel_text(k)}"
    if s != k:
        what += rf", s = {num(s[0]) if s[0] == s[1] else _kernel_text(s)}"
    return Row(name, what, out, 0, 0, new_field, 0, size_work, None, None, field_work)


def bn_row(name: str, shape: tuple[int, ...], field: Field | None, rules: Rules) -> Row:
    per = 4 if rules.bn_running else 2
    params = per * shape[0]
    what = r"\text{batch norm}"
    return Row(name, what, shape, params, 0, field,
               params_work=rf"{per} \cdot {num(shape[0])} = {count(params)}")  # fmt: skip


def linear_row(name: str, layer: Linear, shape: tuple[int, ...], rules: Rules) -> Row:
    if len(shape) != 1:
        raise ProblemError(
            name,
            f"a linear layer needs a flat input, but its input has shape {list(shape)}: "
            "put a flatten layer before it",
        )
    n_in, n_out = shape[0], layer.out_features
    biased = layer.bias and rules.biases and rules.linear_biases
    params = n_in * n_out + (n_out if biased else 0)
    macs = n_in * n_out
    if biased:
        params_work = rf"({count(n_in)} + 1) \cdot {count(n_out)} = {count(params)}"
    else:
        params_work = rf"{count(n_in)} \cdot {count(n_out)} = {count(params)}"
    macs_work = rf"{count(n_in)} \cdot {count(n_out)} = {count(macs)}"
    what = rf"\text{{linear }} {num(n_in)} \to {num(n_out)}"
    return Row(name, what, (n_out,), params, macs, None, n_out if biased else 0,
               None, params_work, macs_work)  # fmt: skip


def flatten_row(name: str, shape: tuple[int, ...]) -> Row:
    n = 1
    for d in shape:
        n *= d
    product = r" \cdot ".join(num(d) for d in shape)
    work = f"{product} = {count(n)}" if len(shape) > 1 else None
    return Row(name, r"\text{flatten}", (n,), 0, 0, None, size_work=work)


def adaptive_row(name: str, layer: AdaptiveAvgPool, shape: tuple[int, ...]) -> Row:
    c, _, _ = _need_map(name, shape, "adaptive_avg_pool")
    oh, ow = pair(layer.output)
    what = rf"\text{{adaptive avg pool to }} {num(oh)} \times {num(ow)}"
    return Row(name, what, (c, oh, ow), 0, 0, None)


def block_row(name: str, layer: BasicBlock, shape: tuple[int, ...], field: Field | None,
              rules: Rules) -> Row:  # fmt: skip
    """A ResNet basic block: 3×3 conv (stride s) + BN + ReLU, 3×3 conv + BN, plus the shortcut
    (a 1×1 conv with stride s + BN when the shape changes), then ReLU. Convs have no bias."""
    c, h, w = _need_map(name, shape, "basic_block")
    o, s = layer.out_channels, layer.stride
    out, size_work = _window(name, "conv", (c, h, w), o, (3, 3), (s, s), (1, 1), (1, 1), False)
    down = s != 1 or c != o
    depth_in, depth_mid = (c, o) if rules.in_channels else (1, 1)
    bn = 4 if rules.bn_running else 2
    params = 9 * depth_in * o + bn * o + 9 * depth_mid * o + bn * o
    work = [rf"3 \cdot 3 \cdot {num(c)} \cdot {num(o)}", rf"{bn} \cdot {num(o)}"]
    work += [rf"3 \cdot 3 \cdot {num(o)} \cdot {num(o)}", rf"{bn} \cdot {num(o)}"]
    positions = 1 if rules.per_position else out[1] * out[2]
    macs = (9 * c * o + 9 * o * o) * positions
    macs_terms = (
        rf"3 \cdot 3 \cdot {num(c)} \cdot {num(o)} + 3 \cdot 3 \cdot {num(o)} \cdot {num(o)}"
    )
    if down:
        params += (c if rules.in_channels else 1) * o + bn * o
        work += [rf"{num(c)} \cdot {num(o)}", rf"{bn} \cdot {num(o)}"]
        macs += c * o * positions
        macs_terms += rf" + {num(c)} \cdot {num(o)}"
    params_work = " + ".join(work) + f" = {count(params)}"
    macs_work = rf"{num(out[1])} \cdot {num(out[2])} \cdot ({macs_terms}) = {count(macs)}"
    field_work = None
    new_field = field
    if field is not None:
        mid, first = _grow(field, (3, 3), (s, s))
        new_field, second = _grow(mid, (3, 3), (1, 1))
        field_work = rf"{first}, \quad {second}"
    what = rf"\text{{basic block }} {num(o)}" + (rf", s = {num(s)}" if s != 1 else "")
    return Row(name, what, out, params, macs, new_field, 0,
               size_work, params_work, macs_work, field_work)  # fmt: skip


def subsample_row(name: str, shape: tuple[int, ...], field: Field | None, rules: Rules) -> Row:
    c, h, w = _need_map(name, shape, "subsample")
    out, size_work = _window(name, "pool", (c, h, w), c, (2, 2), (2, 2), (0, 0), (1, 1), False)
    params = (2 if rules.biases else 1) * c
    macs = c * out[1] * out[2]  # one multiplication by the map's coefficient per output
    params_work = rf"({'1 + 1' if rules.biases else '1'}) \cdot {num(c)} = {count(params)}"
    macs_work = rf"{num(c)} \cdot {num(out[1])} \cdot {num(out[2])} = {count(macs)}"
    new_field, field_work = _grow(field, (2, 2), (2, 2))
    return Row(name, r"\text{subsampling } 2 \times 2", out, params, macs, new_field,
               c if rules.biases else 0, size_work, params_work, macs_work, field_work)  # fmt: skip


def partial_row(name: str, layer: PartialConv, shape: tuple[int, ...], field: Field | None,
                rules: Rules) -> Row:  # fmt: skip
    c, h, w = _need_map(name, shape, "partial_conv")
    k, maps = layer.kernel, len(layer.table)
    out, size_work = _window(name, "conv", (c, h, w), maps, (k, k), (1, 1), (0, 0), (1, 1), False)
    links = sum(len(row) for row in layer.table)
    params = k * k * links + (maps if rules.biases else 0)
    macs = k * k * links * out[1] * out[2]
    bias = rf" + {num(maps)}" if rules.biases else ""
    params_work = rf"{num(k)} \cdot {num(k)} \cdot {num(links)}{bias} = {count(params)}"
    macs_work = (
        rf"{num(out[1])} \cdot {num(out[2])} \cdot {num(k)} \cdot {num(k)} \cdot {num(links)} "
        rf"= {count(macs)}"
    )
    new_field, field_work = _grow(field, (k, k), (1, 1))
    what = rf"\text{{conv }} {num(maps)} @ {num(k)} \times {num(k)} \text{{, table}}"
    return Row(name, what, out, params, macs, new_field, maps if rules.biases else 0,
               size_work, params_work, macs_work, field_work)  # fmt: skip


def rbf_row(name: str, layer: EuclideanRBF, shape: tuple[int, ...]) -> Row:
    n_in = shape[0] if len(shape) == 1 else 0
    if not n_in:
        raise ProblemError(name, "the RBF output layer needs a flat input")
    macs = n_in * layer.out_features  # one squared difference per centre entry
    macs_work = rf"{num(n_in)} \cdot {num(layer.out_features)} = {count(macs)}"
    what = rf"\text{{RBF }} {num(n_in)} \to {num(layer.out_features)}"
    return Row(name, what, (layer.out_features,), 0, macs, None, macs_work=macs_work)


ACT_TEXT = {"leaky_relu": "leaky ReLU", "gelu_tanh": "GELU (tanh)", "relu": "ReLU"}


def layer_row(name: str, layer: Layer, shape: tuple[int, ...], field: Field | None,
              rules: Rules) -> Row:  # fmt: skip
    """What one layer does to a feature map of `shape` whose units see `field` of the input."""
    if isinstance(layer, Conv):
        return conv_row(name, layer, shape, field, rules)
    if isinstance(layer, Pool):
        return pool_row(name, layer, shape, field, rules)
    if isinstance(layer, BatchNorm):
        return bn_row(name, shape, field, rules)
    if isinstance(layer, Linear):
        return linear_row(name, layer, shape, rules)
    if isinstance(layer, Flatten):
        return flatten_row(name, shape)
    if isinstance(layer, AdaptiveAvgPool):
        return adaptive_row(name, layer, shape)
    if isinstance(layer, BasicBlock):
        return block_row(name, layer, shape, field, rules)
    if isinstance(layer, Subsampling):
        return subsample_row(name, shape, field, rules)
    if isinstance(layer, PartialConv):
        return partial_row(name, layer, shape, field, rules)
    if isinstance(layer, EuclideanRBF):
        return rbf_row(name, layer, shape)
    if isinstance(layer, Activation):
        words = ACT_TEXT.get(layer.name, layer.name)
        return Row(name, rf"\text{{{words}}}", shape, 0, 0, field)
    if isinstance(layer, Dropout):
        return Row(name, rf"\text{{dropout }} p = {num(layer.p)}", shape, 0, 0, field)
    if isinstance(layer, LocalResponseNorm):
        return Row(name, r"\text{local response norm}", shape, 0, 0, field)
    raise AssertionError(f"no row for {layer!r}")  # pragma: no cover


def layer_names(layers: list[Layer]) -> list[str]:
    """conv1, pool1, bn1, relu1, …, fc1: each kind numbered on its own, as papers name them."""
    counts: dict[str, int] = {}
    names = []
    for layer in layers:
        stem: str
        if isinstance(layer, Activation):
            stem = layer.name
        else:
            stem = {"linear": "fc", "basic_block": "block", "adaptive_avg_pool": "avgpool"}.get(
                layer.type, layer.type
            )
        counts[stem] = counts.get(stem, 0) + 1
        names.append(f"{stem}{counts[stem]}")
    once = {stem for stem, n in counts.items() if n == 1 and stem in ("flatten", "avgpool")}
    return [n[:-1] if n[:-1] in once else n for n in names]


def walk(
    named: list[tuple[str, Layer]],
    input_shape: tuple[int, ...],
    rules: Rules = RIGHT,
    where: list[str] | None = None,
) -> list[Row]:
    """Every layer's row, in order, from the input; an impossible layer is a ProblemError naming
    `where[i]` (how the person wrote that layer) or else the layer's name."""
    shape = input_shape
    field: Field | None = Field((1, 1), (1, 1)) if len(shape) == 3 else None
    rows = []
    for i, (name, layer) in enumerate(named):
        try:
            row = layer_row(name, layer, shape, field, rules)
        except ProblemError as exc:
            if where is None:
                raise
            raise ProblemError(where[i], exc.message) from None
        rows.append(row)
        shape, field = row.shape, row.field
    return rows
