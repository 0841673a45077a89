"""attention.self and attention.additive against torch computed here."""

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
from engine.solve import solve
from tests.torch_support import close

small = st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False)


def mat(rows: int, cols: int) -> st.SearchStrategy[list[list[float]]]:
    return st.lists(st.lists(small, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


def t(v) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float64)


@st.composite
def self_calls(draw: st.DrawFn) -> dict:
    n, d_model, heads = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    dk, dv = heads * draw(st.integers(1, 2)), heads * draw(st.integers(1, 2))
    call = {
        "x": draw(mat(n, d_model)),
        "w_q": draw(mat(d_model, dk)),
        "w_k": draw(mat(d_model, dk)),
        "w_v": draw(mat(d_model, dv)),
        "heads": heads,
        "causal": draw(st.booleans()),
    }
    if draw(st.booleans()):
        call["w_o"] = draw(mat(dv, draw(st.integers(1, 3))))
    return call


def sdpa(call: dict) -> torch.Tensor:
    """Each head through F.scaled_dot_product_attention, concatenated, times W_O."""
    X = t(call["x"])
    Q, K, V = X @ t(call["w_q"]), X @ t(call["w_k"]), X @ t(call["w_v"])
    h = call.get("heads", 1)
    outs = []
    for Qi, Ki, Vi in zip(Q.chunk(h, dim=1), K.chunk(h, dim=1), V.chunk(h, dim=1)):
        outs.append(F.scaled_dot_product_attention(Qi, Ki, Vi, is_causal=call.get("causal", False)))
    out = torch.cat(outs, dim=1)
    return out @ t(call["w_o"]) if call.get("w_o") is not None else out


@settings(max_examples=50, deadline=None)
@given(call=self_calls())
def test_self_attention_matches_sdpa(call: dict) -> None:
    got = solve("attention.self", call, verify=False).answer
    assert close(got["output"], sdpa(call).tolist())
    X = t(call["x"])
    assert close(got["q"], (X @ t(call["w_q"])).tolist())
    # one weight matrix per head when there are several, rows summing to 1
    weights = got["weights"] if call["heads"] > 1 else [got["weights"]]
    assert len(weights) == call["heads"]
    for w in weights:
        assert all(math.isclose(sum(row), 1.0) for row in w)
        if call["causal"]:
            assert all(w[i][j] == 0 for i in range(len(w)) for j in range(i + 1, len(w)))


@st.composite
def square_calls(draw: st.DrawFn) -> dict:
    heads = draw(st.integers(1, 2))
    d = heads * draw(st.integers(1, 2))
    n = draw(st.integers(1, 4))
    call = {
        "x": draw(mat(n, d)),
        "w_q": draw(mat(d, d)),
        "w_k": draw(mat(d, d)),
        "w_v": draw(mat(d, d)),
        "heads": heads,
        "w_o": draw(mat(d, d)),
        "causal": draw(st.booleans()),
    }
    return call


@settings(max_examples=30, deadline=None)
@given(call=square_calls())
def test_self_attention_matches_multihead_attention(call: dict) -> None:
    """nn.MultiheadAttention with its projections set from W_Q, W_K, W_V, W_O (it computes x·Wᵀ)."""
    d, n = len(call["x"][0]), len(call["x"])
    mha = torch.nn.MultiheadAttention(d, call["heads"], bias=False, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([t(call[k]).T for k in ("w_q", "w_k", "w_v")]))
        mha.out_proj.weight.copy_(t(call["w_o"]).T)
        X = t(call["x"])
        mask = torch.ones(n, n, dtype=torch.bool).triu(1) if call["causal"] else None
        out, weights = mha(X, X, X, attn_mask=mask, average_attn_weights=False)
    got = solve("attention.self", call, verify=False).answer
    assert close(got["output"], out.tolist())
    per_head = got["weights"] if call["heads"] > 1 else [got["weights"]]
    assert close(per_head, weights.tolist())


EXAMPLE = {
    "x": [[1, 0, 1, 0], [0, 2, 0, 1], [1, 1, 1, 1]],
    "w_q": [[1, 0, 0, 1], [0, 1, 1, 0], [1, 0, 1, 0], [0, 1, 0, 1]],
    "w_k": [[0, 1, 0, 1], [1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1]],
    "w_v": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
    "heads": 2,
    "causal": True,
    "w_o": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0.5, 0, 0, 1]],
}


def test_scores_masked_as_null_and_scale_per_head() -> None:
    solution = solve("attention.self", EXAMPLE)
    scores = solution.answer["scores"]
    assert len(scores) == 2 and scores[0][0][1] is None and scores[1][0][2] is None
    Q = t(EXAMPLE["x"]) @ t(EXAMPLE["w_q"])
    K = t(EXAMPLE["x"]) @ t(EXAMPLE["w_k"])
    # head 2 uses columns 3–4, scaled by 1/√2 (its own width), not 1/√4
    assert scores[1][2][1] == pytest.approx(float(Q[2, 2:] @ K[1, 2:]) / math.sqrt(2))
    assert solution.verified is not None and solution.verified.max_abs_diff < 1e-12


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"w_q": [[1, 0]]}, "w_q"),
        ({"w_k": [[1, 0, 0]] * 4}, "w_k"),
        ({"heads": 3}, "heads"),
        ({"w_o": [[1]]}, "w_o"),
        ({"scale": -1}, "scale"),
        ({"causal": "yes"}, "causal"),
    ],
)
def test_bad_calls_name_the_parameter(change: dict, name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("attention.self", {**EXAMPLE, **change}, verify=False)
    assert err.value.param == name and "\n" not in str(err.value)


def test_scale_by_all_heads_width_is_named() -> None:
    """The wrong scale 1/√4 (all heads' width), computed here and typed to 4 figures."""
    call = {**EXAMPLE, "causal": False}
    del call["w_o"]
    X = t(call["x"])
    Q, K, V = X @ t(call["w_q"]), X @ t(call["w_k"]), X @ t(call["w_v"])
    heads = [
        F.scaled_dot_product_attention(q, k, v, scale=0.5)
        for q, k, v in zip(Q.chunk(2, 1), K.chunk(2, 1), V.chunk(2, 1))
    ]
    wrong = torch.cat(heads, dim=1).tolist()
    typed = json.dumps([[float(f"{v:.4g}") for v in row] for row in wrong])
    result = check("attention.self", call, typed, part="output")
    assert not result.correct and result.misconception == "scaled_by_model_width"


# --- attention.additive ---------------------------------------------------------------------------


@st.composite
def additive_calls(draw: st.DrawFn) -> dict:
    d_s, d_h, a, m = (draw(st.integers(1, 3)) for _ in range(4))
    return {
        "query": draw(st.lists(small, min_size=d_s, max_size=d_s)),
        "keys": draw(mat(m, d_h)),
        "w": draw(mat(a, d_s)),
        "u": draw(mat(a, d_h)),
        "v": draw(st.lists(small, min_size=a, max_size=a)),
    }


def torch_additive(call: dict) -> dict:
    """Bahdanau's scorer as nn.Linear layers with the call's weights."""
    a, d_s, d_h = len(call["v"]), len(call["query"]), len(call["keys"][0])
    W = torch.nn.Linear(d_s, a, bias=False, dtype=torch.float64)
    U = torch.nn.Linear(d_h, a, bias=False, dtype=torch.float64)
    v = torch.nn.Linear(a, 1, bias=False, dtype=torch.float64)
    with torch.no_grad():
        W.weight.copy_(t(call["w"]))
        U.weight.copy_(t(call["u"]))
        v.weight.copy_(t([call["v"]]))
        H = t(call["keys"])
        e = v(torch.tanh(W(t(call["query"])) + U(H))).squeeze(-1)
        alpha = torch.softmax(e, dim=0)
        return {"scores": e.tolist(), "weights": alpha.tolist(), "context": (alpha @ H).tolist()}


@settings(max_examples=50, deadline=None)
@given(call=additive_calls())
def test_additive_matches_torch(call: dict) -> None:
    assert close(solve("attention.additive", call, verify=False).answer, torch_additive(call))


ADDITIVE = {
    "query": [0.5, -1],
    "keys": [[1, 0, 2], [0, 1, -1], [1, 1, 1]],
    "w": [[0.3, 0.1], [-0.2, 0.4]],
    "u": [[0.1, 0.2, 0.3], [0.5, -0.1, 0.2]],
    "v": [1, -0.5],
}


def test_additive_verified_and_shapes_checked() -> None:
    solution = solve("attention.additive", ADDITIVE)
    assert set(solution.answer) == {"scores", "weights", "context"}
    assert solution.verified is not None
    with pytest.raises(ProblemError) as err:
        solve("attention.additive", {**ADDITIVE, "u": [[0.1, 0.2], [0.5, -0.1]]}, verify=False)
    assert err.value.param == "u"


def test_additive_without_tanh_is_named() -> None:
    s, H = t(ADDITIVE["query"]), t(ADDITIVE["keys"])
    e = (t(ADDITIVE["w"]) @ s + H @ t(ADDITIVE["u"]).T) @ t(ADDITIVE["v"])
    typed = json.dumps([float(f"{x:.4g}") for x in e.tolist()])
    result = check("attention.additive", ADDITIVE, typed, part="scores")
    assert not result.correct and result.misconception == "no_tanh"
