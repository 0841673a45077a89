"""Grading answers: tolerances, precision, matrices, parts, misconceptions, every problem."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import Any

import pytest

from engine import all_problems, get_problem
from engine.checking import check, preview
from engine.checking.parts import leaves, resolve
from engine.checking.tolerance import accepts, close, figures_needed, rounded_right
from engine.checking.typed import as_typed
from engine.errors import ProblemError
from engine.examples import EXAMPLES, example
from engine.values import max_abs_diff

CONTRACT = Path(__file__).resolve().parent.parent.parent / "shared" / "problems.md"


def _contract_ids() -> list[str]:
    """Problem ids from the contract's tables (the examples module lists the same ids)."""
    if CONTRACT.exists():
        return re.findall(r"^\| `([a-z0-9_.]+)` \|", CONTRACT.read_text(encoding="utf-8"), re.M)
    return sorted(EXAMPLES)


# --- the contract's tolerance -------------------------------------------------------------------


def test_relative_half_percent() -> None:
    assert close(100.4, 100.0) and close(99.6, 100.0)
    assert not close(100.6, 100.0)
    assert close(-0.0201, -0.02) and not close(-0.0202, -0.02)


def test_two_decimal_places_above_a_tenth() -> None:
    assert close(0.13, 0.125) and close(0.12, 0.125)  # 4 % off, but within 0.005
    assert not close(0.119, 0.125)
    assert not close(0.094, 0.0999)  # below 0.1 only the relative rule applies


def test_expected_zero_accepts_a_millionth() -> None:
    assert close(0.0, 0.0) and close(1e-6, 0.0) and close(-1e-6, 0.0)
    assert not close(2e-6, 0.0)


def test_tiny_values_need_significant_figures() -> None:
    assert not close(0.0, 0.000676)
    assert close(6.76e-4, 0.000676) and not close(7e-4, 0.000676)
    assert figures_needed(0.000676) == 3


def test_integers_are_exact() -> None:
    from engine.checking import parse_answer

    def num(text: str) -> Any:
        return parse_answer(text, "number").item

    assert accepts(55, num("55")) and accepts(55, num("55.0")) and accepts(55, num("110/2"))
    assert not accepts(55, num("55.2")) and not accepts(55, num("54.9999"))
    assert not rounded_right(55, num("55.2"))  # a size has nothing to round


def test_rounded_answers_are_told_apart() -> None:
    from engine.checking import parse_answer

    def num(text: str) -> Any:
        return parse_answer(text, "number").item

    assert rounded_right(0.000676, num("0.0007"))
    assert rounded_right(0.000676, num("7e-4"))
    assert rounded_right(0.000676, num("0"))
    assert not rounded_right(0.000676, num("0.0006"))
    assert not rounded_right(0.3, num("sqrt(2)/5"))  # an exact form is not a rounding


# --- through check: numbers ------------------------------------------------------------------


def derivative_value(f: str, at: float, answer: str) -> Any:
    return check("derivative", {"f": f, "at": at}, answer, "value")


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ("0.125", "correct"),
        ("1/8", "correct"),
        ("0.13", "correct"),
        ("0.12", "correct"),
        ("0.119", "wrong"),
        ("0.1", "imprecise"),
        ("1.25e-1", "correct"),
    ],
)
def test_tolerance_through_check(answer: str, verdict: str) -> None:
    assert derivative_value("x^2/2", 0.125, answer).verdict == verdict


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ("6.75e-4", "correct"),
        ("0.000675", "correct"),
        ("6.76e-4", "correct"),
        ("7e-4", "imprecise"),
        ("0.0007", "imprecise"),
        ("0", "imprecise"),
        ("0.0006", "wrong"),
    ],
)
def test_tiny_expected_value(answer: str, verdict: str) -> None:
    result = derivative_value("x^3", 0.015, answer)  # 3·0.015² = 0.000675
    assert result.verdict == verdict
    if verdict == "imprecise":
        assert not result.correct and result.score == 0 and result.misconception is None
        assert "significant figures" in result.feedback


def test_expected_zero_through_check() -> None:
    assert derivative_value("x^2", 0.0, "0").correct
    assert derivative_value("x^2", 0.0, "1e-7").correct
    assert not derivative_value("x^2", 0.0, "1e-5").correct


def test_exact_forms_are_evaluated_exactly() -> None:
    for answer in ("sqrt(2)/4", "1/(2sqrt(2))", "2^(-3/2)", "0.3536", "0.35"):
        assert derivative_value("sqrt(x)", 2.0, answer).correct, answer
    result = derivative_value("sqrt(x)", 2.0, "sqrt(2)/4")
    assert result.shown == "√2/4 → 0.3536"


def test_integer_answers_through_check() -> None:
    params = {"size": 32, "kernel": 5, "stride": 2, "padding": 2, "dilation": 2}
    assert check("conv2d.output_size", params, "14").correct
    assert check("conv2d.output_size", params, "14.0").correct
    assert check("conv2d.output_size", params, "28/2").correct
    wrong = check("conv2d.output_size", params, "14.2")
    assert not wrong.correct and wrong.verdict == "wrong"


def test_int_or_pair_answers_take_shape_forms() -> None:
    params = {"size": 32, "kernel": 5, "stride": 2, "padding": 2, "dilation": 2}
    for answer in ("14x14", "14 × 14", "(14, 14)", "[14, 14]", "１４×１４"):
        assert check("conv2d.output_size", params, answer).correct, answer
    assert not check("conv2d.output_size", params, "14x15").correct
    pair = {"size": [32, 20], "kernel": 5, "stride": 2, "padding": 2, "dilation": 2}
    expected = check("conv2d.output_size", pair, "0").expected
    h, w = expected
    assert check("conv2d.output_size", pair, f"{h}x{w}").correct
    assert check("conv2d.output_size", pair, f"({h}, {w})").correct
    assert not check("conv2d.output_size", pair, f"{w}x{h}").correct


# --- matrices -----------------------------------------------------------------------------------

SADDLE = {"f": "x^2 + 3x y + y^2", "point": [0, 0]}  # H = [[2, 3], [3, 2]], λ = -1, 5


@pytest.mark.parametrize("answer", ["2 3; 3 2", "[[2, 3], [3, 2]]", "[2 3; 3 2]", "2, 3\n3, 2"])
def test_matrix_forms_are_accepted(answer: str) -> None:
    result = check("hessian.critical_point", SADDLE, answer, "hessian")
    assert result.correct and result.score == 1
    assert result.parsed == [[2, 3], [3, 2]]


def test_a_wrong_shape_is_named() -> None:
    result = check("hessian.critical_point", SADDLE, "2 3 3; 3 2 2", "hessian")
    assert not result.correct and result.score == 0
    assert "expected 2×2, you gave 2×3" in result.feedback
    transposed = check("conv2d.forward", {"x": [[1, 2, 3]] * 4, "w": [[1, 0]]}, "1 2; 3 4", None)
    assert "expected 4×2, you gave 2×2" in transposed.feedback


def test_wrong_entries_are_pointed_out_by_position() -> None:
    result = check("hessian.critical_point", SADDLE, "2 3; 3 5", "hessian")
    assert result.score == pytest.approx(0.75)
    assert "3 of 4 entries right" in result.feedback
    assert "row 2, column 2 (you gave 5)" in result.feedback


def test_a_vector_may_be_typed_as_a_row_or_a_column() -> None:
    for answer in ("-1, 5", "-1 5", "-1; 5", "[[-1], [5]]", "[[-1, 5]]"):
        assert check("hessian.critical_point", SADDLE, answer, "eigenvalues").correct, answer
    short = check("hessian.critical_point", SADDLE, "-1", "eigenvalues")
    assert "expected a list of 2, you gave one value" in short.feedback


def test_a_matrix_is_shown_laid_out() -> None:
    result = check("hessian.critical_point", SADDLE, "2 3; 3 2", "hessian")
    assert result.shown == "⎡2  3⎤\n⎣3  2⎦"


def test_a_single_row_is_shown_as_a_vector_with_commas() -> None:
    from engine.checking.parse import parse_answer

    assert parse_answer("[[0.8, 0.7]]", "list").shown == "[0.8, 0.7]"


def test_entries_of_a_row_or_column_are_named_as_entries() -> None:
    from engine.checking.grade import Context, compare
    from engine.checking.parse import parse_answer

    ctx = Context(pair_ok=False, expressions=frozenset())

    def notes(expected: Any, typed: str) -> str:
        return " ".join(compare(expected, parse_answer(typed, "list").item, ctx).notes)

    said = notes([[1.0, 2.0, 3.0]], "[[1, 5, 3]]")
    assert "entry 2" in said and "row 1" not in said
    said = notes([[1.0], [2.0]], "[[7], [2]]")
    assert "entry 1" in said and "column" not in said
    # a real matrix keeps its rows and columns
    assert "row 2, column 2" in notes([[1.0, 2.0], [3.0, 4.0]], "1 2; 3 9")


# --- parts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        '{"gradient": [0, 0], "hessian": [[2, 3], [3, 2]], "eigenvalues": [-1, 5], "kind": "saddle"}',
        "gradient = 0, 0; hessian = 2 3; 3 2; eigenvalues = -1, 5; kind = saddle",
        "{gradient: [0, 0], hessian: [[2, 3], [3, 2]], eigenvalues: [-1, 5], kind: saddle point}",
        "[0, 0]; [[2, 3], [3, 2]]; [-1, 5]; saddle",
        "kind: Saddle\ngradient: 0 0\neigenvalues: -1 5\nhessian: [2 3; 3 2]",
        '{"gradient": ["0", "0"], "hessian": [[2, 3], [3, "2"]], "eigenvalues": ["-sqrt(1)", 5], "kind": "saddle"}',
    ],
)
def test_a_whole_multi_part_answer(answer: str) -> None:
    result = check("hessian.critical_point", SADDLE, answer)
    assert result.correct, result.feedback
    assert result.parsed["kind"] == "saddle" or result.parsed["kind"] == "saddle point"


def test_parts_left_out_or_wrong_score_a_fraction() -> None:
    result = check("hessian.critical_point", SADDLE, "eigenvalues = -1, 5; kind = node")
    assert result.score == pytest.approx(0.25) and result.misconception is None
    assert "1 of 4 parts right" in result.feedback
    assert "gradient: missing" in result.feedback and "kind: not right" in result.feedback
    half = check("hessian.critical_point", SADDLE, "gradient = 0, 0; hessian = 2 3; 3 5")
    assert half.score == pytest.approx((1 + 0.75) / 4)


def test_positional_parts_must_be_complete() -> None:
    result = check("hessian.critical_point", SADDLE, "[0, 0]; saddle")
    assert result.verdict == "unreadable"
    assert "4 parts (gradient, hessian, eigenvalues, kind)" in result.feedback


def test_one_part_with_part() -> None:
    assert check("hessian.critical_point", SADDLE, "saddle", "kind").correct
    assert check("hessian.critical_point", SADDLE, "a saddle point", "kind").correct
    assert check("hessian.critical_point", SADDLE, "SADDLE", "KIND").correct


def test_dotted_part_of_a_nested_answer() -> None:
    params = example("mlp.backprop")
    if "mlp.backprop" not in {p.id for p in all_problems()}:
        pytest.skip("mlp.backprop is not registered yet")
    expected = check("mlp.backprop", params, "0").expected
    w1 = expected["grads"]["w1"]
    assert check("mlp.backprop", params, as_typed(w1), "grads.w1").correct
    grads = check("mlp.backprop", params, as_typed(expected["grads"]), "grads")
    assert grads.correct


def test_a_single_part_answer_takes_the_plain_value() -> None:
    result = check("derivative", {"f": "x^3"}, "3x^2")  # value is null without `at`
    assert result.correct and result.expected == {"derivative": "3*x**2", "value": None}


def test_bad_parts_are_bad_calls() -> None:
    with pytest.raises(ProblemError, match="part: unknown part 'nope'.*gradient, hessian"):
        check("hessian.critical_point", SADDLE, "1", "nope")
    with pytest.raises(ProblemError, match="part: this answer has a single part"):
        check("conv2d.output_size", {"size": 8, "kernel": 3}, "6", "y")
    with pytest.raises(ProblemError, match="part: value has no value"):
        check("derivative", {"f": "x^3"}, "1", "value")


def test_bad_calls_raise_problem_errors() -> None:
    with pytest.raises(ProblemError, match="unknown problem"):
        check("no.such.problem", {}, "1")
    with pytest.raises(ProblemError, match="kernel"):
        check("conv2d.output_size", {"size": 8}, "1")


def test_resolve_finds_keys_with_dots_and_case() -> None:
    expected = {"bigrams": {"sat.": 0.5, "the cat": 1.0}, "grads": {"w1": [1]}}
    assert resolve(expected, "bigrams.sat.") == ("bigrams.sat.", 0.5)
    assert resolve(expected, "GRADS.W1") == ("grads.w1", [1])
    assert resolve(expected, "grads.w2") is None
    assert [p for p, _ in leaves(expected)] == ["bigrams.sat.", "bigrams.the cat", "grads.w1"]


# --- unreadable answers ---------------------------------------------------------------------------


def test_an_unreadable_answer_costs_nothing_and_says_how() -> None:
    result = check("conv2d.output_size", {"size": 8, "kernel": 3}, "six")
    assert result.to_json()["parsed"] is None
    assert result.score == 0 and not result.correct and result.misconception is None
    assert result.verdict == "unreadable"
    assert "Write a size such as 16" in result.feedback
    matrix = check("hessian.critical_point", SADDLE, "[[2, 3], [3", "hessian")
    assert "never closed" in matrix.feedback and "[[1, 2], [3, 4]]" in matrix.feedback


def test_preview_shows_how_the_input_is_read() -> None:
    assert preview("derivative", {"f": "x^3"}, "3x^2", "derivative").shown == "3·x²"
    assert preview("derivative", {"f": "x^3"}, "3x^2").shown == "derivative: 3·x²"
    assert preview("hessian.critical_point", SADDLE, "2 3; 3 2", "hessian").shown.count("\n") == 1


def test_check_json_has_the_contract_keys() -> None:
    data = check("conv2d.output_size", {"size": 8, "kernel": 3}, "6").to_json()
    assert {"correct", "score", "expected", "parsed", "feedback", "misconception"} <= set(data)
    assert data["correct"] is True and data["score"] == 1.0 and data["misconception"] is None


# --- symbolic answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "3x^2 cos(3x) + 2x sin(3x)",
        "x(3x cos(3x) + 2 sin(3x))",
        "2x sin(3x) + 3x² cos(3x)",
        "x^2 cos(3x)*3 + sin(3x)*x*2",
    ],
)
def test_equivalent_expressions_are_right(answer: str) -> None:
    start = time.perf_counter()
    result = check("derivative", {"f": "x^2 sin(3x)"}, answer, "derivative")
    assert result.correct, result.feedback
    assert time.perf_counter() - start < 2.0


def test_a_trig_identity_is_equivalent() -> None:
    assert check("derivative", {"f": "sin(x)^2"}, "sin(2x)", "derivative").correct
    assert check("derivative", {"f": "tanh(x)"}, "1/cosh(x)^2", "derivative").correct


def test_a_different_expression_is_wrong_with_a_point() -> None:
    result = check("derivative", {"f": "x^2 sin(3x)"}, "2x cos(3x)", "derivative")
    assert not result.correct
    assert "at x = " in result.feedback and "your expression gives" in result.feedback


# --- misconceptions ---------------------------------------------------------------------------------

CONV = {"size": 32, "kernel": 5, "stride": 2, "padding": 2, "dilation": 2}
# by hand from ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1 = ⌊27/2⌋ + 1 = 14, one term left out at a time
CONV_WRONG = {
    "ignored_padding": "12",  # ⌊(32 − 9)/2⌋ + 1
    "ignored_stride": "28",  # 36 − 9 + 1
    "ignored_dilation": "16",  # ⌊(36 − 5)/2⌋ + 1
    "forgot_plus_one": "13",
    "no_floor": "14.5",  # 27/2 + 1
}


@pytest.mark.parametrize(("tag", "answer"), sorted(CONV_WRONG.items()))
def test_conv_output_size_misconceptions(tag: str, answer: str) -> None:
    result = check("conv2d.output_size", CONV, answer)
    assert not result.correct
    assert result.misconception == tag
    assert result.feedback and result.feedback[0].isupper()


def test_a_misconception_in_shape_form() -> None:
    assert check("conv2d.output_size", CONV, "12x12").misconception == "ignored_padding"


def test_an_unexplained_wrong_answer_has_no_tag() -> None:
    result = check("conv2d.output_size", CONV, "99")
    assert result.misconception is None and result.feedback == "Not right."


def test_a_misconception_within_a_multi_part_answer() -> None:
    # the determinant alone (2·2 − 3·3 < 0 here) is no help; judging by the trace says minimum
    result = check("hessian.critical_point", SADDLE, "kind = minimum; eigenvalues = -1, 5")
    assert result.misconception == "trace_sign"
    assert "1 of 4 parts right (missing: gradient, hessian)" in result.feedback


# --- every registered problem: its own answer is right, each misconception recognised -------------


def _registered() -> set[str]:
    return {p.id for p in all_problems()}


def _part_value(answer: Any, part: str | None) -> Any:
    if part is None:
        return answer
    found = resolve(answer, part) if isinstance(answer, dict) else None
    return found[1] if found else None


def _same_answer(a: Any, b: Any) -> bool:
    try:
        return max_abs_diff(a, b) <= 1e-9 * max(1.0, _scale(b))
    except ValueError:
        return False


def _scale(v: Any) -> float:
    if isinstance(v, dict):
        return max((_scale(x) for x in v.values()), default=1.0)
    if isinstance(v, list):
        return max((_scale(x) for x in v), default=1.0)
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        return abs(float(v))
    return 1.0


@pytest.mark.parametrize("problem_id", _contract_ids())
def test_every_problem_accepts_its_own_answer(problem_id: str) -> None:
    if problem_id not in _registered():
        pytest.skip(f"{problem_id} is not registered yet (another module adds it)")
    params = example(problem_id)
    expected = check(problem_id, params, "0").expected
    whole = check(problem_id, params, as_typed(expected))
    assert whole.correct, f"{problem_id}: {whole.feedback}"
    if isinstance(expected, dict):
        for path, value in leaves(expected):
            result = check(problem_id, params, as_typed(value), path)
            assert result.correct, f"{problem_id} --part {path}: {result.feedback}"
    unreadable = check(problem_id, params, "[[1, 2")
    assert unreadable.verdict == "unreadable" and unreadable.parsed is None


@pytest.mark.parametrize("problem_id", _contract_ids())
def test_every_misconception_is_recognised(problem_id: str) -> None:
    if problem_id not in _registered():
        pytest.skip(f"{problem_id} is not registered yet (another module adds it)")
    problem = get_problem(problem_id)
    params = example(problem_id)
    p = problem.parse_params(params)
    rules = problem.wrong_answers(p)
    expected = check(problem_id, params, "0").expected
    for rule, wrong in rules:
        result = check(problem_id, params, as_typed(wrong.answer), rule.part)
        assert not result.correct, (
            f"{problem_id}: the answer of {rule.tag} is accepted as right for the example call"
        )
        if result.misconception == rule.tag:
            continue
        # another rule may give the very same answer here: then either tag is a fair name
        same = [
            m.tag
            for m, w in rules
            if _same_answer(
                _part_value(_whole(expected, m.part, w.answer), rule.part),
                _part_value(_whole(expected, rule.part, wrong.answer), rule.part),
            )
        ]
        assert result.misconception in same, (
            f"{problem_id}: {rule.tag} (part {rule.part}) not recognised: got "
            f"{result.misconception}, {result.feedback}"
        )


def _whole(expected: Any, part: str | None, answer: Any) -> Any:
    import copy

    if part is None:
        return answer
    whole = copy.deepcopy(expected)
    path, _ = resolve(whole, part)  # type: ignore[misc]
    keys = path.split(".")
    here = whole
    for key in keys[:-1]:
        here = here[key]
    here[keys[-1]] = answer
    return whole


def test_the_contract_misconception_tags_exist() -> None:
    listed = {
        "conv2d.output_size": [
            "ignored_padding",
            "ignored_stride",
            "no_floor",
            "forgot_plus_one",
            "ignored_dilation",
        ],
        "conv2d.params": ["forgot_bias", "forgot_in_channels", "ignored_groups"],
        "conv2d.forward": ["flipped_kernel"],
        "params.rnn": ["single_bias", "double_bias", "wrong_gate_count"],
        "activation": ["wrong_slope"],
        "batchnorm.forward": ["unbiased_variance"],
        "optim.step": ["no_bias_correction", "no_momentum"],
        "gcn.layer": ["no_self_loops", "row_normalized"],
        "rl.q_learning": ["gave_target", "ignored_terminal"],
        "gru.step": ["cho_reset"],
    }
    registered = _registered()
    for problem_id, tags in listed.items():
        if problem_id not in registered:
            continue
        have = {m.tag for m in get_problem(problem_id).misconceptions}
        assert set(tags) <= have, f"{problem_id} lacks {set(tags) - have}"
