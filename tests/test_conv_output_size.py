"""conv2d.output_size against the shape torch really produces, and its misconceptions."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import get_problem
from engine.solve import solve


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 40),
    k=st.integers(1, 7),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
)
def test_output_size_matches_torch(n: int, k: int, s: int, p: int, d: int) -> None:
    if d * (k - 1) + 1 > n + 2 * p:
        return
    x = torch.zeros(1, 1, n, n + 1, dtype=torch.float64)
    w = torch.zeros(1, 1, k, k, dtype=torch.float64)
    expected = F.conv2d(x, w, stride=s, padding=p, dilation=d).shape[-2:]
    got = solve(
        "conv2d.output_size",
        {"size": [n, n + 1], "kernel": k, "stride": s, "padding": p, "dilation": d},
        verify=False,
    ).answer
    assert got == list(expected)


def test_scalar_call_gives_scalar_answer() -> None:
    assert (
        solve("conv2d.output_size", {"size": 224, "kernel": 11, "stride": 4, "padding": 2}).answer
        == 55
    )


def test_misconceptions_name_each_wrong_rule() -> None:
    problem = get_problem("conv2d.output_size")
    params = problem.parse_params(
        {"size": 10, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2}
    )
    wrong = {m.tag: w.answer for m, w in problem.wrong_answers(params)}
    # each computed by hand from ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1 with one term left out
    assert wrong["ignored_padding"] == (10 - 4 - 1) // 2 + 1
    assert wrong["ignored_stride"] == 12 - 4 - 1 + 1
    assert wrong["ignored_dilation"] == (12 - 2 - 1) // 2 + 1
    assert wrong["forgot_plus_one"] == (12 - 4 - 1) // 2
    assert wrong["no_floor"] == (12 - 4 - 1) / 2 + 1
