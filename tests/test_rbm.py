"""rbm.energy and rbm.conditional against torch computed here, including the conditionals
recovered from the Boltzmann distribution over every hidden state, and their misconceptions."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ProblemError
from engine.registry import get_problem
from engine.solve import solve
from tests.conftest import requires_cuda
from tests.torch_support import assert_cuda_reference_equals_cpu, close

DT = torch.float64
weight = st.floats(-2.0, 2.0)


@st.composite
def rbms(draw: st.DrawFn) -> dict[str, Any]:
    nv, nh = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return {
        "W": draw(st.lists(st.lists(weight, min_size=nh, max_size=nh), min_size=nv, max_size=nv)),
        "a": draw(st.lists(weight, min_size=nv, max_size=nv)),
        "b": draw(st.lists(weight, min_size=nh, max_size=nh)),
        "v": draw(st.lists(st.sampled_from([0, 1]), min_size=nv, max_size=nv)),
        "h": draw(st.lists(st.sampled_from([0, 1]), min_size=nh, max_size=nh)),
    }


def torch_energy(v: Any, h: Any, W: Any, a: Any, b: Any) -> torch.Tensor:
    v, h = torch.as_tensor(v, dtype=DT), torch.as_tensor(h, dtype=DT)
    W, a, b = (torch.as_tensor(t, dtype=DT) for t in (W, a, b))
    return -(a @ v) - (b @ h) - v @ W @ h


def answer(problem: str, **params: Any) -> Any:
    return solve(problem, params, verify=False).answer


def wrong_answers(problem: str, **params: Any) -> dict[str, Any]:
    p = get_problem(problem)
    return {m.tag: w for m, w in p.wrong_answers(p.parse_params(params))}


@settings(max_examples=80, deadline=None)
@given(rbm=rbms())
def test_energy_matches_torch(rbm: dict[str, Any]) -> None:
    got = answer("rbm.energy", **rbm)
    assert isinstance(got, float)
    assert close(got, torch_energy(**rbm).item())


@settings(max_examples=80, deadline=None)
@given(rbm=rbms())
def test_conditionals_match_torch(rbm: dict[str, Any]) -> None:
    W, a, b = (torch.tensor(rbm[k], dtype=DT) for k in ("W", "a", "b"))
    v, h = torch.tensor(rbm["v"], dtype=DT), torch.tensor(rbm["h"], dtype=DT)
    common = {k: rbm[k] for k in ("W", "a", "b")}
    got_h = answer("rbm.conditional", **common, v=rbm["v"])
    assert close(got_h, {"p_h_given_v": torch.sigmoid(b + W.T @ v).tolist()})
    got_v = answer("rbm.conditional", **common, h=rbm["h"])
    assert close(got_v, {"p_v_given_h": torch.sigmoid(a + W @ h).tolist()})


@settings(max_examples=40, deadline=None)
@given(rbm=rbms())
def test_conditional_is_the_boltzmann_marginal(rbm: dict[str, Any]) -> None:
    """p(h_j = 1 | v) from p(h | v) ∝ exp(−E(v, h)) summed over every hidden state."""
    nh = len(rbm["b"])
    states = torch.tensor(list(itertools.product([0, 1], repeat=nh)), dtype=DT)
    energies = torch.stack(
        [torch_energy(rbm["v"], h, rbm["W"], rbm["a"], rbm["b"]) for h in states]
    )
    p = torch.softmax(-energies, dim=0)
    marginal = (p.unsqueeze(1) * states).sum(dim=0)
    got = answer("rbm.conditional", W=rbm["W"], a=rbm["a"], b=rbm["b"], v=rbm["v"])
    assert close(got["p_h_given_v"], marginal.tolist(), 1e-9)


def test_energy_by_hand() -> None:
    # −aᵀv − bᵀh − vᵀWh with v = [1, 0, 1], h = [1, 1]: −(0.1 − 0.3) − 0 − (0.5 − 1 − 0.4 + 0.7)
    params = {
        "v": [1, 0, 1],
        "h": [1, 1],
        "W": [[0.5, -1], [2, 0.3], [-0.4, 0.7]],
        "a": [0.1, 0.2, -0.3],
        "b": [0.5, -0.5],
    }
    assert solve("rbm.energy", params).answer == pytest.approx(0.2 + 0.2)


@pytest.mark.parametrize(
    ("problem", "params", "name"),
    [
        ("rbm.energy", {"v": [1, 0.5], "h": [1], "W": [[1], [1]], "a": [0, 0], "b": [0]}, "v"),
        ("rbm.energy", {"v": [1, 0], "h": [2], "W": [[1], [1]], "a": [0, 0], "b": [0]}, "h"),
        ("rbm.energy", {"v": [1, 0, 1], "h": [1], "W": [[1], [1]], "a": [0, 0], "b": [0]}, "v"),
        ("rbm.energy", {"v": [1, 0], "h": [1], "W": [[1], [1]], "a": [0], "b": [0]}, "a"),
        ("rbm.energy", {"v": [1, 0], "h": [1], "W": [[1], [1]], "a": [0, 0], "b": [0, 1]}, "b"),
        ("rbm.energy", {"v": [1, 0], "h": [1, 0], "W": [[1], [1]], "a": [0, 0], "b": [0]}, "h"),
        ("rbm.energy", {"v": [1], "h": [1], "W": [[1, 2], [3]], "a": [0], "b": [0]}, "W"),
        ("rbm.energy", {"v": [1], "h": [1], "W": [[1]], "a": [0]}, "b"),
        ("rbm.conditional", {"W": [[1]], "a": [0], "b": [0]}, "v"),
        ("rbm.conditional", {"W": [[1]], "a": [0], "b": [0], "v": [1], "h": [1]}, "h"),
        ("rbm.conditional", {"W": [[1, 2]], "a": [0], "b": [0, 0], "v": [1, 0]}, "v"),
        ("rbm.conditional", {"W": [[1, 2]], "a": [0], "b": [0, 0], "h": [1]}, "h"),
        ("rbm.conditional", {"W": [[1, 2]], "a": [0], "b": [0, 0], "v": [1.5]}, "v"),
    ],
)
def test_bad_calls_name_the_parameter(problem: str, params: dict[str, Any], name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve(problem, params)
    assert err.value.param == name


def test_conditional_accepts_probabilities() -> None:
    """A mean-field pass feeds probabilities back in: units in [0, 1] are accepted."""
    got = answer("rbm.conditional", W=[[1.0, -1.0]], a=[0.0], b=[0.0, 0.5], v=[0.25])
    assert close(got["p_h_given_v"], torch.sigmoid(torch.tensor([0.25, 0.25], dtype=DT)).tolist())


def test_energy_misconceptions() -> None:
    params = {
        "v": [1, 0, 1],
        "h": [1, 1],
        "W": [[0.5, -1], [2, 0.3], [-0.4, 0.7]],
        "a": [0.1, 0.2, -0.3],
        "b": [0.5, -0.6],
    }
    right = answer("rbm.energy", **params)
    wrong = wrong_answers("rbm.energy", **params)
    assert set(wrong) == {"forgot_bias", "sign_error", "forgot_hidden_bias"}
    interaction = 0.5 - 1 - 0.4 + 0.7
    assert wrong["forgot_bias"].answer == pytest.approx(-interaction)
    assert wrong["sign_error"].answer == pytest.approx(-right)
    assert wrong["forgot_hidden_bias"].answer == pytest.approx(0.2 - interaction)
    answers = [w.answer for w in wrong.values()]
    assert len({round(x, 6) for x in [right, *answers]}) == 4
    # no units on: E = 0 under every rule, nothing to tell apart
    zero = {**params, "v": [0, 0, 0], "h": [0, 0]}
    assert wrong_answers("rbm.energy", **zero) == {}


def test_conditional_misconceptions() -> None:
    square = {"W": [[0.5, -1.0], [2.0, 0.3]], "a": [0.1, -0.4], "b": [0.6, -0.2], "v": [1, 1]}
    right = answer("rbm.conditional", **square)["p_h_given_v"]
    wrong = wrong_answers("rbm.conditional", **square)
    assert set(wrong) == {"forgot_bias", "wrong_bias", "forgot_transpose", "forgot_sigmoid"}
    W = torch.tensor(square["W"], dtype=DT)
    v = torch.tensor([1.0, 1.0], dtype=DT)
    a, b = torch.tensor(square["a"], dtype=DT), torch.tensor(square["b"], dtype=DT)
    expected = {
        "forgot_bias": torch.sigmoid(W.T @ v),
        "wrong_bias": torch.sigmoid(a + W.T @ v),
        "forgot_transpose": torch.sigmoid(b + W @ v),
        "forgot_sigmoid": b + W.T @ v,
    }
    for tag, value in expected.items():
        assert close(wrong[tag].answer, {"p_h_given_v": value.tolist()}), tag
        assert not close(wrong[tag].answer["p_h_given_v"], right, 1e-3)
    # a non-square W: the other bias and the other orientation do not fit, so they are not offered
    tall = {"W": [[0.5], [2.0]], "a": [0.1, -0.4], "b": [0.6], "v": [1, 0]}
    assert set(wrong_answers("rbm.conditional", **tall)) == {"forgot_bias", "forgot_sigmoid"}


CALLS = [
    ("rbm.energy", {"v": [1, 0], "h": [1], "W": [[0.5], [-1]], "a": [0.1, 0.2], "b": [0.3]}),
    ("rbm.conditional", {"W": [[0.5], [-1]], "a": [0.1, 0.2], "b": [0.3], "h": [1]}),
]


@requires_cuda
@pytest.mark.cuda
@pytest.mark.parametrize(("problem", "params"), CALLS)
def test_cuda_reference_equals_cpu(problem: str, params: dict[str, Any]) -> None:
    assert_cuda_reference_equals_cpu(problem, params)


def test_cli(cli) -> None:
    out = cli(
        "solve",
        "rbm.conditional",
        "W=[[0.5,-1],[2,0.3]]",
        "a=[0.1,-0.4]",
        "b=[0.6,-0.2]",
        "v=[1,0]",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data["answer"]) == ["p_h_given_v"]
    assert data["params"]["h"] is None
    human = cli(
        "solve", "rbm.energy", "v=[1,0]", "h=[1]", "W=[[0.5],[-1]]", "a=[0.1,0.2]", "b=[0.3]"
    )
    assert human.returncode == 0, human.stderr
    assert "Energy" in human.stdout and "Checked against torch" in human.stdout
    bad = cli("solve", "rbm.energy", "v=[1,0]", "h=[1]", "W=[[0.5],[-1]]", "a=[0.1]", "b=[0.3]")
    assert bad.returncode == 2 and bad.stderr.startswith("revise: error: a:")
