"""Every step of the second release's sequence, attention, RL and RBM problems is in the LaTeX
subset that the terminal, Typst and Markdown renderers draw."""

from __future__ import annotations

import pytest

from engine.solve import solve
from tests.conftest import requires_cuda
from tests.torch_support import assert_cuda_reference_equals_cpu

# --- every step of the new problems is in the LaTeX subset the renderers draw ---------------------

EXAMPLES = [
    (
        "rnn.bptt",
        {
            "U": [[0.5]],
            "W": [[-0.5]],
            "V": [[1], [-1], [2]],
            "xs": [1, 2],
            "ys": [2, 0],
            "loss": "ce",
        },
    ),
    (
        "gru.step",
        {
            "x": [1.0, -0.5],
            "h": [0.1, 0.2],
            "weight_ih": [[0.1, 0.2]] * 6,
            "weight_hh": [[0.3, -0.1]] * 6,
            "update_gate": "takes_new",
        },
    ),
    (
        "attention.self",
        {
            "x": [[1, 0], [0, 1], [1, 1]],
            "w_q": [[1, 0], [0, 1]],
            "w_k": [[0, 1], [1, 0]],
            "w_v": [[1, 2], [3, 4]],
            "heads": 2,
            "causal": True,
            "w_o": [[1, 0], [0.5, 1]],
        },
    ),
    (
        "attention.additive",
        {
            "query": [0.5, -1],
            "keys": [[1, 0], [0, 1]],
            "w": [[0.3, 0.1], [-0.2, 0.4]],
            "u": [[0.1, 0.2], [0.5, -0.1]],
            "v": [1, -0.5],
        },
    ),
    (
        "rl.policy_evaluation",
        {
            "P": [[[1, 0], [0, 1]], [[0.3, 0.7], [0, 1]]],
            "R": [[0, 1], [2, 0.1]],
            "policy": [[0.2, 0.8], [0.5, 0.5]],
            "gamma": 0.9,
        },
    ),
    (
        "rl.policy_evaluation",
        {
            "P": [[[1, 0], [0, 1]], [[0.3, 0.7], [0, 1]]],
            "R": [[0, 1], [2, 0.1]],
            "policy": [[0.2, 0.8], [0.5, 0.5]],
            "gamma": 0.9,
            "iterations": 12,
        },
    ),
    (
        "rl.policy_evaluation",
        {
            "P": [[[1, 0], [0, 1]], [[0.3, 0.7], [0, 1]]],
            "R": [[0, 1], [2, 0.1]],
            "policy": [[0.2, 0.8], [0.5, 0.5]],
            "gamma": 0.123456789,
        },
    ),
    (
        "rbm.cd1",
        {"v0": [1, 0], "W": [[0.5, -0.5], [1, 0]], "a": [0, 0.5], "b": [0.5, 0], "h0": [1, 0]},
    ),
]


@pytest.mark.parametrize(("problem", "params"), EXAMPLES)
def test_every_step_renders(problem: str, params: dict) -> None:
    from revise.render.latex_tree import parse_latex

    solution = solve(problem, params)
    assert solution.verified is not None
    for step in solution.steps:
        parse_latex(step.formula)
        parse_latex(step.substituted)
        if step.table is not None:
            for cell in [*step.table.header, *(c for row in step.table.rows for c in row)]:
                parse_latex(cell)


@requires_cuda
@pytest.mark.parametrize(("problem", "params"), EXAMPLES)
def test_cuda_reference_agrees_with_cpu(problem: str, params: dict) -> None:
    assert_cuda_reference_equals_cpu(problem, params)
