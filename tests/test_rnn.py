"""rnn.forward and rnn.bptt against torch computed here: nn.RNN, and autograd on an unrolled loop."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ProblemError
from engine.registry import get_problem
from engine.solve import solve
from tests.conftest import requires_cuda

small = st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False)


def mat(rows: int, cols: int) -> st.SearchStrategy[list[list[float]]]:
    return st.lists(st.lists(small, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def rnn_calls(draw: st.DrawFn, targets: bool = False) -> dict:
    T, d, h, o = (draw(st.integers(1, n)) for n in (4, 3, 3, 2))
    call = {
        "U": draw(mat(h, d)),
        "W": draw(mat(h, h)),
        "V": draw(mat(o, h)),
        "b": draw(st.one_of(small, st.lists(small, min_size=h, max_size=h))),
        "c": draw(st.one_of(small, st.lists(small, min_size=o, max_size=o))),
        "xs": draw(mat(T, d)),
        "s0": draw(st.one_of(st.just(0.0), st.lists(small, min_size=h, max_size=h))),
    }
    if targets:
        call["ys"] = draw(mat(T, o))
        call["loss"] = draw(st.sampled_from(["squared", "mse"]))
    return call


def t(value, size: int | None = None) -> torch.Tensor:
    x = torch.as_tensor(value, dtype=torch.float64)
    return x.expand(size).clone() if size is not None else x


def torch_forward(call: dict) -> tuple[list, list]:
    """nn.RNN and nn.Linear with the call's weights (the course's one bias in bias_ih)."""
    U, W, V = t(call["U"]), t(call["W"]), t(call["V"])
    h, d, o = U.shape[0], U.shape[1], V.shape[0]
    rnn = torch.nn.RNN(d, h, dtype=torch.float64)
    head = torch.nn.Linear(h, o, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(U)
        rnn.weight_hh_l0.copy_(W)
        rnn.bias_ih_l0.copy_(t(call["b"], h))
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(V)
        head.bias.copy_(t(call["c"], o))
        states, _ = rnn(t(call["xs"]), t(call.get("s0", 0.0), h).reshape(1, h))
        return states.tolist(), head(states).tolist()


def torch_bptt(call: dict) -> dict:
    """Autograd through a hand-unrolled loop of torch ops (independent of nn.RNN)."""
    U, W, V = (t(call[k]).requires_grad_() for k in ("U", "W", "V"))
    h, o = U.shape[0], V.shape[0]
    b = t(call["b"], h).requires_grad_()
    c = t(call["c"], o).requires_grad_()
    s = t(call.get("s0", 0.0), h)
    outputs = []
    for x in t(call["xs"]):
        s = torch.tanh(U @ x + W @ s + b)
        outputs.append(V @ s + c)
    out, ys = torch.stack(outputs), t(call["ys"])
    if call.get("loss", "squared") == "mse":
        loss = F.mse_loss(out, ys)
    else:
        loss = 0.5 * ((out - ys) ** 2).sum()
    loss.backward()
    return {
        "loss": loss.item(),
        "dU": U.grad.tolist(),
        "dW": W.grad.tolist(),
        "dV": V.grad.tolist(),
        "db": b.grad.tolist(),
        "dc": c.grad.tolist(),
    }


def close(a, b, tol: float = 1e-10) -> bool:
    if isinstance(a, dict):
        return set(a) == set(b) and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


EXAMPLE = {
    "U": [[0.5, -0.2], [0.1, 0.3]],
    "W": [[0.4, 0.1], [-0.3, 0.2]],
    "V": [[1.0, -1.0]],
    "b": [0.1, 0.0],
    "c": 0.2,
    "xs": [[1, 0], [0, 1], [1, 1]],
    "ys": [[0.5], [-0.5], [1.0]],
}


@settings(max_examples=60, deadline=None)
@given(call=rnn_calls())
def test_forward_matches_nn_rnn(call: dict) -> None:
    states, outputs = torch_forward(call)
    got = solve("rnn.forward", call, verify=False).answer
    assert close(got, {"states": states, "outputs": outputs})


@settings(max_examples=60, deadline=None)
@given(call=rnn_calls(targets=True))
def test_bptt_matches_autograd(call: dict) -> None:
    got = solve("rnn.bptt", call, verify=False).answer
    assert close(got, torch_bptt(call))


def test_bptt_is_verified_against_torch_and_has_the_contract_keys() -> None:
    solution = solve("rnn.bptt", EXAMPLE)
    assert set(solution.answer) == {"loss", "dU", "dW", "dV", "db", "dc"}
    assert solution.verified is not None and solution.verified.max_abs_diff < 1e-12
    assert close(solution.answer, torch_bptt(EXAMPLE))


def test_scalar_network_by_hand() -> None:
    """s_1 = tanh(0.5·1) , s_2 = tanh(0.5·2 + 1·s_1); one hidden unit written as plain numbers."""
    answer = solve("rnn.forward", {"U": 0.5, "W": 1, "V": 2, "xs": [1, 2]}).answer
    s1 = math.tanh(0.5)
    s2 = math.tanh(1.0 + s1)
    assert close(answer, {"states": [[s1], [s2]], "outputs": [[2 * s1], [2 * s2]]})


def test_squared_loss_convention_half_sum_unless_mse() -> None:
    """CONVENTION: rnn.bptt's squared loss is ½·Σ(ŷ − y)²; loss=mse is the mean over all T·o."""
    _, outputs = torch_forward(EXAMPLE)
    sq = sum((o[0] - y[0]) ** 2 for o, y in zip(outputs, EXAMPLE["ys"]))
    squared = solve("rnn.bptt", EXAMPLE).answer
    mse = solve("rnn.bptt", {**EXAMPLE, "loss": "mse"}).answer
    assert squared["loss"] == pytest.approx(0.5 * sq, rel=1e-12)
    assert mse["loss"] == pytest.approx(sq / 3, rel=1e-12)
    # the mean over T·o = 3 entries without the ½: gradients scale by 2/3
    assert close(mse["dW"], [[g * 2 / 3 for g in row] for row in squared["dW"]])


def test_trace_shows_the_sum_over_time() -> None:
    steps = solve("rnn.bptt", EXAMPLE).steps
    titles = [s.title for s in steps]
    for t in (1, 2, 3):
        assert f"Step {t}: state" in titles
        sub = "₀₁₂₃₄₅₆₇₈₉"[t]
        assert any(title.startswith(f"Step {t}: δ{sub} = ∂L/∂a{sub}") for title in titles)
    # backward runs from the last step to the first
    order = [titles.index(f"Step {t}: gradient at the output") for t in (3, 2, 1)]
    assert order == sorted(order)
    dW = next(s for s in steps if s.title == "Gradient of W")
    assert r"\sum_{t=1}^{T}" in dW.formula
    assert dW.substituted.count(r"\begin{bmatrix}") == 3  # one term per time step
    flow = next(s for s in steps if s.title.startswith("Step 2: what flows back through W"))
    assert "W^{T}" in flow.formula


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"W": [[1.0, 0.0]]}, "W"),
        ({"V": [[1.0, 0.0, 2.0]]}, "V"),
        ({"xs": [[1, 0, 1]]}, "xs"),
        ({"b": [1, 2, 3]}, "b"),
        ({"c": [1, 2]}, "c"),
        ({"s0": [0.0]}, "s0"),
        ({"ys": [[1.0], [2.0]]}, "ys"),
        ({"ys": [[1.0, 2.0]] * 3}, "ys"),
        ({"loss": "l1"}, "loss"),
        ({"U": "abc"}, "U"),
    ],
)
def test_bad_calls_name_the_parameter(change: dict, name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("rnn.bptt", {**EXAMPLE, **change}, verify=False)
    assert err.value.param == name
    assert "\n" not in str(err.value)


def test_missing_targets_named() -> None:
    call = {k: v for k, v in EXAMPLE.items() if k != "ys"}
    with pytest.raises(ProblemError, match="ys"):
        solve("rnn.bptt", call, verify=False)


def test_bptt_misconceptions_are_distinct_wrong_answers() -> None:
    problem = get_problem("rnn.bptt")
    params = problem.parse_params(EXAMPLE)
    right = solve("rnn.bptt", EXAMPLE, verify=False).answer
    wrong = {m.tag: w for m, w in problem.wrong_answers(params)}
    assert set(wrong) == {
        "only_last_step",
        "no_recurrent_term",
        "no_tanh_derivative",
        "wrong_state_in_dW",
        "forgot_half",
    }
    answers = [json.dumps(w.answer, sort_keys=True) for w in wrong.values()]
    assert len(set(answers)) == len(answers)
    assert json.dumps(right, sort_keys=True) not in answers
    assert all(w.feedback for w in wrong.values())
    # forgot ½: every number doubles
    assert close(wrong["forgot_half"].answer["dU"], [[2 * g for g in r] for r in right["dU"]])
    # the last step only: ∂L/∂c is just the last output's error
    _, outputs = torch_forward(EXAMPLE)
    assert close(wrong["only_last_step"].answer["dc"], [outputs[-1][0] - EXAMPLE["ys"][-1][0]])


def test_no_recurrent_term_matches_torch_with_w_detached() -> None:
    """Cutting the Wᵀδ path equals autograd when s_{t−1} is detached before W multiplies it."""
    U, W, V = (t(EXAMPLE[k]).requires_grad_() for k in ("U", "W", "V"))
    b, c = t(EXAMPLE["b"]).requires_grad_(), t([EXAMPLE["c"]]).requires_grad_()
    s, loss = torch.zeros(2, dtype=torch.float64), 0.0
    for x, y in zip(t(EXAMPLE["xs"]), t(EXAMPLE["ys"])):
        s = torch.tanh(U @ x + W @ s.detach() + b)
        loss = loss + 0.5 * ((V @ s + c - y) ** 2).sum()
    loss.backward()
    problem = get_problem("rnn.bptt")
    wrong = {m.tag: w for m, w in problem.wrong_answers(problem.parse_params(EXAMPLE))}
    assert close(wrong["no_recurrent_term"].answer["dW"], W.grad.tolist())
    assert close(wrong["no_recurrent_term"].answer["dU"], U.grad.tolist())


def test_rules_that_change_nothing_are_skipped() -> None:
    # one time step: nothing flows back through W, so forgetting that term changes nothing
    call = {**EXAMPLE, "xs": [[1, 0]], "ys": [[0.5]]}
    problem = get_problem("rnn.bptt")
    tags = {m.tag for m, _ in problem.wrong_answers(problem.parse_params(call))}
    assert "no_recurrent_term" not in tags and "only_last_step" not in tags
    tags = {m.tag for m, _ in problem.wrong_answers(problem.parse_params({**call, "loss": "mse"}))}
    assert "forgot_half" not in tags


def test_forward_misconceptions() -> None:
    problem = get_problem("rnn.forward")
    call = {k: v for k, v in EXAMPLE.items() if k != "ys"}
    wrong = {m.tag: w.answer for m, w in problem.wrong_answers(problem.parse_params(call))}
    assert set(wrong) == {"ignored_recurrence", "no_tanh"}
    # ignoring W: s_2 = tanh(U·x_2 + b)
    assert close(wrong["ignored_recurrence"]["states"][1], [math.tanh(-0.2 + 0.1), math.tanh(0.3)])


@requires_cuda
@pytest.mark.parametrize("problem", ["rnn.forward", "rnn.bptt"])
def test_cuda_agrees_with_cpu(problem: str) -> None:
    call = EXAMPLE if problem == "rnn.bptt" else {k: v for k, v in EXAMPLE.items() if k != "ys"}
    cpu = solve(problem, call, device="cpu")
    gpu = solve(problem, call, device="cuda")
    assert gpu.verified is not None and gpu.verified.device == "cuda:0"
    assert close(gpu.answer, cpu.answer, 1e-6)


def test_cli_json_and_worked_trace(cli) -> None:
    args = [f"{k}={json.dumps(v)}" for k, v in EXAMPLE.items()]
    out = cli("solve", "rnn.bptt", *args, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert close(data["answer"], torch_bptt(EXAMPLE))
    assert data["params"]["loss"] == "squared" and data["params"]["s0"] == 0.0
    human = cli("solve", "rnn.bptt", *args)
    assert human.returncode == 0, human.stderr
    assert "Gradient of W" in human.stdout and "δ" in human.stdout
    bad = cli("solve", "rnn.forward", "U=[[1,2]]", "W=[[1]]", "V=[[1]]", "xs=[[1,2,3]]")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("revise: error: xs")


def test_a_network_without_biases_has_no_bias_gradient_steps_but_keeps_the_answer_keys() -> None:
    # the questions' networks have no b or c: the trace leaves their gradients out, while the
    # contract's answer still carries db and dc (as autograd computes them)
    call = {**EXAMPLE, "b": 0.0, "c": 0.0}
    solution = solve("rnn.bptt", call)
    titles = [s.title for s in solution.steps]
    assert "Gradient of W" in titles and "Gradient of U" in titles
    assert not any(t in titles for t in ("Gradient of b", "Gradient of c"))
    shared = next(s for s in solution.steps if s.title == "Gradients add up over time")
    assert "b" not in shared.value.split("shared")[0]
    want = torch_bptt({**call, "b": 0.0, "c": 0.0})
    assert close(solution.answer["db"], want["db"]) and close(solution.answer["dc"], want["dc"])
    with_biases = [s.title for s in solve("rnn.bptt", EXAMPLE).steps]
    assert "Gradient of b" in with_biases and "Gradient of c" in with_biases


def test_per_step_quantities_are_a_table_with_autograds_deltas() -> None:
    solution = solve("rnn.bptt", EXAMPLE)
    table = next(s for s in solution.steps if s.table is not None)
    assert len(table.table.rows) == len(EXAMPLE["xs"])
    assert all(len(row) == len(table.table.header) for row in table.table.rows)
    # δ_t = ∂L/∂a_t: autograd on the pre-activations, independent of the engine
    U, W, V = (t(EXAMPLE[k]).requires_grad_() for k in ("U", "W", "V"))
    b, c = t(EXAMPLE["b"], 2), t(EXAMPLE["c"], 1)
    s, pre, outputs = t(0.0, 2), [], []
    for x in t(EXAMPLE["xs"]):
        a = U @ x + W @ s + b
        a.retain_grad()
        pre.append(a)
        s = torch.tanh(a)
        outputs.append(V @ s + c)
    (0.5 * ((torch.stack(outputs) - t(EXAMPLE["ys"])) ** 2).sum()).backward()
    for row, a in zip(table.value, pre):
        assert close(row["delta"], a.grad.tolist())
