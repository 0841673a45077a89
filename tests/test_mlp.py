"""mlp.backprop against torch autograd through a real two-layer network, computed here."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ProblemError, get_problem
from engine.solve import solve
from tests.conftest import requires_cuda
from tests.torch_support import assert_close


def torch_backprop(params: dict[str, Any]) -> dict[str, Any]:
    """The same network as nn.Linear layers, the loss as torch defines it, grads by autograd."""
    w1 = torch.tensor(params["w1"], dtype=torch.float64)
    w2 = torch.tensor(params["w2"], dtype=torch.float64)
    first = torch.nn.Linear(w1.shape[1], w1.shape[0], dtype=torch.float64)
    second = torch.nn.Linear(w2.shape[1], w2.shape[0], dtype=torch.float64)
    with torch.no_grad():
        first.weight.copy_(w1)
        first.bias.copy_(torch.tensor(params["b1"], dtype=torch.float64))
        second.weight.copy_(w2)
        second.bias.copy_(torch.tensor(params["b2"], dtype=torch.float64))
    act = {"sigmoid": torch.nn.Sigmoid(), "tanh": torch.nn.Tanh(), "relu": torch.nn.ReLU()}
    x = torch.tensor(params["x"], dtype=torch.float64)
    h = act[params.get("activation", "sigmoid")](first(x))
    z = second(h)
    loss_name = params.get("loss", "squared")
    if loss_name == "ce":
        loss = torch.nn.CrossEntropyLoss()(z.unsqueeze(0), torch.tensor([params["y"]]))
        out = torch.softmax(z, dim=0)
    else:
        y = torch.tensor(params["y"], dtype=torch.float64)
        if loss_name == "squared":
            loss = 0.5 * torch.nn.MSELoss(reduction="sum")(z, y)
        else:
            loss = torch.nn.MSELoss()(z, y)
        out = z
    loss.backward()
    grads = {
        "w1": first.weight.grad,
        "b1": first.bias.grad,
        "w2": second.weight.grad,
        "b2": second.bias.grad,
    }
    return {
        "loss": loss.item(),
        "h": h.tolist(),
        "output": out.tolist(),
        "grads": {k: v.tolist() for k, v in grads.items() if v is not None},
    }


reals = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 2))


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    d, h, o = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    loss = draw(st.sampled_from(["squared", "mse", "ce"]))
    if loss == "ce":
        o = max(o, 2)

    def vec(n: int) -> list[float]:
        return draw(st.lists(reals, min_size=n, max_size=n))

    return {
        "x": vec(d),
        "y": draw(st.integers(0, o - 1)) if loss == "ce" else vec(o),
        "w1": [vec(d) for _ in range(h)],
        "b1": vec(h),
        "w2": [vec(h) for _ in range(o)],
        "b2": vec(o),
        "activation": draw(st.sampled_from(["sigmoid", "tanh", "relu"])),
        "loss": loss,
    }


@settings(max_examples=100, deadline=None)
@given(params=networks())
def test_backprop_matches_autograd(params: dict[str, Any]) -> None:
    assert_close(solve("mlp.backprop", params).answer, torch_backprop(params))


EXAMPLE = {
    "x": [1.0, -2.0],
    "y": [1.0, 0.0],
    "w1": [[0.1, 0.2], [0.4, -0.5]],
    "b1": [0.0, 0.1],
    "w2": [[0.7, -0.8], [0.9, 1.0]],
    "b2": [0.0, 0.1],
}


def test_answer_keys_and_shapes() -> None:
    answer = solve("mlp.backprop", EXAMPLE).answer
    assert set(answer) == {"loss", "h", "output", "grads"}
    assert set(answer["grads"]) == {"w1", "b1", "w2", "b2"}
    assert len(answer["grads"]["w1"]) == 2 and len(answer["grads"]["w1"][0]) == 2
    assert isinstance(answer["loss"], float)


def test_convention_squared_loss_has_a_half_and_mse_is_the_mean() -> None:
    three = dict(
        EXAMPLE, y=[1.0, 0.0, 2.0], w2=[[0.7, -0.8], [0.9, 1.0], [0.3, 0.2]], b2=[0, 0.1, 0]
    )
    squared = solve("mlp.backprop", three).answer
    mse = solve("mlp.backprop", dict(three, loss="mse")).answer
    diff = [a - b for a, b in zip(squared["output"], three["y"])]
    assert squared["loss"] == pytest.approx(0.5 * sum(d * d for d in diff), rel=1e-12)
    assert mse["loss"] == pytest.approx(sum(d * d for d in diff) / 3, rel=1e-12)


def test_cross_entropy_output_is_the_softmax() -> None:
    params = dict(EXAMPLE, y=1, loss="ce")
    answer = solve("mlp.backprop", params).answer
    assert sum(answer["output"]) == pytest.approx(1.0)
    assert_close(answer, torch_backprop(params))


def test_relu_passes_no_gradient_at_zero() -> None:
    params = {"x": [1.0], "y": [1.0], "w1": [[1.0]], "b1": [-1.0], "w2": [[1.0]], "b2": [0.0]}
    params["activation"] = "relu"
    answer = solve("mlp.backprop", params).answer
    assert answer["grads"]["w1"] == [[0.0]] and answer["grads"]["b1"] == [0.0]


def test_a_single_number_bias_and_target_are_broadcast() -> None:
    params = {"x": [1.0, 2.0], "y": 0.5, "w1": [[0.1, 0.2], [0.3, 0.4]], "b1": 0.1}
    params |= {"w2": [[1.0, -1.0]], "b2": 0}
    full = dict(params, y=[0.5], b1=[0.1, 0.1], b2=[0.0])
    assert solve("mlp.backprop", params).answer == solve("mlp.backprop", full).answer


def test_each_misconception_gives_a_distinct_wrong_answer() -> None:
    problem = get_problem("mlp.backprop")
    right = solve("mlp.backprop", EXAMPLE).answer
    for params, tags in [
        (
            EXAMPLE,
            {
                "forgot_activation_derivative",
                "derivative_at_output",
                "transposed_weight_gradient",
                "wrong_sign",
                "forgot_half",
            },
        ),
        (
            dict(EXAMPLE, loss="mse", activation="tanh"),
            {
                "forgot_activation_derivative",
                "derivative_at_output",
                "transposed_weight_gradient",
                "wrong_sign",
                "sum_not_mean",
            },
        ),
    ]:
        right = solve("mlp.backprop", params).answer
        found = problem.wrong_answers(problem.parse_params(params))
        assert {m.tag for m, _ in found} == tags
        wholes = []
        for m, w in found:
            whole = dict(right, **{m.part: w.answer}) if m.part else w.answer
            assert whole != right, m.tag
            assert whole not in wholes, m.tag
            wholes.append(whole)


def test_forgot_activation_derivative_is_the_chain_without_the_local_factor() -> None:
    problem = get_problem("mlp.backprop")
    found = {m.tag: w.answer for m, w in problem.wrong_answers(problem.parse_params(EXAMPLE))}
    right = torch_backprop(EXAMPLE)
    h = torch.tensor(right["h"], dtype=torch.float64)
    local = h * (1 - h)  # σ′(z₁)
    dh = torch.tensor(found["forgot_activation_derivative"]["b1"], dtype=torch.float64)
    assert_close((dh * local).tolist(), right["grads"]["b1"])


@pytest.mark.parametrize(
    ("change", "name", "words"),
    [
        ({"w1": [[0.1, 0.2, 0.3]]}, "w1", "expected 2 columns to match x (length 2), got 3"),
        ({"b1": [1.0]}, "b1", "expected 2 numbers"),
        ({"w2": [[1.0]]}, "w2", "expected 2 columns"),
        ({"b2": [1.0, 2.0, 3.0]}, "b2", "expected 2 numbers"),
        ({"y": [1.0]}, "y", "expected 2 targets"),
        ({"y": 5, "loss": "ce"}, "y", "from 0 to 1"),
        ({"y": [1.0, 0.0], "loss": "ce"}, "y", "index"),
        ({"activation": "softmax"}, "activation", ""),
        ({"x": "1,2"}, "x", ""),
    ],
)
def test_bad_calls_name_the_parameter(change: dict[str, Any], name: str, words: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("mlp.backprop", dict(EXAMPLE, **change))
    assert err.value.param == name
    assert words in str(err.value)


@requires_cuda
def test_cuda_agrees_with_cpu() -> None:
    for loss, y in [("squared", [1.0, 0.0]), ("mse", [1.0, 0.0]), ("ce", 1)]:
        params = dict(EXAMPLE, y=y, loss=loss, activation="tanh")
        gpu = solve("mlp.backprop", params, device="cuda")
        assert gpu.verified is not None and gpu.verified.device.startswith("cuda")
        assert_close(gpu.answer, solve("mlp.backprop", params, device="cpu").answer, 1e-6)


def test_cli_json_and_trace(cli: Any) -> None:
    args = [f"{k}={json.dumps(v)}" for k, v in EXAMPLE.items()]
    out = cli("solve", "mlp.backprop", *args, "loss=mse", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert_close(data["answer"], torch_backprop(dict(EXAMPLE, loss="mse")))
    titles = [s["title"] for s in data["steps"]]
    assert "Hidden error" in titles and "Gradient of W₁" in titles
    human = cli("solve", "mlp.backprop", *args, "activation=relu")
    assert human.returncode == 0, human.stderr
    assert "δ₁" in human.stdout and "Answer" in human.stdout
