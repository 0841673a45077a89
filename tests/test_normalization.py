"""batchnorm.forward against nn.BatchNorm1d in training mode, computed here."""

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
from tests.torch_support import assert_close


def torch_batchnorm(
    x: list[Any],
    gamma: list[float],
    beta: list[float],
    eps: float,
    momentum: float,
    running_mean: list[float],
    running_var: list[float],
) -> dict[str, Any]:
    """nn.BatchNorm1d in training mode; x̂ from a second BatchNorm without affine weights."""
    matrix = isinstance(x[0], list)
    t = torch.tensor(x, dtype=torch.float64)
    if not matrix:
        t = t.unsqueeze(1)
    c = t.shape[1]
    bn = torch.nn.BatchNorm1d(c, eps=eps, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma, dtype=torch.float64))
        bn.bias.copy_(torch.tensor(beta, dtype=torch.float64))
        bn.running_mean.copy_(torch.tensor(running_mean, dtype=torch.float64))  # type: ignore[union-attr]
        bn.running_var.copy_(torch.tensor(running_var, dtype=torch.float64))  # type: ignore[union-attr]
        y = bn.train()(t)
        plain = torch.nn.BatchNorm1d(c, eps=eps, affine=False, track_running_stats=False)
        x_hat = plain.to(torch.float64)(t)
    parts = {
        "mean": t.mean(0),
        "var": t.var(0, unbiased=False),
        "x_hat": x_hat,
        "y": y,
        "running_mean": bn.running_mean,
        "running_var": bn.running_var,
    }
    out: dict[str, Any] = {}
    for key, value in parts.items():
        assert value is not None
        if value.dim() == 2 and not matrix:
            value = value[:, 0]
        elif value.dim() == 1 and not matrix and key not in ("x_hat", "y"):
            value = value[0]
        out[key] = value.tolist()
    return out


reals = st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 2))


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(2, 6),
    c=st.integers(1, 3),
    matrix=st.booleans(),
    eps=st.sampled_from([1e-5, 1e-3, 0.1]),
    momentum=st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]),
    data=st.data(),
)
def test_batchnorm_matches_torch(
    n: int, c: int, matrix: bool, eps: float, momentum: float, data: st.DataObject
) -> None:
    if not matrix:
        c = 1

    def vec(k: int, lo: float = -5, hi: float = 5) -> list[float]:
        return data.draw(
            st.lists(st.floats(lo, hi).map(lambda v: round(v, 2)), min_size=k, max_size=k)
        )

    rows = [vec(c) for _ in range(n)]
    x: list[Any] = rows if matrix else [r[0] for r in rows]
    gamma, beta, rm, rv = vec(c), vec(c), vec(c), vec(c, 0.1, 5)
    params: dict[str, Any] = {"x": x, "eps": eps, "momentum": momentum}
    if matrix:
        params |= {"gamma": gamma, "beta": beta, "running_mean": rm, "running_var": rv}
    else:
        params |= {"gamma": gamma[0], "beta": beta[0], "running_mean": rm[0], "running_var": rv[0]}
    got = solve("batchnorm.forward", params).answer
    expected = torch_batchnorm(x, gamma, beta, eps, momentum, rm, rv)
    assert_close(got, expected, 1e-9)


def test_shapes_follow_x() -> None:
    one = solve("batchnorm.forward", {"x": [1, 2, 4]}).answer
    assert all(isinstance(one[k], float) for k in ("mean", "var", "running_mean", "running_var"))
    assert len(one["x_hat"]) == 3 and len(one["y"]) == 3
    many = solve("batchnorm.forward", {"x": [[1, 2], [3, 5], [0, -1]], "gamma": 2}).answer
    assert len(many["mean"]) == 2 and len(many["running_var"]) == 2
    assert len(many["y"]) == 3 and len(many["y"][0]) == 2


def test_convention_biased_variance_normalises_and_unbiased_updates_the_running_var() -> None:
    """BatchNorm divides by m to normalise but by m − 1 for the running variance."""
    x = [1.0, 2.0, 4.0]
    answer = solve("batchnorm.forward", {"x": x, "momentum": 0.1}).answer
    mean = sum(x) / 3
    biased = sum((v - mean) ** 2 for v in x) / 3
    unbiased = biased * 3 / 2
    assert answer["var"] == pytest.approx(biased, rel=1e-12)
    assert answer["x_hat"][0] == pytest.approx((x[0] - mean) / math.sqrt(biased + 1e-5))
    # momentum is the weight of the new batch
    assert answer["running_mean"] == pytest.approx(0.9 * 0 + 0.1 * mean, rel=1e-12)
    assert answer["running_var"] == pytest.approx(0.9 * 1 + 0.1 * unbiased, rel=1e-12)
    expected = torch_batchnorm(x, [1.0], [0.0], 1e-5, 0.1, [0.0], [1.0])
    assert_close(answer, expected)

    problem = get_problem("batchnorm.forward")
    wrong = {m.tag: w.answer for m, w in problem.wrong_answers(problem.parse_params({"x": x}))}
    assert wrong["unbiased_variance"]["var"] == pytest.approx(unbiased)
    assert wrong["unbiased_variance"]["x_hat"][0] == pytest.approx(
        (x[0] - mean) / math.sqrt(unbiased + 1e-5)
    )
    assert wrong["biased_running_var"] == pytest.approx(0.9 + 0.1 * biased)


def test_each_misconception_gives_a_distinct_wrong_answer() -> None:
    problem = get_problem("batchnorm.forward")
    params = {"x": [[1, 2], [3, 5], [0, -1]], "gamma": [2, 0.5], "beta": 1, "momentum": 0.3}
    right = solve("batchnorm.forward", params).answer
    found = problem.wrong_answers(problem.parse_params(params))
    assert {m.tag for m, _ in found} == {
        "unbiased_variance",
        "biased_running_var",
        "momentum_swapped",
        "forgot_sqrt",
        "forgot_beta",
    }
    wholes = []
    for m, w in found:
        whole = dict(right, **{m.part: w.answer}) if m.part else w.answer
        assert whole != right and whole not in wholes, m.tag
        wholes.append(whole)


@pytest.mark.parametrize(
    ("params", "name", "words"),
    [
        ({"x": [3.0]}, "x", "at least 2"),
        ({"x": [[1.0, 2.0]]}, "x", "at least 2"),
        ({"x": [1, 2], "gamma": [1, 2]}, "gamma", "single number"),
        ({"x": [[1, 2], [3, 4]], "beta": [1, 2, 3]}, "beta", "expected 2 numbers"),
        ({"x": [[1, 2], [3, 4]], "running_var": [1]}, "running_var", "expected 2"),
        ({"x": [[1, 2], [3]]}, "x", "same length"),
        ({"x": [1, 2], "momentum": 1.5}, "momentum", "between 0 and 1"),
        ({"x": [1, 2], "eps": -1}, "eps", ""),
        ({"x": [2, 2], "eps": 0}, "eps", "divide by zero"),
        ({"x": "abc"}, "x", ""),
    ],
)
def test_bad_calls_name_the_parameter(params: dict[str, Any], name: str, words: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("batchnorm.forward", params)
    assert err.value.param == name
    assert words in str(err.value)


def test_torch_refuses_a_batch_of_one_too() -> None:
    bn = torch.nn.BatchNorm1d(1, dtype=torch.float64).train()
    with pytest.raises(ValueError, match="more than 1 value"):
        bn(torch.ones(1, 1, dtype=torch.float64))


@requires_cuda
def test_cuda_agrees_with_cpu() -> None:
    params = {"x": [[1, 2], [3, 5], [0, -1]], "gamma": [2, 0.5], "beta": 1, "running_var": 2}
    gpu = solve("batchnorm.forward", params, device="cuda")
    assert gpu.verified is not None and gpu.verified.device.startswith("cuda")
    assert_close(gpu.answer, solve("batchnorm.forward", params, device="cpu").answer, 1e-6)


def test_cli_json_and_trace(cli: Any) -> None:
    out = cli("solve", "batchnorm.forward", "x=[1, 2, 4]", "gamma=2", "beta=0.5", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    expected = torch_batchnorm([1.0, 2.0, 4.0], [2.0], [0.5], 1e-5, 0.1, [0.0], [1.0])
    assert_close(data["answer"], expected)
    assert data["params"]["momentum"] == 0.1 and data["params"]["running_var"] == 1.0
    human = cli("solve", "batchnorm.forward", "x=[[1, 2], [3, 5]]")
    assert human.returncode == 0, human.stderr
    assert "channel 1" in human.stdout and "Running variance" in human.stdout
    bad = cli("solve", "batchnorm.forward", "x=[5]")
    assert bad.returncode == 2 and "x:" in bad.stderr and bad.stderr.count("\n") == 1
