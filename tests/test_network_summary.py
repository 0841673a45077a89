"""`network.summary` against real torch modules built here, the presets against the published
counts, the compact layer form and its errors, and the misconception rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from engine.errors import ProblemError
from engine.registry import get_problem
from engine.solve import solve
from tests.conftest import requires_cuda


def answer(**params: Any) -> Any:
    return solve("network.summary", params, verify=False).answer


def wrong_answers(**params: Any) -> dict[str, Any]:
    problem = get_problem("network.summary")
    return {m.tag: w.answer for m, w in problem.wrong_answers(problem.parse_params(params))}


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# --- random stacks against torch -------------------------------------------------------------


@st.composite
def stacks(draw: st.DrawFn) -> tuple[list[int], list[dict[str, Any]]]:
    """An input and a stack of conv/pool/bn/act/basic-block layers, maybe with a linear head.

    Some stacks do not fit their input (a kernel larger than the map): then both the engine
    and torch must refuse them."""
    c0 = draw(st.integers(1, 4))
    side = draw(st.integers(6, 24))
    c = c0
    layers: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "conv", "pool", "bn", "act", "block"]))
        if kind == "conv":
            k = draw(st.sampled_from([1, 2, 3, 5]))
            same = k % 2 == 1 and draw(st.booleans())
            groups = draw(st.sampled_from([1, 2])) if c % 2 == 0 else 1
            out = draw(st.integers(1, 4)) * groups
            layers.append({
                "type": "conv", "out_channels": out, "kernel": k,
                "stride": 1 if same else draw(st.integers(1, 2)),
                "padding": "same" if same else draw(st.integers(0, 2)),
                "dilation": draw(st.integers(1, 2)), "groups": groups, "bias": draw(st.booleans()),
            })  # fmt: skip
            c = out
        elif kind == "pool":
            k = draw(st.integers(2, 3))
            layers.append({"type": "pool", "kind": draw(st.sampled_from(["max", "avg"])),
                           "kernel": k, "stride": draw(st.integers(1, 3)),
                           "padding": draw(st.integers(0, k // 2)),
                           "ceil_mode": draw(st.booleans())})  # fmt: skip
        elif kind == "bn":
            layers.append({"type": "bn"})
        elif kind == "act":
            name = draw(st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "gelu"]))
            layers.append({"type": "act", "name": name})
        else:
            c = draw(st.integers(1, 6))
            layers.append({"type": "basic_block", "out_channels": c,
                           "stride": draw(st.integers(1, 2))})  # fmt: skip
    if draw(st.booleans()):
        layers += [{"type": "flatten"}, {"type": "linear", "out_features": draw(st.integers(1, 9)),
                                          "bias": draw(st.booleans())}]  # fmt: skip
    return [c0, side, side], layers


class Block(nn.Module):
    """torchvision's BasicBlock, written here from the ResNet paper for the test."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False, dtype=torch.float64)
        self.bn1 = nn.BatchNorm2d(c_out, dtype=torch.float64)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False, dtype=torch.float64)
        self.bn2 = nn.BatchNorm2d(c_out, dtype=torch.float64)
        self.short: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.short = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False, dtype=torch.float64),
                nn.BatchNorm2d(c_out, dtype=torch.float64),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + self.short(x))


def torch_layer(layer: dict[str, Any], c: int, flat: bool) -> nn.Module:
    f64 = {"dtype": torch.float64}
    kind = layer["type"]
    if kind == "conv":
        return nn.Conv2d(c, layer["out_channels"], layer["kernel"], layer["stride"],
                         layer["padding"], layer["dilation"], layer["groups"], layer["bias"],
                         **f64)  # fmt: skip
    if kind == "pool":
        cls = nn.MaxPool2d if layer["kind"] == "max" else nn.AvgPool2d
        return cls(layer["kernel"], layer["stride"], layer["padding"], ceil_mode=layer["ceil_mode"])
    if kind == "bn":
        return nn.BatchNorm1d(c, **f64) if flat else nn.BatchNorm2d(c, **f64)
    if kind == "act":
        return {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(),
                "leaky_relu": nn.LeakyReLU(), "gelu": nn.GELU()}[layer["name"]]  # fmt: skip
    if kind == "basic_block":
        return Block(c, layer["out_channels"], layer["stride"])
    if kind == "flatten":
        return nn.Flatten()
    return nn.Linear(c, layer["out_features"], bias=layer["bias"], **f64)


def run_torch(layers: list[dict[str, Any]], shape: list[int]) -> list[dict[str, Any]]:
    """Each layer built as a torch module and run: output shape, numel, and MACs counted by
    hooks (a conv's weight count times its output positions, a linear layer's weight count)."""
    x = torch.zeros(1, *shape, dtype=torch.float64)
    rows = []
    for layer in layers:
        module = torch_layer(layer, x.shape[1], x.dim() == 2).eval()
        macs = [0]

        def count(m: nn.Module, _: Any, out: torch.Tensor, macs: list[int] = macs) -> None:
            positions = out.shape[-1] * out.shape[-2] if isinstance(m, nn.Conv2d) else 1
            macs[0] += m.weight.numel() * positions  # type: ignore[operator]

        for sub in module.modules():
            if isinstance(sub, nn.Conv2d | nn.Linear):
                sub.register_forward_hook(count)
        with torch.no_grad():
            x = module(x)
        rows.append({"output_shape": list(x.shape[1:]), "params": numel(module), "macs": macs[0]})
    return rows


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_random_stacks_match_real_modules(stack: tuple[list[int], list[dict[str, Any]]]) -> None:
    shape, layers = stack
    try:
        got = answer(input=shape, layers=layers)
    except ProblemError:
        with pytest.raises(RuntimeError):  # torch refuses the stack too
            run_torch(layers, shape)
        return
    theirs = run_torch(layers, shape)
    mine = [{k: row[k] for k in ("output_shape", "params", "macs")} for row in got["layers"]]
    assert mine == theirs
    assert got["output_shape"] == theirs[-1]["output_shape"]
    assert got["total_params"] == sum(r["params"] for r in theirs)
    assert got["total_macs"] == sum(r["macs"] for r in theirs)


# --- receptive field by gradients ------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["conv", "pool"]), st.integers(1, 4), st.integers(1, 3),
                  st.integers(1, 2)),
        min_size=1,
        max_size=4,
    )
)  # fmt: skip
def test_receptive_field_is_the_reach_of_one_outputs_gradient(
    spec: list[tuple[str, int, int, int]],
) -> None:
    """All-ones conv kernels and average pooling: an output's gradient is positive exactly on
    the input pixels it sees. The input is wide enough for the middle output to see them all."""
    layers: list[dict[str, Any]] = []
    for kind, k, s, d in spec:
        if kind == "conv":
            layers.append({"type": "conv", "out_channels": 1, "kernel": k, "stride": s,
                           "dilation": d, "bias": False})  # fmt: skip
        else:
            layers.append({"type": "pool", "kind": "avg", "kernel": max(k, 2), "stride": s,
                           "padding": 0})  # fmt: skip
    side = 4 * 200 + 1
    got = answer(input=[1, side, side], layers=layers)
    x = torch.ones(1, 1, side, side, dtype=torch.float64, requires_grad=True)
    y = x
    for layer in layers:
        module = torch_layer({"groups": 1, "padding": 0, "ceil_mode": False, **layer}, 1, False)
        if isinstance(module, nn.Conv2d):
            nn.init.ones_(module.weight)
        y = module(y)
    middle = y.shape[-1] // 2
    (grad,) = torch.autograd.grad(y[0, 0, middle, middle], x)
    rows = torch.nonzero(grad[0, 0].sum(1)).flatten()
    assert got["layers"][-1]["receptive_field"] == int(rows.max() - rows.min() + 1)


# --- presets ---------------------------------------------------------------------------------

# torchvision's published parameter counts and GMACs (its model documentation, which calls the
# multiply-accumulates "GFLOPS")
PUBLISHED = {
    ("vgg11", None): (132_863_336, 7.61e9),
    ("vgg16", None): (138_357_544, 15.47e9),
    ("resnet18", None): (11_689_512, 1.81e9),
    ("alexnet", "torchvision"): (61_100_840, 0.71e9),
}


@pytest.mark.parametrize(("preset", "variant"), list(PUBLISHED))
def test_presets_reproduce_torchvisions_published_counts(preset: str, variant: str | None) -> None:
    params: dict[str, Any] = {"preset": preset} | ({"variant": variant} if variant else {})
    got = answer(**params)
    total, macs = PUBLISHED[(preset, variant)]
    assert got["total_params"] == total
    assert got["total_macs"] == pytest.approx(macs, abs=0.005e9)  # published to 2 decimals
    assert got["output_shape"] == [1000]


def test_vgg16_built_here_on_the_meta_device_agrees() -> None:
    """VGG-16 from its configuration D, as torch modules without storage."""
    meta = {"device": "meta", "dtype": torch.float64}
    modules: list[nn.Module] = []
    c = 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"]:  # fmt: skip
        if v == "M":
            modules.append(nn.MaxPool2d(2))
        else:
            modules += [nn.Conv2d(c, int(v), 3, padding=1, **meta), nn.ReLU()]
            c = int(v)
    modules += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(25088, 4096, **meta),
                nn.Linear(4096, 4096, **meta), nn.Linear(4096, 1000, **meta)]  # fmt: skip
    net = nn.Sequential(*modules)
    y = net(torch.zeros(1, 3, 224, 224, **meta))
    got = answer(preset="vgg16")
    assert got["total_params"] == numel(net)
    assert got["output_shape"] == list(y.shape[1:])
    assert got["layers"][0]["output_shape"] == [64, 224, 224]


@pytest.mark.parametrize(
    ("name", "variant"),
    [("lenet5", "original"), ("lenet5", "modern"), ("alexnet", "original"),
     ("alexnet", "ungrouped"), ("alexnet", "torchvision")],
)  # fmt: skip
def test_lenet_and_alexnet_presets_agree_with_params_network(name: str, variant: str) -> None:
    summary = answer(preset=name, variant=variant)
    counts = solve("params.network", {"name": name, "variant": variant}).answer
    assert summary["total_params"] == counts["total"]


def test_lenet5_original_has_the_papers_60000_parameters() -> None:
    got = answer(preset="lenet5")
    assert got["total_params"] == 60_000
    assert got["output_shape"] == [10]


def test_presets_are_checked_against_torch() -> None:
    for preset in ("lenet5", "resnet18"):
        verified = solve("network.summary", {"preset": preset}).verified
        assert verified is not None and verified.max_abs_diff == 0


# --- the compact form ------------------------------------------------------------------------

ALEX_COMPACT = (
    "conv(96,11,s=4) relu pool(3,s=2) conv(256,5,p=2) relu pool(3,s=2) conv(384,3,p=1) relu "
    "conv(384,3,p=1) relu conv(256,3,p=1) relu pool(3,s=2) flatten dropout linear(4096) relu "
    "dropout fc(4096) relu linear(1000)"
)


def test_compact_form_is_the_same_network_as_json() -> None:
    as_json = [
        {"type": "conv", "out_channels": 6, "kernel": 5, "padding": "same"},
        {"type": "bn"},
        {"type": "act", "name": "tanh"},
        {"type": "pool", "kind": "avg", "kernel": 2, "ceil_mode": True},
        {"type": "conv", "out_channels": 8, "kernel": [3, 5], "stride": 2, "groups": 2,
         "bias": False},
        {"type": "basic_block", "out_channels": 16, "stride": 2},
        {"type": "adaptive_avg_pool", "output": 1},
        {"type": "flatten"},
        {"type": "dropout", "p": 0.25},
        {"type": "linear", "out_features": 10, "bias": False},
    ]  # fmt: skip
    compact = (
        "conv(6,5,p=same) bn tanh avgpool(2,ceil=true) conv(8,3x5,s=2,g=2,bias=false) "
        "block(16,s=2) gap(1) flatten dropout(0.25) linear(10,bias=false)"
    )
    assert answer(input=[2, 28, 28], layers=compact) == answer(input=[2, 28, 28], layers=as_json)
    assert answer(input="2x28x28", layers=compact) == answer(input=[2, 28, 28], layers=compact)


def test_alexnet_typed_compactly_matches_the_ungrouped_preset(cli: Any) -> None:
    out = cli("solve", "network.summary", "input=3x227x227", f"layers={ALEX_COMPACT}", "--json")
    assert out.returncode == 0, out.stderr
    typed = json.loads(out.stdout)["answer"]
    built = nn.Sequential(
        nn.Conv2d(3, 96, 11, 4), nn.MaxPool2d(3, 2), nn.Conv2d(96, 256, 5, padding=2),
        nn.MaxPool2d(3, 2), nn.Conv2d(256, 384, 3, padding=1), nn.Conv2d(384, 384, 3, padding=1),
        nn.Conv2d(384, 256, 3, padding=1), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(9216, 4096), nn.Linear(4096, 4096), nn.Linear(4096, 1000),
    ).to("meta")  # fmt: skip
    assert typed["total_params"] == numel(built)
    assert typed["layers"][0]["output_shape"] == [96, 55, 55]


@pytest.mark.parametrize(
    ("layers", "says"),
    [
        ("conv(96,11,s=4) pol(3,s=2)", "layer 2, pol(3,s=2): unknown layer 'pol'"),
        ("conv(96,,4)", "layer 1, conv(96,,4)"),
        ("conv(96,11 relu", "layer 1"),
        ("conv(96,11,q=2)", "unknown key 'q'"),
        ("conv(96,11,s=4,64)", "numbers without a name go before"),
        ("relu(3)", "relu takes no arguments"),
        ("conv(8,4,p=same)", '"same" padding needs stride 1 and an odd kernel'),
        ("conv(8,3) linear(10)", "layer 2, linear(10): a linear layer needs a flat input"),
        ("conv(8,40)", "layer 1, conv(8,40): the 40×40 window is larger than the padded"),
        ("conv(8,3,g=3)", "groups=3 must divide"),
        ("pool(2,p=2)", "at most half the kernel"),
        ("", "is empty"),
    ],
)
def test_compact_errors_are_one_line_naming_the_layer(cli: Any, layers: str, says: str) -> None:
    out = cli("solve", "network.summary", "input=[3,32,32]", f"layers={layers}")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert says in out.stderr


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"preset": "vgg19"}, "preset"),
        ({"preset": "vgg16", "variant": "original"}, "vgg16 has no variants"),
        ({"preset": "alexnet", "variant": "modern"}, "alexnet comes as"),
        ({"layers": [{"type": "conv", "out_channels": 4, "kernel": 3}]}, "input"),
        ({"input": [3, 8, 8], "layers": [{"type": "conv", "kernel": 3}]}, "needs out_channels"),
        ({"input": [3, 8, 8], "layers": [{"type": "conv2d"}]}, "unknown layer type 'conv2d'"),
        ({"input": [3, 8, 8], "layers": [{"type": "bn", "eps": 1}]}, "unknown key 'eps'"),
        ({"input": [8], "layers": [{"type": "conv", "out_channels": 2, "kernel": 1}]},
         "needs a C×H×W feature map"),
        ({"input": [3, 8], "layers": [{"type": "bn"}]}, "input"),
        ({"preset": "vgg16", "layers": [{"type": "bn"}]}, "not both"),
    ],
)  # fmt: skip
def test_bad_calls_are_problem_errors(params: dict[str, Any], says: str) -> None:
    with pytest.raises(ProblemError) as err:
        answer(**params)
    assert says in str(err.value)
    assert "\n" not in str(err.value)


def test_a_fully_connected_net_has_no_receptive_field() -> None:
    got = answer(input=[4], layers="linear(3) bn sigmoid linear(2)")
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    assert got["total_params"] == numel(net)
    assert all(row["receptive_field"] is None for row in got["layers"])


# --- misconceptions --------------------------------------------------------------------------


def test_forgot_bias_counts_the_same_modules_without_bias() -> None:
    wrong = wrong_answers(input=[3, 32, 32], layers="conv(6,5) relu flatten linear(10)")
    built = nn.Sequential(nn.Conv2d(3, 6, 5, bias=False), nn.Linear(6 * 28 * 28, 10, bias=False))
    assert wrong["forgot_bias"]["total_params"] == numel(built)


def test_bn_running_statistics_counted_as_parameters() -> None:
    wrong = wrong_answers(input=[3, 16, 16], layers="conv(8,3,bias=false) bn relu")
    bn = nn.BatchNorm2d(8)
    running = bn.running_mean.numel() + bn.running_var.numel()  # type: ignore[union-attr]
    assert wrong["bn_running_stats"]["total_params"] == 3 * 3 * 3 * 8 + numel(bn) + running


def test_same_padding_taken_as_none_and_pooling_rounded_the_other_way() -> None:
    wrong = wrong_answers(input=[1, 15, 15], layers="conv(4,5,p=same) pool(2)")
    unpadded = nn.Sequential(nn.Conv2d(1, 4, 5), nn.MaxPool2d(2, ceil_mode=False))
    assert wrong["same_padding"]["output_shape"] == list(
        unpadded(torch.zeros(1, 1, 15, 15)).shape[1:]
    )
    ceil = nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.MaxPool2d(2, ceil_mode=True))
    assert wrong["ceil_floor"]["output_shape"] == list(ceil(torch.zeros(1, 1, 15, 15)).shape[1:])


def test_flops_for_macs_and_one_position_only() -> None:
    right = answer(input=[3, 8, 8], layers="conv(4,3)")
    wrong = wrong_answers(input=[3, 8, 8], layers="conv(4,3)")
    assert wrong["gave_flops"]["total_macs"] == 2 * right["total_macs"]
    assert wrong["macs_one_position"]["total_macs"] == 4 * 3 * 3 * 3
    assert "same_padding" not in wrong and "bn_running_stats" not in wrong


def test_missing_shortcut_only_where_a_block_has_one() -> None:
    assert "missing_shortcut" not in wrong_answers(input=[8, 8, 8], layers="block(8)")
    wrong = wrong_answers(input=[8, 8, 8], layers="block(16,s=2)")
    short = nn.Sequential(nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16))
    right = answer(input=[8, 8, 8], layers="block(16,s=2)")
    assert wrong["missing_shortcut"]["total_params"] == right["total_params"] - numel(short)


def test_forgot_only_the_linear_bias_and_ignored_groups() -> None:
    layers = "conv(8,3,g=2) relu flatten linear(5)"
    wrong = wrong_answers(input=[4, 6, 6], layers=layers)
    no_fc_bias = nn.Sequential(nn.Conv2d(4, 8, 3, groups=2), nn.Linear(8 * 4 * 4, 5, bias=False))
    assert wrong["forgot_linear_bias"]["total_params"] == numel(no_fc_bias)
    ungrouped = nn.Sequential(nn.Conv2d(4, 8, 3), nn.Linear(8 * 4 * 4, 5))
    assert wrong["ignored_groups"]["total_params"] == numel(ungrouped)
    # AlexNet as published: ignoring its two GPU groups gives the one-device count
    original = wrong_answers(preset="alexnet", variant="original")
    assert (
        original["ignored_groups"]["total_params"]
        == answer(preset="alexnet", variant="ungrouped")["total_params"]
    )


@requires_cuda
def test_cuda_reference_agrees() -> None:
    """Small networks run their reference on the GPU (large ones on the meta device)."""
    for params in (
        {
            "input": [3, 32, 32],
            "layers": "conv(8,3,p=same) bn relu block(16,s=2) gap flatten fc(10)",
        },
        {"preset": "lenet5"},
    ):
        on_gpu = solve("network.summary", params, device="cuda")
        assert on_gpu.verified is not None and on_gpu.verified.device == "cuda:0"
        assert on_gpu.verified.max_abs_diff == 0
        assert on_gpu.answer == solve("network.summary", params, device="cpu").answer
