"""Grading: `check(problem_id, params, answer_text, part)` against a live solution.

The expected answer comes from `engine.solve` (without the torch cross-check, which belongs to
solving, so that checking stays fast). The answer is read with the safe parser in the form the
expected value calls for (a number, a list or matrix, an int|pair size, an expression, a word, or
several parts), then compared:

- numbers with the contract's tolerances (`engine.checking.tolerance`); a plain number that is
  right to the precision it was typed with, but too rounded to be accepted, is told apart;
- lists and matrices entry by entry: the score is the fraction right, a wrong shape is named
  ("expected 2×3, you gave 3×2"), wrong entries are pointed out by position; a vector typed as a
  row or a column is fine;
- an int|pair answer (a problem with int|pair sizes) accepts `16x16`, `(16, 16)` or `16` when
  both sizes are the same;
- expressions by equivalence (`engine.checking.symbolic`), words ignoring case and filler
  (`saddle point` is `saddle`, `min` is `minimum`);
- several parts each on its own (`engine.checking.parts`); the score is the mean.

After a wrong answer, every misconception rule of the problem (`Problem.wrong_answers`) is tried:
a rule explains the answer when each part the student got wrong equals the rule's answer there,
with the same tolerance. Its tag and feedback are reported.

An answer that cannot be read is not wrong: it scores 0 with `parsed` None, and the feedback
says how to write such an answer. Bad calls (unknown problem, bad parameters, unknown part) raise
ProblemError.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from engine.checking import display, parts, tolerance
from engine.checking.build import Expr, Num
from engine.checking.errors import AnswerError
from engine.checking.lexer import normalise
from engine.checking.parse import Parsed, number_from_json, parse_answer
from engine.errors import ProblemError
from engine.latex import prose
from engine.registry import get_problem

SYMBOLS = ("x", "y")

HOW_TO_WRITE = {
    "number": "Write a number such as 12, 0.25, 3/14, sqrt(2)/2, e^-1 or 4.2e-3.",
    "shape": "Write a size such as 16, or 16x16 (or (16, 16)) for height and width.",
    "list": "Write a list as [0.5, 0.25] or 0.5, 0.25, and a matrix as [[1, 2], [3, 4]] or "
    "1 2; 3 4 (rows separated by ';').",
    "expression": "Write an expression in x (and y) such as 3x^2 + 2 sin(x): ^ is a power, "
    "functions are sqrt, exp, ln, sin, cos, tan, tanh.",
    "word": "Write the word, e.g. minimum.",
    "json": 'Write this part as JSON, as `revise solve --json` prints it, e.g. [{"name": ...}].',
}


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer (the contract's JSON, plus how the input was read).

    `verdict` is correct, wrong, imprecise (right to the precision typed, but rounded too far)
    or unreadable; `shown` says how the input was read (None when it could not be read).
    """

    correct: bool
    score: float
    expected: Any
    parsed: Any
    feedback: str
    misconception: str | None
    shown: str | None
    verdict: str
    part: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "correct": self.correct,
            "score": self.score,
            "expected": self.expected,
            "parsed": self.parsed,
            "feedback": self.feedback,
            "misconception": self.misconception,
            "shown": self.shown,
            "verdict": self.verdict,
            "part": self.part,
        }


@dataclass(frozen=True)
class Context:
    """What the problem says about reading its answers."""

    pair_ok: bool  # int|pair sizes: `16x16` is an answer to 16
    expressions: frozenset[str]  # parts (dotted paths) whose string answer is an expression
    relative: float | None = None  # the problem's tighter relative tolerance, if it has one
    # parts (last key of the path) holding a feature-map shape [C, H, W]: typed channels first
    # or last (96x55x55 or 55x55x96)
    shapes: frozenset[str] = frozenset()
    known: Mapping[str, Any] = field(default_factory=dict)  # expected expression text → SymPy


@dataclass
class Mark:
    """How one value was graded: score in 0..1, and what to tell the student."""

    score: float
    right: bool
    imprecise: bool = False
    figures: int | None = None
    notes: list[str] = field(default_factory=list)
    rounded: list[str] = field(default_factory=list)  # where values are rounded too far
    order: str | None = None  # how a feature-map shape was read (channels first or last)


# --- public API -----------------------------------------------------------------------------


def check(
    problem_id: str, params: Mapping[str, Any], answer_text: str, part: str | None = None
) -> CheckResult:
    """Grade `answer_text` for this problem call (and part). Raises ProblemError for bad calls."""
    problem, expected_whole, ctx = _expected(problem_id, params)
    path, expected = _select(expected_whole, part)
    try:
        parsed = _read(answer_text, expected, ctx, path)
    except AnswerError as exc:
        return _unreadable(expected, ctx, path, str(exc), part)
    mark = compare(expected, parsed.item, ctx, path)
    misconception = None
    if mark.right:
        verdict, feedback = "correct", _praise(expected, parsed, mark)
    elif found := _misconception(problem, params, expected_whole, path, parsed.item, ctx):
        misconception, sentence = found
        sentence = prose(sentence)  # a rule's sentence reads as maths: xᵢ, 3.81 × 10⁻⁶
        summary = _summary(expected, mark)
        verdict, feedback = "wrong", f"{summary} {sentence}" if summary else sentence
    elif mark.imprecise:
        verdict, feedback = "imprecise", _imprecise(parsed, mark)
    else:
        verdict, feedback = "wrong", _wrong(expected, mark)
    if mark.order is not None:
        feedback = f"{feedback} Read as {mark.order}."
    return CheckResult(
        correct=mark.right,
        score=1.0 if mark.right else round(mark.score, 6),
        expected=expected,
        parsed=_plain(parsed),
        feedback=feedback,
        misconception=misconception,
        shown=parsed.shown,
        verdict=verdict,
        part=path or None,
    )


def preview(
    problem_id: str, params: Mapping[str, Any], answer_text: str, part: str | None = None
) -> Parsed:
    """How an answer to this question is read, before grading (raises AnswerError)."""
    _, expected_whole, ctx = _expected(problem_id, params)
    path, expected = _select(expected_whole, part)
    return _read(answer_text, expected, ctx, path)


def answer_kind(expected: Any, ctx: Context, path: str = "") -> str:
    """How a value like `expected` is read: number, shape, list, expression, word or json."""
    if isinstance(expected, bool):
        return "word"
    if isinstance(expected, int):
        return "shape" if ctx.pair_ok else "number"
    if isinstance(expected, float):
        return "number"
    if isinstance(expected, str):
        return "expression" if _is_expression(expected, path, ctx) else "word"
    if isinstance(expected, list):
        flat = _flatten(expected)
        if not all(_is_number(v) for v in flat):
            return "json"
        if _is_feature_map(expected, ctx, path):
            return "shape"
        if ctx.pair_ok and len(expected) == 2 and all(isinstance(v, int) for v in expected):
            return "shape"
        return "list"
    if isinstance(expected, dict):
        return "parts"
    return "auto"


# --- the expected answer ---------------------------------------------------------------------


def _expected(problem_id: str, params: Mapping[str, Any]) -> tuple[Any, Any, Context]:
    problem = get_problem(problem_id)
    key = _key(params)
    answer = _solution(problem_id, key)
    ctx = _context(problem.id)
    if ctx.expressions:
        ctx = replace(ctx, known=_known_expressions(problem_id, key))
    return problem, copy.deepcopy(answer), ctx


def _key(params: Mapping[str, Any]) -> str:
    import json

    try:
        return json.dumps(params, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        raise ProblemError(None, "parameters must be JSON values") from None


# A question is graded many times (the app previews the input on each key press, then checks
# it): its solution and its misconception answers are computed once per parameters.
@lru_cache(maxsize=128)
def _solution(problem_id: str, key: str) -> Any:
    import json

    from engine.solve import solve

    return solve(problem_id, json.loads(key), verify=False).answer


@lru_cache(maxsize=128)
def _wrong_answers(problem_id: str, key: str) -> tuple[tuple[str, str | None, Any, str], ...]:
    return _within_budget(problem_id, _wrong_answers_now, problem_id, key)


def _wrong_answers_now(problem_id: str, key: str) -> tuple[tuple[str, str | None, Any, str], ...]:
    import json

    problem = get_problem(problem_id)
    p = problem.parse_params(json.loads(key))
    return tuple((m.tag, m.part, w.answer, w.feedback) for m, w in problem.wrong_answers(p))


@lru_cache(maxsize=128)
def _known_expressions(problem_id: str, key: str) -> Mapping[str, Any]:
    """The problem's own SymPy form of each expected expression, by its text: the expected
    answer is never read back with the student's parser (whose limits it may exceed)."""
    return _within_budget(problem_id, _known_expressions_now, problem_id, key)


def _known_expressions_now(problem_id: str, key: str) -> Mapping[str, Any]:
    import json

    import sympy

    problem = get_problem(problem_id)
    p = problem.parse_params(json.loads(key))
    return {sympy.sstr(e): e for e in problem.expressions(p).values()}


def _within_budget(problem_id: str, fn: Any, *args: Any) -> Any:
    """`fn(*args)`, in a stoppable worker when the problem does symbolic work (`engine.budget`);
    past the budget the call is refused in one line."""
    from engine.budget import OverBudget, bounded

    if not get_problem(problem_id).symbolic_work:
        return fn(*args)
    try:
        return bounded(fn, *args)
    except OverBudget as exc:
        raise ProblemError(
            None, f"this is too much work to check within revise's limit ({exc.what})"
        ) from None


def clear_caches() -> None:
    """Forget cached solutions (the latency bench measures first checks this way)."""
    _solution.cache_clear()
    _wrong_answers.cache_clear()
    _known_expressions.cache_clear()


@lru_cache(maxsize=256)
def _context(problem_id: str) -> Context:
    problem_class = type(get_problem(problem_id))
    fields = problem_class.Params.model_fields.values()
    pair_ok = any(f.annotation == int | tuple[int, int] for f in fields)
    expressions = frozenset(getattr(problem_class, "expression_parts", ()))
    shapes = frozenset(getattr(problem_class, "shape_parts", ()))
    return Context(pair_ok, expressions, problem_class.relative_tolerance, shapes)


def _select(expected: Any, part: str | None) -> tuple[str, Any]:
    if part is None or part == "":
        return "", expected
    if not isinstance(expected, dict):
        raise ProblemError("part", "this answer has a single part: leave out --part")
    found = parts.resolve(expected, part)
    if found is None:
        names = ", ".join(p for p, _ in parts.leaves(expected))
        lists = [p for p, v in parts.leaves(expected) if isinstance(v, list)]
        index = f"; an index picks a list entry, e.g. {lists[0]}.0" if lists else ""
        raise ProblemError("part", f"unknown part {part!r} (this answer has: {names}{index})")
    path, value = found
    if value is None:
        raise ProblemError("part", f"{path} has no value for these parameters")
    return path, value


def _is_expression(expected: str, path: str, ctx: Context) -> bool:
    last = path.rsplit(".", 1)[-1]
    if path in ctx.expressions or last in ctx.expressions:
        return True
    return _parses_as_expression(expected)


@lru_cache(maxsize=512)
def _parses_as_expression(text: str) -> bool:
    try:
        item = _expression(text)
    except AnswerError:
        return False
    return isinstance(item, Expr | Num)


@lru_cache(maxsize=512)
def _expression(text: str) -> Any:
    """An expected expression string, read once."""
    return parse_answer(text, "expression", symbols=SYMBOLS).item


# --- reading ---------------------------------------------------------------------------------


def _read(text: str, expected: Any, ctx: Context, path: str) -> Parsed:
    if not isinstance(text, str):
        raise AnswerError("the answer must be text")
    if isinstance(expected, dict):
        return _read_parts(text, expected, ctx, path)
    kind = answer_kind(expected, ctx, path)
    if kind == "json":
        return _read_json_text(text, expected, ctx, path)
    return parse_answer(text, kind, symbols=SYMBOLS)


def _read_parts(text: str, expected: dict[str, Any], ctx: Context, path: str) -> Parsed:
    clean = normalise(text)
    if not clean:
        raise AnswerError("the answer is empty")
    given = parts.read_whole(clean, expected)
    items: dict[str, Any] = {}
    for sub, (how, value) in given.items():
        found = parts.resolve(expected, sub)
        sub_expected = found[1] if found else None
        full = f"{path}.{sub}" if path else sub
        try:
            if how == "json":
                items[sub] = _from_json(value, sub_expected, ctx, full)
            else:
                items[sub] = _read(value, sub_expected, ctx, full).item
        except AnswerError as exc:
            raise AnswerError(f"in {sub}, {exc}") from None
    return Parsed("parts", text, items)


def _read_json_text(text: str, expected: Any, ctx: Context, path: str) -> Parsed:
    import json

    clean = normalise(text)
    try:
        value = json.loads(clean)
    except ValueError:
        raise AnswerError("this part is read as JSON, and this is not valid JSON") from None
    item = _from_json(value, expected, ctx, path)
    # shown as the JSON it was read as (objects inside lists have no laid-out form)
    shown = json.dumps(_to_json(item), ensure_ascii=False)
    return Parsed("list", text, item, shown)


def _from_json(value: Any, expected: Any, ctx: Context, path: str) -> Any:
    """A JSON value as parsed items: numbers as if typed, strings read as the expected kind."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_from_json(value)
    if isinstance(value, str):
        if isinstance(expected, str) or expected is None:
            kind = answer_kind(expected, ctx, path) if expected is not None else "word"
            return parse_answer(value, kind, symbols=SYMBOLS).item
        kind = "number" if _is_number(expected) else "list"
        return parse_answer(value, kind, symbols=SYMBOLS).item
    if isinstance(value, list):
        out = []
        for i, v in enumerate(value):
            sub = None
            if isinstance(expected, list) and expected:
                sub = expected[i] if i < len(expected) else expected[0]
            out.append(_from_json(v, sub, ctx, path))
        return out
    if isinstance(value, dict):
        exp = expected if isinstance(expected, dict) else {}
        return {str(k): _from_json(v, exp.get(k), ctx, path) for k, v in value.items()}
    if value is None:
        return None
    raise AnswerError("this cannot be read as an answer")  # pragma: no cover


def _plain(parsed: Parsed) -> Any:
    if parsed.kind != "parts":
        return parsed.to_json()
    nested: dict[str, Any] = {}
    for path, item in parsed.item.items():
        keys = path.split(".")
        here = nested
        for key in keys[:-1]:
            here = here.setdefault(key, {})
        here[keys[-1]] = _to_json(item)
    return nested


def _to_json(item: Any) -> Any:
    if isinstance(item, Num | Expr):
        return item.to_json()
    if isinstance(item, list):
        return [_to_json(v) for v in item]
    if isinstance(item, dict):
        return {k: _to_json(v) for k, v in item.items()}
    return item


# --- comparing -------------------------------------------------------------------------------


def compare(expected: Any, item: Any, ctx: Context, path: str = "") -> Mark:
    """Grade one parsed value against one expected JSON value."""
    if isinstance(expected, dict):
        return _compare_parts(expected, item, ctx, path)
    if isinstance(expected, list):
        if _is_feature_map(expected, ctx, path):
            return _compare_feature_map(expected, item, ctx, path)
        return _compare_list(expected, item, ctx, path)
    if isinstance(expected, bool):
        return _compare_word("true" if expected else "false", item)
    if isinstance(expected, int | float):
        return _compare_number(expected, item, ctx)
    if isinstance(expected, str):
        if answer_kind(expected, ctx, path) == "expression":
            return _compare_expression(expected, item, ctx)
        return _compare_word(expected, item)
    if expected is None:
        return Mark(1.0, True)
    return Mark(0.0, False, notes=["this answer cannot be compared"])  # pragma: no cover


def _is_feature_map(expected: Any, ctx: Context, path: str) -> bool:
    """Whether this part is a feature map's [C, H, W] shape (the problem names such parts)."""
    keys = [k for k in path.split(".") if not k.isdigit()]
    return (
        bool(keys)
        and keys[-1] in ctx.shapes
        and isinstance(expected, list)
        and len(expected) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) for v in expected)
    )


CHANNELS_FIRST = "channels × height × width (channels first)"
CHANNELS_LAST = "height × width × channels (channels last)"


def _compare_feature_map(expected: list[int], item: Any, ctx: Context, path: str) -> Mark:
    """A [C, H, W] shape typed either way round; the mark says which order it was read in."""
    first = _compare_list(expected, item, ctx, "")
    if first.right or not (isinstance(item, list) and len(item) == 3):
        first.order = CHANNELS_FIRST
        return first
    last = _compare_list(expected, [item[2], item[0], item[1]], ctx, "")
    if last.right:
        last.order = CHANNELS_LAST
        return last
    first.order = CHANNELS_FIRST
    if first.notes:
        first.notes[-1] += " (channels last was tried too)"
    return first


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _compare_number(expected: int | float, item: Any, ctx: Context) -> Mark:
    if isinstance(item, list):
        flat = _flatten(item)
        if (
            ctx.pair_ok
            and isinstance(expected, int)
            and len(flat) == 2
            and all(isinstance(v, Num) and tolerance.accepts(expected, v) for v in flat)
        ):
            return Mark(1.0, True)
        if len(flat) != 1:
            what = "one number" if not ctx.pair_ok else "one size (or a square size like 16x16)"
            return Mark(0.0, False, notes=[f"expected {what}, you gave a list of {len(flat)}"])
        item = flat[0]
    if isinstance(item, Expr):
        return Mark(0.0, False, notes=["expected a number, but your answer contains x or y"])
    if not isinstance(item, Num):
        return Mark(0.0, False, notes=["expected a number"])
    if tolerance.accepts(expected, item, ctx.relative):
        return Mark(1.0, True)
    if tolerance.rounded_right(expected, item):
        figures = tolerance.figures_needed(float(expected), ctx.relative)
        return Mark(0.0, False, imprecise=True, figures=figures)
    if isinstance(expected, int) and item.integer is None:
        return Mark(0.0, False, notes=["a size or a count is a whole number"])
    return Mark(0.0, False)


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [x for v in value for x in _flatten(v)]
    return [value]


def _shape(value: Any) -> tuple[int, ...]:
    return display.shape_of(value)


def _shape_words(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"a list of {shape[0]}"
    return display.shape_text(shape)


def _position(index: tuple[int, ...]) -> str:
    if len(index) == 1:
        return f"entry {index[0] + 1}"
    lead = "".join(f"[{i + 1}]" for i in index[:-2])
    row, col = index[-2:]
    return f"{lead + ' ' if lead else ''}row {row + 1}, column {col + 1}"


def _indices(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [()]
    for n in shape:
        out = [(*i, k) for i in out for k in range(n)]
    return out


def _compare_list(expected: list[Any], item: Any, ctx: Context, path: str) -> Mark:
    exp_shape = _shape(expected)
    exp_flat = _flatten(expected)
    if ctx.pair_ok and len(expected) == 2 and isinstance(item, Num):
        # a square size: 16 for [16, 16]
        if all(isinstance(v, int) and tolerance.accepts(v, item) for v in expected):
            return Mark(1.0, True)
    if not isinstance(item, list):
        if len(exp_flat) == 1:
            return compare(exp_flat[0], item, ctx, path)
        return Mark(0.0, False, notes=[f"expected {_shape_words(exp_shape)}, you gave one value"])
    ans_shape = _shape(item)
    ans_flat = _flatten(item)
    if ans_shape != exp_shape:
        squeezed = [d for d in exp_shape if d != 1] == [d for d in ans_shape if d != 1]
        if not (squeezed and len(ans_flat) == len(exp_flat)):
            if len(exp_shape) == 1 and len(ans_shape) == 1:
                note = f"expected {exp_shape[0]} entries, you gave {ans_shape[0]}"
            else:
                note = (
                    f"expected {display.shape_text(exp_shape)}, "
                    f"you gave {display.shape_text(ans_shape)}"
                )
            return Mark(0.0, False, notes=[note])
    positions = _indices(exp_shape)
    right = 0.0
    wrong: list[str] = []
    rounded: list[str] = []
    figures = 0
    for index, e, a in zip(positions, exp_flat, ans_flat):
        m = compare(e, a, ctx, path)
        right += m.score
        if not m.right:
            # a row or a column is a vector: "entry 2", as for a list, not "row 1, column 2"
            where = _position(tuple(i for i, d in zip(index, exp_shape) if d != 1) or (0,))
            if m.imprecise:
                rounded.append(where)
                figures = max(figures, m.figures or 0)
            else:
                gave = display.entry_text(a) if isinstance(a, Num | Expr) else str(a)
                wrong.append(f"{where} (you gave {gave})")
    n = len(exp_flat)
    mark = Mark(right / n if n else 1.0, not wrong and not rounded)
    if mark.right:
        return mark
    mark.imprecise = not wrong
    mark.figures = figures or None
    mark.rounded = rounded
    noun = "entries" if n > 1 else "entry"
    notes = [f"{n - len(wrong) - len(rounded)} of {n} {noun} right"]
    if wrong:
        shown = "; ".join(wrong[:3]) + ("; …" if len(wrong) > 3 else "")
        notes.append(f"check {shown}")
    if rounded:
        shown = ", ".join(rounded[:3]) + (", …" if len(rounded) > 3 else "")
        notes.append(f"rounded too far: {shown}")
    mark.notes = notes
    return mark


def _compare_parts(expected: dict[str, Any], item: Any, ctx: Context, path: str) -> Mark:
    wanted = parts.leaves(expected)
    if not isinstance(item, dict):
        if len(wanted) == 1:
            return compare(wanted[0][1], item, ctx, _join(path, wanted[0][0]))
        return Mark(0.0, False, notes=["this answer has several parts"])
    total = 0.0
    right_parts = 0
    notes: list[str] = []
    imprecise = True
    figures = 0
    rounded: list[str] = []
    for sub, value in wanted:
        if sub not in item:
            notes.append(f"{sub}: missing")
            imprecise = False
            continue
        m = compare(value, item[sub], ctx, _join(path, sub))
        total += m.score
        if m.right:
            right_parts += 1
            continue
        if m.imprecise:
            figures = max(figures, m.figures or 0)
            notes.append(f"{sub}: rounded too far")
            rounded.append(f"{sub} ({', '.join(m.rounded)})" if m.rounded else sub)
        else:
            imprecise = False
            detail = "; ".join(m.notes)
            notes.append(f"{sub}: {detail}" if detail else f"{sub}: not right")
    n = len(wanted)
    mark = Mark(total / n if n else 1.0, right_parts == n)
    if not mark.right:
        mark.imprecise = imprecise
        mark.figures = figures or None
        mark.rounded = rounded
        mark.notes = [f"{right_parts} of {n} parts right", *notes]
    return mark


def _join(path: str, sub: str) -> str:
    return f"{path}.{sub}" if path else sub


def _compare_expression(expected: str, item: Any, ctx: Context) -> Mark:
    from engine.checking.symbolic import equivalent

    if not isinstance(item, Expr | Num):
        return Mark(0.0, False, notes=["expected an expression in x"])
    mine = item.expr if isinstance(item, Expr) else item.exact
    if expected in ctx.known:
        theirs = ctx.known[expected]
    else:  # a misconception's answer: read as a student's would be, or no match
        try:
            target = _expression(expected)
        except AnswerError:
            return Mark(0.0, False)
        theirs = target.expr if isinstance(target, Expr) else target.exact
    mine, theirs = _sympy(mine), _sympy(theirs)
    names = sorted({s.name for s in mine.free_symbols | theirs.free_symbols}) or ["x"]
    verdict = equivalent(mine, theirs, names)
    if verdict.equal:
        return Mark(1.0, True)
    notes = []
    if verdict.point is not None and verdict.ours is not None and verdict.theirs is not None:
        where = ", ".join(
            f"{k} = {display.number_text(round(v, 3))}" for k, v in verdict.point.items()
        )
        notes.append(
            f"at {where} your expression gives {display.number_text(verdict.ours)}, "
            f"the answer gives {display.number_text(verdict.theirs)}"
        )
    return Mark(0.0, False, notes=notes)


def _sympy(value: Any) -> Any:
    from fractions import Fraction

    import sympy

    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return value


_FILLER = frozenset({"a", "an", "the", "it", "is", "its", "point", "local", "this", "of"})
_SYNONYMS = {"min": "minimum", "max": "maximum", "minimum": "minimum", "maximum": "maximum",
             "yes": "true", "no": "false", "y": "true", "n": "false"}  # fmt: skip


def _word_key(text: str) -> str:
    words = [w for w in "".join(c if c.isalnum() else " " for c in text.lower()).split()]
    kept = [w for w in words if w not in _FILLER] or words
    return " ".join(_SYNONYMS.get(w, w) for w in kept)


def _compare_word(expected: str, item: Any) -> Mark:
    if isinstance(item, Num | Expr):
        given = display.entry_text(item)
    elif isinstance(item, str):
        given = item
    else:
        return Mark(0.0, False, notes=[f"expected a word ({expected})"])
    if _word_key(given) == _word_key(expected):
        return Mark(1.0, True)
    return Mark(0.0, False)


# --- misconceptions --------------------------------------------------------------------------


def _misconception(
    problem: Any, params: Mapping[str, Any], expected_whole: Any, path: str, item: Any, ctx: Context
) -> tuple[str, str] | None:
    """The first misconception rule whose answer explains every part the student got wrong."""
    expected = _at(expected_whole, path)
    for tag, part, answer, feedback in _wrong_answers(problem.id, _key(params)):
        wrong_whole = _substitute(expected_whole, part, answer)
        if wrong_whole is None:
            continue
        wrong_here = _at(wrong_whole, path)
        if wrong_here is None or _same(wrong_here, expected):
            continue
        if _explains(expected, wrong_here, item, ctx, path):
            return tag, feedback
    return None


def _at(value: Any, path: str) -> Any:
    if not path:
        return value
    found = parts.resolve(value, path) if isinstance(value, dict) else None
    return found[1] if found else None


def _substitute(expected: Any, part: str | None, answer: Any) -> Any:
    """The whole answer with the rule's answer put in at `part` (None: it is the whole)."""
    if part is None:
        return answer
    if not isinstance(expected, dict):
        return None
    found = parts.resolve(expected, part)
    if found is None:
        return None
    whole = copy.deepcopy(expected)
    parts.put(whole, found[0], answer)
    return whole


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # pragma: no cover - JSON values compare
        return False


def _explains(expected: Any, wrong: Any, item: Any, ctx: Context, path: str) -> bool:
    """Whether the rule's answer `wrong` accounts for every part of `item` that is not right.

    Parts and entries are matched one by one, with the marking's own tolerance: an entry is
    the rule's when it would be accepted were the rule's value the answer, or when it is that
    value rounded to the figures the student typed (3 or more), which is how a right answer
    is recognised as merely rounded. An entry that is right, or rounded from the right
    value, needs no explaining, so a right answer is never given a misconception.
    """
    verdicts = _entry_verdicts(expected, wrong, item, ctx, path)
    return "unexplained" not in verdicts and "explained" in verdicts


def _entry_verdicts(expected: Any, wrong: Any, item: Any, ctx: Context, path: str) -> list[str]:
    """One verdict per entry: "right" (or rounded from the right value), "explained", "unexplained"."""
    if isinstance(expected, dict) and isinstance(item, dict):
        if not isinstance(wrong, dict):
            return ["unexplained"]
        verdicts: list[str] = []
        for sub, value in parts.leaves(expected):
            if sub not in item:
                continue
            found = parts.resolve(wrong, sub)
            here = _join(path, sub)
            if found is None:
                right = _safe_compare(value, item[sub], ctx, here)
                verdicts.append("right" if right is not None and right.right else "unexplained")
                continue
            verdicts += _entry_verdicts(value, found[1], item[sub], ctx, here)
        return verdicts
    if isinstance(expected, list) and isinstance(wrong, list) and isinstance(item, list):
        exp_flat, wrong_flat, item_flat = _flatten(expected), _flatten(wrong), _flatten(item)
        same_shape = _shape(expected) == _shape(wrong) == _shape(item)
        if same_shape and len(exp_flat) > 1:
            return [
                _entry_verdict(e, w, a, ctx, path)
                for e, w, a in zip(exp_flat, wrong_flat, item_flat)
            ]
    return [_entry_verdict(expected, wrong, item, ctx, path)]


def _entry_verdict(expected: Any, wrong: Any, item: Any, ctx: Context, path: str) -> str:
    right = _safe_compare(expected, item, ctx, path)
    if right is None:
        return "unexplained"
    if right.right or right.imprecise:
        return "right"
    if _same(wrong, expected):
        return "unexplained"
    if _whole_for_fraction(expected, wrong, item):
        return "unexplained"
    by_rule = _safe_compare(wrong, item, ctx, path)
    if by_rule is None:
        return "unexplained"
    if by_rule.right or (by_rule.imprecise and _figures_typed(item) >= 3):
        return "explained"
    return "unexplained"


def _whole_for_fraction(expected: Any, wrong: Any, item: Any) -> bool:
    """A whole number typed for a size or count, where the rule's value is a fraction.

    112 for a size of 111 is not the unrounded 111.5 (rounded by tolerance): it was rounded up.
    """
    if not (isinstance(expected, int) and isinstance(wrong, float) and isinstance(item, Num)):
        return False
    return item.integer is not None and not wrong.is_integer()


def _safe_compare(expected: Any, item: Any, ctx: Context, path: str) -> Mark | None:
    try:
        return compare(expected, item, ctx, path)
    except (AnswerError, TypeError, ValueError):
        return None


def _figures_typed(item: Any) -> int:
    """The fewest significant figures among the plain numbers typed (99 for exact forms)."""
    import math

    figures = 99
    for v in _flatten(item):
        if isinstance(v, Num) and v.rounded_at is not None and v.value != 0:
            lead = math.floor(math.log10(abs(v.value)))
            figures = min(figures, lead - v.rounded_at + 1)
    return figures


# --- feedback --------------------------------------------------------------------------------


def _unreadable(
    expected: Any, ctx: Context, path: str, error: str, part: str | None
) -> CheckResult:
    kind = answer_kind(expected, ctx, path)
    if kind == "parts" and "--part" in error:
        how = ""  # the message already says how to give the parts
    elif kind == "parts":
        names = ", ".join(p for p, _ in parts.leaves(expected))
        how = (
            f"Give the parts ({names}) as NAME = value separated by ';', as JSON, or in that "
            "order separated by ';' — or check one part with --part."
        )
    else:
        how = HOW_TO_WRITE.get(kind, HOW_TO_WRITE["number"])
    message = error
    return CheckResult(
        correct=False,
        score=0.0,
        expected=expected,
        parsed=None,
        feedback=f"Could not read your answer: {message.rstrip('.')}. {how}".rstrip(),
        misconception=None,
        shown=None,
        verdict="unreadable",
        part=path or part,
    )


def _praise(expected: Any, parsed: Parsed, mark: Mark) -> str:
    if isinstance(expected, dict) and (count := len(parts.leaves(expected))) > 1:
        return f"Correct: all {count} parts are right."
    if isinstance(expected, list) and len(_flatten(expected)) > 1:
        return "Correct: every entry is right."
    if isinstance(expected, str) and isinstance(parsed.item, Expr | Num):
        try:
            same = _expression(expected)
        except AnswerError:  # an expected form beyond the student parser's limits
            return "Correct."
        mine = display.entry_text(parsed.item)
        theirs = display.entry_text(same)
        return "Correct." if mine == theirs else f"Correct: {mine} is the same as {theirs}."
    return "Correct."


def _summary(expected: Any, mark: Mark) -> str:
    """The first line of feedback before a misconception's sentence: how much was right."""
    if not (isinstance(expected, dict | list) and mark.notes):
        return ""
    head = mark.notes[0][:1].upper() + mark.notes[0][1:]
    missing = [n.split(":")[0] for n in mark.notes[1:] if n.endswith(": missing")]
    return f"{head} (missing: {', '.join(missing)})." if missing else f"{head}."


def _imprecise(parsed: Parsed, mark: Mark) -> str:
    figures = mark.figures or 3
    if parsed.kind in ("number",):
        given = display.entry_text(parsed.item)
        if isinstance(parsed.item, Num) and parsed.item.value == 0:
            return (
                f"Right idea, but {given} is rounded too far: a small value needs significant "
                f"figures (write it like 6.76e-4), at least {figures}."
            )
        return (
            f"Right idea, but {given} is rounded too far: give at least {figures} significant "
            "figures."
        )
    where = ", ".join(mark.rounded[:3]) + (", …" if len(mark.rounded) > 3 else "")
    verb = "is" if len(mark.rounded) == 1 else "are"
    what = f"{where} {verb}" if where else "some values are"
    return f"Right idea, but {what} rounded too far: give at least {figures} significant figures."


def _wrong(expected: Any, mark: Mark) -> str:
    if not mark.notes:
        return "Not right."
    text = "; ".join(mark.notes)
    if isinstance(expected, dict):
        head, *rest = mark.notes
        text = f"{head}. " + "; ".join(rest)
        return f"Not right: {text.rstrip('. ')}."
    return f"Not right: {text}."
