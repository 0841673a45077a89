"""activation and activation.maxout against torch.nn.functional and autograd, computed here."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ProblemError, get_problem
from engine.solve import solve
from tests.conftest import requires_cuda
from tests.torch_support import assert_close

NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus"]


def torch_activation(name: str, xs: list[float], slope: float, alpha: float, beta: float) -> Any:
    fns = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, slope),
        "elu": lambda t: F.elu(t, alpha),
        "gelu": F.gelu,
        "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
        "silu": F.silu,
        "softplus": lambda t: F.softplus(t, beta=beta),
    }
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    y = fns[name](x)
    y.sum().backward()
    assert x.grad is not None
    return {"value": y.detach().tolist(), "derivative": x.grad.tolist()}


reals = st.floats(-8, 8, allow_nan=False).map(lambda v: round(v, 3))


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    xs=st.lists(st.one_of(reals, st.just(0.0)), min_size=1, max_size=5),
    slope=st.sampled_from([0.01, 0.1, 0.2, 0.3]),
    alpha=st.floats(0.1, 3).map(lambda v: round(v, 2)),
    beta=st.floats(0.2, 5).map(lambda v: round(v, 2)),
)
def test_activation_matches_torch(
    name: str, xs: list[float], slope: float, alpha: float, beta: float
) -> None:
    got = solve(
        "activation", {"name": name, "x": xs, "slope": slope, "alpha": alpha, "beta": beta}
    ).answer
    assert_close(got, torch_activation(name, xs, slope, alpha, beta))


def test_a_number_gives_numbers_and_a_list_gives_lists() -> None:
    one = solve("activation", {"name": "sigmoid", "x": 0}).answer
    assert one == {"value": 0.5, "derivative": 0.25}
    many = solve("activation", {"name": "sigmoid", "x": [0]}).answer
    assert many == {"value": [0.5], "derivative": [0.25]}


def test_kinks_take_torchs_derivative() -> None:
    """ReLU′(0) = 0, leaky ReLU′(0) = slope, ELU′(0) = α, as autograd gives them."""
    for name, params in [("relu", {}), ("leaky_relu", {"slope": 0.2}), ("elu", {"alpha": 1.5})]:
        got = solve("activation", {"name": name, "x": 0.0, **params}).answer
        expected = torch_activation(name, [0.0], 0.2, 1.5, 1.0)
        assert got["derivative"] == expected["derivative"][0]
    assert solve("activation", {"name": "relu", "x": 0}).answer["derivative"] == 0


def test_softplus_follows_torchs_threshold() -> None:
    """Above β·x = 20 torch returns x itself (and derivative 1), not ln(1 + e^{βx})/β."""
    for x, beta in [(25.0, 1.0), (10.5, 2.0), (19.9, 1.0), (20.0, 1.0)]:
        got = solve("activation", {"name": "softplus", "x": x, "beta": beta}).answer
        expected = torch_activation("softplus", [x], 0.01, 1.0, beta)
        assert got["value"] == pytest.approx(expected["value"][0], rel=1e-14)
        assert got["derivative"] == pytest.approx(expected["derivative"][0], rel=1e-14)
    assert solve("activation", {"name": "softplus", "x": 25.0}).answer["value"] == 25.0


def test_convention_leaky_relu_slope_defaults_to_pytorchs() -> None:
    """PyTorch's default slope is 0.01; the notes also use 0.1, so it is a parameter."""
    default = solve("activation", {"name": "leaky_relu", "x": -2}).answer
    assert default == {"value": -0.02, "derivative": 0.01}
    assert F.leaky_relu(torch.tensor(-2.0, dtype=torch.float64)).item() == default["value"]
    notes = solve("activation", {"name": "leaky_relu", "x": -2, "slope": 0.1}).answer
    assert notes == {"value": -0.2, "derivative": 0.1}
    problem = get_problem("activation")
    wrong = {
        m.tag: w.answer
        for m, w in problem.wrong_answers(problem.parse_params({"name": "leaky_relu", "x": -2}))
    }
    assert wrong["wrong_slope"] == notes
    wrong = {
        m.tag: w.answer
        for m, w in problem.wrong_answers(
            problem.parse_params({"name": "leaky_relu", "x": -2, "slope": 0.1})
        )
    }
    assert wrong["wrong_slope"] == default


def _wrong(problem_id: str, params: dict[str, Any]) -> dict[str, tuple[str | None, Any]]:
    problem = get_problem(problem_id)
    p = problem.parse_params(params)
    return {m.tag: (m.part, w.answer) for m, w in problem.wrong_answers(p)}


@pytest.mark.parametrize(
    ("params", "tags"),
    [
        ({"name": "sigmoid", "x": [1.0, -2.0]}, {"derivative_is_value", "forgot_square"}),
        ({"name": "tanh", "x": 0.5}, {"derivative_is_value", "forgot_square"}),
        ({"name": "leaky_relu", "x": [-1.0, 2.0]}, {"derivative_is_value", "wrong_slope"}),
        ({"name": "elu", "x": -1.0, "alpha": 2.0}, {"derivative_is_value", "forgot_alpha"}),
        ({"name": "softplus", "x": 0.5, "beta": 2.0}, {"derivative_is_value", "forgot_beta"}),
        ({"name": "silu", "x": 1.5}, {"derivative_is_value", "forgot_product_rule"}),
        ({"name": "gelu", "x": 1.5}, {"derivative_is_value", "forgot_product_rule"}),
        ({"name": "gelu_tanh", "x": -0.5}, {"derivative_is_value", "forgot_product_rule"}),
    ],
)
def test_each_misconception_gives_a_distinct_wrong_answer(
    params: dict[str, Any], tags: set[str]
) -> None:
    right = solve("activation", params).answer
    wrong = _wrong("activation", params)
    assert set(wrong) == tags
    seen = []
    for part, answer in wrong.values():
        assert answer != (right[part] if part else right)
        whole = dict(right, **{part: answer}) if part else answer
        assert whole not in seen
        seen.append(whole)


def test_sigmoid_derivative_given_as_sigma_is_recognised() -> None:
    wrong = _wrong("activation", {"name": "sigmoid", "x": 1.0})
    part, answer = wrong["derivative_is_value"]
    assert part == "derivative"
    assert answer == pytest.approx(torch.sigmoid(torch.tensor(1.0, dtype=torch.float64)).item())


def test_a_rule_that_gives_the_right_answer_is_skipped() -> None:
    # every x positive: the slope never matters
    assert "wrong_slope" not in _wrong("activation", {"name": "leaky_relu", "x": [1.0, 2.0]})


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"name": "swish", "x": 1}, "name"),
        ({"name": "relu", "x": "abc"}, "x"),
        ({"name": "relu", "x": [[1, 2]]}, "x"),
        ({"name": "relu", "x": []}, "x"),
        ({"name": "relu"}, "x"),
        ({"name": "softplus", "x": 1, "beta": 0}, "beta"),
        ({"name": "relu", "x": 1, "gain": 2}, "gain"),
    ],
)
def test_bad_calls_name_the_parameter(params: dict[str, Any], name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("activation", params)
    assert err.value.param == name
    assert "\n" not in str(err.value)


@settings(max_examples=60, deadline=None)
@given(
    d=st.integers(1, 4),
    k=st.integers(1, 4),
    data=st.data(),
)
def test_maxout_matches_torch(d: int, k: int, data: st.DataObject) -> None:
    x = data.draw(st.lists(reals, min_size=d, max_size=d))
    w = data.draw(st.lists(st.lists(reals, min_size=d, max_size=d), min_size=k, max_size=k))
    b = data.draw(st.lists(reals, min_size=k, max_size=k))
    z = torch.tensor(w, dtype=torch.float64) @ torch.tensor(x, dtype=torch.float64)
    z = z + torch.tensor(b, dtype=torch.float64)
    got = solve("activation.maxout", {"x": x, "w": w, "b": b}).answer
    assert_close(got, {"pieces": z.tolist(), "value": z.max().item()})


def test_maxout_misconception_and_shapes() -> None:
    wrong = _wrong("activation.maxout", {"x": [1, 2], "w": [[1, 0], [0, 1]], "b": [3, 0]})
    assert wrong["forgot_bias"] == (None, {"pieces": [1.0, 2.0], "value": 2.0})
    with pytest.raises(ProblemError, match="w: expected 2 columns to match x"):
        solve("activation.maxout", {"x": [1, 2], "w": [[1, 0, 1]], "b": [0]})
    with pytest.raises(ProblemError) as err:
        solve("activation.maxout", {"x": [1, 2], "w": [[1, 0]], "b": [0, 1]})
    assert err.value.param == "b"


@requires_cuda
def test_cuda_agrees_with_cpu() -> None:
    for name in NAMES:
        params = {"name": name, "x": [-1.5, 0.0, 0.7, 30.0], "beta": 2.0, "alpha": 0.5}
        cpu = solve("activation", params, device="cpu")
        gpu = solve("activation", params, device="cuda")
        assert gpu.verified is not None and gpu.verified.device.startswith("cuda")
        assert_close(gpu.answer, cpu.answer, 1e-6)
    params = {"x": [1, 2], "w": [[1, -1], [0.5, 2]], "b": [0, 1]}
    assert_close(
        solve("activation.maxout", params, device="cuda").answer,
        solve("activation.maxout", params, device="cpu").answer,
        1e-6,
    )


def test_cli_json_and_trace(cli: Any) -> None:
    out = cli("solve", "activation", "name=leaky_relu", "x=[-2, 3]", "slope=0.1", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["answer"] == {"value": [-0.2, 3.0], "derivative": [0.1, 1.0]}
    assert data["params"]["slope"] == 0.1 and data["verified"]["by"].startswith("torch")
    human = cli("solve", "activation", "name=sigmoid", "x=0.5")
    assert human.returncode == 0, human.stderr
    assert "Derivative" in human.stdout and "0.2350" in human.stdout
    bad = cli("solve", "activation", "name=softplus", "x=1", "beta=-1")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "beta" in bad.stderr
