"""The torch side of `network.summary`'s reference: each layer as a real `torch.nn` module.

The conv, pool, BN, activation, dropout, flatten, linear and adaptive pooling layers are torch's
own modules; a basic block is torchvision's BasicBlock written out; LeNet-5's historical layers
are small modules built from torch's (a depthwise 1×1 conv after average pooling for the
trainable subsampling, one conv per map for C3, a buffer of fixed centres for the RBF output).
`torch_field` grows the receptive field from the modules' own kernel, stride and dilation.
This module defines no problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from engine.problems.network_specs import BasicBlock, BatchNorm, Conv, Layer, Pool

if TYPE_CHECKING:
    import torch
    from torch import nn


def layer_module(layer: Layer, shape: tuple[int, ...], device: torch.device) -> nn.Module:
    """The torch module of one layer, for an input of `shape` (without the batch)."""
    import torch
    from torch import nn

    kw: dict[str, Any] = {"device": device, "dtype": torch.float64}
    c = shape[0]
    if isinstance(layer, Conv):
        return nn.Conv2d(c, layer.out_channels, layer.kernel, stride=layer.stride,
                         padding=layer.padding, dilation=layer.dilation, groups=layer.groups,
                         bias=layer.bias, **kw)  # fmt: skip
    if isinstance(layer, Pool):
        cls = nn.MaxPool2d if layer.kind == "max" else nn.AvgPool2d
        return cls(layer.kernel, stride=layer.stride, padding=layer.padding,
                   ceil_mode=layer.ceil_mode)  # fmt: skip
    if isinstance(layer, BatchNorm):
        return (nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(c, **kw)
    if isinstance(layer, BasicBlock):
        return _BasicBlock(c, layer.out_channels, layer.stride, kw)
    kind = layer.type
    if kind == "act":
        return _activation(layer.name)  # type: ignore[union-attr]
    if kind == "dropout":
        return nn.Dropout(layer.p)  # type: ignore[union-attr]
    if kind == "flatten":
        return nn.Flatten()
    if kind == "linear":
        return nn.Linear(c, layer.out_features, bias=layer.bias, **kw)  # type: ignore[union-attr]
    if kind == "adaptive_avg_pool":
        return nn.AdaptiveAvgPool2d(layer.output)  # type: ignore[union-attr]
    if kind == "lrn":
        return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    if kind == "subsample":
        # the 2×2 sum times a coefficient plus a bias per map: average pooling, then a
        # depthwise 1×1 convolution (one weight and one bias per map)
        return nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(c, c, 1, groups=c, **kw))
    if kind == "partial_conv":
        return _PartialConv(layer.table, layer.kernel, kw)  # type: ignore[union-attr]
    if kind == "rbf":
        return _RBF(c, layer.out_features, kw)  # type: ignore[union-attr]
    raise AssertionError(f"no module for {layer!r}")  # pragma: no cover


def _activation(name: str) -> nn.Module:
    from torch import nn

    table: dict[str, Any] = {
        "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU,
        "elu": nn.ELU, "gelu": nn.GELU, "silu": nn.SiLU, "softplus": nn.Softplus,
    }  # fmt: skip
    if name == "gelu_tanh":
        return nn.GELU(approximate="tanh")
    module: nn.Module = table[name]()
    return module


def _BasicBlock(c_in: int, c_out: int, stride: int, kw: dict[str, Any]) -> nn.Module:  # noqa: N802
    import torch
    from torch import nn

    class BasicBlockModule(nn.Module):
        """torchvision's BasicBlock: conv3×3(s)-BN-ReLU-conv3×3-BN, plus the shortcut, ReLU."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False, **kw)
            self.bn1 = nn.BatchNorm2d(c_out, **kw)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False, **kw)
            self.bn2 = nn.BatchNorm2d(c_out, **kw)
            self.downsample: nn.Module | None = None
            if stride != 1 or c_in != c_out:
                self.downsample = nn.Sequential(
                    nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False, **kw),
                    nn.BatchNorm2d(c_out, **kw),
                )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            identity = x if self.downsample is None else self.downsample(x)
            return torch.relu(out + identity)

    return BasicBlockModule()


def _PartialConv(table: tuple[tuple[int, ...], ...], k: int, kw: dict[str, Any]) -> nn.Module:  # noqa: N802
    import torch
    from torch import nn

    class PartialConvModule(nn.Module):
        """LeNet-5's C3: one small convolution per output map, over the maps its row lists."""

        def __init__(self) -> None:
            super().__init__()
            self.maps = nn.ModuleList(nn.Conv2d(len(ins), 1, k, **kw) for ins in table)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([conv(x[:, list(ins)]) for ins, conv in zip(table, self.maps)], 1)

    return PartialConvModule()


def _RBF(n_in: int, n_out: int, kw: dict[str, Any]) -> nn.Module:  # noqa: N802
    import torch
    from torch import nn

    class EuclideanRBF(nn.Module):
        """y_i = Σ_j (x_j − w_ij)², the centres w a fixed buffer (not trained)."""

        centres: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("centres", torch.ones(n_out, n_in, **kw))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return ((x[:, None, :] - self.centres) ** 2).sum(-1)

    return EuclideanRBF()


def torch_field(
    module: nn.Module, field: tuple[list[int], list[int]] | None
) -> tuple[list[int], list[int]] | None:
    """Grow (r, j) per axis by the windows the module slides, read from its own settings."""
    from torch import nn

    if field is None:
        return None
    if isinstance(module, nn.AdaptiveAvgPool2d | nn.Flatten | nn.Linear) or hasattr(
        module, "centres"
    ):
        return None
    windows: list[nn.Module] = []
    if isinstance(module, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
        windows = [module]
    elif hasattr(module, "downsample"):  # a basic block: the main path is the longer one
        windows = [cast("nn.Module", module.conv1), cast("nn.Module", module.conv2)]
    elif hasattr(module, "maps"):  # the partial conv: its maps are side by side
        windows = [cast("nn.ModuleList", module.maps)[0]]
    elif isinstance(module, nn.Sequential):
        for child in module:
            field = torch_field(child, field)
        return field
    r, j = list(field[0]), list(field[1])
    for window in windows:
        k = _two(window.kernel_size)
        s = _two(window.stride)
        d = _two(getattr(window, "dilation", 1))
        for axis in range(2):
            r[axis] += d[axis] * (k[axis] - 1) * j[axis]
            j[axis] *= s[axis]
    return r, j


def _two(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))
