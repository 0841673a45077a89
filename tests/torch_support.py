"""Helpers for the tests that compare the engine's answers with torch's, computed in the test."""

from __future__ import annotations

import math
from typing import Any

import torch

from engine.registry import get_problem
from engine.solve import solve


def assert_close(got: Any, expected: Any, tol: float = 1e-10) -> None:
    """Same structure (dicts, lists), numbers equal within tol, relative or absolute."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected)
        for k in expected:
            assert_close(got[k], expected[k], tol)
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected)
        for a, b in zip(got, expected):
            assert_close(a, b, tol)
    else:
        assert isinstance(got, int | float)
        assert math.isclose(got, expected, rel_tol=tol, abs_tol=tol), (got, expected)


def close(ours: Any, theirs: Any, tol: float = 1e-10) -> bool:
    """Same structure, numbers equal within tol (relative to 1 or their size)."""
    if isinstance(ours, dict):
        return set(ours) == set(theirs) and all(close(ours[k], theirs[k], tol) for k in ours)
    if isinstance(ours, list):
        return len(ours) == len(theirs) and all(close(a, b, tol) for a, b in zip(ours, theirs))
    return abs(ours - theirs) <= tol * max(1.0, abs(theirs))


def assert_cuda_reference_equals_cpu(problem: str, params: dict[str, Any]) -> None:
    """The torch reference on the GPU agrees with the CPU's, and solve verifies on the GPU."""
    p = get_problem(problem)
    parsed = p.parse_params(params)
    cpu = p.reference(parsed, torch.device("cpu"))
    gpu = p.reference(parsed, torch.device("cuda:0"))
    assert close(gpu, cpu, 1e-6)
    assert solve(problem, params, device="cuda").verified.device == "cuda:0"  # type: ignore[union-attr]
