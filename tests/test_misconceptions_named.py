"""The mistakes students really make are named, with the answer typed to 4 significant figures.

Every wrong answer here is computed in the test (torch or plain arithmetic), never taken from the
engine's misconception rules; and a right answer, however it is rounded, is never given one.
"""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.checking import check
from engine.solve import solve


def sig4(x: float) -> float:
    return float(f"{x:.4g}")


def typed(value) -> str:
    """A number, list or matrix rounded to 4 significant figures, as a student types it."""
    if isinstance(value, list):
        return json.dumps([json.loads(typed(v)) for v in value])
    return repr(sig4(value))


def named(problem: str, params: dict, answer: str, part: str | None = None) -> str | None:
    result = check(problem, params, answer, part)
    assert not result.correct, (problem, answer)
    return result.misconception


def test_conv_output_rounded_up() -> None:
    # (224 + 0 − 3)/2 = 110.5: floored 110 + 1 = 111; rounded up 111 + 1 = 112
    params = {"size": 224, "kernel": 3, "stride": 2}
    assert named("conv2d.output_size", params, str(math.ceil((224 - 3) / 2) + 1)) == "rounded_up"
    # the unrounded 111.5 is still no_floor
    assert named("conv2d.output_size", params, str((224 - 3) / 2 + 1)) == "no_floor"


def test_batchnorm_without_beta() -> None:
    params = {"x": [1.0, 2.0, 4.0], "gamma": 2.0, "beta": 0.5}
    bn = torch.nn.BatchNorm1d(1, affine=False, track_running_stats=False, dtype=torch.float64)
    x_hat = bn(torch.tensor(params["x"], dtype=torch.float64).unsqueeze(1)).squeeze(1)
    wrong = (2.0 * x_hat).tolist()
    assert named("batchnorm.forward", params, typed(wrong), part="y") == "forgot_beta"


def test_sgd_step_sign_flipped() -> None:
    params = {"name": "sgd", "params": [1.0, 2.0], "grads": [[0.5, -0.3]], "lr": 0.1}
    theta = torch.tensor(params["params"], requires_grad=True, dtype=torch.float64)
    opt = torch.optim.SGD([theta], lr=0.1, maximize=True)  # uphill: the sign flipped
    theta.grad = torch.tensor(params["grads"][0], dtype=torch.float64)
    opt.step()
    wrong = [theta.detach().tolist()]
    assert named("optim.step", params, typed(wrong), part="params") == "sign_flipped"


def test_adam_without_bias_correction_at_4_figures() -> None:
    """4 figures of 2.48630 is 2.486, outside optim.step's 1e-4 marking tolerance: the rule is
    still named, as a right answer rounded that far is recognised (as too rounded)."""
    params = {
        "name": "adam",
        "params": [1.0, 2.0],
        "grads": [[0.5, -0.3], [0.2, 0.1]],
        "lr": 0.1,
    }
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.1
    theta = [1.0, 2.0]
    m = [0.0, 0.0]
    v = [0.0, 0.0]
    steps = []
    for g in params["grads"]:
        m = [b1 * a + (1 - b1) * x for a, x in zip(m, g)]
        v = [b2 * a + (1 - b2) * x * x for a, x in zip(v, g)]
        theta = [th - lr * a / (math.sqrt(c) + eps) for th, a, c in zip(theta, m, v)]
        steps.append(theta)
    answer = typed(steps)
    assert abs(sig4(steps[1][1]) - steps[1][1]) > 1e-4 * abs(steps[1][1])  # the point of it
    assert named("optim.step", params, answer, part="params") == "no_bias_correction"


LSTM = {
    "x": [1.0, -0.5],
    "h": [0.1, 0.2],
    "c": [0.5, -0.3],
    "weight_ih": [[0.1 * (i - 3), 0.05 * i] for i in range(8)],
    "weight_hh": [[0.02 * i, -0.03 * (i - 4)] for i in range(8)],
}


def test_lstm_cell_without_forget_term() -> None:
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    gates = F.linear(t(LSTM["x"]), t(LSTM["weight_ih"])) + F.linear(
        t(LSTM["h"]), t(LSTM["weight_hh"])
    )
    i, _, g, _ = gates.chunk(4)
    wrong = (torch.sigmoid(i) * torch.tanh(g)).tolist()
    assert named("lstm.step", LSTM, typed(wrong), part="c") == "forgot_forget_term"


MDP = {"P": [[[0, 1], [1, 0]], [[0, 1], [0, 1]]], "R": [[0, 1], [5, 5]], "gamma": 0.9}


def q_after(k: int) -> list[list[float]]:
    P, R = torch.tensor(MDP["P"], dtype=torch.float64), torch.tensor(MDP["R"], dtype=torch.float64)
    q = torch.zeros_like(R)
    for _ in range(k):
        q = R + MDP["gamma"] * P @ q.max(1).values
    return q.tolist()


@pytest.mark.parametrize(("sweeps", "tag"), [(2, "one_sweep_early"), (4, "extra_iteration")])
def test_value_iteration_stopped_early_or_late(sweeps: int, tag: str) -> None:
    params = {**MDP, "iterations": 3}
    assert named("rl.value_iteration", params, typed(q_after(sweeps)), part="q") == tag


def test_cross_entropy_probability_instead_of_minus_log() -> None:
    logits = [2.0, 1.0, 0.1]
    prob = torch.softmax(torch.tensor(logits, dtype=torch.float64), 0)[1].item()
    ce = {"logits": logits, "target": 1}
    assert named("softmax.cross_entropy", ce, typed(prob), part="loss") == "gave_probability"
    loss = {"name": "ce", "prediction": [logits], "target": [1]}
    assert named("loss", loss, typed(prob)) == "gave_probability"


RESIDUAL = {"x0": 0.5, "weights": [0.8, -0.6, 1.2]}


def residual_parts() -> tuple[float, float]:
    """(x_L, Π(1 + w·tanh′(x_i))) by autograd: the gradient of ½x_L² is x_L times the factor."""
    x0 = torch.tensor(RESIDUAL["x0"], dtype=torch.float64, requires_grad=True)
    x = x0
    for w in RESIDUAL["weights"]:
        x = x + w * torch.tanh(x)
    (factor,) = torch.autograd.grad(x, x0)
    return x.item(), factor.item()


def test_residual_gradient_given_as_x_l_alone_or_the_factor_alone() -> None:
    x_l, factor = residual_parts()
    assert named("residual.gradient", RESIDUAL, typed(x_l), part="grad") == "gave_upstream"
    assert named("residual.gradient", RESIDUAL, typed(factor), part="grad") == "forgot_upstream"


def test_gan_value_without_minus_log_4() -> None:
    p_data, p_g = [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]
    m = [(a + b) / 2 for a, b in zip(p_data, p_g)]
    kl = lambda p, q: sum(a * math.log(a / b) for a, b in zip(p, q) if a > 0)  # noqa: E731
    jsd = (kl(p_data, m) + kl(p_g, m)) / 2
    params = {"p_data": p_data, "p_g": p_g}
    assert named("gan.optimal_discriminator", params, typed(2 * jsd), part="value") == "forgot_log4"


# --- a right answer is never given a misconception ------------------------------------------------

CALLS = [
    (
        "optim.step",
        {"name": "adam", "params": [1.0, 2.0], "grads": [[0.5, -0.3], [0.2, 0.1]], "lr": 0.1},
        "params",
    ),
    (
        "optim.step",
        {"name": "sgd", "params": [1.0, 2.0], "grads": [[0.5, -0.3]], "lr": 0.1},
        "params",
    ),
    ("batchnorm.forward", {"x": [1.0, 2.0, 4.0], "gamma": 2.0, "beta": 0.5}, "y"),
    ("lstm.step", LSTM, "c"),
    ("rl.value_iteration", {**MDP, "iterations": 3}, "q"),
    ("residual.gradient", RESIDUAL, "grad"),
    ("softmax.cross_entropy", {"logits": [2.0, 1.0, 0.1], "target": 1}, "loss"),
]


@settings(max_examples=40, deadline=None)
@given(which=st.sampled_from(range(len(CALLS))), figures=st.integers(2, 8))
def test_right_answer_rounded_is_never_a_misconception(which: int, figures: int) -> None:
    problem, params, part = CALLS[which]
    right = solve(problem, params, verify=False).answer[part]

    def rounded(v) -> str:
        # written with exactly `figures` significant figures, as a student would type them
        if isinstance(v, list):
            return "[" + ", ".join(rounded(x) for x in v) + "]"
        return f"{v:#.{figures}g}".rstrip(".")

    result = check(problem, params, rounded(right), part)
    assert result.misconception is None
    assert result.verdict in ("correct", "imprecise")
