"""attention against F.scaled_dot_product_attention and explicit torch scores and softmax weights."""

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

small = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def mat(rows: int, cols: int) -> st.SearchStrategy[list[list[float]]]:
    return st.lists(st.lists(small, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def calls(draw: st.DrawFn) -> dict:
    n, m, d, dv = (draw(st.integers(1, 4)) for _ in range(4))
    call = {"q": draw(mat(n, d)), "k": draw(mat(m, d)), "v": draw(mat(m, dv))}
    if draw(st.booleans()):
        call["scale"] = draw(st.floats(0.05, 2))
    if draw(st.booleans()):
        call["causal"] = True
    return call


def torch_attention(call: dict) -> dict:
    q, k, v = (torch.tensor(call[x], dtype=torch.float64) for x in "qkv")
    scale = call.get("scale") or 1 / math.sqrt(q.shape[1])
    causal = call.get("causal", False)
    scores = scale * q @ k.T
    if causal:
        scores = scores.masked_fill(~torch.ones_like(scores, dtype=torch.bool).tril(), -math.inf)
    out = F.scaled_dot_product_attention(q[None], k[None], v[None], scale=scale, is_causal=causal)
    return {
        "scores": [[None if math.isinf(s) else s for s in row] for row in scores.tolist()],
        "weights": scores.softmax(dim=-1).tolist(),
        "output": out[0].tolist(),
    }


def close(a, b, tol: float = 1e-10) -> bool:
    if isinstance(a, dict):
        return set(a) == set(b) and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


EXAMPLE = {
    "q": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
    "k": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]],
    "v": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]],
}


@settings(max_examples=80, deadline=None)
@given(call=calls())
def test_matches_scaled_dot_product_attention(call: dict) -> None:
    assert close(solve("attention", call, verify=False).answer, torch_attention(call))


def test_one_query_by_hand() -> None:
    call = {"q": [[1.0, 1.0]], "k": [[1.0, 0.0], [0.0, 2.0]], "v": [[10.0], [20.0]], "scale": 1}
    # scores 1 and 2: weights e/(e + e²) and e²/(e + e²)
    w1 = 1 / (1 + math.e)
    expected = {
        "scores": [[1.0, 2.0]],
        "weights": [[w1, 1 - w1]],
        "output": [[10 * w1 + 20 * (1 - w1)]],
    }
    solution = solve("attention", call)
    assert close(solution.answer, expected)
    assert solution.verified is not None


def test_default_scale_is_one_over_root_d() -> None:
    solution = solve("attention", EXAMPLE)
    assert solution.params["scale"] is None
    assert solution.steps[0].value == pytest.approx(1 / math.sqrt(2))
    assert close(solution.answer, torch_attention(EXAMPLE))


def test_causal_masked_scores_are_null_and_weights_zero() -> None:
    answer = solve("attention", {**EXAMPLE, "causal": True}).answer
    assert answer["scores"][0][1:] == [None, None, None]
    assert answer["scores"][2][3] is None and answer["scores"][2][2] is not None
    assert answer["weights"][0] == [1.0, 0.0, 0.0, 0.0]
    assert all(math.isclose(sum(row), 1.0) for row in answer["weights"])
    # the answer is valid JSON (no Infinity)
    json.loads(json.dumps(answer, allow_nan=False))


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"k": [[1.0, 0.0, 1.0]]}, "k"),
        ({"v": [[1.0], [2.0]]}, "v"),
        ({"scale": 0}, "scale"),
        ({"scale": -1.0}, "scale"),
        ({"q": [[1.0], [1.0, 2.0]]}, "q"),
        ({"mask": True}, "mask"),
        ({"causal": "yes"}, "causal"),
    ],
)
def test_bad_calls_name_the_parameter(change: dict, name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("attention", {**EXAMPLE, **change}, verify=False)
    assert err.value.param == name
    assert "\n" not in str(err.value)


def wrong_answers(call: dict) -> dict:
    problem = get_problem("attention")
    return {m.tag: w.answer for m, w in problem.wrong_answers(problem.parse_params(call))}


def test_misconceptions_are_distinct() -> None:
    call = {**EXAMPLE, "causal": True}
    right = solve("attention", call).answer
    wrong = wrong_answers(call)
    assert {"no_scaling", "scaled_by_d", "ignored_causal_mask"} <= set(wrong)
    answers = [json.dumps(w, sort_keys=True) for w in wrong.values()]
    assert len(set(answers)) == len(answers)
    assert json.dumps(right, sort_keys=True) not in answers
    # no scaling: the raw dot products are the scores
    assert close(wrong["no_scaling"], torch_attention({**call, "scale": 1.0}))
    assert close(wrong["ignored_causal_mask"], torch_attention(EXAMPLE))
    # without a mask every column has someone to attend: softmax over queries applies
    plain = wrong_answers(EXAMPLE)
    assert "softmax_over_queries" in plain and "ignored_causal_mask" not in plain
    columns = [sum(row[j] for row in plain["softmax_over_queries"]["weights"]) for j in range(4)]
    assert close(columns, [1.0] * 4)


def test_rules_that_agree_with_the_right_answer_are_skipped() -> None:
    # d = 1: dividing by d is dividing by √d; scale = 1 given: nothing to forget
    one = {"q": [[1.0], [2.0]], "k": [[1.0], [-1.0]], "v": [[1.0], [0.0]]}
    assert "scaled_by_d" not in wrong_answers(one)
    assert "no_scaling" not in wrong_answers({**EXAMPLE, "scale": 1})


@requires_cuda
@pytest.mark.parametrize("causal", [False, True])
def test_cuda_agrees_with_cpu(causal: bool) -> None:
    call = {**EXAMPLE, "causal": causal}
    cpu = solve("attention", call, device="cpu")
    gpu = solve("attention", call, device="cuda")
    assert gpu.verified is not None and gpu.verified.device == "cuda:0"
    assert close(gpu.answer, cpu.answer, 1e-6)


def test_cli(cli) -> None:
    args = [f"{k}={json.dumps(v)}" for k, v in EXAMPLE.items()]
    out = cli("solve", "attention", *args, "causal=true", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)  # strict JSON: masked scores are null
    assert close(data["answer"], torch_attention({**EXAMPLE, "causal": True}))
    human = cli("solve", "attention", *args)
    assert human.returncode == 0, human.stderr
    assert "Attention weights" in human.stdout
    bad = cli("solve", "attention", *args, "scale=-2")
    assert bad.returncode == 2 and "scale" in bad.stderr


def test_scaled_anyway_divides_by_root_d_where_another_scale_is_given() -> None:
    given = {**EXAMPLE, "scale": 1.0}
    wrong = wrong_answers(given)
    assert close(wrong["scaled_anyway"], torch_attention({**EXAMPLE, "scale": 2**-0.5}))
    # without a scale, or with 1/√d itself, dividing by √d is right: nothing to tell apart
    assert "scaled_anyway" not in wrong_answers(EXAMPLE)
    assert "scaled_anyway" not in wrong_answers({**EXAMPLE, "scale": 2**-0.5})
