"""optim.step against the real torch.optim optimisers, its conventions and its misconceptions."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ProblemError, get_problem
from engine.solve import solve
from tests.conftest import requires_cuda

NAMES = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]


def torch_steps(call: dict[str, Any], device: str = "cpu") -> list[list[float]]:
    """Step the real optimiser with the given gradients (torch defaults where the call has none)."""
    name = call["name"]
    theta = torch.tensor(call["params"], dtype=torch.float64, device=device, requires_grad=True)
    lr = call["lr"]
    wd = call.get("weight_decay")
    opt: torch.optim.Optimizer
    if name in ("sgd", "momentum", "nesterov"):
        kw: dict[str, Any] = {"lr": lr, "weight_decay": wd or 0.0}
        if name != "sgd":
            kw |= {
                "momentum": call.get("momentum", 0.9),
                "dampening": call.get("dampening", 0.0),
                "nesterov": name == "nesterov",
            }
        opt = torch.optim.SGD([theta], **kw)
    elif name == "adagrad":
        kw = {"lr": lr, "weight_decay": wd or 0.0}
        kw["initial_accumulator_value"] = call.get("initial_accumulator_value", 0.0)
        if call.get("eps") is not None:
            kw["eps"] = call["eps"]
        opt = torch.optim.Adagrad([theta], **kw)
    elif name == "rmsprop":
        kw = {"lr": lr, "weight_decay": wd or 0.0, "alpha": call.get("alpha", 0.99)}
        kw["centered"] = call.get("centered", False)
        if call.get("eps") is not None:
            kw["eps"] = call["eps"]
        opt = torch.optim.RMSprop([theta], **kw)
    else:
        kw = {"lr": lr, "betas": tuple(call.get("betas", (0.9, 0.999)))}
        if wd is not None:
            kw["weight_decay"] = wd  # AdamW's own default (0.01) applies when not given
        if call.get("eps") is not None:
            kw["eps"] = call["eps"]
        opt = (torch.optim.Adam if name == "adam" else torch.optim.AdamW)([theta], **kw)
    out = []
    for g in call["grads"]:
        theta.grad = torch.tensor(g, dtype=torch.float64, device=device)
        opt.step()
        out.append(theta.detach().cpu().tolist())
    return out


def assert_close(ours: list[list[float]], theirs: list[list[float]], tol: float = 1e-9) -> None:
    for a_row, b_row in zip(ours, theirs, strict=True):
        for a, b in zip(a_row, b_row, strict=True):
            assert math.isclose(a, b, rel_tol=tol, abs_tol=tol), (ours, theirs)


reals = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


@st.composite
def calls(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(NAMES))
    n = draw(st.integers(1, 3))
    steps = draw(st.integers(1, 4))
    call: dict[str, Any] = {
        "name": name,
        "params": draw(st.lists(reals, min_size=n, max_size=n)),
        "grads": draw(
            st.lists(st.lists(reals, min_size=n, max_size=n), min_size=steps, max_size=steps)
        ),
        "lr": draw(st.floats(0.001, 1)),
    }
    if draw(st.booleans()):
        call["weight_decay"] = draw(st.floats(0, 0.5))
    if name in ("momentum", "nesterov"):
        call["momentum"] = draw(st.floats(0.05, 0.99))
        if name == "momentum":
            call["dampening"] = draw(st.floats(0, 0.9))
    if name == "rmsprop":
        call["alpha"] = draw(st.floats(0.5, 0.999))
        call["centered"] = draw(st.booleans())
    if name in ("adam", "adamw"):
        call["betas"] = [draw(st.floats(0, 0.99)), draw(st.floats(0, 0.9999))]
    if name == "adagrad":
        call["initial_accumulator_value"] = draw(st.floats(0, 1))
    if name != "sgd" and draw(st.booleans()):
        # a sizeable eps keeps a zero gradient from dividing by zero and tests where ε goes
        call["eps"] = draw(st.floats(1e-3, 0.5))
    elif name in ("adagrad", "rmsprop", "adam", "adamw"):
        call["eps"] = 1e-3
    return call


@settings(max_examples=100, deadline=None)
@given(call=calls())
def test_matches_torch_optim(call: dict[str, Any]) -> None:
    ours = solve("optim.step", call, verify=False).answer
    assert set(ours) == {"params"}
    assert_close(ours["params"], torch_steps(call))


@settings(max_examples=100, deadline=None)
@given(call=calls())
def test_reference_updates_match_the_optimizer_classes(call: dict[str, Any]) -> None:
    # the engine verifies with torch.optim's update functions; these are the classes over them
    problem = get_problem("optim.step")
    theirs = problem.reference(problem.parse_params(call), torch.device("cpu"))
    assert_close(theirs["params"], torch_steps(call), tol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_every_optimiser_with_torch_defaults(name: str) -> None:
    call = {"name": name, "params": [0.5, -1.0], "grads": [[0.3, -0.2], [0.1, 0.4]], "lr": 0.01}
    solution = solve("optim.step", call)  # verified against torch inside as well
    assert_close(solution.answer["params"], torch_steps(call))
    assert solution.verified is not None and solution.verified.by.startswith("torch")


def test_defaults_depend_on_the_optimiser() -> None:
    def params(name: str) -> dict[str, Any]:
        return solve(
            "optim.step", {"name": name, "params": [1], "grads": [[1]], "lr": 0.1}, verify=False
        ).params

    assert params("adamw")["weight_decay"] == 0.01
    assert params("adam")["weight_decay"] == 0.0
    assert params("adagrad")["eps"] == 1e-10
    assert params("rmsprop")["eps"] == 1e-8
    assert params("adam")["eps"] == 1e-8
    # an explicit value wins over the optimiser's default
    explicit = solve(
        "optim.step",
        {"name": "adamw", "params": [1], "grads": [[1]], "lr": 0.1, "weight_decay": 0},
        verify=False,
    )
    assert explicit.answer["params"][0][0] == pytest.approx(1 - 0.1 / (1 + 1e-8), rel=1e-12)


# --- conventions (problems.md: "Optimisers") ---------------------------------------------------


def test_convention_sgd_momentum_first_step_is_undamped() -> None:
    # b₁ = g₁ = 1 (no dampening), b₂ = 0.9·1 + (1 − 0.5)·1 = 1.4
    call = {
        "name": "momentum",
        "params": [1.0],
        "grads": [[1.0], [1.0]],
        "lr": 0.1,
        "momentum": 0.9,
        "dampening": 0.5,
    }
    (t1,), (t2,) = solve("optim.step", call).answer["params"]
    assert t1 == pytest.approx(1 - 0.1 * 1.0, abs=1e-12)
    assert t2 == pytest.approx(t1 - 0.1 * 1.4, abs=1e-12)
    assert_close([[t1], [t2]], torch_steps(call))


def test_convention_nesterov_steps_along_g_plus_mu_b() -> None:
    call = {
        "name": "nesterov",
        "params": [0.0],
        "grads": [[1.0], [2.0]],
        "lr": 1.0,
        "momentum": 0.5,
    }
    # step 1: b = 1, d = 1 + 0.5·1 = 1.5; step 2: b = 0.5 + 2 = 2.5, d = 2 + 1.25 = 3.25
    assert solve("optim.step", call).answer["params"] == [[-1.5], [-4.75]]


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam", "adamw"])
def test_convention_eps_outside_the_square_root(name: str) -> None:
    # a large ε makes its place visible: √s + ε and √(s + ε) differ a lot when ε = 1
    call = {"name": name, "params": [0.0], "grads": [[2.0]], "lr": 1.0, "eps": 1.0}
    if name == "adamw":
        call["weight_decay"] = 0.0
    if name == "rmsprop":
        call["alpha"] = 0.75  # s = 0.25·4 = 1
    ours = solve("optim.step", call).answer["params"][0][0]
    # Adagrad s = 4, Adam v̂ = 4 (m̂ = 2): −2/(√4 + 1); RMSprop s = 0.25·4 = 1: −2/(√1 + 1)
    assert ours == pytest.approx(-1.0 if name == "rmsprop" else -2 / 3, abs=1e-12)
    assert_close([[ours]], torch_steps(call))


def test_adamw_decay_is_decoupled_and_adam_decay_is_l2() -> None:
    base = {"params": [1.0], "grads": [[0.0], [0.0]], "lr": 0.1, "weight_decay": 0.5, "eps": 1.0}
    adamw = solve("optim.step", {"name": "adamw", **base}).answer["params"]
    # zero gradients: AdamW only shrinks θ by (1 − ηλ) = 0.95 per step
    assert adamw == [[pytest.approx(0.95)], [pytest.approx(0.9025)]]
    adam = solve("optim.step", {"name": "adam", **base}).answer["params"]
    assert adam[0][0] != pytest.approx(0.95)
    assert_close(adam, torch_steps({"name": "adam", **base}))


# --- misconceptions --------------------------------------------------------------------------


def wrong_answers(call: dict[str, Any]) -> dict[str, Any]:
    problem = get_problem("optim.step")
    return {m.tag: w for m, w in problem.wrong_answers(problem.parse_params(call))}


def test_no_bias_correction_for_adam() -> None:
    call = {"name": "adam", "params": [1.0, -1.0], "grads": [[0.5, 0.1]], "lr": 0.1}
    wrong = wrong_answers(call)["no_bias_correction"]
    # without the correction m₁ = 0.1·g and v₁ = 0.001·g²: θ moves by η·0.1g/(√0.001·|g|)
    step = 0.1 * 0.1 / math.sqrt(0.001)
    assert wrong.answer[0][0] == pytest.approx(1 - step, rel=1e-6)
    assert wrong.answer[0][1] == pytest.approx(-1 - step, rel=1e-6)
    assert "bias correction" in wrong.feedback


def test_no_momentum_gives_plain_sgd_steps() -> None:
    call = {"name": "momentum", "params": [1.0], "grads": [[1.0], [1.0]], "lr": 0.1}
    wrong = wrong_answers(call)["no_momentum"]
    assert wrong.answer == [[pytest.approx(0.9)], [pytest.approx(0.8)]]
    plain = solve("optim.step", {**call, "name": "sgd"}).answer["params"]
    assert wrong.answer == plain


def test_each_misconception_is_a_distinct_wrong_answer() -> None:
    calls_by_tag = {
        "no_bias_correction": {"name": "adam"},
        "no_momentum": {"name": "momentum"},
        "eps_inside_sqrt": {"name": "rmsprop", "eps": 0.5},
        "adamw_as_l2": {"name": "adamw", "weight_decay": 0.3},
        "decoupled_weight_decay": {"name": "adam", "weight_decay": 0.3},
        "ignored_weight_decay": {"name": "sgd", "weight_decay": 0.3},
        "damped_first_step": {"name": "momentum", "dampening": 0.5},
        "plain_momentum": {"name": "nesterov"},
        "no_accumulation": {"name": "adagrad"},
        "uncentered": {"name": "rmsprop", "centered": True},
        "sign_flipped": {"name": "sgd"},
    }
    problem = get_problem("optim.step")
    tags = {m.tag for m in problem.misconceptions}
    assert tags == set(calls_by_tag)
    base = {"params": [1.0, -0.5], "grads": [[0.4, -0.2], [0.3, 0.6]], "lr": 0.05}
    for tag, extra in calls_by_tag.items():
        call = {**base, **extra}
        right = solve("optim.step", call, verify=False).answer["params"]
        found = wrong_answers(call)
        assert tag in found, tag
        wrong = found[tag].answer
        assert any(
            not math.isclose(w, r, rel_tol=1e-4)
            for wr, rr in zip(wrong, right)
            for w, r in zip(wr, rr)
        ), tag
        assert found[tag].feedback


def test_misconceptions_that_change_nothing_are_left_out() -> None:
    # ε = 1e-8 inside or outside the root cannot be told apart; no weight decay to forget
    found = wrong_answers({"name": "adam", "params": [1.0], "grads": [[0.5]], "lr": 0.1})
    assert "eps_inside_sqrt" not in found
    assert "ignored_weight_decay" not in found
    assert "no_momentum" not in found


# --- bad calls -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"grads": [[1.0]]}, "grads"),
        ({"grads": [1.0, 2.0]}, "grads"),
        ({"grads": []}, "grads"),
        ({"lr": -0.1}, "lr"),
        ({"betas": [0.9]}, "betas"),
        ({"betas": [0.9, 1.0]}, "betas"),
        ({"name": "nesterov", "dampening": 0.1}, "dampening"),
        ({"name": "nesterov", "momentum": 0}, "momentum"),
        ({"weight_decay": -1}, "weight_decay"),
        ({"name": "adamax"}, "name"),
        ({"learning_rate": 0.1}, "learning_rate"),
        ({"eps": -1e-8}, "eps"),
    ],
)
def test_bad_calls_name_the_parameter(change: dict[str, Any], param: str) -> None:
    call = {"name": "adam", "params": [1.0, 2.0], "grads": [[0.1, 0.2]], "lr": 0.1, **change}
    with pytest.raises(ProblemError) as info:
        solve("optim.step", call)
    assert info.value.param == param
    assert "\n" not in str(info.value)


def test_zero_denominator_is_a_clear_error() -> None:
    with pytest.raises(ProblemError, match="eps"):
        solve(
            "optim.step", {"name": "adam", "params": [1.0], "grads": [[0.0]], "lr": 0.1, "eps": 0}
        )


# --- command line and device -----------------------------------------------------------------


def test_cli_json_and_human_output(cli: Any) -> None:
    args = ["solve", "optim.step", "name=adam", "params=[0.5,-1]", "grads=[[0.1,0.2]]", "lr=0.1"]
    result = cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["problem"] == "optim.step"
    assert data["params"]["eps"] == 1e-8 and data["params"]["weight_decay"] == 0.0
    assert_close(data["answer"]["params"], [[0.4, -1.1]], tol=1e-7)
    assert data["verified"]["by"].startswith("torch")
    assert any("bias-corrected" in s["title"] for s in data["steps"])
    human = cli(*args)
    assert human.returncode == 0, human.stderr
    assert "Step 1: update the parameters" in human.stdout
    bad = cli("solve", "optim.step", "name=adam", "params=[1]", "grads=[[1,2]]", "lr=0.1")
    assert bad.returncode == 2
    assert "grads" in bad.stderr and "Traceback" not in bad.stderr


@requires_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("name", NAMES)
def test_cuda_matches_cpu(name: str) -> None:
    call = {"name": name, "params": [0.5, -1.0], "grads": [[0.3, -0.2], [0.1, 0.4]], "lr": 0.01}
    on_gpu = solve("optim.step", call, device="cuda")
    assert on_gpu.verified is not None and on_gpu.verified.device.startswith("cuda")
    assert_close(torch_steps(call, "cuda"), torch_steps(call, "cpu"), tol=1e-6)
    assert_close(
        on_gpu.answer["params"], solve("optim.step", call, device="cpu").answer["params"], 1e-6
    )
