"""residual.gradient and vanishing.chain against torch autograd, and their misconceptions."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ProblemError, get_problem
from engine.solve import solve
from tests.conftest import requires_cuda

ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


def autograd_residual(x0: float, weights: list[float], activation: str) -> dict[str, float]:
    f = ACT[activation]
    x_in = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    x = x_in
    for w in weights:
        x = x + w * f(x)
    x_last = x.detach().item()
    (factor,) = torch.autograd.grad(x, x_in, retain_graph=True)
    (grad,) = torch.autograd.grad(0.5 * x**2, x_in)
    return {"grad": grad.item(), "upstream": x_last, "factor": factor.item()}


def autograd_chain(depth: int, activation: str, w: float, x: float, residual: bool) -> float:
    f = ACT[activation]
    z0 = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    z = z0
    for _ in range(depth):
        z = z + f(w * z) if residual else f(w * z)
    (g,) = torch.autograd.grad(z, z0)
    return g.item()


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


@settings(max_examples=100, deadline=None)
@given(
    x0=st.floats(-3, 3),
    weights=st.lists(st.floats(-2, 2), min_size=1, max_size=6),
    activation=st.sampled_from(["tanh", "relu", "sigmoid"]),
)
def test_residual_gradient_matches_autograd(
    x0: float, weights: list[float], activation: str
) -> None:
    ours = solve(
        "residual.gradient", {"x0": x0, "weights": weights, "activation": activation}, verify=False
    ).answer
    theirs = autograd_residual(x0, weights, activation)
    assert set(ours) == {"grad", "upstream", "factor"}
    for key in ours:
        assert close(ours[key], theirs[key]), (key, ours, theirs)
    # He et al. eq. 5: the gradient is the upstream gradient times the product of (1 + …)
    assert close(ours["grad"], ours["upstream"] * ours["factor"])


def test_residual_gradient_by_hand() -> None:
    # one tanh block with w = 1 at x0 = 0: x1 = 0, ∂x1/∂x0 = 1 + 1·(1 − 0) = 2, upstream 0
    answer = solve("residual.gradient", {"x0": 0, "weights": [1]}).answer
    assert answer == {"grad": 0.0, "upstream": 0.0, "factor": 2.0}
    # relu, x0 = 1, w = [1, 1]: x1 = 2, x2 = 4; factor (1 + 1)(1 + 1) = 4; grad 4·4 = 16
    answer = solve("residual.gradient", {"x0": 1, "weights": [1, 1], "activation": "relu"}).answer
    assert answer == {"grad": 16.0, "upstream": 4.0, "factor": 4.0}


def test_identity_path_keeps_the_gradient_alive() -> None:
    # relu blocks with a negative input: every residual branch is dead (relu′ = 0), yet the
    # gradient passes unchanged through the identity paths
    answer = solve(
        "residual.gradient", {"x0": -1.5, "weights": [2, -3, 0.5], "activation": "relu"}
    ).answer
    assert answer["factor"] == 1.0
    assert answer["grad"] == answer["upstream"] == -1.5


@settings(max_examples=80, deadline=None)
@given(
    depth=st.integers(1, 30),
    activation=st.sampled_from(["sigmoid", "tanh", "relu"]),
    w=st.floats(-2, 2),
    x=st.floats(-2, 2),
    residual=st.booleans(),
)
def test_vanishing_chain_matches_autograd(
    depth: int, activation: str, w: float, x: float, residual: bool
) -> None:
    call = {"depth": depth, "activation": activation, "w": w, "x": x, "residual": residual}
    ours = solve("vanishing.chain", call, verify=False).answer
    assert set(ours) == {"gradient", "bound"}
    assert close(ours["gradient"], autograd_chain(depth, activation, w, x, residual))
    slope = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}[activation]
    assert close(ours["bound"], slope**depth * abs(w) ** depth)
    if not residual:
        assert abs(ours["gradient"]) <= ours["bound"] * (1 + 1e-9)


def test_vanishing_chain_defaults_vanish_and_residual_does_not() -> None:
    plain = solve("vanishing.chain", {"depth": 10}).answer
    # sigmoid chain at x = 0, w = 1: the first slope is σ′(0) = 0.25, later ones are smaller
    assert plain["bound"] == pytest.approx(0.25**10)
    assert 0 < plain["gradient"] <= plain["bound"]
    residual = solve("vanishing.chain", {"depth": 10, "residual": True}).answer
    assert residual["gradient"] > 1  # every factor is 1 + σ′(·) > 1


def test_relu_derivative_at_zero_is_zero_like_autograd() -> None:
    answer = solve("vanishing.chain", {"depth": 3, "activation": "relu", "x": 0.0}).answer
    assert answer["gradient"] == 0.0 == autograd_chain(3, "relu", 1.0, 0.0, False)


def test_the_reference_bound_is_found_by_autograd() -> None:
    problem = get_problem("vanishing.chain")
    for act, slope in [("sigmoid", 0.25), ("tanh", 1.0), ("relu", 1.0)]:
        params = problem.parse_params({"depth": 4, "activation": act, "w": 1.5})
        ref = problem.reference(params, torch.device("cpu"))
        assert ref["bound"] == pytest.approx((slope * 1.5) ** 4, rel=1e-12)


# --- misconceptions --------------------------------------------------------------------------


def wrong_answers(problem_id: str, call: dict[str, Any]) -> dict[tuple[str, str | None], Any]:
    problem = get_problem(problem_id)
    return {(m.tag, m.part): w for m, w in problem.wrong_answers(problem.parse_params(call))}


def test_residual_misconceptions() -> None:
    call = {"x0": 0.5, "weights": [1.0, -0.5, 2.0]}
    right = solve("residual.gradient", call).answer
    found = wrong_answers("residual.gradient", call)
    assert set(found) == {
        ("forgot_identity", "grad"),
        ("forgot_identity", "factor"),
        ("forgot_upstream", "grad"),
        ("used_activation", "grad"),
        ("gave_upstream", "grad"),
    }
    xs = [0.5]
    for w in call["weights"]:
        xs.append(xs[-1] + w * math.tanh(xs[-1]))
    no_identity = math.prod(w * (1 - math.tanh(x) ** 2) for w, x in zip(call["weights"], xs))
    assert found[("forgot_identity", "factor")].answer == pytest.approx(no_identity)
    assert found[("forgot_identity", "grad")].answer == pytest.approx(xs[-1] * no_identity)
    assert found[("forgot_upstream", "grad")].answer == pytest.approx(right["factor"])
    values = [w.answer for (tag, part), w in found.items() if part == "grad"]
    assert len({round(v, 9) for v in values}) == len(values)
    assert all(not close(v, right["grad"], 1e-6) for v in values)
    assert all(w.feedback for w in found.values())


def test_vanishing_misconceptions() -> None:
    call = {"depth": 5, "activation": "sigmoid", "w": 2.0, "x": 0.5, "residual": True}
    right = solve("vanishing.chain", call).answer
    found = wrong_answers("vanishing.chain", call)
    assert set(found) == {
        ("forgot_weight", "gradient"),
        ("forgot_identity", "gradient"),
        ("sigmoid_slope_one", "bound"),
        ("bound_without_weight", "bound"),
    }
    assert found[("sigmoid_slope_one", "bound")].answer == pytest.approx(2.0**5)
    assert found[("bound_without_weight", "bound")].answer == pytest.approx(0.25**5)
    gradients = [found[(t, "gradient")].answer for t in ("forgot_weight", "forgot_identity")]
    assert not close(gradients[0], gradients[1], 1e-6)
    assert all(not close(g, right["gradient"], 1e-6) for g in gradients)
    # w = 1 and a plain chain: forgetting w or the identity changes nothing, so no rule fires
    quiet = wrong_answers("vanishing.chain", {"depth": 5, "activation": "tanh"})
    assert set(quiet) == set()


# --- bad calls -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problem_id", "call", "param"),
    [
        ("residual.gradient", {"x0": 1, "weights": []}, "weights"),
        ("residual.gradient", {"x0": 1, "weights": [1], "activation": "gelu"}, "activation"),
        ("residual.gradient", {"weights": [1]}, "x0"),
        ("residual.gradient", {"x0": "a", "weights": [1]}, "x0"),
        ("vanishing.chain", {"depth": 0}, "depth"),
        ("vanishing.chain", {"depth": 5000}, "depth"),
        ("vanishing.chain", {"depth": 2.5}, "depth"),
        ("vanishing.chain", {"depth": 3, "activation": "softmax"}, "activation"),
        ("vanishing.chain", {"depth": 3, "width": 2}, "width"),
        (
            "vanishing.chain",
            {"depth": 1000, "w": 5, "x": 1, "residual": True, "activation": "relu"},
            "depth",
        ),
    ],
)
def test_bad_calls_name_the_parameter(problem_id: str, call: dict[str, Any], param: str) -> None:
    with pytest.raises(ProblemError) as info:
        solve(problem_id, call)
    assert info.value.param == param
    assert "\n" not in str(info.value)


# --- command line and device -----------------------------------------------------------------


def test_cli(cli: Any) -> None:
    result = cli("solve", "residual.gradient", "x0=0.5", "weights=[1,-0.5,2]", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    theirs = autograd_residual(0.5, [1, -0.5, 2], "tanh")
    assert data["params"] == {"x0": 0.5, "weights": [1.0, -0.5, 2.0], "activation": "tanh"}
    assert all(close(data["answer"][k], theirs[k]) for k in theirs)
    human = cli("solve", "vanishing.chain", "depth=20", "activation=tanh", "w=0.5", "x=1")
    assert human.returncode == 0, human.stderr
    assert "Layers 7–19" in human.stdout and "Bound on a plain chain" in human.stdout
    bad = cli("solve", "vanishing.chain", "depth=-2")
    assert bad.returncode == 2 and "depth" in bad.stderr and "Traceback" not in bad.stderr


@requires_cuda
@pytest.mark.cuda
def test_cuda_matches_cpu() -> None:
    calls = [
        ("residual.gradient", {"x0": 0.3, "weights": [1.0, -2.0, 0.5], "activation": "sigmoid"}),
        ("vanishing.chain", {"depth": 12, "activation": "tanh", "w": 1.3, "x": 0.2}),
    ]
    for problem_id, call in calls:
        gpu = solve(problem_id, call, device="cuda")
        cpu = solve(problem_id, call, device="cpu")
        assert gpu.verified is not None and gpu.verified.device.startswith("cuda")
        assert all(close(gpu.answer[k], cpu.answer[k], 1e-6) for k in cpu.answer)
        problem = get_problem(problem_id)
        params = problem.parse_params(call)
        on_gpu = problem.reference(params, torch.device("cuda"))
        on_cpu = problem.reference(params, torch.device("cpu"))
        assert all(close(on_gpu[k], on_cpu[k], 1e-6) for k in on_cpu)
