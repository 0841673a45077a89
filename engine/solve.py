"""Solving a problem call: validate, solve step by step, cross-check against the reference."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.budget import OverBudget, bounded
from engine.compare import AGREEMENT
from engine.errors import ProblemError, VerificationError
from engine.registry import get_problem
from engine.trace import Step, Trace
from engine.values import all_finite, max_abs_diff, relative_scale, to_json


@dataclass(frozen=True)
class Verification:
    by: str
    device: str
    max_abs_diff: float

    def to_json(self) -> dict[str, Any]:
        return {"by": self.by, "device": self.device, "max_abs_diff": self.max_abs_diff}


@dataclass(frozen=True)
class Solution:
    problem: str
    params: dict[str, Any]
    answer: Any
    steps: tuple[Step, ...]
    verified: Verification | None

    def to_json(self) -> dict[str, Any]:
        return {
            "problem": self.problem,
            "params": self.params,
            "answer": self.answer,
            "steps": [s.to_json() for s in self.steps],
            "verified": self.verified.to_json() if self.verified else None,
        }


def solve(
    problem_id: str, raw_params: Mapping[str, Any], device: str = "auto", verify: bool = True
) -> Solution:
    """Solve one call. Raises ProblemError for a bad call, VerificationError for a bug.

    A problem that works on typed functions (`symbolic_work`) is solved in a stoppable worker:
    past its time or memory budget the call is refused in one line.
    """
    problem = get_problem(problem_id)
    if not problem.symbolic_work:
        return _solve_here(problem_id, dict(raw_params), device, verify)
    try:
        return bounded(_solve_here, problem_id, dict(raw_params), device, verify)
    except OverBudget as exc:
        raise ProblemError(
            None,
            f"this is too much work to solve within revise's limit ({exc.what}): "
            "use a smaller function or point",
        ) from None


def _solve_here(problem_id: str, raw_params: dict[str, Any], device: str, verify: bool) -> Solution:
    problem = get_problem(problem_id)
    params = problem.parse_params(raw_params)
    trace = Trace()
    answer = to_json(problem.solve(params, trace))
    if not all_finite(answer):
        raise ProblemError(
            None, "the answer overflows: it is beyond ±1.8·10³⁰⁸, the largest a 64-bit number holds"
        )
    verification = verify_answer(problem_id, params, answer, device) if verify else None
    return Solution(
        problem=problem_id,
        params=to_json(params.model_dump()),
        answer=answer,
        steps=tuple(trace.steps),
        verified=verification,
    )


def verify_answer(problem_id: str, params: Any, answer: Any, device: str) -> Verification:
    """Recompute with the reference and fail loudly if it disagrees with the engine's answer."""
    problem = get_problem(problem_id)
    if problem.reference_by == "sympy":
        import sympy

        theirs = to_json(problem.reference(params, None))  # type: ignore[arg-type]
        by, where = f"sympy {sympy.__version__}", "cpu"
    else:
        import torch

        from engine.device import device_label, resolve_device

        dev = resolve_device(device)
        # the tensors here are tiny: thread start-up costs far more than it saves
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            theirs = to_json(problem.reference(params, dev))
        finally:
            torch.set_num_threads(threads)
        by, where = f"torch {torch.__version__.split('+')[0]}", device_label(dev)
    try:
        diff = max_abs_diff(answer, theirs)
    except ValueError as exc:
        raise VerificationError(
            f"{problem_id}: engine and {by} disagree at {exc} — this is a bug in revise"
        ) from None
    if diff > AGREEMENT * relative_scale(theirs):
        raise VerificationError(
            f"{problem_id}: engine and {by} differ by {diff:.3g} — this is a bug in revise"
        )
    return Verification(by=by, device=where, max_abs_diff=diff)
