"""rnn.bptt with loss=ce and gru.step with update_gate, against torch computed here."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.checking import check
from engine.errors import ProblemError
from engine.latex import sub
from engine.solve import solve
from tests.torch_support import close

small = st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False)


def mat(rows: int, cols: int) -> st.SearchStrategy[list[list[float]]]:
    return st.lists(st.lists(small, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def ce_calls(draw: st.DrawFn) -> dict:
    T, d, h, o = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), 0
    o = draw(st.integers(2, 4))
    return {
        "U": draw(mat(h, d)),
        "W": draw(mat(h, h)),
        "V": draw(mat(o, h)),
        "b": draw(st.lists(small, min_size=h, max_size=h)),
        "c": draw(st.lists(small, min_size=o, max_size=o)),
        "xs": draw(mat(T, d)),
        "ys": draw(st.lists(st.integers(0, o - 1), min_size=T, max_size=T)),
        "loss": "ce",
    }


def torch_ce_bptt(call: dict) -> dict:
    """Autograd through an unrolled loop with F.cross_entropy summed over the steps."""
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    U, W, V, b, c = (t(call[k]).requires_grad_() for k in ("U", "W", "V", "b", "c"))
    s = torch.zeros(U.shape[0], dtype=torch.float64)
    outputs = []
    for x in t(call["xs"]):
        s = torch.tanh(U @ x + W @ s + b)
        outputs.append(V @ s + c)
    loss = F.cross_entropy(torch.stack(outputs), torch.tensor(call["ys"]), reduction="sum")
    loss.backward()
    grads = {"dU": U, "dW": W, "dV": V, "db": b, "dc": c}
    return {"loss": loss.item(), **{k: v.grad.tolist() for k, v in grads.items()}}


@settings(max_examples=40, deadline=None)
@given(call=ce_calls())
def test_ce_bptt_matches_autograd(call: dict) -> None:
    got = solve("rnn.bptt", call, verify=False).answer
    assert close(got, torch_ce_bptt(call))


CE = {
    "U": [[0.5, -0.2], [0.1, 0.3]],
    "W": [[0.4, 0.1], [-0.3, 0.2]],
    "V": [[1.0, -1.0], [0.5, 0.2], [0.0, 1.0]],
    "xs": [[1, 0], [0, 1], [1, 1]],
    "ys": [2, 0, 1],
    "loss": "ce",
}


def test_ce_convention_softmax_then_minus_log_at_every_step() -> None:
    """CONVENTION: loss=ce is −Σ_t log softmax(o_t)[y_t], and ∂L/∂o_t = softmax(o_t) − onehot."""
    forward = solve("rnn.forward", {k: v for k, v in CE.items() if k not in ("ys", "loss")})
    outputs = torch.tensor(forward.answer["outputs"], dtype=torch.float64)
    probs = torch.softmax(outputs, dim=1)
    expected_loss = -sum(math.log(probs[t, k]) for t, k in enumerate(CE["ys"]))
    solution = solve("rnn.bptt", CE)
    assert solution.answer["loss"] == pytest.approx(expected_loss, rel=1e-12)
    onehot = F.one_hot(torch.tensor(CE["ys"]), 3).to(torch.float64)
    # dc sums ∂L/∂o_t over the steps
    assert close(solution.answer["dc"], (probs - onehot).sum(dim=0).tolist())
    titles = [s.title for s in solution.steps]
    for t in (1, 2, 3):
        assert f"Step {t}: softmax of the output" in titles
        assert any(title.startswith(f"Step {t}: δ{sub(t)}") for title in titles)
    grad = next(s for s in solution.steps if s.title == "Step 2: gradient at the output")
    assert r"\hat{y}_{2} - y_{2}" in grad.formula
    dW = next(s for s in solution.steps if s.title == "Gradient of W")
    assert r"\sum_{t=1}^{T}" in dW.formula and dW.substituted.count(r"\begin{bmatrix}") == 3


def test_squared_is_still_the_default() -> None:
    call = {**CE, "ys": [[0.5, 0, 1], [0, 1, 0], [1, 1, 1]]}
    del call["loss"]
    assert solve("rnn.bptt", call).params["loss"] == "squared"


@pytest.mark.parametrize(
    ("ys", "match"),
    [([0, 3, 1], "out of range"), ([0, 1.5, 1], "class index"), ([0, 1], "3 time steps")],
)
def test_ce_targets_are_checked(ys: list, match: str) -> None:
    with pytest.raises(ProblemError, match=match) as err:
        solve("rnn.bptt", {**CE, "ys": ys}, verify=False)
    assert err.value.param == "ys"


def test_ce_needs_two_classes() -> None:
    call = {**CE, "V": [[1.0, -1.0]], "ys": [0, 0, 0]}
    with pytest.raises(ProblemError, match="at least 2") as err:
        solve("rnn.bptt", call, verify=False)
    assert err.value.param == "V"


def test_ce_without_softmax_is_named_at_4_figures() -> None:
    """A student who used o_t − y_t at the output (no softmax): computed here with autograd on
    a loss whose gradient at o_t is exactly o_t − onehot (½‖o − onehot‖²)."""
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    U, W, V = (t(CE[k]).requires_grad_() for k in ("U", "W", "V"))
    s = torch.zeros(2, dtype=torch.float64)
    total = torch.zeros((), dtype=torch.float64)
    for x, k in zip(t(CE["xs"]), CE["ys"]):
        s = torch.tanh(U @ x + W @ s)
        o = V @ s
        total = total + 0.5 * ((o - F.one_hot(torch.tensor(k), 3)) ** 2).sum()
    total.backward()
    wrong = [[float(f"{g:.4g}") for g in row] for row in W.grad.tolist()]
    result = check("rnn.bptt", CE, json.dumps(wrong), part="dW")
    assert not result.correct
    assert result.misconception == "ce_without_softmax"


# --- gru.step update_gate -----------------------------------------------------------------------


@st.composite
def gru_calls(draw: st.DrawFn) -> dict:
    H, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return {
        "x": draw(st.lists(small, min_size=d, max_size=d)),
        "h": draw(st.lists(small, min_size=H, max_size=H)),
        "weight_ih": draw(mat(3 * H, d)),
        "weight_hh": draw(mat(3 * H, H)),
        "bias_ih": draw(st.lists(small, min_size=3 * H, max_size=3 * H)),
        "bias_hh": draw(st.lists(small, min_size=3 * H, max_size=3 * H)),
        "update_gate": draw(st.sampled_from(["keeps_old", "takes_new"])),
    }


def torch_gru(call: dict) -> dict:
    """nn.GRUCell for keeps_old; for takes_new its gates, combined as (1 − z)⊙h + z⊙n."""
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    H, d = len(call["h"]), len(call["x"])
    cell = torch.nn.GRUCell(d, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(t(call["weight_ih"]))
        cell.weight_hh.copy_(t(call["weight_hh"]))
        cell.bias_ih.copy_(t(call["bias_ih"]))
        cell.bias_hh.copy_(t(call["bias_hh"]))
        x, h = t(call["x"]), t(call["h"])
        gi = F.linear(x, cell.weight_ih, cell.bias_ih).chunk(3)
        gh = F.linear(h, cell.weight_hh, cell.bias_hh).chunk(3)
        r, z = torch.sigmoid(gi[0] + gh[0]), torch.sigmoid(gi[1] + gh[1])
        n = torch.tanh(gi[2] + r * gh[2])
        if call["update_gate"] == "keeps_old":
            new = cell(x.unsqueeze(0), h.unsqueeze(0))[0]
        else:
            new = (1 - z) * h + z * n
    return {"r": r.tolist(), "z": z.tolist(), "n": n.tolist(), "h": new.tolist()}


@settings(max_examples=40, deadline=None)
@given(call=gru_calls())
def test_gru_update_gate_matches_torch(call: dict) -> None:
    assert close(solve("gru.step", call, verify=False).answer, torch_gru(call))


GRU = {
    "x": [1.0, 0.5],
    "h": [0.2, -0.1],
    "weight_ih": [[0.1, 0.2], [0.3, -0.1], [0.2, 0.2], [-0.3, 0.1], [0.5, 0.4], [0.1, -0.2]],
    "weight_hh": [[0.2, 0.1], [0.1, 0.3], [-0.2, 0.4], [0.3, 0.3], [0.1, 0.2], [0.4, -0.1]],
}


def test_update_gate_convention_and_trace() -> None:
    """CONVENTION: keeps_old (default) h′ = (1 − z)⊙n + z⊙h; takes_new h′ = (1 − z)⊙h + z⊙n."""
    default = solve("gru.step", GRU)
    takes = solve("gru.step", {**GRU, "update_gate": "takes_new"})
    assert default.params["update_gate"] == "keeps_old"
    z, n, h = (
        torch.tensor(v, dtype=torch.float64)
        for v in (default.answer["z"], default.answer["n"], GRU["h"])
    )
    assert close(default.answer["h"], ((1 - z) * n + z * h).tolist())
    assert close(takes.answer["h"], ((1 - z) * h + z * n).tolist())
    # the gates are the same; only the mixing differs
    assert close({k: takes.answer[k] for k in "rzn"}, {k: default.answer[k] for k in "rzn"})
    said = " ".join(s.title + " " + str(s.value) for s in takes.steps)
    assert "takes_new" in said and "Chung" in said
    last = takes.steps[-1]
    assert last.formula == r"h' = (1 - z) \odot h + z \odot n"


def test_other_update_gate_is_named_swapped_z() -> None:
    keeps = solve("gru.step", GRU).answer["h"]
    for wrong_h in (keeps,):
        typed = json.dumps([float(f"{v:.4g}") for v in wrong_h])
        result = check("gru.step", {**GRU, "update_gate": "takes_new"}, typed, part="h")
        assert result.misconception == "swapped_z"
        assert "takes_new" in result.feedback
