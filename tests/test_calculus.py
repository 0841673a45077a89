"""derivative and hessian.critical_point against SymPy and torch autograd computed here."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
import sympy
import torch
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from engine import get_problem
from engine.errors import ProblemError
from engine.solve import solve
from tests.conftest import requires_cuda

X, Y = sympy.symbols("x y", real=True)

# --- random expressions: the same function as text, as SymPy, and as torch ----------------------

Node = tuple[str, Any, Callable[[torch.Tensor], torch.Tensor]]

LEAVES: list[Node] = [
    ("x", X, lambda t: t),
    ("2", sympy.Integer(2), lambda t: torch.full_like(t, 2.0)),
    ("3", sympy.Integer(3), lambda t: torch.full_like(t, 3.0)),
    ("pi", sympy.pi, lambda t: torch.full_like(t, math.pi)),
]
UNARY = {
    "sin": (sympy.sin, torch.sin),
    "cos": (sympy.cos, torch.cos),
    "exp": (sympy.exp, torch.exp),
    "tanh": (sympy.tanh, torch.tanh),
    "atan": (sympy.atan, torch.atan),
}


def _unary(name: str, a: Node) -> Node:
    sym, tor = UNARY[name]
    fa = a[2]
    return (f"{name}({a[0]})", sym(a[1]), lambda t: tor(fa(t)))


def _binary(op: str, a: Node, b: Node) -> Node:
    fa, fb = a[2], b[2]
    if op == "+":
        return (f"({a[0]}) + ({b[0]})", a[1] + b[1], lambda t: fa(t) + fb(t))
    if op == "-":
        return (f"({a[0]}) - ({b[0]})", a[1] - b[1], lambda t: fa(t) - fb(t))
    return (f"({a[0]}) ({b[0]})", a[1] * b[1], lambda t: fa(t) * fb(t))  # implicit product


def _power(a: Node, n: int) -> Node:
    fa = a[2]
    return (f"({a[0]})^{n}", a[1] ** n, lambda t: fa(t) ** n)


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(_unary, st.sampled_from(sorted(UNARY)), children),
        st.builds(_binary, st.sampled_from(["+", "-", "*"]), children, children),
        st.builds(_power, children, st.integers(2, 3)),
    )


expressions = st.recursive(st.sampled_from(LEAVES), _extend, max_leaves=5)


def autograd_derivative(fn: Callable[[torch.Tensor], torch.Tensor], at: float) -> float:
    t = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    y = fn(t)
    if not y.requires_grad:
        return 0.0
    (g,) = torch.autograd.grad(y, t)
    return float(g)


def _solve_or_reject(params: dict[str, object]) -> Any:
    """The engine's answer; an expression the safe parser bounds out (exp(exp(exp(2))) is
    past its exp limit) is not a counterexample, so hypothesis draws another."""
    try:
        return solve("derivative", params, verify=False).answer
    except ProblemError:
        reject()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(node=expressions, at=st.sampled_from([-1.3, -0.4, 0.7, 1.1]))
def test_derivative_matches_sympy_and_autograd(node: Node, at: float) -> None:
    text, expr, fn = node
    answer = _solve_or_reject({"f": text, "at": at})
    theirs = sympy.diff(expr, X)
    ours = sympy.sympify(answer["derivative"], locals={"x": X})  # the engine's output, trusted
    for point in (-0.9, 0.3, 1.7):
        assert float(ours.evalf(subs={X: point})) == pytest.approx(
            float(theirs.evalf(subs={X: point})), rel=1e-9, abs=1e-9
        )
    assert answer["value"] == pytest.approx(autograd_derivative(fn, at), rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(node=expressions)
def test_rules_give_sympys_own_form(node: Node) -> None:
    """The rule-by-rule derivative prints exactly like SymPy's diff (the reference compares them)."""
    text, expr, _ = node
    answer = _solve_or_reject({"f": text})
    assert answer["derivative"] == sympy.sstr(sympy.diff(expr, X))
    assert answer["value"] is None


@pytest.mark.parametrize(
    ("f", "expr", "at"),
    [
        ("3x^2 + 2 sin(x)", 3 * X**2 + 2 * sympy.sin(X), 1.0),
        ("exp(-x^2)", sympy.exp(-(X**2)), 0.5),
        ("ln(x^2 + 1)", sympy.log(X**2 + 1), 2.0),
        ("sin(x)/x", sympy.sin(X) / X, -1.5),
        ("sigmoid(x)", 1 / (1 + sympy.exp(-X)), 0.3),
        ("sqrt(1 + x^2)", sympy.sqrt(1 + X**2), 1.2),
        ("x^x", X**X, 1.5),
        ("2^x", 2**X, 0.5),
        ("tanh(2x)", sympy.tanh(2 * X), 0.1),
        ("asin(x/2)", sympy.asin(X / 2), 0.5),
        ("abs(x^2 - 4)", sympy.Abs(X**2 - 4), 1.0),
        ("log(x, 2)", sympy.log(X) / sympy.log(2), 8.0),
        ("7", sympy.Integer(7), 1.0),
    ],
)
def test_derivative_cross_checked(f: str, expr: Any, at: float) -> None:
    solution = solve("derivative", {"f": f, "at": at})  # verified against SymPy and autograd
    assert solution.verified is not None and solution.verified.by.startswith("torch")
    assert solution.answer["derivative"] == sympy.sstr(sympy.diff(expr, X))
    exact = sympy.diff(expr, X).subs(X, sympy.Rational(at))
    assert solution.answer["value"] == pytest.approx(float(exact), rel=1e-12, abs=1e-12)


def test_derivative_trace_names_the_rules() -> None:
    steps = solve("derivative", {"f": "x^2 sin(3x)", "at": 0.5}).steps
    titles = [s.title.split(":")[0] for s in steps]
    assert "Product rule" in titles
    assert "Derivative of sin with the chain rule" in titles
    # the rule is named in the title, the step itself is d/dx(u) = result: no chain of
    # different quantities, and the result typeset, never SymPy's 2*x
    product = next(s for s in steps if s.title.startswith("Product rule"))
    assert "(u·w)′ = u′·w + u·w′" in product.title
    assert "=" not in product.formula and product.substituted == ""
    assert "*" not in product.shown and "sin" in product.shown
    assert steps[-1].title == "Value at x = 0.5"
    assert steps[-1].value == pytest.approx(2 * 0.5 * math.sin(1.5) + 3 * 0.25 * math.cos(1.5))


def test_derivative_without_a_point_has_a_null_value() -> None:
    answer = solve("derivative", {"f": "x^3"}).answer
    assert answer == {"derivative": "3*x**2", "value": None}


# --- hessian.critical_point ------------------------------------------------------------------------

HessianCase = tuple[str, Any, Callable[[torch.Tensor], torch.Tensor], list[float], str]
HESSIAN_CASES: list[HessianCase] = [
    ("x^2 + y^2", X**2 + Y**2, lambda v: v[0] ** 2 + v[1] ** 2, [0.0, 0.0], "minimum"),
    (
        "-x^2 - 2y^2 + x y",
        -(X**2) - 2 * Y**2 + X * Y,
        lambda v: -(v[0] ** 2) - 2 * v[1] ** 2 + v[0] * v[1],
        [0.0, 0.0],
        "maximum",
    ),
    ("x^2 - y^2", X**2 - Y**2, lambda v: v[0] ** 2 - v[1] ** 2, [0.0, 0.0], "saddle"),
    (
        "x^3 - 3x + y^2",
        X**3 - 3 * X + Y**2,
        lambda v: v[0] ** 3 - 3 * v[0] + v[1] ** 2,
        [1.0, 0.0],
        "minimum",
    ),
    (
        "x^3 - 3x + y^2",
        X**3 - 3 * X + Y**2,
        lambda v: v[0] ** 3 - 3 * v[0] + v[1] ** 2,
        [-1.0, 0.0],
        "saddle",
    ),
    ("x^4 + y^4", X**4 + Y**4, lambda v: v[0] ** 4 + v[1] ** 4, [0.0, 0.0], "degenerate"),
    (
        "sin(x) cos(y)",
        sympy.sin(X) * sympy.cos(Y),
        lambda v: torch.sin(v[0]) * torch.cos(v[1]),
        [math.pi / 2, 0.0],
        "maximum",
    ),
    (
        "exp(x^2 + y^2)",
        sympy.exp(X**2 + Y**2),
        lambda v: torch.exp(v[0] ** 2 + v[1] ** 2),
        [0.0, 0.0],
        "minimum",
    ),
    (
        "x^2 + 3x y + y^2 + x^3",
        X**2 + 3 * X * Y + Y**2 + X**3,
        lambda v: v[0] ** 2 + 3 * v[0] * v[1] + v[1] ** 2 + v[0] ** 3,
        [0.0, 0.0],
        "saddle",
    ),
]


@pytest.mark.parametrize(
    ("f", "expr", "fn", "point", "kind"),
    HESSIAN_CASES,
    ids=[f"{c[0]} at {c[3]}" for c in HESSIAN_CASES],
)
def test_hessian_against_autograd_and_sympy(
    f: str, expr: Any, fn: Callable[[torch.Tensor], torch.Tensor], point: list[float], kind: str
) -> None:
    answer = solve("hessian.critical_point", {"f": f, "point": point}).answer
    p = torch.tensor(point, dtype=torch.float64)
    gradient = torch.autograd.functional.jacobian(fn, p)
    hessian = torch.autograd.functional.hessian(fn, p)
    eigenvalues = torch.linalg.eigvalsh(hessian)
    assert answer["gradient"] == pytest.approx(gradient.tolist(), abs=1e-9)
    assert _flat(answer["hessian"]) == pytest.approx(_flat(hessian.tolist()), abs=1e-9)
    assert answer["eigenvalues"] == pytest.approx(eigenvalues.tolist(), abs=1e-9)
    assert answer["kind"] == kind
    # and SymPy's own Hessian at the point
    h = sympy.hessian(expr, (X, Y)).subs({X: point[0], Y: point[1]})
    assert _flat(answer["hessian"]) == pytest.approx([float(v) for v in h], abs=1e-9)


def _flat(rows: list[list[float]]) -> list[float]:
    return [v for row in rows for v in row]


def test_hessian_json_and_trace() -> None:
    solution = solve("hessian.critical_point", {"f": "x^2 - y^2", "point": [0, 0]})
    data = solution.to_json()
    assert set(data["answer"]) == {"gradient", "hessian", "eigenvalues", "kind"}
    assert data["verified"]["by"].startswith("torch")
    titles = [s["title"] for s in data["steps"]]
    assert (
        "Second-derivative test" in titles and "Eigenvalues of the symmetric 2×2 Hessian" in titles
    )
    json.dumps(data)


# --- misconceptions ----------------------------------------------------------------------------------


def test_derivative_misconceptions_are_distinct() -> None:
    problem = get_problem("derivative")
    p = problem.parse_params({"f": "x^2 sin(3x)", "at": 0.5})
    wrong = {m.tag: w.answer for m, w in problem.wrong_answers(p)}
    assert set(wrong) == {"forgot_chain_rule", "forgot_product_rule", "power_rule_exponent"}
    right = solve("derivative", {"f": "x^2 sin(3x)"}, verify=False).answer["derivative"]
    forms = [sympy.sympify(v, locals={"x": X}) for v in [right, *wrong.values()]]
    for i, a in enumerate(forms):
        for b in forms[i + 1 :]:
            assert sympy.simplify(a - b) != 0
    # by hand: the chain rule forgotten drops the 3 from sin(3x)′
    no_chain = forms[1 + list(wrong).index("forgot_chain_rule")]
    assert sympy.simplify(no_chain - (2 * X * sympy.sin(3 * X) + X**2 * sympy.cos(3 * X))) == 0


def test_hessian_misconceptions() -> None:
    problem = get_problem("hessian.critical_point")
    saddle = problem.parse_params({"f": "x^2 + 3x y + y^2", "point": [0, 0]})
    wrong = {m.tag: w.answer for m, w in problem.wrong_answers(saddle)}
    assert wrong == {"trace_sign": "minimum", "gradient_not_hessian": [2.0, 2.0]}
    maximum = problem.parse_params({"f": "-x^2 - 2y^2 + x y", "point": [0, 0]})
    assert {m.tag: w.answer for m, w in problem.wrong_answers(maximum)} == {
        "determinant_only": "minimum",
        "gradient_not_hessian": [-4.0, -2.0],  # the diagonal of [[-2, 1], [1, -4]], sorted
    }


# --- bad calls ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problem", "params", "param", "message"),
    [
        ("derivative", {"f": "__import__('os')"}, "f", "cannot be part of an answer"),
        ("derivative", {"f": "x + y"}, "f", "only x may be used"),
        ("derivative", {"f": "9**9**9**9"}, "f", "too large"),
        ("derivative", {"f": ""}, "f", "expression in x"),
        ("derivative", {"f": [1, 2]}, "f", "expression in x"),
        ("derivative", {"f": "ln(x)", "at": -1}, "at", "not defined at x = -1"),
        ("derivative", {"f": "1/x", "at": 0}, "at", "not defined"),
        ("derivative", {"f": "x", "colour": 1}, "colour", "unknown parameter"),
        (
            "hessian.critical_point",
            {"f": "x^2 + y^2", "point": [1, 0]},
            "point",
            "not a critical point",
        ),
        (
            "hessian.critical_point",
            {"f": "x^2 + y^2", "point": [1, 0, 0]},
            "point",
            "must be [x, y]",
        ),
        ("hessian.critical_point", {"f": "x^2 + z", "point": [0, 0]}, "f", "not a name"),
        ("hessian.critical_point", {"f": "ln(x) + y^2", "point": [0, 0]}, "point", "not defined"),
        ("hessian.critical_point", {"f": "x^2"}, "point", "missing"),
    ],
)
def test_bad_calls_name_the_parameter(
    problem: str, params: dict[str, Any], param: str, message: str
) -> None:
    with pytest.raises(ProblemError) as info:
        solve(problem, params)
    assert info.value.param == param
    assert message in info.value.message


def test_a_critical_point_given_to_many_digits_is_accepted() -> None:
    third = 1 / math.sqrt(3)
    answer = solve("hessian.critical_point", {"f": "x^3 - x + y^2", "point": [third, 0]}).answer
    assert answer["kind"] == "minimum"


# --- the command line --------------------------------------------------------------------------------


def test_solve_on_the_command_line(cli) -> None:
    out = cli("solve", "derivative", "f=x^2 sin(3x)", "at=0.5", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["answer"]["derivative"] == "3*x**2*cos(3*x) + 2*x*sin(3*x)"
    human = cli("solve", "hessian.critical_point", "f=x^2 - y^2", "point=[0,0]")
    assert human.returncode == 0, human.stderr
    assert "Second-derivative test" in human.stdout and "saddle" in human.stdout


@requires_cuda
def test_cuda_matches_cpu() -> None:
    for problem, params in [
        ("hessian.critical_point", {"f": "sin(x) cos(y)", "point": [math.pi / 2, 0.0]}),
        ("derivative", {"f": "x^2 sin(3x)", "at": 0.5}),
    ]:
        cpu = solve(problem, params, device="cpu")
        cuda = solve(problem, params, device="cuda")
        assert cuda.verified is not None and cuda.verified.device.startswith("cuda")
        assert cuda.answer == cpu.answer
        assert cuda.verified.max_abs_diff < 1e-6
