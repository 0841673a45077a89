"""rl.return, rl.value_iteration and rl.q_learning against torch, exact solutions and by hand."""

from __future__ import annotations

import itertools
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


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def all_close(a: Any, b: Any, tol: float = 1e-9) -> bool:
    if isinstance(a, list):
        return len(a) == len(b) and all(all_close(x, y, tol) for x, y in zip(a, b))
    return close(float(a), float(b), tol)


def wrong_answers(problem_id: str, call: dict[str, Any]) -> dict[tuple[str, str | None], Any]:
    problem = get_problem(problem_id)
    return {(m.tag, m.part): w for m, w in problem.wrong_answers(problem.parse_params(call))}


# --- rl.return -------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    rewards=st.lists(st.floats(-10, 10), min_size=1, max_size=20),
    gamma=st.floats(0, 1),
)
def test_return_matches_torch(rewards: list[float], gamma: float) -> None:
    r = torch.tensor(rewards, dtype=torch.float64)
    expected = (gamma ** torch.arange(len(rewards), dtype=torch.float64) * r).sum().item()
    ours = solve("rl.return", {"rewards": rewards, "gamma": gamma}, verify=False).answer
    assert close(ours, expected)


def test_return_by_hand_and_misconceptions() -> None:
    call = {"rewards": [1, 2, 3], "gamma": 0.5}
    assert solve("rl.return", call).answer == 1 + 0.5 * 2 + 0.25 * 3
    found = wrong_answers("rl.return", call)
    assert found[("no_discount", None)].answer == 6
    assert found[("discount_from_one", None)].answer == pytest.approx(0.5 + 0.5 + 0.375)
    assert found[("reversed_discount", None)].answer == pytest.approx(0.25 + 1 + 3)
    # γ = 1: nothing is discounted, so none of these mistakes shows
    assert wrong_answers("rl.return", {"rewards": [1, 2, 3], "gamma": 1}) == {}


# --- rl.value_iteration ----------------------------------------------------------------------


def exact_optimum(P: list, R: list, gamma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """v* as the best of every deterministic policy's v = (I − γP_π)⁻¹R_π; Q* from it."""
    p = torch.tensor(P, dtype=torch.float64)
    r = torch.tensor(R, dtype=torch.float64)
    S, A = r.shape
    best = torch.full((S,), -math.inf, dtype=torch.float64)
    for policy in itertools.product(range(A), repeat=S):
        P_pi = torch.stack([p[s, a] for s, a in enumerate(policy)])
        R_pi = torch.stack([r[s, a] for s, a in enumerate(policy)])
        v = torch.linalg.solve(torch.eye(S, dtype=torch.float64) - gamma * P_pi, R_pi)
        best = torch.maximum(best, v)
    q = r + gamma * p @ best
    return q, best


def policy_value(P: list, R: list, gamma: float, policy: list[int]) -> torch.Tensor:
    p = torch.tensor(P, dtype=torch.float64)
    r = torch.tensor(R, dtype=torch.float64)
    S = len(policy)
    P_pi = torch.stack([p[s, a] for s, a in enumerate(policy)])
    R_pi = torch.stack([r[s, a] for s, a in enumerate(policy)])
    return torch.linalg.solve(torch.eye(S, dtype=torch.float64) - gamma * P_pi, R_pi)


@st.composite
def mdps(draw: st.DrawFn) -> tuple[list, list]:
    S = draw(st.integers(1, 4))
    A = draw(st.integers(1, 3))
    P = []
    for _ in range(S):
        rows = []
        for _ in range(A):
            weights = draw(st.lists(st.integers(0, 4), min_size=S, max_size=S))
            if sum(weights) == 0:
                weights[draw(st.integers(0, S - 1))] = 1
            rows.append([w / sum(weights) for w in weights])
        P.append(rows)
    R = draw(st.lists(st.lists(st.floats(-5, 5), min_size=A, max_size=A), min_size=S, max_size=S))
    return P, R


@settings(max_examples=60, deadline=None)
@given(mdp=mdps(), gamma=st.floats(0, 0.95))
def test_value_iteration_converges_to_the_exact_solution(mdp: tuple, gamma: float) -> None:
    P, R = mdp
    ours = solve("rl.value_iteration", {"P": P, "R": R, "gamma": gamma}, verify=False).answer
    q_star, v_star = exact_optimum(P, R, gamma)
    scale = max(1.0, float(q_star.abs().max()))
    assert all(
        abs(a - b) <= 1e-9 * scale
        for row_a, row_b in zip(ours["q"], q_star.tolist())
        for a, b in zip(row_a, row_b)
    )
    assert all(abs(a - b) <= 1e-9 * scale for a, b in zip(ours["v"], v_star.tolist()))
    # the greedy policy is optimal: its own value (solved exactly) is v*
    assert all(
        abs(a - b) <= 1e-7 * scale
        for a, b in zip(policy_value(P, R, gamma, ours["policy"]).tolist(), v_star.tolist())
    )
    # ties go to the lowest action: no lower action is as good
    for s, a in enumerate(ours["policy"]):
        row = ours["q"][s]
        assert all(row[b] < row[a] - 1e-9 * max(1.0, abs(row[a])) for b in range(a))


@settings(max_examples=40, deadline=None)
@given(mdp=mdps(), gamma=st.floats(0, 0.99), iterations=st.integers(0, 6))
def test_fixed_iterations_match_torch_backups(mdp: tuple, gamma: float, iterations: int) -> None:
    P, R = mdp
    call = {"P": P, "R": R, "gamma": gamma, "iterations": iterations}
    ours = solve("rl.value_iteration", call, verify=False).answer
    p = torch.tensor(P, dtype=torch.float64)
    q = torch.zeros(len(R), len(R[0]), dtype=torch.float64)
    for _ in range(iterations):
        q = torch.tensor(R, dtype=torch.float64) + gamma * p @ q.max(dim=1).values
    assert all_close(ours["q"], q.tolist())
    assert all_close(ours["v"], q.max(dim=1).values.tolist())


def test_value_iteration_by_hand() -> None:
    # two states, two actions; action 1 in state 0 moves to state 1, which pays 2 forever
    P = [[[1, 0], [0, 1]], [[0, 1], [0, 1]]]
    R = [[1, 0], [2, 2]]
    one = solve("rl.value_iteration", {"P": P, "R": R, "gamma": 0.5, "iterations": 1}).answer
    assert one == {"q": [[1.0, 0.0], [2.0, 2.0]], "v": [1.0, 2.0], "policy": [0, 0]}
    two = solve("rl.value_iteration", {"P": P, "R": R, "gamma": 0.5, "iterations": 2}).answer
    assert two["q"] == [[1.5, 1.0], [3.0, 3.0]]
    # converged: V(1) = 2/(1 − 0.5) = 4; Q(0,1) = 0 + 0.5·4 = 2; Q(0,0) = 1 + 0.5·V(0) → V(0) = 2
    done = solve("rl.value_iteration", {"P": P, "R": R, "gamma": 0.5}).answer
    assert all_close(done["q"], [[2.0, 2.0], [4.0, 4.0]])
    assert done["policy"] == [0, 0]  # exact ties in both states: the lowest action


def test_value_iteration_trace_caps_long_runs() -> None:
    P = [[[1.0]]]
    solution = solve("rl.value_iteration", {"P": P, "R": [[1.0]], "gamma": 0.9})
    titles = [s.title for s in solution.steps]
    assert "Iterations shown" in titles and "Stopping rule" in titles
    assert sum(t.startswith("Backup") and "written out" in t for t in titles) == 9
    table = next(s.value for s in solution.steps if s.title.startswith("Q after each backup"))
    assert [row["backup"] for row in table] == [*range(9), table[-1]["backup"]]
    assert close(table[-1]["Q(0,0)"], 10.0)
    # a larger Q table is traced as one matrix per backup instead
    big = solve(
        "rl.value_iteration",
        {"P": [[[0.25] * 4] * 4] * 4, "R": [[1.0] * 4] * 4, "gamma": 0.5, "iterations": 2},
    )
    assert sum("every entry" in s.title for s in big.steps) == 2
    assert close(solution.answer["v"][0], 10.0)


def test_value_iteration_misconceptions() -> None:
    # in state 0, action 0 pays nothing but leads to state 1, which pays 5 for ever
    P = [[[0, 1], [1, 0]], [[0, 1], [0, 1]]]
    R = [[0, 1], [5, 5]]
    call = {"P": P, "R": R, "gamma": 0.9, "iterations": 3}
    right = solve("rl.value_iteration", call).answer
    found = wrong_answers("rl.value_iteration", call)
    assert set(found) == {
        ("used_min", "v"),
        ("extra_iteration", "q"),
        ("greedy_on_reward", "policy"),
        ("one_sweep_early", "q"),
    }
    four = solve("rl.value_iteration", {**call, "iterations": 4}).answer
    assert found[("extra_iteration", "q")].answer == four["q"]
    assert found[("greedy_on_reward", "policy")].answer == [1, 0]
    assert right["policy"] == [0, 0]
    assert not all_close(found[("used_min", "v")].answer, right["v"], 1e-6)
    converged = wrong_answers("rl.value_iteration", {"P": P, "R": R, "gamma": 0.9})
    assert ("extra_iteration", "q") not in converged


@pytest.mark.parametrize(
    ("change", "param", "words"),
    [
        ({"P": [[[0.5, 0.4]], [[1, 0]]]}, "P", "sum"),
        ({"P": [[[1.2, -0.2]], [[1, 0]]]}, "P", "negative"),
        ({"P": [[1, 0], [0, 1]]}, "P", "P[s][a][s′]"),
        ({"P": [[[1, 0, 0]], [[1, 0, 0]]]}, "P", "one probability per state"),
        ({"R": [[1], [2], [3]]}, "R", "rows"),
        ({"R": [[1, 2], [2, 3]]}, "R", "columns"),
        ({"gamma": 1.0}, "gamma", "iterations=N"),
        ({"gamma": 1.5}, "gamma", "[0, 1]"),
        ({"gamma": -0.1}, "gamma", "[0, 1]"),
        ({"iterations": -1}, "iterations", "≥ 0"),
        ({"iterations": 1.5}, "iterations", "whole"),
    ],
)
def test_value_iteration_bad_calls(change: dict[str, Any], param: str, words: str) -> None:
    call = {"P": [[[0.5, 0.5]], [[1, 0]]], "R": [[1], [2]], "gamma": 0.9, **change}
    with pytest.raises(ProblemError) as info:
        solve("rl.value_iteration", call)
    assert info.value.param == param
    assert words in info.value.message


def test_value_iteration_undiscounted_with_a_fixed_number_of_backups() -> None:
    # γ = 1 is legal with iterations given: Q_k(s, a) = R + Σ P·max Q_{k−1}, computed here
    P = [[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]]]
    R = [[1.0, 0.0], [0.0, 2.0]]
    q = [[0.0, 0.0], [0.0, 0.0]]
    for _ in range(3):
        v = [max(row) for row in q]
        q = [
            [R[s][a] + sum(P[s][a][t] * v[t] for t in range(2)) for a in range(2)] for s in range(2)
        ]
    answer = solve("rl.value_iteration", {"P": P, "R": R, "gamma": 1, "iterations": 3}).answer
    assert [x for row in answer["q"] for x in row] == pytest.approx([x for row in q for x in row])


def test_value_iteration_reports_every_problem_at_once() -> None:
    call = {"P": [[[0.5, 0.6]], [[1, 0]]], "R": [[1], [2]], "gamma": 1.5}
    with pytest.raises(ProblemError) as info:
        solve("rl.value_iteration", call)
    found = {info.value.param, *(param for param, _ in info.value.more)}
    assert found == {"P", "gamma"}


def test_value_iteration_refuses_what_it_cannot_check_exactly() -> None:
    S, A = 7, 4  # 4^7 deterministic policies
    P = [[[1 / S] * S for _ in range(A)] for _ in range(S)]
    R = [[0.0] * A for _ in range(S)]
    with pytest.raises(ProblemError, match="iterations=N"):
        solve("rl.value_iteration", {"P": P, "R": R, "gamma": 0.5})
    fixed = solve("rl.value_iteration", {"P": P, "R": R, "gamma": 0.5, "iterations": 3})
    assert fixed.answer["v"] == [0.0] * S
    with pytest.raises(ProblemError) as info:
        solve("rl.value_iteration", {"P": [[[1.0]]], "R": [[1.0]], "gamma": 0.99999})
    assert info.value.param == "gamma"


# --- rl.q_learning ---------------------------------------------------------------------------


@st.composite
def q_calls(draw: st.DrawFn) -> dict[str, Any]:
    S = draw(st.integers(1, 4))
    A = draw(st.integers(1, 3))
    return {
        "q": draw(
            st.lists(st.lists(st.floats(-5, 5), min_size=A, max_size=A), min_size=S, max_size=S)
        ),
        "s": draw(st.integers(0, S - 1)),
        "a": draw(st.integers(0, A - 1)),
        "r": draw(st.floats(-5, 5)),
        "s_next": draw(st.integers(0, S - 1)),
        "alpha": draw(st.floats(0.01, 1)),
        "gamma": draw(st.floats(0, 1)),
        "terminal": draw(st.booleans()),
    }


@settings(max_examples=100, deadline=None)
@given(call=q_calls())
def test_q_learning_matches_torch(call: dict[str, Any]) -> None:
    q = torch.tensor(call["q"], dtype=torch.float64)
    nxt = torch.tensor(0.0, dtype=torch.float64) if call["terminal"] else q[call["s_next"]].max()
    target = call["r"] + call["gamma"] * nxt
    td = target - q[call["s"], call["a"]]
    q[call["s"], call["a"]] += call["alpha"] * td
    ours = solve("rl.q_learning", call, verify=False).answer
    assert set(ours) == {"target", "td_error", "q"}
    assert close(ours["target"], target.item())
    assert close(ours["td_error"], td.item())
    assert all_close(ours["q"], q.tolist())


def test_q_learning_by_hand() -> None:
    call = {
        "q": [[0, 1], [0.5, 0.2]],
        "s": 0,
        "a": 1,
        "r": 1,
        "s_next": 1,
        "alpha": 0.5,
        "gamma": 0.9,
    }
    answer = solve("rl.q_learning", call).answer
    assert answer["target"] == pytest.approx(1.45)
    assert answer["td_error"] == pytest.approx(0.45)
    assert answer["q"] == [[0, pytest.approx(1.225)], [0.5, 0.2]]
    terminal = solve("rl.q_learning", {**call, "terminal": True}).answer
    assert terminal["target"] == 1.0 and terminal["td_error"] == 0.0


def test_q_learning_misconceptions() -> None:
    call = {
        "q": [[0, 1], [0.5, 0.2]],
        "s": 0,
        "a": 1,
        "r": 1,
        "s_next": 1,
        "alpha": 0.5,
        "gamma": 0.9,
    }
    found = wrong_answers("rl.q_learning", call)
    # the TD target written into the table instead of the moved entry
    assert found[("gave_target", "q")].answer == [[0, pytest.approx(1.45)], [0.5, 0.2]]
    assert "1.45" in found[("gave_target", "q")].feedback
    assert found[("used_min", "target")].answer == pytest.approx(1 + 0.9 * 0.2)
    assert found[("td_sign", "td_error")].answer == pytest.approx(-0.45)
    assert not any(tag == "ignored_terminal" for tag, _ in found)

    terminal = wrong_answers("rl.q_learning", {**call, "terminal": True})
    # bootstrapping from a terminal s′: target 1 + 0.9·0.5 instead of 1
    assert terminal[("ignored_terminal", "target")].answer == pytest.approx(1.45)
    assert terminal[("ignored_terminal", "td_error")].answer == pytest.approx(0.45)
    assert terminal[("ignored_terminal", "q")].answer[0][1] == pytest.approx(1.225)
    assert not any(tag == "used_min" for tag, _ in terminal)

    # α = 1: the updated value IS the target, so gave_target cannot be told apart
    assert ("gave_target", "q") not in wrong_answers("rl.q_learning", {**call, "alpha": 1})


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"s": 2}, "s"),
        ({"s_next": 5}, "s_next"),
        ({"a": 2}, "a"),
        ({"alpha": 0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"gamma": 1.1}, "gamma"),
        ({"q": [[0, 1], [2]]}, "q"),
        ({"s": -1}, "s"),
    ],
)
def test_q_learning_bad_calls(change: dict[str, Any], param: str) -> None:
    call = {
        "q": [[0, 1], [0.5, 0.2]],
        "s": 0,
        "a": 1,
        "r": 1,
        "s_next": 1,
        "alpha": 0.5,
        "gamma": 0.9,
    }
    with pytest.raises(ProblemError) as info:
        solve("rl.q_learning", {**call, **change})
    assert info.value.param == param


# --- command line and device -----------------------------------------------------------------


def test_cli(cli: Any) -> None:
    P = "[[[0.5,0.5],[1,0]],[[0,1],[0.2,0.8]]]"
    result = cli("solve", "rl.value_iteration", f"P={P}", "R=[[1,0],[0,2]]", "gamma=0.9", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    q_star, v_star = exact_optimum(json.loads(P), [[1, 0], [0, 2]], 0.9)
    assert all_close(data["answer"]["q"], q_star.tolist(), 1e-8)
    assert data["answer"]["policy"] == [0, 1]
    assert data["params"]["iterations"] is None
    human = cli(
        "solve",
        "rl.q_learning",
        "q=[[0,1],[0.5,0.2]]",
        "s=0",
        "a=1",
        "r=1",
        "s_next=1",
        "alpha=0.5",
        "gamma=0.9",
    )
    assert human.returncode == 0, human.stderr
    assert "TD target" in human.stdout and "1.225" in human.stdout
    bad = cli("solve", "rl.value_iteration", "P=[[[0.5,0.4]]]", "R=[[1]]", "gamma=0.9")
    assert bad.returncode == 2 and "P" in bad.stderr and "Traceback" not in bad.stderr


@requires_cuda
@pytest.mark.cuda
def test_cuda_matches_cpu() -> None:
    P = [[[0.5, 0.5], [1, 0]], [[0, 1], [0.2, 0.8]]]
    calls = [
        ("rl.return", {"rewards": [1, -2, 3.5], "gamma": 0.9}),
        ("rl.value_iteration", {"P": P, "R": [[1, 0], [0, 2]], "gamma": 0.9}),
        ("rl.value_iteration", {"P": P, "R": [[1, 0], [0, 2]], "gamma": 0.9, "iterations": 4}),
        (
            "rl.q_learning",
            {
                "q": [[0, 1], [0.5, 0.2]],
                "s": 0,
                "a": 1,
                "r": 1,
                "s_next": 1,
                "alpha": 0.5,
                "gamma": 0.9,
            },
        ),
    ]
    for problem_id, call in calls:
        gpu = solve(problem_id, call, device="cuda")
        cpu = solve(problem_id, call, device="cpu")
        assert gpu.verified is not None and gpu.verified.device.startswith("cuda")
        problem = get_problem(problem_id)
        params = problem.parse_params(call)
        on_gpu = problem.reference(params, torch.device("cuda"))
        on_cpu = problem.reference(params, torch.device("cpu"))
        assert json.dumps(on_gpu.get("policy") if isinstance(on_gpu, dict) else 0) == json.dumps(
            on_cpu.get("policy") if isinstance(on_cpu, dict) else 0
        )
        if isinstance(on_cpu, dict):
            for key in on_cpu:
                assert all_close(on_gpu[key], on_cpu[key], 1e-6)
                assert all_close(gpu.answer[key], cpu.answer[key], 1e-6)
        else:
            assert close(on_gpu, on_cpu, 1e-6)
