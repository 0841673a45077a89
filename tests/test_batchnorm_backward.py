"""batchnorm.backward against autograd, and batchnorm.forward at prediction time and with eps = 0,
each against torch computed here."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ProblemError
from engine.checking import check
from engine.solve import solve
from tests.conftest import requires_cuda
from tests.torch_support import assert_close


def _columns(x: list[Any]) -> torch.Tensor:
    t = torch.tensor(x, dtype=torch.float64)
    return t if t.dim() == 2 else t.unsqueeze(1)


def _channels(value: Any, c: int) -> torch.Tensor:
    return torch.tensor(value if isinstance(value, list) else [value] * c, dtype=torch.float64)


def torch_backward(
    params: dict[str, Any], *, detach_mean: bool = False, detach_var: bool = False
) -> dict[str, Any]:
    """Autograd through batch normalisation written with tensor operations (so eps = 0 works);
    detaching the mean or the variance gives the gradient of a student who forgot that path."""
    matrix = isinstance(params["x"][0], list)
    x = _columns(params["x"]).requires_grad_(True)
    c = x.shape[1]
    gamma = _channels(params.get("gamma", 1.0), c).requires_grad_(True)
    beta = _channels(params.get("beta", 0.0), c).requires_grad_(True)
    mean = x.mean(0)
    if detach_mean:
        mean = mean.detach()
    var = ((x - mean) ** 2).mean(0)
    if detach_var:
        var = var.detach()
    y = gamma * (x - mean) / torch.sqrt(var + params.get("eps", 1e-5)) + beta
    y.backward(_columns(params["upstream"]))
    assert x.grad is not None and gamma.grad is not None and beta.grad is not None
    if matrix:
        return {"dgamma": gamma.grad.tolist(), "dbeta": beta.grad.tolist(), "dx": x.grad.tolist()}
    return {"dgamma": gamma.grad.item(), "dbeta": beta.grad.item(), "dx": x.grad[:, 0].tolist()}


def torch_module_backward(params: dict[str, Any]) -> dict[str, Any]:
    """The same through nn.BatchNorm1d itself (eps > 0 only)."""
    x = _columns(params["x"]).requires_grad_(True)
    bn = torch.nn.BatchNorm1d(x.shape[1], eps=params.get("eps", 1e-5), dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(_channels(params.get("gamma", 1.0), x.shape[1]))
    bn(x).backward(_columns(params["upstream"]))
    assert x.grad is not None and bn.weight.grad is not None and bn.bias.grad is not None
    if isinstance(params["x"][0], list):
        return {
            "dgamma": bn.weight.grad.tolist(),
            "dbeta": bn.bias.grad.tolist(),
            "dx": x.grad.tolist(),
        }
    return {
        "dgamma": bn.weight.grad.item(),
        "dbeta": bn.bias.grad.item(),
        "dx": x.grad[:, 0].tolist(),
    }


EXAMPLE = {"x": [1.0, 2.0, 3.0, 6.0], "gamma": 2.0, "beta": 0.5, "upstream": [0.5, -1.0, 0.2, 0.4]}

reals = st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 2))


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(2, 6),
    c=st.integers(1, 3),
    matrix=st.booleans(),
    eps=st.sampled_from([0.0, 1e-5, 1e-3, 0.1]),
    data=st.data(),
)
def test_backward_matches_autograd(
    n: int, c: int, matrix: bool, eps: float, data: st.DataObject
) -> None:
    c = c if matrix else 1

    def batch() -> Any:
        rows = [data.draw(st.lists(reals, min_size=c, max_size=c)) for _ in range(n)]
        return rows if matrix else [r[0] for r in rows]

    x = batch()
    columns = list(zip(*x)) if matrix else [x]
    spread = all(max(col) - min(col) > 0.05 for col in columns)
    params = {"x": x, "upstream": batch(), "eps": eps}
    params["gamma"] = data.draw(st.lists(reals, min_size=c, max_size=c)) if matrix else 1.5
    if eps == 0 and any(max(col) == min(col) for col in columns):
        with pytest.raises(ProblemError):
            solve("batchnorm.backward", params)
        return
    if not spread:
        params["eps"] = max(eps, 1e-3)  # keep 1/σ small enough to compare in double precision
    answer = solve("batchnorm.backward", params).answer
    assert_close(answer, torch_backward(params), 1e-7)
    if params["eps"] > 0:
        assert_close(answer, torch_module_backward(params), 1e-7)


def test_the_three_terms_add_up_to_zero_over_the_batch() -> None:
    """The mean path makes Σ ∂L/∂x_i = 0: shifting every input alike changes nothing."""
    dx = solve("batchnorm.backward", EXAMPLE).answer["dx"]
    assert abs(sum(dx)) < 1e-12
    assert_close(solve("batchnorm.backward", EXAMPLE).answer, torch_module_backward(EXAMPLE))


def test_eps_zero_is_accepted_in_both_directions() -> None:
    params = dict(EXAMPLE, eps=0)
    assert_close(solve("batchnorm.backward", params).answer, torch_backward(params))
    forward = solve("batchnorm.forward", {"x": [1, 2, 3, 6], "gamma": 2, "beta": 1, "eps": 0})
    x = torch.tensor([1.0, 2.0, 3.0, 6.0], dtype=torch.float64)
    x_hat = (x - x.mean()) / x.var(unbiased=False).sqrt()
    assert_close(forward.answer["y"], (2 * x_hat + 1).tolist())
    assert_close(forward.answer["running_var"], 0.9 + 0.1 * x.var(unbiased=True).item())
    assert forward.verified is not None


def test_the_trace_writes_the_three_term_formula_out() -> None:
    steps = solve("batchnorm.backward", EXAMPLE).steps
    dx = next(s for s in steps if s.title.startswith("Gradient of x"))
    assert r"\hat{x}_{i} \sum_{j}" in dx.formula and r"m \sigma" in dx.formula
    assert "4 \\cdot" in dx.substituted  # m = 4 put in


def sig4(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: sig4(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sig4(v) for v in value]
    return float(f"{value:.4g}")


def _named(problem: str, params: dict[str, Any], answer: Any, part: str | None) -> str | None:
    result = check(problem, params, json.dumps(sig4(answer)), part)
    assert not result.correct, result.feedback
    return result.misconception


def test_forgot_one_over_m_is_named() -> None:
    right = torch_backward(EXAMPLE)
    g = torch.tensor(EXAMPLE["upstream"], dtype=torch.float64)
    x = torch.tensor(EXAMPLE["x"], dtype=torch.float64)
    sigma = torch.sqrt(x.var(unbiased=False) + 1e-5)
    x_hat = (x - x.mean()) / sigma
    # the mean and variance paths summed without their 1/m
    wrong = 2.0 / sigma * (g - g.sum() - x_hat * (g * x_hat).sum())
    assert right["dx"] != wrong.tolist()
    assert _named("batchnorm.backward", EXAMPLE, wrong.tolist(), "dx") == "forgot_one_over_m"


@pytest.mark.parametrize(
    ("detach", "tag"),
    [
        ({"detach_mean": True, "detach_var": True}, "statistics_as_constants"),
        ({"detach_var": True}, "forgot_variance_path"),
        ({"detach_mean": True}, "forgot_mean_path"),
    ],
)
def test_a_forgotten_path_is_named(detach: dict[str, bool], tag: str) -> None:
    wrong = torch_backward(EXAMPLE, **detach)["dx"]
    assert _named("batchnorm.backward", EXAMPLE, wrong, "dx") == tag


def test_prediction_time_uses_the_running_statistics() -> None:
    params = {
        "x": [[1.0, 2.0], [3.0, 5.0], [0.0, 1.0]],
        "gamma": [2.0, 0.5],
        "beta": [0.1, -1.0],
        "running_mean": [1.0, 2.5],
        "running_var": [2.0, 0.5],
        "training": False,
    }
    bn = torch.nn.BatchNorm1d(2, dtype=torch.float64).eval()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(params["gamma"], dtype=torch.float64))
        bn.bias.copy_(torch.tensor(params["beta"], dtype=torch.float64))
        bn.running_mean.copy_(torch.tensor(params["running_mean"], dtype=torch.float64))  # type: ignore[union-attr]
        bn.running_var.copy_(torch.tensor(params["running_var"], dtype=torch.float64))  # type: ignore[union-attr]
        y = bn(torch.tensor(params["x"], dtype=torch.float64))
    answer = solve("batchnorm.forward", params).answer
    assert_close(answer["y"], y.tolist())
    assert answer["mean"] == answer["running_mean"] == params["running_mean"]
    assert answer["var"] == answer["running_var"] == params["running_var"]
    # a single example is fine at prediction time
    one = solve("batchnorm.forward", dict(params, x=[[1.0, 2.0]])).answer
    assert_close(one["y"], y[:1].tolist())


def test_batch_statistics_at_prediction_time_is_named() -> None:
    params = {"x": [1.0, 2.0, 3.0, 6.0], "gamma": 2.0, "beta": 1.0}
    params |= {"running_mean": 2.0, "running_var": 4.0, "training": False}
    bn = torch.nn.BatchNorm1d(1, dtype=torch.float64).train()
    with torch.no_grad():
        bn.weight.fill_(2.0)
        bn.bias.fill_(1.0)
        wrong = bn(torch.tensor(params["x"], dtype=torch.float64).unsqueeze(1))[:, 0]
    tag = _named("batchnorm.forward", params, wrong.tolist(), "y")
    assert tag == "batch_statistics_at_prediction"


@pytest.mark.parametrize(
    ("problem", "params", "name", "words"),
    [
        ("batchnorm.backward", dict(EXAMPLE, upstream=[1.0, 2.0]), "upstream", "shape of x"),
        (
            "batchnorm.backward",
            dict(EXAMPLE, x=[2.0, 2.0, 2.0, 2.0], eps=0),
            "eps",
            "variance is 0",
        ),
        ("batchnorm.backward", dict(EXAMPLE, eps=-1), "eps", "≥ 0"),
        ("batchnorm.backward", dict(EXAMPLE, x=[1.0], upstream=[1.0]), "x", "at least 2"),
        ("batchnorm.backward", dict(EXAMPLE, gamma=[1.0, 2.0]), "gamma", "single number"),
        ("batchnorm.forward", {"x": [3.0, 3.0], "eps": 0}, "eps", "variance is 0"),
        (
            "batchnorm.forward",
            {"x": [3.0], "training": False, "running_var": 0, "eps": 0},
            "eps",
            "running variance",
        ),
        (
            "batchnorm.forward",
            {"x": [3.0], "training": False, "running_var": -1},
            "running_var",
            "",
        ),
    ],
)
def test_bad_calls_name_the_parameter(
    problem: str, params: dict[str, Any], name: str, words: str
) -> None:
    with pytest.raises(ProblemError) as err:
        solve(problem, params)
    assert err.value.param == name and words in str(err.value)


def test_cli_eps_zero_is_one_call_and_a_flat_batch_one_line(cli: Any) -> None:
    out = cli("solve", "batchnorm.forward", "x=[1,2,3,6]", "gamma=2", "beta=1", "eps=0")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "Answer" in out.stdout
    flat = cli("solve", "batchnorm.forward", "x=[2,2,2]", "eps=0")
    assert flat.returncode == 2 and len(flat.stderr.strip().splitlines()) == 1
    back = cli("solve", "batchnorm.backward", *[f"{k}={json.dumps(v)}" for k, v in EXAMPLE.items()])
    assert back.returncode == 0, back.stderr
    assert "∂L" in back.stdout


@requires_cuda
def test_cuda_agrees_with_cpu() -> None:
    for problem, params in [
        ("batchnorm.backward", EXAMPLE),
        ("batchnorm.backward", dict(EXAMPLE, eps=0)),
        ("batchnorm.forward", {"x": [1, 2, 3, 6], "eps": 0}),
        ("batchnorm.forward", {"x": [1, 2, 3, 6], "training": False, "running_var": 2}),
    ]:
        gpu = solve(problem, params, device="cuda")
        assert gpu.verified is not None and gpu.verified.device.startswith("cuda")
        assert_close(gpu.answer, solve(problem, params, device="cpu").answer, 1e-9)


def test_forgetting_gamma_and_using_x_for_dgamma_are_named() -> None:
    right = torch_backward(EXAMPLE)
    without_gamma = [v / EXAMPLE["gamma"] for v in right["dx"]]
    assert _named("batchnorm.backward", EXAMPLE, without_gamma, "dx") == "forgot_gamma"
    on_x = sum(g * x for g, x in zip(EXAMPLE["upstream"], EXAMPLE["x"]))
    assert _named("batchnorm.backward", EXAMPLE, on_x, "dgamma") == "dgamma_with_x"
