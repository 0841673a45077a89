"""The answer parser and checker under fuzzing: no exception escapes, no code runs, fast answers.

Three sources of input: arbitrary Unicode text, text over the answer alphabet (near-valid input:
brackets, operators, names, digits, full-width forms), and the hand-made hostile corpus mixed
with fragments that would call a canary if anything ever evaluated them. Every call must return
a Parsed value or raise AnswerError, within a second, and the canary must never be called.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.checking import AnswerError, check, parse_answer
from engine.checking.parse import KINDS
from tests.test_parse import HOSTILE

# CPU seconds, not wall time: a loaded CI machine must not fail a check that did little work
BOUND_SECONDS = 1.0

ALPHABET = list("0123456789.eE+-*/^!()[],; \nxXyπ√×·−²³⁻") + [
    "sqrt",
    "exp",
    "ln",
    "log",
    "sin",
    "tanh",
    "pi",
    "e",
    "factorial",
    "**",
    "１",
    "（",
    "，",
    "；",
    "9**9",
    "10^",
    "canary()",
    "__import__",
    "'",
    "_",
    ".",
    "{",
    "=",
]

CANARY_CALLS: list[str] = []


def _canary(*args: object) -> None:
    CANARY_CALLS.append(repr(args))


@contextmanager
def tripwires() -> Iterator[None]:
    """While the code under test runs: a canary reachable by name from any evaluated code, and
    eval/exec that report being used on text (module imports run code objects from files)."""
    real_eval, real_exec = builtins.eval, builtins.exec

    def from_text(source: object) -> bool:
        filename = getattr(source, "co_filename", "<string>")
        return isinstance(source, str | bytes) or str(filename).startswith("<")

    def eval_tripwire(*args: object, **kwargs: object) -> object:
        if args and from_text(args[0]):
            CANARY_CALLS.append(f"eval{args[:1]!r}")
        return real_eval(*args, **kwargs)  # type: ignore[arg-type]

    def exec_tripwire(*args: object, **kwargs: object) -> object:
        if args and from_text(args[0]):
            CANARY_CALLS.append(f"exec{args[:1]!r}")
        return real_exec(*args, **kwargs)  # type: ignore[arg-type]

    builtins.canary = _canary  # type: ignore[attr-defined]
    builtins.eval = eval_tripwire
    builtins.exec = exec_tripwire
    try:
        yield
    finally:
        builtins.eval, builtins.exec = real_eval, real_exec
        del builtins.canary  # type: ignore[attr-defined]


@pytest.fixture(autouse=True, scope="module")
def warm() -> None:
    """SymPy loaded (and its import-time code run) before anything is timed."""
    parse_answer("sqrt(2) + sin(x)", "auto")
    check("derivative", {"f": "x^2 sin(3x)", "at": 0.5}, "1", "derivative")
    # importing a problem module evaluates its pydantic annotations (code from "<string>"):
    # done here, before the tripwires, so that the order the tests run in does not matter
    from engine.registry import all_problems

    all_problems()
    check("hessian.critical_point", {"f": "x^2 + y^2", "point": [0, 0]}, "1")
    check("batchnorm.forward", {"x": [1.0, 2.0, 3.0, 6.0]}, "1")


def _read(text: str, kind: str) -> None:
    start = time.process_time()
    try:
        with tripwires():
            parse_answer(text, kind)
    except AnswerError as exc:
        assert str(exc), "an AnswerError always says what is wrong"
    elapsed = time.process_time() - start
    assert elapsed < BOUND_SECONDS, f"{text[:40]!r} took {elapsed:.2f} s"
    assert not CANARY_CALLS, CANARY_CALLS


near_valid = st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=80), kind=st.sampled_from(KINDS))
def test_arbitrary_text(text: str, kind: str) -> None:
    _read(text, kind)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=near_valid, kind=st.sampled_from(KINDS))
def test_near_valid_text(text: str, kind: str) -> None:
    _read(text, kind)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(HOSTILE),
    extra=near_valid,
    where=st.sampled_from(["before", "after", "inside"]),
    kind=st.sampled_from(KINDS),
)
def test_hostile_corpus_mixed(base: str, extra: str, where: str, kind: str) -> None:
    if where == "before":
        text = extra + base
    elif where == "after":
        text = base + extra
    else:
        text = base[: len(base) // 2] + extra + base[len(base) // 2 :]
    _read(text, kind)


# whole multi-part answers go through JSON and NAME = value readers first
PARTS_HOSTILE = [
    '{"kind": ' + "[" * 4000 + "]" * 4000 + "}",
    '{"a":' * 2000,
    "{" * 3000,
    "kind = {" * 1000,
    "kind: " * 1500,
    '{"kind": 1e999}',
    '{"kind": NaN, "gradient": Infinity}',
    '{"gradient": ' + "1" * 5000 + "}",
    "'" * 5000,
    '"' + "a" * 9000 + '": 1',
    '{"__class__": 1}',
    '{"gradient": "__import__(\'os\')"}',
    "gradient = canary(); kind = saddle",
    "1 x " * 2400,
    "1x" * 4000 + "1",
]


@pytest.mark.parametrize(
    "text", HOSTILE + PARTS_HOSTILE + ["canary()", "__builtins__.canary()", "[canary()]"]
)
def test_hostile_corpus_through_check(text: str) -> None:
    """The whole grading path: unreadable is a verdict, never an exception."""
    for part, params, problem in [
        (None, {"size": 32, "kernel": 5, "padding": 2}, "conv2d.output_size"),
        ("derivative", {"f": "x^2 sin(3x)", "at": 0.5}, "derivative"),
        (None, {"f": "x^2 + y^2", "point": [0, 0]}, "hessian.critical_point"),
    ]:
        start = time.process_time()
        with tripwires():
            result = check(problem, params, text, part)
        assert time.process_time() - start < BOUND_SECONDS
        assert result.score in (0.0, 1.0) or 0 <= result.score <= 1
        if result.verdict == "unreadable":
            assert result.parsed is None and result.score == 0 and result.feedback
    assert not CANARY_CALLS, CANARY_CALLS


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(near_valid, st.text(max_size=60)))
def test_check_never_raises_on_any_answer(text: str) -> None:
    start = time.process_time()
    with tripwires():
        result = check("batchnorm.forward", {"x": [1.0, 2.0, 3.0, 6.0]}, text)
    assert time.process_time() - start < BOUND_SECONDS
    assert 0.0 <= result.score <= 1.0
    assert not CANARY_CALLS, CANARY_CALLS


def test_the_tripwires_catch_evaluated_text() -> None:
    """The sentinel really would flip if anything evaluated an answer."""
    with tripwires():
        builtins.eval("canary()")  # noqa: S307 - on purpose: the tripwire itself
    assert len(CANARY_CALLS) == 2  # the eval, and the canary it ran
    CANARY_CALLS.clear()
