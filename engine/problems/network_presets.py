"""The classic networks `network.summary` knows by name: LeNet-5, AlexNet, VGG-11/16, ResNet-18.

Each preset is a list of named layers (the objects of `network_layers`) and its own input shape.
LeNet-5 and AlexNet come in the variants of `params.network` (the layers' parameter counts agree
with it); VGG and ResNet-18 are torchvision's `vgg11()`, `vgg16()` and `resnet18()`, whose
published parameter counts the tests hold them to.
"""

from __future__ import annotations

from typing import Any

from engine.problems.counts import ARCHITECTURE, C3_TABLE, VARIANTS
from engine.problems.network_specs import Layer, read_layer
from engine.problems.network_specs import PartialConv as PartialConvLayer

PRESETS = ("lenet5", "alexnet", "vgg11", "vgg16", "resnet18")
DEFAULT_VARIANT = {"lenet5": "original", "alexnet": "original"}

# torchvision's VGG configurations: numbers are 3×3 convolutions (padding 1), M is 2×2 pooling
VGG = {
    "vgg11": "64 M 128 M 256 256 M 512 512 M 512 512 M".split(),
    "vgg16": "64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M".split(),
}

DESCRIPTION = {
    "vgg11": (
        "VGG-11 (Simonyan & Zisserman 2015, configuration A) as torchvision's vgg11(): 3×3 "
        "convolutions with padding 1, each followed by ReLU, in 5 stages ended by 2×2 max "
        "pooling; adaptive average pooling to 7×7; fully connected 25088 → 4096 → 4096 → 1000 "
        "with ReLU and dropout."
    ),
    "vgg16": (
        "VGG-16 (Simonyan & Zisserman 2015, configuration D) as torchvision's vgg16(): 13 3×3 "
        "convolutions with padding 1, each followed by ReLU, in 5 stages of 2, 2, 3, 3 and 3 "
        "ended by 2×2 max pooling; adaptive average pooling to 7×7; fully connected 25088 → "
        "4096 → 4096 → 1000 with ReLU and dropout."
    ),
    "resnet18": (
        "ResNet-18 (He et al. 2016) as torchvision's resnet18(): a 7×7 stride-2 convolution "
        "without bias, BN, ReLU and 3×3 stride-2 max pooling, then 4 stages of 2 basic blocks "
        "(64, 128, 256, 512 channels; the first block of stages 2–4 halves the size with "
        "stride 2 and has a 1×1 convolution + BN shortcut), global average pooling and a "
        "fully connected layer 512 → 1000."
    ),
}


def _layer(raw: dict[str, Any]) -> Layer:
    return read_layer(raw, "preset")


def conv(out: int, k: int, s: int = 1, p: int = 0, g: int = 1, bias: bool = True) -> Layer:
    raw = {"type": "conv", "out_channels": out, "kernel": k, "stride": s, "padding": p}
    return _layer(raw | {"groups": g, "bias": bias})


def pool(k: int, s: int, p: int = 0, kind: str = "max") -> Layer:
    return _layer({"type": "pool", "kind": kind, "kernel": k, "stride": s, "padding": p})


def simple(kind: str, **settings: Any) -> Layer:
    return _layer({"type": kind, **settings})


RELU = {"type": "act", "name": "relu"}


def _relu() -> Layer:
    return _layer(RELU)


def _lrn() -> Layer:
    from engine.problems.network_specs import LocalResponseNorm

    return LocalResponseNorm(type="lrn")


def lenet5(variant: str) -> list[tuple[str, Layer]]:
    if variant == "modern":
        return [
            ("conv1", conv(6, 5)),
            ("relu1", _relu()),
            ("pool1", pool(2, 2, kind="avg")),
            ("conv2", conv(16, 5)),
            ("relu2", _relu()),
            ("pool2", pool(2, 2, kind="avg")),
            ("flatten", simple("flatten")),
            ("fc1", simple("linear", out_features=120)),
            ("relu3", _relu()),
            ("fc2", simple("linear", out_features=84)),
            ("relu4", _relu()),
            ("fc3", simple("linear", out_features=10)),
        ]
    from engine.problems.network_specs import EuclideanRBF, Subsampling

    tanh = {"type": "act", "name": "tanh"}
    return [
        ("C1", conv(6, 5)),
        ("tanh1", _layer(tanh)),
        ("S2", Subsampling(type="subsample")),
        ("tanh2", _layer(tanh)),
        ("C3", PartialConvLayer(type="partial_conv", kernel=5, table=C3_TABLE)),
        ("tanh3", _layer(tanh)),
        ("S4", Subsampling(type="subsample")),
        ("tanh4", _layer(tanh)),
        ("C5", conv(120, 5)),
        ("tanh5", _layer(tanh)),
        ("flatten", simple("flatten")),
        ("F6", simple("linear", out_features=84)),
        ("tanh6", _layer(tanh)),
        ("OUTPUT", EuclideanRBF(type="rbf", out_features=10)),
    ]


def _alexnet_head(n: int) -> list[tuple[str, Layer]]:
    return [
        ("flatten", simple("flatten")),
        ("drop6", simple("dropout")),
        (f"fc{n}", simple("linear", out_features=4096)),
        (f"relu{n}", _relu()),
        ("drop7", simple("dropout")),
        (f"fc{n + 1}", simple("linear", out_features=4096)),
        (f"relu{n + 1}", _relu()),
        (f"fc{n + 2}", simple("linear", out_features=1000)),
    ]


def alexnet(variant: str) -> list[tuple[str, Layer]]:
    if variant == "torchvision":
        return [
            ("conv1", conv(64, 11, s=4, p=2)),
            ("relu1", _relu()),
            ("pool1", pool(3, 2)),
            ("conv2", conv(192, 5, p=2)),
            ("relu2", _relu()),
            ("pool2", pool(3, 2)),
            ("conv3", conv(384, 3, p=1)),
            ("relu3", _relu()),
            ("conv4", conv(256, 3, p=1)),
            ("relu4", _relu()),
            ("conv5", conv(256, 3, p=1)),
            ("relu5", _relu()),
            ("pool5", pool(3, 2)),
            ("avgpool", simple("adaptive_avg_pool", output=6)),
            *_alexnet_head(6),
        ]
    g = 2 if variant == "original" else 1
    return [
        ("conv1", conv(96, 11, s=4)),
        ("relu1", _relu()),
        ("norm1", _lrn()),
        ("pool1", pool(3, 2)),
        ("conv2", conv(256, 5, p=2, g=g)),
        ("relu2", _relu()),
        ("norm2", _lrn()),
        ("pool2", pool(3, 2)),
        ("conv3", conv(384, 3, p=1)),
        ("relu3", _relu()),
        ("conv4", conv(384, 3, p=1, g=g)),
        ("relu4", _relu()),
        ("conv5", conv(256, 3, p=1, g=g)),
        ("relu5", _relu()),
        ("pool5", pool(3, 2)),
        *_alexnet_head(6),
    ]


def vgg(name: str) -> list[tuple[str, Layer]]:
    out: list[tuple[str, Layer]] = []
    stage, index = 1, 1
    for item in VGG[name]:
        if item == "M":
            out.append((f"pool{stage}", pool(2, 2)))
            stage, index = stage + 1, 1
            continue
        out.append((f"conv{stage}_{index}", conv(int(item), 3, p=1)))
        out.append((f"relu{stage}_{index}", _relu()))
        index += 1
    out.append(("avgpool", simple("adaptive_avg_pool", output=7)))
    out.append(("flatten", simple("flatten")))
    for n, width in ((1, 4096), (2, 4096)):
        out.append((f"fc{n}", simple("linear", out_features=width)))
        out.append((f"relu_fc{n}", _relu()))
        out.append((f"drop{n}", simple("dropout")))
    out.append(("fc3", simple("linear", out_features=1000)))
    return out


def resnet18() -> list[tuple[str, Layer]]:
    out: list[tuple[str, Layer]] = [
        ("conv1", conv(64, 7, s=2, p=3, bias=False)),
        ("bn1", simple("bn")),
        ("relu", _relu()),
        ("maxpool", pool(3, 2, p=1)),
    ]
    for stage, width in enumerate((64, 128, 256, 512), start=1):
        stride = 1 if stage == 1 else 2
        out.append((f"layer{stage}.0", simple("basic_block", out_channels=width, stride=stride)))
        out.append((f"layer{stage}.1", simple("basic_block", out_channels=width)))
    out.append(("avgpool", simple("adaptive_avg_pool", output=1)))
    out.append(("flatten", simple("flatten")))
    out.append(("fc", simple("linear", out_features=1000)))
    return out


def preset_layers(name: str, variant: str | None) -> list[tuple[str, Layer]]:
    if name == "lenet5":
        return lenet5(variant or DEFAULT_VARIANT[name])
    if name == "alexnet":
        return alexnet(variant or DEFAULT_VARIANT[name])
    if name == "resnet18":
        return resnet18()
    return vgg(name)


def preset_input(name: str, variant: str | None) -> list[int]:
    if name == "lenet5":
        return [1, 32, 32]
    if name == "alexnet" and (variant or DEFAULT_VARIANT[name]) != "torchvision":
        return [3, 227, 227]
    return [3, 224, 224]


def preset_description(name: str, variant: str | None) -> str:
    if name in VARIANTS:
        return ARCHITECTURE[(name, variant or DEFAULT_VARIANT[name])]
    return DESCRIPTION[name]
