"""The problem base class: parameters, a traced solution, a reference computation, misconceptions.

A problem module defines one subclass per problem id. Module level imports stay light (pydantic
and this package only) so that listing problems never loads torch; `solve` may use numpy or plain
Python, `reference` imports torch (or sympy) inside the method.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import ValidationError

from engine.errors import ProblemError
from engine.params import ParamModel
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

P = TypeVar("P", bound=ParamModel)

_REGISTRY: dict[str, type[Problem[Any]]] = {}


@dataclass(frozen=True)
class Wrong:
    """The answer a student gets under a wrong rule, and the sentence that explains the mistake."""

    answer: Any
    feedback: str


@dataclass(frozen=True)
class Misconception:
    """A named wrong rule: `rule(problem, params)` returns the wrong answer, or None if the rule
    gives the right answer for these parameters (then it cannot be told apart and is skipped).

    `part` is the answer key the rule speaks about (None: the whole answer).
    """

    tag: str
    rule: Callable[[Any, Any], Wrong | None]
    part: str | None = None


def misconception(tag: str, part: str | None = None) -> Callable[[Callable[..., Any]], Any]:
    """Mark a method `(self, params) -> Wrong | None` as a misconception rule of its problem."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__misconception__ = Misconception(tag, fn, part)  # type: ignore[attr-defined]
        return fn

    return mark


class Problem(Generic[P]):
    """One computation from the course.

    Subclasses set `id`, `summary`, `topic` and `Params`, and implement `solve` and `reference`.
    `reference_by` is "torch" or "sympy": what `reference` computes with.
    """

    id: ClassVar[str]
    summary: ClassVar[str]
    topic: ClassVar[str]
    Params: ClassVar[type[ParamModel]]
    reference_by: ClassVar[str] = "torch"
    # A problem may tighten the contract's tolerance for real answers to a relative error
    # (and says so in its summary): None keeps the contract's rule.
    relative_tolerance: ClassVar[float | None] = None
    misconceptions: ClassVar[tuple[Misconception, ...]] = ()
    # True for problems that take a function typed as text: SymPy work whose cost no parameter
    # limit can foresee, so solving runs in a stoppable worker (`engine.budget.bounded`)
    symbolic_work: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        rules = [
            m.__misconception__
            for name in dir(cls)
            if (m := getattr(cls, name, None)) is not None and hasattr(m, "__misconception__")
        ]
        cls.misconceptions = tuple(sorted(rules, key=lambda r: r.tag))
        problem_id = cls.__dict__.get("id")
        if problem_id:
            if problem_id in _REGISTRY and _REGISTRY[problem_id] is not cls:
                raise RuntimeError(f"problem id {problem_id!r} defined twice")
            _REGISTRY[problem_id] = cls

    # --- parameters -------------------------------------------------------------------------
    def parse_params(self, raw: Mapping[str, Any]) -> P:
        """Validate raw parameters; every failure becomes a one-line ProblemError naming it."""
        try:
            return self.Params.model_validate(dict(raw))  # type: ignore[return-value]
        except ValidationError as exc:
            raise _problem_error(exc, self.Params) from None

    # --- the work ---------------------------------------------------------------------------
    def solve(self, p: P, trace: Trace) -> Any:
        """The engine's own step-by-step answer (numpy/Python), recording each step in `trace`."""
        raise NotImplementedError

    def reference(self, p: P, device: torch.device) -> Any:
        """The same answer computed independently with torch on `device` (float64), or sympy."""
        raise NotImplementedError

    def expressions(self, p: P) -> dict[str, Any]:
        """The SymPy form of each expression part of the answer (by part name), for checking."""
        return {}

    def wrong_answers(self, p: P) -> list[tuple[Misconception, Wrong]]:
        """Every misconception that gives a distinct wrong answer for these parameters."""
        found = []
        for m in self.misconceptions:
            wrong = m.rule(self, p)
            if wrong is not None:
                found.append((m, wrong))
        return found


def _problem_error(exc: ValidationError, model: type[ParamModel]) -> ProblemError:
    """Every problem pydantic found, the first one named in the message: a form marks them
    all at once, the command line prints the first as its one line."""
    found = [_one_error(err, model) for err in exc.errors()]
    return ProblemError.of_all(list(dict.fromkeys(found)))


def _one_error(err: Any, model: type[ParamModel]) -> tuple[str | None, str]:
    loc = [str(x) for x in err.get("loc", ())]
    name = loc[0] if loc else None
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        known = ", ".join(model.model_fields)
        return name, f"unknown parameter (this problem takes: {known})"
    if kind == "missing":
        return name, "required parameter is missing"
    message = str(err.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    where = loc[0] + "".join(f"[{x}]" if x.isdigit() else f".{x}" for x in loc[1:]) if loc else None
    return where, message


def registered() -> dict[str, type[Problem[Any]]]:
    return _REGISTRY
