"""The engine's shared machinery: JSON values, comparison, verification failing loudly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import ProblemError, VerificationError, get_problem
from engine.latex import num
from engine.solve import solve
from engine.values import max_abs_diff, to_json


def test_to_json_keeps_ints_and_full_precision() -> None:
    value = to_json({"a": np.int64(3), "b": np.array([[0.1, 1 / 3]]), "c": (1, 2.5)})
    assert value == {"a": 3, "b": [[0.1, 1 / 3]], "c": [1, 2.5]}
    assert isinstance(value["a"], int)


def test_max_abs_diff_refuses_structural_differences() -> None:
    assert max_abs_diff([1.0, 2.0], [1.0, 2.5]) == 0.5
    with pytest.raises(ValueError, match="length"):
        max_abs_diff([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="answer.x"):
        max_abs_diff({"x": 3}, {"x": 4})


def test_num_formats_like_a_worked_solution() -> None:
    assert num(3) == "3" and num(-2) == "-2" and num(2.0) == "2"
    assert num(0.21428571) == "0.2143"
    assert "10^{-4}" in num(6.76e-4)
    assert num(math.inf) == r"\infty"


def test_a_disagreement_with_torch_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = type(get_problem("conv2d.output_size"))
    monkeypatch.setattr(problem, "reference", lambda self, p, device: 31)
    with pytest.raises(VerificationError, match="bug"):
        solve("conv2d.output_size", {"size": 32, "kernel": 5, "padding": 2})


def test_unknown_problem_suggests_a_close_id() -> None:
    with pytest.raises(ProblemError, match="did you mean conv2d.output_size"):
        get_problem("conv2d.output_sise")


def test_every_bad_parameter_is_reported_together() -> None:
    """The first names the one-line message; a form gets the others too, to mark every field."""
    from engine.errors import ProblemError
    from engine.solve import solve

    with pytest.raises(ProblemError) as caught:
        solve("conv2d.output_size", {"size": -3, "kernel": 0, "stride": "x"})
    error = caught.value
    assert error.param == "size"
    assert [p for p, _ in error.more] == ["kernel", "stride"]
    assert "\n" not in str(error)
