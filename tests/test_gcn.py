"""gcn.layer against a dense torch computation written here, its trace, checks and misconceptions."""

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

ACTIVATIONS = {
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "none": lambda z: z,
}


def torch_gcn(
    adjacency: list[list[float]],
    features: list[list[float]],
    weight: list[list[float]],
    bias: list[float] | None = None,
    self_loops: bool = True,
    normalization: str = "symmetric",
    activation: str = "relu",
) -> torch.Tensor:
    """Kipf & Welling's layer with dense torch matrices; a degree-0 node gets inverse degree 0."""
    a = torch.tensor(adjacency, dtype=torch.float64)
    if self_loops:
        a = a + torch.eye(len(a), dtype=torch.float64)
    deg = a.sum(dim=1)
    if normalization == "symmetric":
        inv = torch.where(deg > 0, deg.clamp(min=1e-300).rsqrt(), torch.zeros_like(deg))
        a = torch.diag(inv) @ a @ torch.diag(inv)
    elif normalization == "row":
        inv = torch.where(deg > 0, 1 / deg.clamp(min=1e-300), torch.zeros_like(deg))
        a = torch.diag(inv) @ a
    z = a @ torch.tensor(features, dtype=torch.float64) @ torch.tensor(weight, dtype=torch.float64)
    if bias is not None:
        z = z + torch.tensor(bias, dtype=torch.float64)
    return ACTIVATIONS[activation](z)


def close(got: list[list[float]], expected: torch.Tensor, tol: float = 1e-9) -> bool:
    return torch.allclose(torch.tensor(got, dtype=torch.float64), expected, rtol=tol, atol=tol)


small = st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def gcn_calls(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 6))
    f = draw(st.integers(1, 4))
    f_out = draw(st.integers(1, 3))
    weighted = draw(st.booleans())
    symmetric = draw(st.booleans())
    entry = st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.5]) if weighted else st.sampled_from([0.0, 1.0])
    a = [[draw(entry) if i != j else 0.0 for j in range(n)] for i in range(n)]
    if symmetric:
        a = [[a[min(i, j)][max(i, j)] for j in range(n)] for i in range(n)]
    call = {
        "adjacency": a,
        "features": [[draw(small) for _ in range(f)] for _ in range(n)],
        "weight": [[draw(small) for _ in range(f_out)] for _ in range(f)],
        "bias": draw(st.none() | st.lists(small, min_size=f_out, max_size=f_out)),
        "self_loops": draw(st.booleans()),
        "normalization": draw(st.sampled_from(["symmetric", "row", "none"])),
        "activation": draw(st.sampled_from(sorted(ACTIVATIONS))),
    }
    return call


@settings(max_examples=80, deadline=None)
@given(call=gcn_calls())
def test_matches_dense_torch(call: dict) -> None:
    # verify=True also runs the engine's edge-list (GCNConv-style) reference
    got = solve("gcn.layer", call).answer
    assert close(got, torch_gcn(**call))


def test_worked_example_on_a_path_graph() -> None:
    # path 1 – 2 – 3: with self-loops the degrees are 2, 3, 2, so Â_12 = 1/√6
    call = {
        "adjacency": [[0, 1, 0], [1, 0, 1], [0, 1, 0]],
        "features": [[1, 0], [0, 1], [1, 1]],
        "weight": [[1, -1], [2, 1]],
        "activation": "none",
    }
    solution = solve("gcn.layer", call)
    steps = {s.title.split(":")[0].split(",")[0]: s for s in solution.steps}
    a_hat = next(s.value for s in solution.steps if s.title == "Symmetric normalisation")
    assert a_hat[0][0] == pytest.approx(0.5) and a_hat[0][1] == pytest.approx(1 / math.sqrt(6))
    assert a_hat[0][2] == 0 and a_hat[1][1] == pytest.approx(1 / 3)
    assert "Add self-loops" in " ".join(steps)
    assert close(solution.answer, torch_gcn(**call))
    assert solution.verified is not None and solution.verified.max_abs_diff < 1e-12


def test_trace_shows_each_stage() -> None:
    call = {
        "adjacency": [[0, 1], [1, 0]],
        "features": [[1.0], [2.0]],
        "weight": [[1.0, -1.0]],
        "bias": [0.5, 0.5],
    }
    steps = solve("gcn.layer", call, verify=False).steps
    formulas = [s.formula for s in steps]
    assert formulas[0] == r"\tilde{A} = A + I" and steps[0].value == [[1, 1], [1, 1]]
    assert steps[1].value == [[2, 0], [0, 2]]  # degrees on a diagonal
    assert any(r"\hat{A} = \tilde{D}^{-\frac{1}{2}}" in f for f in formulas)
    assert r"\hat{A} H" in formulas and r"(\hat{A} H) W" in formulas
    assert any("+ b" in f for f in formulas) and formulas[-1].startswith("H' = ")
    # every computing step carries its numbers
    assert all(s.substituted for s in steps if s.formula)


def test_isolated_node_without_self_loops_gets_zero_then_bias() -> None:
    call = {
        "adjacency": [[0, 1, 0], [1, 0, 0], [0, 0, 0]],
        "features": [[1.0], [2.0], [3.0]],
        "weight": [[2.0]],
        "bias": [0.25],
        "self_loops": False,
        "activation": "none",
    }
    got = solve("gcn.layer", call).answer
    assert got == [[4.25], [2.25], [0.25]]
    assert close(got, torch_gcn(**call))


def test_weighted_directed_graph_uses_row_sums() -> None:
    # node 1 gathers from node 2 with weight 2; node 2 gathers from nobody but itself
    call = {"adjacency": [[0, 2], [0, 0]], "features": [[1.0], [4.0]], "weight": [[1.0]]}
    got = solve("gcn.layer", call).answer
    # degrees (row sums of A + I) are 3 and 1
    assert got[0][0] == pytest.approx(1 / 3 + 2 * 4 / math.sqrt(3))
    assert got[1][0] == pytest.approx(4.0)


def test_matches_pytorch_geometric_when_installed() -> None:
    pyg = pytest.importorskip("torch_geometric.nn")
    call = {
        "adjacency": [[0, 1, 1, 0], [1, 0, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0]],
        "features": [[1.0, -1.0], [0.5, 2.0], [-1.0, 0.0], [3.0, 1.0]],
        "weight": [[1.0, 0.5, -1.0], [2.0, 0.0, 1.0]],
        "bias": [0.1, 0.2, -0.3],
        "activation": "none",
    }
    conv = pyg.GCNConv(2, 3).double()
    with torch.no_grad():
        conv.lin.weight.copy_(torch.tensor(call["weight"], dtype=torch.float64).T)
        conv.bias.copy_(torch.tensor(call["bias"], dtype=torch.float64))
    a = torch.tensor(call["adjacency"], dtype=torch.float64)
    edge_index = a.T.nonzero().T  # row = source, col = target
    expected = conv(torch.tensor(call["features"], dtype=torch.float64), edge_index)
    assert close(solve("gcn.layer", call).answer, expected)


def test_misconceptions_give_distinct_wrong_answers() -> None:
    call = {
        "adjacency": [[0, 1, 1], [1, 0, 0], [1, 0, 0]],
        "features": [[1.0, -2.0], [0.5, 1.0], [2.0, 0.0]],
        "weight": [[1.0, -1.0], [0.5, 2.0]],
        "bias": [0.1, -0.1],
        "activation": "tanh",
    }
    problem = get_problem("gcn.layer")
    wrong = {m.tag: w for m, w in problem.wrong_answers(problem.parse_params(call))}
    assert close(wrong["no_self_loops"].answer, torch_gcn(**{**call, "self_loops": False}))
    assert close(wrong["row_normalized"].answer, torch_gcn(**{**call, "normalization": "row"}))
    assert close(wrong["no_normalization"].answer, torch_gcn(**{**call, "normalization": "none"}))
    assert close(wrong["forgot_activation"].answer, torch_gcn(**{**call, "activation": "none"}))
    assert close(wrong["forgot_bias"].answer, torch_gcn(**{**call, "bias": None}))
    # degrees of A (2, 1, 1) used with A + I
    a_tilde = torch.tensor(call["adjacency"], dtype=torch.float64) + torch.eye(3)
    inv = torch.tensor([2.0, 1.0, 1.0], dtype=torch.float64).rsqrt()
    z = inv[:, None] * a_tilde * inv[None, :] @ torch.tensor(call["features"], dtype=torch.float64)
    z = z @ torch.tensor(call["weight"], dtype=torch.float64) + torch.tensor(call["bias"])
    assert close(wrong["degree_without_self_loop"].answer, torch.tanh(z))
    assert "[3, 2, 2]" in wrong["no_self_loops"].feedback  # names this call's degrees

    right = solve("gcn.layer", call).answer
    answers = [right, *(w.answer for w in wrong.values())]
    for i, x in enumerate(answers):
        for y in answers[i + 1 :]:
            assert not close(x, torch.tensor(y, dtype=torch.float64))

    # the reverse rules for calls that asked for the other setting
    other = {**call, "self_loops": False, "normalization": "row"}
    tags = {m.tag for m, _ in problem.wrong_answers(problem.parse_params(other))}
    assert {"added_self_loops", "symmetric_normalized"} <= tags
    assert not tags & {"no_self_loops", "row_normalized", "degree_without_self_loop"}


def test_misconception_that_changes_nothing_is_skipped() -> None:
    # relu of all-positive values changes nothing: forgetting it cannot be told apart
    call = {"adjacency": [[0, 1], [1, 0]], "features": [[1.0], [2.0]], "weight": [[1.0]]}
    problem = get_problem("gcn.layer")
    tags = {m.tag for m, _ in problem.wrong_answers(problem.parse_params(call))}
    assert "forgot_activation" not in tags and "no_self_loops" in tags


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"adjacency": [[0, 1, 0], [1, 0, 1]]}, "adjacency"),
        ({"adjacency": [[0, -1], [1, 0]]}, "adjacency"),
        ({"features": [[1.0], [2.0], [3.0]]}, "features"),
        ({"weight": [[1.0], [2.0]]}, "weight"),
        ({"bias": [1.0, 2.0]}, "bias"),
        ({"bias": 0.5}, "bias"),
        ({"normalization": "column"}, "normalization"),
        ({"activation": "gelu"}, "activation"),
        ({"adjacency": [[0, 1], [1]]}, "adjacency"),
    ],
)
def test_bad_calls_name_the_parameter(change: dict, param: str) -> None:
    call = {"adjacency": [[0, 1], [1, 0]], "features": [[1.0], [2.0]], "weight": [[1.0]], **change}
    with pytest.raises(ProblemError) as info:
        solve("gcn.layer", call)
    assert info.value.param == param
    assert "\n" not in str(info.value)


def test_shape_messages_say_what_was_expected() -> None:
    with pytest.raises(ProblemError, match=r"expected 2 rows .* got 3"):
        solve(
            "gcn.layer",
            {"adjacency": [[0, 1], [1, 0]], "features": [[1], [2], [3]], "weight": [[1]]},
        )
    with pytest.raises(ProblemError, match="square"):
        solve("gcn.layer", {"adjacency": [[0, 1]], "features": [[1]], "weight": [[1]]})


@requires_cuda
def test_cuda_matches_cpu() -> None:
    call = {
        "adjacency": [[0, 1, 0.5], [1, 0, 0], [0.5, 0, 0]],
        "features": [[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]],
        "weight": [[0.5, -1.0], [1.5, 2.0]],
        "bias": [0.1, 0.0],
        "activation": "sigmoid",
    }
    on_gpu = solve("gcn.layer", call, device="cuda")
    on_cpu = solve("gcn.layer", call, device="cpu")
    assert on_gpu.verified is not None and on_gpu.verified.device.startswith("cuda")
    assert close(on_gpu.answer, torch.tensor(on_cpu.answer, dtype=torch.float64), tol=1e-6)


def test_cli_json_and_human_output(cli) -> None:
    args = ("adjacency=[[0,1],[1,0]]", "features=[[1,2],[3,4]]", "weight=[[1],[1]]")
    done = cli("solve", "gcn.layer", *args, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    # Â is all 0.5, so both nodes get the mean of the row sums: (3 + 7) / 2
    assert data["answer"] == [[5.0], [5.0]]
    assert data["params"]["normalization"] == "symmetric" and data["params"]["bias"] is None
    assert [s["title"] for s in data["steps"]][0].startswith("Add self-loops")

    human = cli("solve", "gcn.layer", *args)
    assert human.returncode == 0, human.stderr
    assert "Symmetric normalisation" in human.stdout and "⎡" in human.stdout

    bad = cli("solve", "gcn.layer", "adjacency=[[0,1],[1,0]]", "features=[[1]]", "weight=[[1]]")
    assert bad.returncode == 2 and "features" in bad.stderr
    assert bad.stderr.count("\n") == 1
