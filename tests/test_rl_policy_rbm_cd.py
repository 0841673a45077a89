"""rl.policy_evaluation and rbm.cd1 against torch (and SymPy for the fractions) computed here."""

from __future__ import annotations

import json

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.checking import check
from engine.errors import ProblemError
from engine.solve import solve
from tests.torch_support import close


def t(v) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float64)


def distribution(n: int) -> st.SearchStrategy[list[float]]:
    return (
        st.lists(st.integers(0, 4), min_size=n, max_size=n)
        .filter(any)
        .map(lambda w: [x / sum(w) for x in w])
    )


@st.composite
def mdps(draw: st.DrawFn) -> dict:
    S, A = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    reward = st.floats(-2, 2, allow_nan=False)
    call = {
        "P": [[draw(distribution(S)) for _ in range(A)] for _ in range(S)],
        "R": [[draw(reward) for _ in range(A)] for _ in range(S)],
        "policy": [draw(distribution(A)) for _ in range(S)],
        "gamma": draw(st.sampled_from([0.0, 0.5, 0.9, 0.95])),
    }
    if draw(st.booleans()):
        call["iterations"] = draw(st.integers(0, 6))
    return call


def torch_policy_values(call: dict) -> dict:
    P, R, pi = t(call["P"]), t(call["R"]), t(call["policy"])
    r_pi = (pi * R).sum(1)
    p_pi = torch.einsum("sa,sat->st", pi, P)
    if call.get("iterations") is None:
        v = torch.linalg.solve(
            torch.eye(len(r_pi), dtype=torch.float64) - call["gamma"] * p_pi, r_pi
        )
    else:
        v = torch.zeros(len(r_pi), dtype=torch.float64)
        for _ in range(call["iterations"]):
            # V_{k+1}(s) = Σ_a π(a|s)[R(s,a) + γ Σ_s′ P(s′|s,a) V_k(s′)], written per action
            v = (pi * (R + call["gamma"] * P @ v)).sum(1)
    q = R + call["gamma"] * P @ v
    return {"v": v.tolist(), "q": q.tolist()}


@settings(max_examples=60, deadline=None)
@given(call=mdps())
def test_policy_evaluation_matches_torch(call: dict) -> None:
    got = solve("rl.policy_evaluation", call, verify=False).answer
    assert close(got, torch_policy_values(call), 1e-9)


SIMPLE = {
    "P": [[[1, 0], [0, 1]], [[0.3, 0.7], [0, 1]]],
    "R": [[0, 1], [2, 0.1]],
    "policy": [[0.2, 0.8], [0.5, 0.5]],
    "gamma": 0.9,
}


def test_exact_solution_in_fractions() -> None:
    """With simple inputs the trace solves the system in fractions; SymPy solves it here too."""
    R = sympy.Rational
    pi = [[R(1, 5), R(4, 5)], [R(1, 2), R(1, 2)]]
    P = [[[1, 0], [0, 1]], [[R(3, 10), R(7, 10)], [0, 1]]]
    rewards = [[0, 1], [2, R(1, 10)]]
    r_pi = sympy.Matrix([sum(pi[s][a] * rewards[s][a] for a in range(2)) for s in range(2)])
    p_pi = sympy.Matrix(2, 2, lambda s, u: sum(pi[s][a] * P[s][a][u] for a in range(2)))
    exact = (sympy.eye(2) - R(9, 10) * p_pi).LUsolve(r_pi)
    solution = solve("rl.policy_evaluation", SIMPLE)
    assert close(solution.answer["v"], [float(x) for x in exact], 1e-12)
    solved = next(s for s in solution.steps if s.title == "Solve it")
    for x in exact:
        assert rf"\frac{{{x.p}}}{{{x.q}}}" in solved.substituted
    backup = next(s for s in solution.steps if s.title.startswith("One backup in full"))
    assert r"\pi(a | 0)" in backup.formula and backup.value == pytest.approx(float(exact[0]))
    # an answer typed in fractions is right
    typed = ", ".join(f"{x.p}/{x.q}" for x in exact)
    assert check("rl.policy_evaluation", SIMPLE, typed, part="v").correct


def test_sweeps_show_one_backup_and_a_table() -> None:
    solution = solve("rl.policy_evaluation", {**SIMPLE, "iterations": 3})
    table = next(s for s in solution.steps if s.title.startswith("V after each sweep"))
    assert table.table is not None and len(table.table.rows) == 4  # V_0 … V_3
    assert any(s.title.startswith("One backup in full (sweep 3") for s in solution.steps)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"policy": [[0.5, 0.6], [0.5, 0.5]]}, "policy"),
        ({"policy": [[1.0], [1.0]]}, "policy"),
        ({"P": [[[1, 0], [0, 1]], [[0.3, 0.6], [0, 1]]]}, "P"),
        ({"gamma": 1.5}, "gamma"),
        ({"iterations": -1}, "iterations"),
    ],
)
def test_policy_bad_calls(change: dict, name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("rl.policy_evaluation", {**SIMPLE, **change}, verify=False)
    assert err.value.param == name and "\n" not in str(err.value)


def sweeps_here(call: dict, k: int, best: bool = False) -> list[float]:
    P, R, pi = t(call["P"]), t(call["R"]), t(call["policy"])
    v = torch.zeros(len(call["R"]), dtype=torch.float64)
    for _ in range(k):
        q = R + call["gamma"] * P @ v
        v = q.max(1).values if best else (pi * q).sum(1)
    return v.tolist()


@pytest.mark.parametrize(
    ("tag", "k", "best"),
    [("one_sweep_early", 2, False), ("extra_iteration", 4, False), ("used_max", 3, True)],
)
def test_policy_evaluation_misconceptions_at_4_figures(tag: str, k: int, best: bool) -> None:
    call = {**SIMPLE, "iterations": 3}
    typed = json.dumps([float(f"{x:.4g}") for x in sweeps_here(call, k, best)])
    result = check("rl.policy_evaluation", call, typed, part="v")
    assert not result.correct and result.misconception == tag


# --- rbm.cd1 --------------------------------------------------------------------------------------

bits = st.integers(0, 1)
weight = st.floats(-2, 2, allow_nan=False)


@st.composite
def cd_calls(draw: st.DrawFn) -> dict:
    nv, nh = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return {
        "v0": draw(st.lists(bits, min_size=nv, max_size=nv)),
        "W": [draw(st.lists(weight, min_size=nh, max_size=nh)) for _ in range(nv)],
        "a": draw(st.lists(weight, min_size=nv, max_size=nv)),
        "b": draw(st.lists(weight, min_size=nh, max_size=nh)),
        "h0": draw(st.lists(bits, min_size=nh, max_size=nh)),
        "lr": draw(st.sampled_from([0.1, 0.5, 1.0])),
    }


def torch_cd1(call: dict) -> dict:
    """The step as an autograd gradient: CD-1's update is −lr·∂/∂θ [F(v₀) − F(v₁)], with F
    the free energy F(v) = −aᵀv − Σ_j softplus(b_j + (Wᵀv)_j)."""
    W, a, b = (t(call[k]).requires_grad_() for k in ("W", "a", "b"))
    v0, h0 = t(call["v0"]), t(call["h0"])
    with torch.no_grad():
        v1 = torch.sigmoid(a + W @ h0)

    def free(v: torch.Tensor) -> torch.Tensor:
        return -(a @ v) - torch.nn.functional.softplus(b + W.T @ v).sum()

    (free(v0) - free(v1)).backward()
    lr = call["lr"]
    dW, da, db = (-lr * g.grad for g in (W, a, b))
    with torch.no_grad():
        return {
            "p_h0": torch.sigmoid(b + W.T @ v0).tolist(),
            "v1": v1.tolist(),
            "p_h1": torch.sigmoid(b + W.T @ v1).tolist(),
            "dW": dW.tolist(),
            "da": da.tolist(),
            "db": db.tolist(),
            "W_after": (W + dW).tolist(),
            "a_after": (a + da).tolist(),
            "b_after": (b + db).tolist(),
        }


@settings(max_examples=60, deadline=None)
@given(call=cd_calls())
def test_cd1_matches_the_free_energy_gradient(call: dict) -> None:
    assert close(solve("rbm.cd1", call, verify=False).answer, torch_cd1(call))


CD = {
    "v0": [1, 0, 1],
    "W": [[0.5, -0.2], [0.1, 0.4], [-0.3, 0.2]],
    "a": [0, 0.1, -0.1],
    "b": [0.2, -0.1],
    "h0": [1, 0],
}


def test_cd1_default_lr_and_checks() -> None:
    solution = solve("rbm.cd1", CD)
    assert solution.params["lr"] == 0.1 and solution.verified is not None
    for change, name in (({"h0": [1, 0.5]}, "h0"), ({"v0": [1, 0]}, "v0"), ({"lr": 0}, "lr")):
        with pytest.raises(ProblemError) as err:
            solve("rbm.cd1", {**CD, **change}, verify=False)
        assert err.value.param == name


def test_cd1_sample_in_update_is_named() -> None:
    """ΔW with the sample h₀ in the positive term, computed here."""
    W, a, b = t(CD["W"]), t(CD["a"]), t(CD["b"])
    v0, h0 = t(CD["v0"]), t(CD["h0"])
    v1 = torch.sigmoid(a + W @ h0)
    p_h1 = torch.sigmoid(b + W.T @ v1)
    wrong = 0.1 * (torch.outer(v0, h0) - torch.outer(v1, p_h1))
    typed = json.dumps([[float(f"{x:.4g}") for x in row] for row in wrong.tolist()])
    result = check("rbm.cd1", CD, typed, part="dW")
    assert not result.correct and result.misconception == "sample_in_update"


def test_exact_evaluation_with_the_best_action_is_named_used_max() -> None:
    """The optimal values (best of every deterministic policy, solved here) given instead."""
    import itertools

    P, R = t(SIMPLE["P"]), t(SIMPLE["R"])
    best = None
    for actions in itertools.product(range(2), repeat=2):
        p_pi = torch.stack([P[s, a] for s, a in enumerate(actions)])
        r_pi = torch.stack([R[s, a] for s, a in enumerate(actions)])
        v = torch.linalg.solve(torch.eye(2, dtype=torch.float64) - 0.9 * p_pi, r_pi)
        best = v if best is None else torch.maximum(best, v)
    assert best is not None
    typed = json.dumps([float(f"{x:.4g}") for x in best.tolist()])
    result = check("rl.policy_evaluation", SIMPLE, typed, part="v")
    assert not result.correct and result.misconception == "used_max"
