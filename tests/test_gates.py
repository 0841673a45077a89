"""lstm.step and gru.step against nn.LSTMCell and nn.GRUCell, and Cho et al.'s GRU written here."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ProblemError
from engine.registry import get_problem
from engine.solve import solve
from tests.conftest import requires_cuda

small = st.floats(-2, 2, allow_nan=False, allow_infinity=False)


def vec(n: int) -> st.SearchStrategy[list[float]]:
    return st.lists(small, min_size=n, max_size=n)


def mat(rows: int, cols: int) -> st.SearchStrategy[list[list[float]]]:
    return st.lists(vec(cols), min_size=rows, max_size=rows)


@st.composite
def cell_calls(draw: st.DrawFn, gates: int) -> dict:
    d, H = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    call = {
        "x": draw(vec(d)),
        "h": draw(vec(H)),
        "weight_ih": draw(mat(gates * H, d)),
        "weight_hh": draw(mat(gates * H, H)),
        "bias_ih": draw(st.one_of(st.just(0.0), vec(gates * H))),
        "bias_hh": draw(st.one_of(small, vec(gates * H))),
    }
    if gates == 4:
        call["c"] = draw(vec(H))
    return call


def t(value, size: int | None = None) -> torch.Tensor:
    x = torch.as_tensor(value, dtype=torch.float64)
    return x.expand(size).clone() if size is not None else x


def load(cell: torch.nn.Module, call: dict, rows: int) -> None:
    with torch.no_grad():
        cell.weight_ih.copy_(t(call["weight_ih"]))
        cell.weight_hh.copy_(t(call["weight_hh"]))
        cell.bias_ih.copy_(t(call.get("bias_ih", 0.0), rows))
        cell.bias_hh.copy_(t(call.get("bias_hh", 0.0), rows))


def close(a, b, tol: float = 1e-10) -> bool:
    if isinstance(a, dict):
        return set(a) == set(b) and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def torch_lstm(call: dict) -> dict:
    H, d = len(call["h"]), len(call["x"])
    cell = torch.nn.LSTMCell(d, H, dtype=torch.float64)
    load(cell, call, 4 * H)
    x, h, c = t([call["x"]]), t([call["h"]]), t([call["c"]])
    with torch.no_grad():
        h1, c1 = cell(x, (h, c))
        # the gates, from the cell's own parameters (gate order i, f, g, o)
        a = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
    i, f, g, o = a[0].chunk(4)
    gates = {"i": i.sigmoid(), "f": f.sigmoid(), "g": g.tanh(), "o": o.sigmoid()}
    return {**{k: v.tolist() for k, v in gates.items()}, "c": c1[0].tolist(), "h": h1[0].tolist()}


def torch_gru(call: dict) -> dict:
    H, d = len(call["h"]), len(call["x"])
    cell = torch.nn.GRUCell(d, H, dtype=torch.float64)
    load(cell, call, 3 * H)
    x, h = t(call["x"]), t(call["h"])
    with torch.no_grad():
        new_h = cell(x[None], h[None])[0]
        gi = (cell.weight_ih @ x + cell.bias_ih).chunk(3)
        gh = (cell.weight_hh @ h + cell.bias_hh).chunk(3)
    r, z = (gi[0] + gh[0]).sigmoid(), (gi[1] + gh[1]).sigmoid()
    n = (gi[2] + r * gh[2]).tanh()
    return {"r": r.tolist(), "z": z.tolist(), "n": n.tolist(), "h": new_h.tolist()}


def cho_gru(call: dict) -> dict:
    """Cho et al. (2014), eqs. 5–8, written out unit by unit in plain Python."""
    x, h = call["x"], call["h"]
    H = len(h)

    def row(m: list[list[float]], k: int, v: list[float]) -> float:
        return sum(w * e for w, e in zip(m[k], v))

    def bias(b, k: int) -> float:
        return b[k] if isinstance(b, list) else b

    Wi, Wh, bi, bh = (
        call["weight_ih"],
        call["weight_hh"],
        call.get("bias_ih", 0.0),
        call.get("bias_hh", 0.0),
    )

    def sig(a: float) -> float:
        return 1 / (1 + math.exp(-a))

    r = [sig(row(Wi, j, x) + bias(bi, j) + row(Wh, j, h) + bias(bh, j)) for j in range(H)]
    z = [
        sig(row(Wi, H + j, x) + bias(bi, H + j) + row(Wh, H + j, h) + bias(bh, H + j))
        for j in range(H)
    ]
    reset = [r[j] * h[j] for j in range(H)]
    n = [
        math.tanh(
            row(Wi, 2 * H + j, x)
            + bias(bi, 2 * H + j)
            + row(Wh, 2 * H + j, reset)
            + bias(bh, 2 * H + j)
        )
        for j in range(H)
    ]
    new_h = [z[j] * h[j] + (1 - z[j]) * n[j] for j in range(H)]
    return {"r": r, "z": z, "n": n, "h": new_h}


LSTM = {
    "x": [1.0, -0.5],
    "h": [0.2, -0.1],
    "c": [0.3, 0.6],
    "weight_ih": [[0.1, 0.2], [0.3, -0.1], [0.5, 0.2], [-0.3, 0.1],
                  [0.2, 0.2], [0.4, -0.6], [0.1, 0.9], [-0.7, 0.3]],
    "weight_hh": [[0.1, 0.0], [0.2, 0.3], [0.1, -0.2], [0.0, 0.5],
                  [0.3, 0.3], [-0.2, 0.1], [0.6, 0.1], [0.2, -0.4]],
    "bias_ih": 0.1,
}  # fmt: skip
GRU = {
    "x": [1.0, -0.5],
    "h": [0.2, 0.4],
    "weight_ih": [[0.1, 0.2], [0.3, -0.1], [0.5, 0.2], [-0.3, 0.1], [0.2, 0.2], [0.4, -0.6]],
    "weight_hh": [[0.1, 0.0], [0.2, 0.3], [0.1, -0.2], [0.0, 0.5], [0.3, 0.3], [-0.2, 0.1]],
    "bias_hh": [0.1, 0.0, -0.1, 0.2, 0.3, -0.4],
}


@settings(max_examples=60, deadline=None)
@given(call=cell_calls(gates=4))
def test_lstm_matches_lstmcell(call: dict) -> None:
    assert close(solve("lstm.step", call, verify=False).answer, torch_lstm(call))


@settings(max_examples=60, deadline=None)
@given(call=cell_calls(gates=3))
def test_gru_pytorch_variant_matches_grucell(call: dict) -> None:
    assert close(solve("gru.step", call, verify=False).answer, torch_gru(call))


@settings(max_examples=60, deadline=None)
@given(call=cell_calls(gates=3))
def test_gru_cho_variant_matches_the_paper(call: dict) -> None:
    got = solve("gru.step", {**call, "variant": "cho"}, verify=False).answer
    assert close(got, cho_gru(call))


def test_lstm_by_hand_one_unit() -> None:
    call = {"x": [1.0], "h": [0.0], "c": [0.5], "weight_ih": [[1.0], [2.0], [0.5], [-1.0]],
            "weight_hh": [[0.0]] * 4}  # fmt: skip
    sig = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    i, f, g, o = sig(1.0), sig(2.0), math.tanh(0.5), sig(-1.0)
    c = f * 0.5 + i * g
    expected = {"i": [i], "f": [f], "g": [g], "o": [o], "c": [c], "h": [o * math.tanh(c)]}
    solution = solve("lstm.step", call)
    assert close(solution.answer, expected)
    assert solution.verified is not None


def test_gru_variant_convention() -> None:
    """CONVENTION: PyTorch resets after the recurrent matmul, Cho et al. before it."""
    pytorch = solve("gru.step", GRU)
    cho = solve("gru.step", {**GRU, "variant": "cho"})
    assert pytorch.params["variant"] == "pytorch"  # the default
    assert close(pytorch.answer, torch_gru(GRU))
    assert close(cho.answer, cho_gru(GRU))
    # the gates r, z agree; the candidate and so the new state differ
    assert close(pytorch.answer["r"], cho.answer["r"])
    assert not close(pytorch.answer["n"], cho.answer["n"])
    # the trace names the variant it used
    assert "pytorch" in pytorch.steps[0].title and "cho" in cho.steps[0].title
    assert any("after the matmul" in s.title for s in pytorch.steps)
    assert any("before the matmul" in s.title for s in cho.steps)


def test_variants_agree_when_the_recurrent_candidate_weights_vanish() -> None:
    call = {**GRU, "weight_hh": GRU["weight_hh"][:4] + [[0.0, 0.0], [0.0, 0.0]], "bias_hh": 0}
    assert close(
        solve("gru.step", call).answer, solve("gru.step", {**call, "variant": "cho"}).answer
    )
    problem = get_problem("gru.step")
    tags = {m.tag for m, _ in problem.wrong_answers(problem.parse_params(call))}
    assert "cho_reset" not in tags  # it could not be told apart


def test_traces_show_each_gate_pre_activation_and_value() -> None:
    steps = solve("lstm.step", LSTM).steps
    titles = [s.title for s in steps]
    for name in ("Input gate", "Forget gate", "Candidate cell", "Output gate"):
        assert f"{name}: pre-activation" in titles
    assert titles[-2:] == ["New cell state", "New hidden state"]
    assert steps[-1].formula == r"h' = o \odot \tanh(c')"
    gru = [s.title for s in solve("gru.step", GRU).steps]
    assert "Reset gate: pre-activation" in gru and "Update gate z" in gru


@pytest.mark.parametrize(
    ("problem", "base", "change", "name"),
    [
        ("lstm.step", LSTM, {"c": [1.0]}, "c"),
        ("lstm.step", LSTM, {"weight_ih": LSTM["weight_ih"][:6]}, "weight_ih"),
        ("lstm.step", LSTM, {"weight_ih": [[1.0]] * 8}, "weight_ih"),
        ("lstm.step", LSTM, {"weight_hh": [[1.0, 2.0, 3.0]] * 8}, "weight_hh"),
        ("lstm.step", LSTM, {"bias_hh": [1.0, 2.0]}, "bias_hh"),
        ("lstm.step", LSTM, {"x": []}, "x"),
        ("gru.step", GRU, {"variant": "keras"}, "variant"),
        ("gru.step", GRU, {"weight_hh": GRU["weight_hh"][:4]}, "weight_hh"),
        ("gru.step", GRU, {"bias_ih": [0.0] * 4}, "bias_ih"),
        ("gru.step", GRU, {"h": "zero"}, "h"),
    ],
)
def test_bad_calls_name_the_parameter(problem: str, base: dict, change: dict, name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve(problem, {**base, **change}, verify=False)
    assert err.value.param == name
    assert "\n" not in str(err.value)


def wrong_answers(problem_id: str, call: dict) -> dict:
    problem = get_problem(problem_id)
    return {m.tag: w for m, w in problem.wrong_answers(problem.parse_params(call))}


def distinct(right: dict, wrong: dict) -> bool:
    answers = [json.dumps(w.answer, sort_keys=True) for w in wrong.values()]
    return len(set(answers)) == len(answers) and json.dumps(right, sort_keys=True) not in answers


def test_lstm_misconceptions() -> None:
    right = solve("lstm.step", LSTM).answer
    wrong = wrong_answers("lstm.step", LSTM)
    assert set(wrong) == {
        "tanh_of_c_forgotten",
        "gate_order_ifog",
        "sigmoid_candidate",
        "used_old_cell",
        "forgot_forget_term",
    }
    assert distinct(right, wrong)
    # c′ = i ⊙ g without the f ⊙ c term
    no_f = wrong["forgot_forget_term"].answer["c"]
    assert close(no_f, [i * g for i, g in zip(right["i"], right["g"])])
    # h = o ⊙ c: no tanh on the new cell state
    forgot = wrong["tanh_of_c_forgotten"].answer["h"]
    assert close(forgot, [o * c for o, c in zip(right["o"], right["c"])])


def test_gru_misconceptions() -> None:
    for variant in ("pytorch", "cho"):
        call = {**GRU, "variant": variant}
        right = solve("gru.step", call).answer
        wrong = wrong_answers("gru.step", call)
        assert set(wrong) == {"cho_reset", "swapped_z", "gate_order_zrn", "reset_ignored"}
        assert distinct(right, wrong)
        # cho_reset is exactly the other variant's answer
        other = "cho" if variant == "pytorch" else "pytorch"
        assert close(wrong["cho_reset"].answer, solve("gru.step", {**GRU, "variant": other}).answer)
        assert variant in wrong["cho_reset"].feedback
    swapped = wrong_answers("gru.step", GRU)["swapped_z"].answer["h"]
    right = solve("gru.step", GRU).answer
    expected = [z * n + (1 - z) * h for z, n, h in zip(right["z"], right["n"], GRU["h"])]
    assert close(swapped, expected)


@requires_cuda
@pytest.mark.parametrize(
    ("problem", "call"),
    [("lstm.step", LSTM), ("gru.step", GRU), ("gru.step", {**GRU, "variant": "cho"})],
)
def test_cuda_agrees_with_cpu(problem: str, call: dict) -> None:
    cpu = solve(problem, call, device="cpu")
    gpu = solve(problem, call, device="cuda")
    assert gpu.verified is not None and gpu.verified.device == "cuda:0"
    assert close(gpu.answer, cpu.answer, 1e-6)


def test_cli(cli) -> None:
    args = [f"{k}={json.dumps(v)}" for k, v in GRU.items()]
    out = cli("solve", "gru.step", *args, "variant=cho", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert close(data["answer"], cho_gru(GRU))
    assert data["params"]["variant"] == "cho"
    human = cli("solve", "lstm.step", *[f"{k}={json.dumps(v)}" for k, v in LSTM.items()])
    assert human.returncode == 0, human.stderr
    assert "New hidden state" in human.stdout and "Checked against torch" in human.stdout
    bad = cli("solve", "lstm.step", *[f"{k}={json.dumps(v)}" for k, v in LSTM.items()], "c=[1]")
    assert bad.returncode == 2
