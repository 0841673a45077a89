"""conv2d.backward against autograd and convtranspose2d.forward against F.conv_transpose2d,
both computed here over random sizes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ProblemError
from engine.checking import check
from engine.solve import solve
from tests.conftest import requires_cuda
from tests.torch_support import assert_close


def torch_conv_backward(params: dict[str, Any]) -> dict[str, Any]:
    x = torch.tensor(params["x"], dtype=torch.float64)
    w = torch.tensor(params["w"], dtype=torch.float64)
    x_dims, w_dims = x.dim(), w.dim()
    x4 = (x if x_dims == 3 else x[None])[None].requires_grad_(True)
    w4 = {2: w[None, None], 3: w[None], 4: w}[w_dims].clone().requires_grad_(True)
    b = torch.zeros(w4.shape[0], dtype=torch.float64, requires_grad=True)
    y = F.conv2d(x4, w4, b, stride=params.get("stride", 1), padding=params.get("padding", 0))
    g = torch.tensor(params["upstream"], dtype=torch.float64).reshape(y.shape)
    y.backward(g)
    assert x4.grad is not None and w4.grad is not None and b.grad is not None
    db = b.grad.tolist()
    return {
        "dx": x4.grad.reshape(x.shape).tolist(),
        "dw": w4.grad.reshape(w.shape).tolist(),
        "db": db[0] if w4.shape[0] == 1 else db,
    }


def torch_conv_transpose(params: dict[str, Any]) -> Any:
    x = torch.tensor(params["x"], dtype=torch.float64)
    w = torch.tensor(params["w"], dtype=torch.float64)
    x4 = (x if x.dim() == 3 else x[None])[None]
    w4 = w if w.dim() == 4 else w[None, None]
    bias = params.get("bias", 0)
    b = torch.tensor(bias if isinstance(bias, list) else [bias] * w4.shape[1], dtype=torch.float64)
    y = F.conv_transpose2d(
        x4,
        w4,
        b,
        stride=params.get("stride", 1),
        padding=params.get("padding", 0),
        output_padding=params.get("output_padding", 0),
    )[0]
    return (y[0] if w4.shape[1] == 1 else y).tolist()


small = st.integers(-3, 3).map(float)


def grid(draw: st.DrawFn, *shape: int) -> Any:
    if not shape:
        return draw(small)
    return [grid(draw, *shape[1:]) for _ in range(shape[0])]


@st.composite
def conv_calls(draw: st.DrawFn) -> dict[str, Any]:
    cin, cout = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    padding = [draw(st.integers(0, 2)), draw(st.integers(0, 2))]
    if kh > h + 2 * padding[0] or kw > w + 2 * padding[1]:
        padding = [kh, kw]
    oh = (h + 2 * padding[0] - kh) // stride[0] + 1
    ow = (w + 2 * padding[1] - kw) // stride[1] + 1
    x = grid(draw, cin, h, w) if cin > 1 or draw(st.booleans()) else grid(draw, h, w)
    if cout > 1:
        kernel = grid(draw, cout, cin, kh, kw)
    elif cin > 1 and draw(st.booleans()):
        kernel = grid(draw, cin, kh, kw)
    else:
        kernel = grid(draw, cin, kh, kw) if cin > 1 else grid(draw, kh, kw)
    upstream = grid(draw, cout, oh, ow) if cout > 1 else grid(draw, oh, ow)
    return {"x": x, "w": kernel, "stride": stride, "padding": padding, "upstream": upstream}


@settings(max_examples=100, deadline=None)
@given(params=conv_calls())
def test_conv_backward_matches_autograd(params: dict[str, Any]) -> None:
    assert_close(solve("conv2d.backward", params).answer, torch_conv_backward(params))


@st.composite
def transpose_calls(draw: st.DrawFn) -> dict[str, Any]:
    cin, cout = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    padding = [draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1))]
    output_padding = [draw(st.integers(0, stride[0] - 1)), draw(st.integers(0, stride[1] - 1))]
    one = cin == cout == 1 and draw(st.booleans())
    return {
        "x": grid(draw, h, w) if one else grid(draw, cin, h, w),
        "w": grid(draw, kh, kw) if one else grid(draw, cin, cout, kh, kw),
        "bias": draw(small) if one else [draw(small) for _ in range(cout)],
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
    }


@settings(max_examples=100, deadline=None)
@given(params=transpose_calls())
def test_conv_transpose_matches_torch(params: dict[str, Any]) -> None:
    try:
        answer = solve("convtranspose2d.forward", params).answer
    except ProblemError as err:  # only a padding that leaves no output is refused
        assert err.param == "padding"
        with pytest.raises(RuntimeError):
            torch_conv_transpose(params)
        return
    assert_close(answer, torch_conv_transpose(params))


def test_conv_transpose_takes_a_padding_larger_than_the_kernel_allows_room_for() -> None:
    params = {"x": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "w": [[1, -1], [2, 0]], "padding": 2}
    params["stride"] = 2  # (3 − 1)·2 − 2·2 + 2 = 2: k − 1 − p = −1 cuts a row off
    assert_close(solve("convtranspose2d.forward", params).answer, torch_conv_transpose(params))


BACKWARD = {
    "x": [[1, 2, 0, 1], [0, 1, 3, 2], [2, 0, 1, 1], [1, 3, 2, 0]],
    "w": [[1, 0], [2, -1]],
    "upstream": [[1, -1, 0.5], [0, 2, 1], [-1, 0.5, 1]],
}
TRANSPOSE = {
    "x": [[1, 2], [3, -1]],
    "w": [[1, 0, 2], [0, 1, -1], [1, 1, 0]],
    "bias": 0.5,
    "stride": 2,
    "padding": 1,
}


def test_dx_is_a_full_convolution_with_the_flipped_kernel() -> None:
    """∂L/∂x equals conv_transpose2d of g with w (the adjoint), computed here by torch."""
    g = torch.tensor(BACKWARD["upstream"], dtype=torch.float64)[None, None]
    w = torch.tensor(BACKWARD["w"], dtype=torch.float64)[None, None]
    adjoint = F.conv_transpose2d(g, w)[0, 0]
    # and, written as the trace does it: pad g by k − 1, correlate with the rotated kernel
    full = F.conv2d(F.pad(g, (1, 1, 1, 1)), torch.flip(w, dims=(-2, -1)))[0, 0]
    answer = solve("conv2d.backward", BACKWARD).answer
    assert_close(answer["dx"], adjoint.tolist())
    assert_close(answer["dx"], full.tolist())
    titles = [s.title for s in solve("conv2d.backward", BACKWARD).steps]
    assert any(t.startswith("Kernel rotated by 180°") for t in titles)


def test_trace_shows_the_zero_insertion_and_the_padding() -> None:
    steps = solve("convtranspose2d.forward", TRANSPOSE).steps
    spread = next(s for s in steps if s.title.startswith("Zeros inserted"))
    padded = next(s for s in steps if s.title.startswith("Padded by k − 1 − p"))
    assert spread.value == [[1, 0, 2], [0, 0, 0], [3, 0, -1]]
    assert len(padded.value) == 3 + 2 * (3 - 1 - 1)


def _named(problem: str, params: dict[str, Any], answer: Any, part: str | None) -> str | None:
    def sig4(v: Any) -> Any:
        return [sig4(e) for e in v] if isinstance(v, list) else float(f"{v:.4g}")

    result = check(problem, params, json.dumps(sig4(answer)), part)
    assert not result.correct, result.feedback
    return result.misconception


def test_the_unflipped_kernel_for_dx_is_named() -> None:
    g = torch.tensor(BACKWARD["upstream"], dtype=torch.float64)[None, None]
    w = torch.tensor(BACKWARD["w"], dtype=torch.float64)[None, None]
    # correlating the padded g with w itself: the adjoint of the rotated kernel
    wrong = F.conv_transpose2d(g, torch.flip(w, dims=(-2, -1)))[0, 0]
    assert _named("conv2d.backward", BACKWARD, wrong.tolist(), "dx") == "unflipped_kernel"


def test_a_rotated_dw_is_named() -> None:
    right = torch.tensor(torch_conv_backward(BACKWARD)["dw"])
    wrong = torch.flip(right, dims=(-2, -1))
    assert _named("conv2d.backward", BACKWARD, wrong.tolist(), "dw") == "flipped_dw"


def test_the_unflipped_kernel_in_a_transposed_convolution_is_named() -> None:
    params = dict(TRANSPOSE)
    w = torch.tensor(params["w"], dtype=torch.float64)
    wrong = torch_conv_transpose(dict(params, w=torch.flip(w, dims=(-2, -1)).tolist()))
    assert _named("convtranspose2d.forward", params, wrong, None) == "unflipped_kernel"


def test_a_conv2d_weight_layout_in_a_transposed_convolution_is_named() -> None:
    params = {
        "x": [[[1, 2], [0, -1]], [[2, 0], [1, 1]]],
        "w": [[[[1, 0], [0, 1]], [[2, 1], [0, 0]]], [[[0, 1], [1, 0]], [[1, -1], [1, 2]]]],
    }
    w = torch.tensor(params["w"], dtype=torch.float64).transpose(0, 1)
    wrong = torch_conv_transpose(dict(params, w=w.tolist()))
    assert _named("convtranspose2d.forward", params, wrong, None) == "swapped_weight_layout"


@pytest.mark.parametrize(
    ("problem", "change", "name", "words"),
    [
        ("conv2d.backward", {"upstream": [[1, 2], [3, 4]]}, "upstream", "3×3"),
        ("conv2d.backward", {"w": [[1, 2, 3, 4, 5]]}, "w", "padded input is only 4"),
        ("conv2d.backward", {"x": [1, 2, 3]}, "x", "matrix"),
        ("convtranspose2d.forward", {"output_padding": 2}, "output_padding", "smaller than"),
        ("convtranspose2d.forward", {"w": [[[1, 2], [3, 4]]]}, "w", "C_in×C_out"),
        ("convtranspose2d.forward", {"padding": 5}, "padding", "no output"),
        ("convtranspose2d.forward", {"bias": [1, 2]}, "bias", "one per output channel"),
    ],
)
def test_bad_calls_name_the_parameter(
    problem: str, change: dict[str, Any], name: str, words: str
) -> None:
    base = BACKWARD if problem == "conv2d.backward" else TRANSPOSE
    with pytest.raises(ProblemError) as err:
        solve(problem, dict(base, **change))
    assert err.value.param == name and words in str(err.value)


def test_cli_both_problems(cli: Any) -> None:
    for problem, params in [("conv2d.backward", BACKWARD), ("convtranspose2d.forward", TRANSPOSE)]:
        args = [f"{k}={json.dumps(v)}" for k, v in params.items()]
        out = cli("solve", problem, *args, "--json")
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert data["verified"]["max_abs_diff"] < 1e-9
        human = cli("solve", problem, *args)
        assert human.returncode == 0 and "rot180" in human.stdout


@requires_cuda
def test_cuda_agrees_with_cpu() -> None:
    for problem, params in [("conv2d.backward", BACKWARD), ("convtranspose2d.forward", TRANSPOSE)]:
        gpu = solve(problem, params, device="cuda")
        assert gpu.verified is not None and gpu.verified.device.startswith("cuda")
        assert_close(gpu.answer, solve(problem, params, device="cpu").answer, 1e-9)


def test_averaging_the_upstream_for_db_is_named() -> None:
    mean = torch.tensor(BACKWARD["upstream"], dtype=torch.float64).mean().item()
    assert _named("conv2d.backward", BACKWARD, mean, "db") == "db_mean"


def test_a_transposed_convolution_without_its_bias_is_named() -> None:
    wrong = torch_conv_transpose(dict(TRANSPOSE, bias=0))
    assert _named("convtranspose2d.forward", TRANSPOSE, wrong, None) == "forgot_bias"
