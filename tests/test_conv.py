"""The CNN problems besides conv2d.output_size, each against torch computed here in the test.

Sizes are compared with the shapes torch really produces (and a call torch refuses must be
refused by the engine too); counts with `nn.Conv2d` and torch's FLOP counter; forward passes with
`F.conv2d`, `F.max_pool2d` and `F.avg_pool2d`; receptive fields with the gradient of one output
pixel of a real stack of convolutions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from engine.errors import ProblemError
from engine.registry import get_problem
from engine.solve import solve
from engine.trace import Trace
from engine.values import max_abs_diff, to_json
from tests.conftest import requires_cuda

CONV_PROBLEMS = (
    "pool2d.output_size",
    "convtranspose2d.output_size",
    "conv2d.params",
    "conv2d.macs",
    "conv2d.forward",
    "pool2d.forward",
    "receptive_field",
)
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def answer(problem_id: str, **params: Any) -> Any:
    """The engine's answer, verified against its own torch reference as `revise solve` does."""
    return solve(problem_id, params).answer


def engine_only(problem_id: str, **params: Any) -> Any:
    """The engine's answer alone, for comparison with torch computed in the test."""
    return solve(problem_id, params, verify=False).answer


def t64(values: Any) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def close(ours: Any, theirs: Any) -> bool:
    return max_abs_diff(to_json(ours), to_json(theirs)) <= 1e-9


# --- pool2d.output_size ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    n=st.tuples(st.integers(1, 30), st.integers(1, 30)),
    k=st.integers(1, 6),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
    ceil_mode=st.booleans(),
)
def test_pool_output_size_is_the_shape_torch_produces(
    n: tuple[int, int], k: int, s: int, p: int, d: int, ceil_mode: bool
) -> None:
    params = {"size": list(n), "kernel": k, "stride": s, "padding": p, "dilation": d}
    params["ceil_mode"] = ceil_mode
    pool = nn.MaxPool2d(k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode)
    try:
        expected = list(pool(torch.zeros(1, 1, *n, dtype=torch.float64)).shape[-2:])
    except RuntimeError:
        # torch refuses this setting (padding over half the kernel, no window fits): so must we
        with pytest.raises(ProblemError):
            engine_only("pool2d.output_size", **params)
        return
    assert engine_only("pool2d.output_size", **params) == expected


@PROPERTY
@given(
    n=st.integers(1, 12),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    ceil_mode=st.booleans(),
    kind=st.sampled_from(["max", "avg"]),
)
def test_pool_output_size_default_stride_is_the_kernel(
    n: int, k: int, s: int, ceil_mode: bool, kind: str
) -> None:
    assume(k <= n)
    pool = (
        nn.MaxPool2d(k, ceil_mode=ceil_mode)
        if kind == "max"
        else nn.AvgPool2d(k, ceil_mode=ceil_mode)
    )
    expected = pool(torch.zeros(1, 1, n, n, dtype=torch.float64)).shape[-1]
    solution = solve("pool2d.output_size", {"size": n, "kernel": k, "ceil_mode": ceil_mode})
    assert solution.answer == expected
    assert solution.params["stride"] == k  # the default is filled in for the reader


def test_pool_ceil_mode_drops_a_window_starting_in_the_right_padding() -> None:
    # n = 5, k = 2, s = 2, p = 1: ⌈(7 − 2)/2⌉ + 1 = 4 windows, but the 4th would start at
    # padded position 6 ≥ n + p = 6, i.e. entirely in the right padding, so torch keeps 3
    x = torch.zeros(1, 1, 5, 5, dtype=torch.float64)
    assert F.max_pool2d(x, 2, padding=1, ceil_mode=True).shape[-1] == 3
    solution = solve(
        "pool2d.output_size", {"size": 5, "kernel": 2, "padding": 1, "ceil_mode": True}
    )
    assert solution.answer == 3
    assert any("dropped" in step.title for step in solution.steps)


# --- convtranspose2d.output_size --------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    n=st.tuples(st.integers(1, 20), st.integers(1, 20)),
    k=st.integers(1, 6),
    s=st.integers(1, 4),
    p=st.integers(0, 4),
    op=st.integers(0, 3),
    d=st.integers(1, 3),
)
def test_transposed_output_size_is_the_shape_torch_produces(
    n: tuple[int, int], k: int, s: int, p: int, op: int, d: int
) -> None:
    params = {"size": list(n), "kernel": k, "stride": s, "padding": p, "output_padding": op}
    params["dilation"] = d
    layer = nn.ConvTranspose2d(
        1, 1, k, stride=s, padding=p, output_padding=op, dilation=d, dtype=torch.float64
    )
    try:
        expected = list(layer(torch.zeros(1, 1, *n, dtype=torch.float64)).shape[-2:])
    except (RuntimeError, ValueError):
        with pytest.raises(ProblemError):
            engine_only("convtranspose2d.output_size", **params)
        return
    assert engine_only("convtranspose2d.output_size", **params) == expected


def test_transposed_conv_undoes_the_forward_size() -> None:
    # the decoder half of an encoder: 4 → conv(k3, s2, p1) → 2 → transposed(k3, s2, p1, op1) → 4
    assert answer("conv2d.output_size", size=4, kernel=3, stride=2, padding=1) == 2
    assert (
        answer(
            "convtranspose2d.output_size",
            size=2,
            kernel=3,
            stride=2,
            padding=1,
            output_padding=1,
        )
        == 4
    )
    assert answer("convtranspose2d.output_size", size=[3, 5], kernel=[2, 4], stride=2) == [6, 12]


# --- conv2d.params ----------------------------------------------------------------------------


@PROPERTY
@given(
    cin=st.integers(1, 64),
    cout=st.integers(1, 64),
    kernel=st.one_of(st.integers(1, 7), st.tuples(st.integers(1, 7), st.integers(1, 7))),
    groups=st.integers(1, 8),
    bias=st.booleans(),
)
def test_params_count_equals_torch_numel(
    cin: int, cout: int, kernel: Any, groups: int, bias: bool
) -> None:
    params = {"in_channels": cin, "out_channels": cout, "groups": groups, "bias": bias}
    params["kernel"] = list(kernel) if isinstance(kernel, tuple) else kernel
    try:
        layer = nn.Conv2d(cin, cout, kernel, groups=groups, bias=bias)
    except ValueError:  # groups must divide both channel counts
        with pytest.raises(ProblemError, match="groups"):
            engine_only("conv2d.params", **params)
        return
    assert engine_only("conv2d.params", **params) == sum(t.numel() for t in layer.parameters())


def test_params_of_well_known_layers() -> None:
    assert answer("conv2d.params", in_channels=3, out_channels=96, kernel=11) == 34944  # AlexNet
    assert answer("conv2d.params", in_channels=48, out_channels=128, kernel=5) == 153728
    assert answer("conv2d.params", in_channels=96, out_channels=256, kernel=5, groups=2) == 307456
    big = answer("conv2d.params", in_channels=4096, out_channels=4096, kernel=7, bias=False)
    assert big == 4096 * 4096 * 49


# --- conv2d.macs ------------------------------------------------------------------------------


@PROPERTY
@given(
    cin_g=st.integers(1, 6),
    cout_g=st.integers(1, 6),
    groups=st.integers(1, 3),
    n=st.tuples(st.integers(1, 24), st.integers(1, 24)),
    k=st.integers(1, 5),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    d=st.integers(1, 2),
)
def test_macs_match_torch_flop_counter(
    cin_g: int, cout_g: int, groups: int, n: tuple[int, int], k: int, s: int, p: int, d: int
) -> None:
    assume(all(d * (k - 1) + 1 <= side + 2 * p for side in n))
    cin, cout = cin_g * groups, cout_g * groups
    x = torch.zeros(1, cin, *n, dtype=torch.float64)
    w = torch.zeros(cout, cin_g, k, k, dtype=torch.float64)
    with FlopCounterMode(display=False) as counter:
        y = F.conv2d(x, w, stride=s, padding=p, dilation=d, groups=groups)
    got = engine_only(
        "conv2d.macs",
        in_channels=cin,
        out_channels=cout,
        kernel=k,
        size=list(n),
        stride=s,
        padding=p,
        dilation=d,
        groups=groups,
    )
    # torch counts two FLOPs per multiply-accumulate, bias aside: the convention asked for
    assert got == {
        "macs": counter.get_total_flops() // 2,
        "flops": counter.get_total_flops(),
        "output_size": list(y.shape[-2:]),
    }


def test_macs_count_multiplications_done_with_all_ones() -> None:
    # all-ones input and weights, no padding: each output value is exactly the number of
    # multiply-accumulates that made it, so their sum is the MAC count
    x = torch.ones(1, 4, 9, 9, dtype=torch.float64)
    w = torch.ones(6, 2, 3, 3, dtype=torch.float64)
    y = F.conv2d(x, w, stride=2, groups=2)
    got = answer("conv2d.macs", in_channels=4, out_channels=6, kernel=3, size=9, stride=2, groups=2)
    assert got["macs"] == int(y.sum()) == 6 * 4 * 4 * 2 * 9
    assert got["flops"] == 2 * got["macs"]
    assert got["output_size"] == 4


@pytest.mark.parametrize(
    "call",
    [
        {"in_channels": 6, "out_channels": 9, "kernel": [3, 2], "size": [11, 7], "stride": 2,
         "padding": [2, 1], "dilation": [1, 2], "groups": 3},
        # too big to run (over 4M input numbers): the reference counts from shapes on "meta"
        {"in_channels": 256, "out_channels": 512, "kernel": 3, "size": 224, "padding": 1},
    ],
)  # fmt: skip
def test_macs_reference_agrees_with_torch_flop_counter(call: dict[str, Any]) -> None:
    problem = get_problem("conv2d.macs")
    ours = problem.reference(problem.parse_params(call), torch.device("cpu"))
    with torch.device("meta"), FlopCounterMode(display=False) as counter:
        kernel = call["kernel"] if isinstance(call["kernel"], list) else [call["kernel"]] * 2
        size = call["size"] if isinstance(call["size"], list) else [call["size"]] * 2
        x = torch.zeros(1, call["in_channels"], *size)
        w = torch.zeros(call["out_channels"], call["in_channels"] // call.get("groups", 1), *kernel)
        F.conv2d(x, w, stride=call.get("stride", 1), padding=call["padding"],
                 dilation=call.get("dilation", 1), groups=call.get("groups", 1))  # fmt: skip
    assert ours["flops"] == counter.get_total_flops()
    assert ours["macs"] == counter.get_total_flops() // 2


# --- conv2d.forward ---------------------------------------------------------------------------


def torch_conv(x: Any, w: Any, bias: Any, stride: Any, padding: Any, mode: str) -> list[Any]:
    """F.conv2d on the problem's layouts; `convolution` flips the kernel's two spatial axes."""
    xt = t64(x)
    xt = xt[None, None] if xt.dim() == 2 else xt[None]
    wt = t64(w)
    while wt.dim() < 4:
        wt = wt[None]
    if mode == "convolution":
        wt = torch.flip(wt, dims=(-2, -1))
    b = t64([bias] * wt.shape[0] if not isinstance(bias, list) else bias)
    y = F.conv2d(xt, wt, b, stride=stride, padding=padding)[0]
    return y[0].tolist() if wt.shape[0] == 1 else y.tolist()


def small_numbers(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    strategy: st.SearchStrategy[Any] = st.integers(-5, 5).map(float) | st.floats(
        -3, 3, allow_nan=False, allow_infinity=False
    )
    for size in reversed(shape):
        strategy = st.lists(strategy, min_size=size, max_size=size)
    return strategy


@st.composite
def conv_calls(draw: st.DrawFn) -> dict[str, Any]:
    c_in = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    kh = draw(st.integers(1, min(h + 2 * ph, 4)))
    kw = draw(st.integers(1, min(w + 2 * pw, 4)))
    layout = draw(st.sampled_from(["2d", "3d", "4d"] if c_in == 1 else ["3d", "4d"]))
    c_out = draw(st.integers(1, 3)) if layout == "4d" else 1
    x = draw(small_numbers((h, w) if c_in == 1 and draw(st.booleans()) else (c_in, h, w)))
    kernel_shape = {"2d": (kh, kw), "3d": (c_in, kh, kw), "4d": (c_out, c_in, kh, kw)}[layout]
    call: dict[str, Any] = {
        "x": x,
        "w": draw(small_numbers(kernel_shape)),
        "bias": draw(st.sampled_from([0.0, 1.5, -2.0]))
        if draw(st.booleans())
        else draw(small_numbers((c_out,))),
        "stride": draw(st.sampled_from([1, 2, [1, 2], [2, 1], 3])),
        "padding": [ph, pw] if ph != pw else ph,
        "mode": draw(st.sampled_from(["cross-correlation", "convolution"])),
    }
    return call


@PROPERTY
@given(call=conv_calls())
def test_conv_forward_matches_torch(call: dict[str, Any]) -> None:
    expected = torch_conv(
        call["x"], call["w"], call["bias"], call["stride"], call["padding"], call["mode"]
    )
    assert close(engine_only("conv2d.forward", **call), expected)


def test_convention_cross_correlation_vs_convolution_on_an_asymmetric_kernel() -> None:
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    w = [[1, 2], [0, -1]]  # no symmetry: flipping it changes every output
    # cross-correlation (PyTorch): y[i,j] = Σ w[u,v]·x[i+u, j+v]
    #   y[0,0] = 1·1 + 2·2 + 0·4 + (−1)·5 = 0
    xcorr = answer("conv2d.forward", x=x, w=w)
    assert xcorr == [[0.0, 2.0], [6.0, 8.0]]
    assert xcorr == torch_conv(x, w, 0.0, 1, 0, "cross-correlation")
    # convolution (course notes): the kernel rotated by 180°, [[−1, 0], [2, 1]]
    #   y[0,0] = (−1)·1 + 0·2 + 2·4 + 1·5 = 12
    conv = answer("conv2d.forward", x=x, w=w, mode="convolution")
    assert conv == [[12.0, 14.0], [18.0, 20.0]]
    assert conv != xcorr


@PROPERTY
@given(
    x=small_numbers((5, 6)),
    w=small_numbers((3, 2)),
)
def test_convolution_mode_is_the_course_formula(x: list[list[float]], w: list[list[float]]) -> None:
    # y_{i,j} = Σ_u Σ_v w_{u,v} · x_{i−u+1, j−v+1}, all indices from 1, over the outputs where
    # every index falls inside x (i from k_h to H, j from k_w to W)
    kh, kw = len(w), len(w[0])
    height, width = len(x), len(x[0])

    def course(i: int, j: int) -> float:
        return sum(
            w[u - 1][v - 1] * x[i - u + 1 - 1][j - v + 1 - 1]
            for u in range(1, kh + 1)
            for v in range(1, kw + 1)
        )

    expected = [[course(i, j) for j in range(kw, width + 1)] for i in range(kh, height + 1)]
    assert close(engine_only("conv2d.forward", x=x, w=w, mode="convolution"), expected)


def test_conv_forward_trace_shows_the_work() -> None:
    solution = solve(
        "conv2d.forward",
        {"x": [[1, 2], [3, 4]], "w": [[1, 0], [2, -1]], "padding": 1, "mode": "convolution"},
    )
    steps = {step.title: step for step in solution.steps}
    flipped = next(s for t, s in steps.items() if t.startswith("Flipped kernel"))
    assert flipped.value == [[-1.0, 2.0], [0.0, 1.0]]
    padded = next(s for t, s in steps.items() if t.startswith("Padded input"))
    assert padded.value == [[0.0] * 4, [0.0, 1.0, 2.0, 0.0], [0.0, 3.0, 4.0, 0.0], [0.0] * 4]
    first = next(s for t, s in steps.items() if t.startswith("y[0, 0]"))
    # the first window of the padded input is [[0, 0], [0, 1]]: only 1·1 is non-zero
    assert first.substituted == r"(-1) \cdot 0 + 2 \cdot 0 + 0 \cdot 0 + 1 \cdot 1"
    assert first.value == 1.0
    assert steps["Output"].value == solution.answer


def test_conv_forward_several_channels_gives_a_list_of_matrices() -> None:
    x = [[[1, 0, 2], [0, 1, 0], [3, 0, 1]], [[0, 1, 0], [1, 1, 1], [0, 1, 0]]]
    w = [[[[1, 0], [0, 1]], [[0, 0], [0, 1]]], [[[0, 1], [0, 0]], [[1, 0], [0, 0]]]]
    got = answer("conv2d.forward", x=x, w=w, bias=[0.5, -1])
    assert got == torch_conv(x, w, [0.5, -1.0], 1, 0, "cross-correlation")
    assert len(got) == 2 and len(got[0]) == 2 and len(got[0][0]) == 2


# --- pool2d.forward ---------------------------------------------------------------------------


@st.composite
def pool_calls(draw: st.DrawFn) -> dict[str, Any]:
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return {
        "x": draw(small_numbers((h, w))),
        "kind": draw(st.sampled_from(["max", "avg"])),
        "kernel": [kh, kw] if draw(st.booleans()) else kh,
        "stride": draw(st.sampled_from([None, 1, 2, 3, [1, 2]])),
        "padding": draw(st.integers(0, 2)),
        "ceil_mode": draw(st.booleans()),
        "count_include_pad": draw(st.booleans()),
    }


@settings(max_examples=200, deadline=None)
@given(call=pool_calls())
def test_pool_forward_matches_torch(call: dict[str, Any]) -> None:
    x = t64(call["x"])[None, None]
    common = dict(
        kernel_size=call["kernel"],
        stride=call["stride"],
        padding=call["padding"],
        ceil_mode=call["ceil_mode"],
    )
    try:
        if call["kind"] == "max":
            expected = F.max_pool2d(x, **common)
        else:
            expected = F.avg_pool2d(x, count_include_pad=call["count_include_pad"], **common)
    except RuntimeError:
        with pytest.raises(ProblemError):
            engine_only("pool2d.forward", **call)
        return
    assert close(engine_only("pool2d.forward", **call), expected[0, 0].tolist())


def test_pool_forward_by_hand() -> None:
    x = [[1, 3, 2, 0], [4, 6, 5, 1], [7, 2, 9, 8], [0, 1, 3, 4]]
    assert answer("pool2d.forward", x=x, kernel=2) == [[6.0, 5.0], [7.0, 9.0]]
    assert answer("pool2d.forward", x=x, kind="avg", kernel=2) == [[3.5, 2.0], [2.5, 6.0]]
    # a 3×3 average with padding 1 at the corner: (1 + 3 + 4 + 6) / 9 with padding counted,
    # / 4 without
    corner = answer("pool2d.forward", x=x, kind="avg", kernel=3, stride=2, padding=1)[0][0]
    assert corner == pytest.approx(14 / 9)
    corner = answer(
        "pool2d.forward",
        x=x,
        kind="avg",
        kernel=3,
        stride=2,
        padding=1,
        count_include_pad=False,
    )[0][0]
    assert corner == pytest.approx(14 / 4)


def test_pool_forward_trace_shows_each_window() -> None:
    x = [[1, -2, 3], [4, 5, -6], [-7, 8, 9]]
    solution = solve("pool2d.forward", {"x": x, "kernel": 2, "ceil_mode": True})
    windows = [s for s in solution.steps if s.title.startswith("y[")]
    assert [w.value for w in windows] == [5.0, 3.0, 8.0, 9.0]
    assert windows[0].substituted == r"\max\left(1, -2, 4, 5\right)"
    assert windows[3].substituted == r"\max\left(9\right)"  # the partial corner window
    assert solution.steps[-1].value == solution.answer == [[5.0, 3.0], [8.0, 9.0]]
    avg = solve("pool2d.forward", {"x": x, "kind": "avg", "kernel": 2, "stride": 1})
    first = next(s for s in avg.steps if s.title.startswith("y[0, 0]"))
    assert first.substituted == r"\frac{1 + (-2) + 4 + 5}{4}" and first.value == 2.0


# --- receptive_field --------------------------------------------------------------------------


def measured_field(layers: list[dict[str, int]]) -> tuple[int, int]:
    """Receptive field and jump measured on a square stack of real convolutions (ones weights).

    Only input pixels that reach an output pixel get a non-zero gradient from it; the field is
    the extent of that region along a row, the jump the shift between neighbouring outputs.
    """
    convs = []
    for layer in layers:
        conv = nn.Conv2d(
            1,
            1,
            layer["kernel"],
            stride=layer.get("stride", 1),
            dilation=layer.get("dilation", 1),
            bias=False,
            dtype=torch.float64,
        )
        nn.init.ones_(conv.weight)
        convs.append(conv)
    stack = nn.Sequential(*convs)
    n = 8
    while True:
        try:
            if stack(torch.zeros(1, 1, n, n, dtype=torch.float64)).shape[-1] >= 2:
                break
        except RuntimeError:
            pass
        n *= 2
    x = torch.ones(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    y = stack(x)[0, 0]

    def columns(j: int) -> tuple[int, int]:
        (grad,) = torch.autograd.grad(y[0, j], x, retain_graph=True)
        hit = torch.nonzero(grad[0, 0].abs().sum(dim=0)).flatten()
        return int(hit.min()), int(hit.max())

    first, last = columns(0)
    return last - first + 1, columns(1)[0] - first


@PROPERTY
@given(
    layers=st.lists(
        st.fixed_dictionaries(
            {"kernel": st.integers(1, 5)},
            optional={"stride": st.integers(1, 3), "dilation": st.integers(1, 3)},
        ),
        min_size=1,
        max_size=4,
    )
)
def test_receptive_field_is_the_reach_of_the_gradient(layers: list[dict[str, int]]) -> None:
    got = engine_only("receptive_field", layers=layers)
    r, j = measured_field(layers)
    assert got == {"receptive_field": r, "jump": j}


def test_receptive_field_textbook_stacks() -> None:
    # three 3×3 convolutions see 7×7 (the VGG argument)
    assert answer("receptive_field", layers=[3, 3, 3]) == {"receptive_field": 7, "jump": 1}
    # conv3, pool2/2, conv3, pool2/2: 1 + 2·1 + 1·1 + 2·2 + 1·2 = 10, jump 4
    layers = [3, {"kernel": 2, "stride": 2}, 3, {"kernel": 2, "stride": 2}]
    assert answer("receptive_field", layers=layers) == {"receptive_field": 10, "jump": 4}
    # a dilated 3×3 (d = 2) spans 5
    assert answer("receptive_field", layers=[{"kernel": 3, "dilation": 2}])["receptive_field"] == 5


def test_receptive_field_trace_goes_layer_by_layer() -> None:
    layers = [{"kernel": 3, "stride": 2, "name": "conv1"}, {"kernel": 3}]
    solution = solve("receptive_field", {"layers": layers})
    fields = [s for s in solution.steps if "receptive field" in s.title]
    assert [s.value for s in fields] == [3, 7]
    assert fields[1].substituted == r"3 + (3 - 1) \cdot 2"
    assert "conv1" in fields[0].title


# --- bad calls --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problem_id", "params", "param"),
    [
        ("pool2d.output_size", {"size": 6, "kernel": 3, "padding": 2}, "padding"),
        ("pool2d.output_size", {"size": 2, "kernel": 4}, "kernel"),
        ("pool2d.output_size", {"size": 6, "kernel": 2, "stride": 0}, "stride"),
        ("pool2d.output_size", {"size": 6, "kernel": 2, "ceil": True}, "ceil"),
        (
            "convtranspose2d.output_size",
            {"size": 3, "kernel": 3, "stride": 2, "output_padding": 2},
            "output_padding",
        ),  # fmt: skip
        ("convtranspose2d.output_size", {"size": 1, "kernel": 1, "padding": 1}, "padding"),
        ("convtranspose2d.output_size", {"kernel": 3}, "size"),
        (
            "conv2d.params",
            {"in_channels": 6, "out_channels": 4, "kernel": 3, "groups": 4},
            "groups",
        ),  # fmt: skip
        ("conv2d.params", {"in_channels": 0, "out_channels": 4, "kernel": 3}, "in_channels"),
        ("conv2d.params", {"in_channels": 3, "out_channels": 4, "kernel": [3, 3, 3]}, "kernel"),
        ("conv2d.macs", {"in_channels": 3, "out_channels": 4, "kernel": 5, "size": 3}, "kernel"),
        (
            "conv2d.macs",
            {"in_channels": 3, "out_channels": 4, "kernel": 3, "size": 8, "groups": 2},
            "groups",
        ),  # fmt: skip
        ("conv2d.forward", {"x": [1, 2, 3], "w": [[1]]}, "x"),
        ("conv2d.forward", {"x": [[1, 2], [3, 4]], "w": [[1, 2, 3]]}, "w"),
        ("conv2d.forward", {"x": [[[1]], [[2]]], "w": [[1]]}, "w"),
        ("conv2d.forward", {"x": [[[1]], [[2]]], "w": [[[1]], [[1]], [[1]]]}, "w"),
        ("conv2d.forward", {"x": [[1, 2], [3, 4]], "w": [[1]], "bias": [1, 2]}, "bias"),
        ("conv2d.forward", {"x": [[1, 2], [3, 4]], "w": [[1]], "bias": "one"}, "bias"),
        ("conv2d.forward", {"x": [[1, 2], [3, 4]], "w": [[1]], "mode": "conv"}, "mode"),
        ("conv2d.forward", {"x": [[1, 2], [3]], "w": [[1]]}, "x"),
        ("pool2d.forward", {"x": [[1, 2], [3, 4]], "kernel": 2, "kind": "min"}, "kind"),
        ("pool2d.forward", {"x": [[1, 2], [3, 4]], "kernel": 3}, "kernel"),
        ("pool2d.forward", {"x": [[1, 2], [3, 4]]}, "kernel"),
        ("pool2d.forward", {"x": [[1, 2], [3, 4]], "kernel": 2, "padding": 2}, "padding"),
        ("receptive_field", {"layers": []}, "layers"),
        ("receptive_field", {"layers": [3, {"kernel": 3, "pad": 1}]}, "layers[1]"),
        ("receptive_field", {"layers": [{"stride": 2}]}, "layers[0]"),
        ("receptive_field", {"layers": [3, {"kernel": 0}]}, "layers[1].kernel"),
        ("receptive_field", {"layers": [10**6, {"kernel": 10**6, "stride": 10**6}]}, "layers"),
    ],
)
def test_bad_calls_name_the_parameter(problem_id: str, params: dict[str, Any], param: str) -> None:
    with pytest.raises(ProblemError) as caught:
        solve(problem_id, params, verify=False)
    assert caught.value.param == param
    assert "\n" not in str(caught.value)


# --- misconceptions ---------------------------------------------------------------------------

MISCONCEPTION_CASES: dict[str, list[dict[str, Any]]] = {
    "pool2d.output_size": [
        {"size": 7, "kernel": 2, "padding": 1, "ceil_mode": True},
        {"size": 5, "kernel": 2, "padding": 1, "ceil_mode": True},
        {"size": [6, 7], "kernel": 4, "stride": 2, "padding": 2},
        {"size": 9, "kernel": 2, "ceil_mode": True},
    ],
    "convtranspose2d.output_size": [
        {"size": 4, "kernel": 3, "stride": 2, "padding": 2, "output_padding": 1, "dilation": 2},
    ],
    "conv2d.params": [
        {"in_channels": 8, "out_channels": 16, "kernel": 3, "groups": 2},
        {"in_channels": 3, "out_channels": 5, "kernel": [3, 5], "bias": False},
    ],
    "conv2d.macs": [
        {"in_channels": 8, "out_channels": 8, "kernel": 3, "size": 9, "stride": 2, "groups": 4},
    ],
    "conv2d.forward": [
        {
            "x": [[1, 2, 0, 1], [3, 1, 2, 2], [0, 1, 4, 1], [2, 0, 1, 3]],
            "w": [[1, 2], [0, -1]],
            "bias": 1,
            "stride": 2,
            "padding": 1,
        },
        {"x": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "w": [[1, 0], [0, 2]], "mode": "convolution"},
    ],
    "pool2d.forward": [
        {
            "x": [[-1, -2, 3, 0, 1], [-4, -5, 6, 1, 2], [7, 8, 9, 2, 0], [1, 1, 1, 1, 1]],
            "kernel": 2,
            "padding": 1,
            "ceil_mode": True,
        },
        {
            "x": [[1, 2, 3, 0, 5], [4, 5, 6, 1, 2], [7, 8, 9, 2, 0], [1, 1, 1, 1, 1]],
            "kind": "avg",
            "kernel": 3,
            "stride": 2,
            "padding": 1,
            "ceil_mode": True,
        },
    ],
    "receptive_field": [
        {"layers": [3, {"kernel": 2, "stride": 2}, {"kernel": 3, "dilation": 2}, 3]},
    ],
}


def wrong_answers(problem_id: str, params: dict[str, Any]) -> dict[str, tuple[str | None, Any]]:
    """Each tag's (part, wrong answer); every one differs from the right answer there."""
    problem = get_problem(problem_id)
    p = problem.parse_params(params)
    right = to_json(problem.solve(p, Trace()))
    found = {}
    for m, wrong in problem.wrong_answers(p):
        expected = right if m.part is None else right[m.part]
        assert to_json(wrong.answer) != expected, m.tag
        assert wrong.feedback and "\n" not in wrong.feedback
        found[m.tag] = (m.part, to_json(wrong.answer))
    return found


@pytest.mark.parametrize("problem_id", sorted(MISCONCEPTION_CASES))
def test_each_misconception_gives_its_own_wrong_answer(problem_id: str) -> None:
    fired: set[str] = set()
    for params in MISCONCEPTION_CASES[problem_id]:
        found = wrong_answers(problem_id, params)
        by_part: dict[str | None, list[str]] = defaultdict(list)
        for part, wrong in found.values():
            by_part[part].append(json.dumps(wrong))
        for part, answers in by_part.items():
            assert len(set(answers)) == len(answers), (params, part, found)
        fired |= set(found)
    assert fired == {m.tag for m in get_problem(problem_id).misconceptions}


def test_contract_misconception_tags_exist() -> None:
    tags = {m.tag for m in get_problem("conv2d.params").misconceptions}
    assert {"forgot_bias", "forgot_in_channels", "ignored_groups"} <= tags
    assert "flipped_kernel" in {m.tag for m in get_problem("conv2d.forward").misconceptions}


def test_misconceptions_by_hand() -> None:
    params = wrong_answers(
        "conv2d.params", {"in_channels": 8, "out_channels": 16, "kernel": 3, "groups": 2}
    )
    assert params["forgot_bias"] == (None, 16 * 4 * 9)
    assert params["forgot_in_channels"] == (None, 16 * 9 + 16)
    assert params["ignored_groups"] == (None, 16 * 8 * 9 + 16)
    conv = wrong_answers("conv2d.forward", {"x": [[1, 2, 3], [4, 5, 6]], "w": [[1, 2]]})
    assert conv["flipped_kernel"] == (None, [[4.0, 7.0], [13.0, 16.0]])  # kernel read as [2, 1]
    macs = wrong_answers(
        "conv2d.macs", {"in_channels": 3, "out_channels": 8, "kernel": 3, "size": 5}
    )
    assert macs["flops_as_macs"] == ("flops", 8 * 9 * 27)
    assert macs["macs_as_flops"] == ("macs", 2 * 8 * 9 * 27)
    field = wrong_answers("receptive_field", {"layers": [3, {"kernel": 2, "stride": 2}, 3]})
    assert field["no_jump"] == ("receptive_field", 1 + 2 + 1 + 2)  # right: 1 + 2 + 1 + 2·2 = 8
    pool = wrong_answers("pool2d.forward", {"x": [[-1, -2], [-3, -4]], "kernel": 2, "padding": 1})
    assert pool["padded_with_zeros"] == (None, [[0.0, 0.0], [0.0, 0.0]])


def test_check_names_the_flipped_kernel() -> None:
    from engine.checking.grade import check

    params = {"x": [[1, 2, 3], [4, 5, 6]], "w": [[1, 2]]}
    result = check("conv2d.forward", params, "[[4, 7], [13, 16]]")
    assert not result.correct and result.misconception == "flipped_kernel"


# --- traces, devices, command line ------------------------------------------------------------

EXAMPLES: dict[str, dict[str, Any]] = {
    "pool2d.output_size": {
        "size": [7, 6],
        "kernel": 3,
        "stride": 2,
        "padding": 1,
        "ceil_mode": True,
    },  # fmt: skip
    "convtranspose2d.output_size": {
        "size": 4,
        "kernel": 3,
        "stride": 2,
        "padding": 1,
        "output_padding": 1,
    },  # fmt: skip
    "conv2d.params": {"in_channels": 8, "out_channels": 16, "kernel": [3, 5], "groups": 2},
    "conv2d.macs": {
        "in_channels": 8,
        "out_channels": 16,
        "kernel": 3,
        "size": 14,
        "padding": 1,
        "groups": 4,
    },  # fmt: skip
    "conv2d.forward": {
        "x": [[[1, 2, 0], [0, 1, 3], [2, 2, 1]], [[0, 1, 1], [1, 0, 1], [2, 0, 0]]],
        "w": [[[[1, 0], [2, -1]], [[0, 1], [1, 1]]]] * 2,
        "bias": [0.5, -1],
        "padding": 1,
        "stride": 2,
        "mode": "convolution",
    },  # fmt: skip
    "pool2d.forward": {
        "x": [[1, 2, 3, 0, 5], [4, 5, 6, 1, 2], [7, 8, 9, 2, 0]],
        "kind": "avg",
        "kernel": 2,
        "padding": 1,
        "ceil_mode": True,
    },  # fmt: skip
    "receptive_field": {"layers": [7, {"kernel": 3, "stride": 2}, {"kernel": 3, "dilation": 2}]},
}


@pytest.mark.parametrize("problem_id", CONV_PROBLEMS)
def test_every_step_is_in_the_latex_subset(problem_id: str) -> None:
    from revise.render.latex_tree import parse_latex

    solution = solve(problem_id, EXAMPLES[problem_id])
    assert solution.verified is not None and solution.verified.max_abs_diff == 0
    for step in solution.steps:
        parse_latex(step.formula)
        parse_latex(step.substituted)
        json.dumps(step.value, allow_nan=False)  # plain JSON: no NaN or infinities


@requires_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("problem_id", CONV_PROBLEMS)
def test_cuda_reference_agrees_with_cpu(problem_id: str) -> None:
    cpu = solve(problem_id, EXAMPLES[problem_id], device="cpu")
    gpu = solve(problem_id, EXAMPLES[problem_id], device="cuda")
    assert gpu.verified is not None and gpu.verified.device.startswith("cuda")
    assert max_abs_diff(cpu.answer, gpu.answer) <= 1e-6
    problem = get_problem(problem_id)
    params = problem.parse_params(EXAMPLES[problem_id])
    on_gpu = to_json(problem.reference(params, torch.device("cuda")))
    assert max_abs_diff(cpu.answer, on_gpu) <= 1e-6


def test_cli_solve_json(cli: Any) -> None:
    done = cli(
        "solve",
        "conv2d.forward",
        "x=[[1,2,3],[4,5,6],[7,8,9]]",
        "w=[[1,0],[0,-1]]",
        "mode=convolution",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["answer"] == [[4.0, 4.0], [4.0, 4.0]]
    assert out["params"]["bias"] == 0 and out["params"]["stride"] == 1
    assert out["verified"]["by"].startswith("torch")
    done = cli("solve", "conv2d.macs", "in_channels=3", "out_channels=64", "kernel=3",
               "size=224", "padding=1", "--json")  # fmt: skip
    out = json.loads(done.stdout)
    assert out["answer"] == {"macs": 86704128, "flops": 173408256, "output_size": 224}


def test_cli_human_output_and_bad_call(cli: Any) -> None:
    done = cli("solve", "receptive_field", 'layers=[3, {"kernel": 2, "stride": 2}, 3]')
    assert done.returncode == 0, done.stderr
    assert "Answer" in done.stdout and "jump" in done.stdout
    done = cli("solve", "pool2d.forward", "x=[[1,2],[3,4]]", "kernel=2", "padding=2")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "padding" in done.stderr
    assert "Traceback" not in done.stderr


def test_listing_problems_loads_no_torch() -> None:
    code = (
        "import sys, engine.problems.conv_forward as c; c.Conv2dForward.Params.model_json_schema();"
        "print(sorted(m for m in ('torch', 'numpy', 'sympy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_summaries_are_one_line() -> None:
    for problem_id in CONV_PROBLEMS:
        problem = get_problem(problem_id)
        assert problem.topic in {"cnn", "counts"}
        assert "\n" not in problem.summary and len(problem.summary) < 160
