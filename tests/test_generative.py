"""gan.value, gan.step, gan.optimal_discriminator and vae.kl against torch computed here, their
refusals of bad calls, and their misconceptions."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.distributions import Normal, kl_divergence

from engine.errors import ProblemError
from engine.registry import get_problem
from engine.solve import solve
from tests.conftest import requires_cuda
from tests.torch_support import assert_cuda_reference_equals_cpu, close

DT = torch.float64
probability = st.floats(0.001, 0.999)
small = st.floats(-2.0, 2.0)


def answer(problem: str, **params: Any) -> Any:
    return solve(problem, params, verify=False).answer


def wrong_answers(problem: str, **params: Any) -> dict[str, Any]:
    p = get_problem(problem)
    return {m.tag: (m.part, w) for m, w in p.wrong_answers(p.parse_params(params))}


def assert_distinct_per_part(problem: str, params: dict[str, Any], right: dict[str, Any]) -> None:
    """Every wrong answer differs from the right one and from the others for the same part."""
    seen: dict[str | None, list[Any]] = {}
    for _, (part, wrong) in wrong_answers(problem, **params).items():
        expected = right if part is None else right[part]
        assert not close(wrong.answer, expected, 1e-3)
        assert all(not close(wrong.answer, other, 1e-3) for other in seen.get(part, []))
        seen.setdefault(part, []).append(wrong.answer)
        assert wrong.feedback


# --- gan.value ----------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    d_real=st.lists(probability, min_size=1, max_size=6),
    d_fake=st.lists(probability, min_size=1, max_size=6),
)
def test_gan_value_matches_torch(d_real: list[float], d_fake: list[float]) -> None:
    real, fake = torch.tensor(d_real, dtype=DT), torch.tensor(d_fake, dtype=DT)
    value = torch.log(real).mean() + torch.log1p(-fake).mean()
    expected = {
        "value": value.item(),
        "d_loss": (
            F.binary_cross_entropy(real, torch.ones_like(real))
            + F.binary_cross_entropy(fake, torch.zeros_like(fake))
        ).item(),
        "g_loss_minimax": torch.log1p(-fake).mean().item(),
        "g_loss_nonsaturating": -torch.log(fake).mean().item(),
    }
    assert close(answer("gan.value", d_real=d_real, d_fake=d_fake), expected)


def test_gan_value_keys_and_relations() -> None:
    got = solve("gan.value", {"d_real": [0.9, 0.8], "d_fake": [0.3, 0.1, 0.2]}).answer
    assert set(got) == {"value", "d_loss", "g_loss_minimax", "g_loss_nonsaturating"}
    assert got["d_loss"] == pytest.approx(-got["value"])
    assert got["value"] == pytest.approx(
        (math.log(0.9) + math.log(0.8)) / 2 + (math.log(0.7) + math.log(0.9) + math.log(0.8)) / 3
    )


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"d_real": [0.0, 0.5], "d_fake": [0.5]}, "d_real"),
        ({"d_real": [0.5], "d_fake": [1.0]}, "d_fake"),
        ({"d_real": [0.5], "d_fake": [1.5]}, "d_fake"),
        ({"d_real": [1e-300], "d_fake": [0.5]}, "d_real"),
        ({"d_real": "high", "d_fake": [0.5]}, "d_real"),
        ({"d_real": [0.5]}, "d_fake"),
    ],
)
def test_gan_value_refuses_bad_calls(params: dict[str, Any], name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("gan.value", params)
    assert err.value.param == name


def test_gan_value_misconceptions() -> None:
    params = {"d_real": [0.9, 0.6], "d_fake": [0.3, 0.2]}
    right = answer("gan.value", **params)
    wrong = wrong_answers("gan.value", **params)
    assert set(wrong) == {
        "sign_error",
        "fake_term_log_d",
        "summed_not_averaged",
        "nonsaturating_sign",
        "minimax_for_nonsaturating",
    }
    assert wrong["sign_error"][1].answer == pytest.approx(right["value"])
    assert wrong["fake_term_log_d"][1].answer == pytest.approx(
        (math.log(0.9) + math.log(0.6) + math.log(0.3) + math.log(0.2)) / 2
    )
    assert wrong["summed_not_averaged"][1].answer == pytest.approx(2 * right["value"])
    assert_distinct_per_part("gan.value", params, right)
    # with one sample per batch and D(G(z)) = 0.5, the sum and log D rules give the right answer
    assert "summed_not_averaged" not in wrong_answers("gan.value", d_real=[0.9], d_fake=[0.5])
    assert "fake_term_log_d" not in wrong_answers("gan.value", d_real=[0.9], d_fake=[0.5])


# --- gan.step -----------------------------------------------------------------------------------


def torch_gan_step(
    real: list[float],
    z: list[float],
    w: float,
    b: float,
    a: float,
    c: float,
    lr: float,
    loss: str,
    against_new_d: bool = True,
) -> dict[str, Any]:
    """Autograd through real nn.Linear discriminator and generator, updates written by hand."""
    disc, gen = nn.Linear(1, 1).to(DT), nn.Linear(1, 1).to(DT)
    with torch.no_grad():
        disc.weight.fill_(w)
        disc.bias.fill_(b)
        gen.weight.fill_(a)
        gen.bias.fill_(c)
    x = torch.tensor(real, dtype=DT).unsqueeze(1)
    zz = torch.tensor(z, dtype=DT).unsqueeze(1)
    fake = gen(zz).detach()
    value = (
        torch.log(torch.sigmoid(disc(x))).mean() + torch.log(1 - torch.sigmoid(disc(fake))).mean()
    )
    gw, gb = torch.autograd.grad(value, [disc.weight, disc.bias])
    if against_new_d:
        with torch.no_grad():
            disc.weight.add_(lr * gw)
            disc.bias.add_(lr * gb)
        new_w, new_b = disc.weight.item(), disc.bias.item()
    else:
        new_w, new_b = w + lr * gw.item(), b + lr * gb.item()
    d_fake = torch.sigmoid(disc(gen(zz)))
    g_loss = -torch.log(d_fake).mean() if loss == "nonsaturating" else torch.log(1 - d_fake).mean()
    ga, gc = torch.autograd.grad(g_loss, [gen.weight, gen.bias])
    return {
        "value": value.item(),
        "d_grads": {"w": gw.item(), "b": gb.item()},
        "d_after": {"w": new_w, "b": new_b},
        "g_grads": {"a": ga.item(), "c": gc.item()},
        "g_after": {"a": a - lr * ga.item(), "c": c - lr * gc.item()},
    }


@settings(max_examples=80, deadline=None)
@given(
    real=st.lists(small, min_size=1, max_size=5),
    z=st.lists(small, min_size=1, max_size=5),
    w=small,
    b=small,
    a=small,
    c=small,
    lr=st.floats(0.01, 1.0),
    loss=st.sampled_from(["nonsaturating", "minimax"]),
)
def test_gan_step_matches_autograd(
    real: list[float],
    z: list[float],
    w: float,
    b: float,
    a: float,
    c: float,
    lr: float,
    loss: str,
) -> None:
    got = answer("gan.step", real=real, z=z, d_w=w, d_b=b, g_a=a, g_c=c, lr=lr, generator_loss=loss)
    assert close(got, torch_gan_step(real, z, w, b, a, c, lr, loss))


def test_gan_step_defaults_and_verification() -> None:
    sol = solve(
        "gan.step", {"real": [1, 2], "z": [0.5, -1], "d_w": 0.5, "d_b": 0.1, "g_a": 1.5, "g_c": 0.2}
    )
    assert sol.params["lr"] == 0.1 and sol.params["generator_loss"] == "nonsaturating"
    assert sol.verified is not None and sol.verified.max_abs_diff < 1e-12
    assert close(
        sol.answer, torch_gan_step([1, 2], [0.5, -1], 0.5, 0.1, 1.5, 0.2, 0.1, "nonsaturating")
    )


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"lr": 0}, "lr"),
        ({"lr": -0.1}, "lr"),
        ({"generator_loss": "wasserstein"}, "generator_loss"),
        ({"real": []}, "real"),
        ({"z": "noise"}, "z"),
        ({"d_w": None}, "d_w"),
        ({"momentum": 0.9}, "momentum"),
    ],
)
def test_gan_step_refuses_bad_calls(change: dict[str, Any], name: str) -> None:
    params = {"real": [1.0], "z": [0.5], "d_w": 0.5, "d_b": 0.0, "g_a": 1.0, "g_c": 0.0}
    with pytest.raises(ProblemError) as err:
        solve("gan.step", {**params, **change})
    assert err.value.param == name


def test_gan_step_misconceptions() -> None:
    # lr = 0.5: with a small step the generator's update against the old D is hard to tell apart
    params = {
        "real": [1.0, 2.0],
        "z": [0.5, -1.0],
        "d_w": 0.5,
        "d_b": 0.1,
        "g_a": 1.5,
        "g_c": 0.2,
        "lr": 0.5,
    }
    right = answer("gan.step", **params)
    wrong = wrong_answers("gan.step", **params)
    assert set(wrong) == {
        "generator_old_d",
        "d_descent",
        "g_ascent",
        "other_generator_loss",
        "summed_not_averaged",
    }
    old = torch_gan_step([1, 2], [0.5, -1], 0.5, 0.1, 1.5, 0.2, 0.5, "nonsaturating", False)
    assert close(wrong["generator_old_d"][1].answer, old["g_after"])
    minimax = torch_gan_step([1, 2], [0.5, -1], 0.5, 0.1, 1.5, 0.2, 0.5, "minimax")
    assert close(wrong["other_generator_loss"][1].answer, minimax["g_grads"])
    assert wrong["d_descent"][1].answer["w"] == pytest.approx(0.5 - 0.5 * right["d_grads"]["w"])
    assert_distinct_per_part("gan.step", params, right)
    # one sample per batch: sums and means agree, so that rule is not offered
    single = {**params, "real": [1.0], "z": [0.5]}
    assert "summed_not_averaged" not in wrong_answers("gan.step", **single)


# --- gan.optimal_discriminator ------------------------------------------------------------------


def distribution(weights: list[float]) -> list[float]:
    total = sum(weights)
    return [x / total for x in weights]


weights = st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 7.0]), min_size=2, max_size=6).filter(
    lambda ws: sum(ws) > 0
)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_optimal_discriminator_matches_torch(data: st.DataObject) -> None:
    pd = distribution(data.draw(weights))
    pg = distribution(data.draw(weights.filter(lambda ws: len(ws) == len(pd))))
    got = answer("gan.optimal_discriminator", p_data=pd, p_g=pg)

    p, q = torch.tensor(pd, dtype=DT), torch.tensor(pg, dtype=DT)
    d = torch.where(p + q > 0, p / (p + q), torch.tensor(0.5, dtype=DT))
    value = (torch.special.xlogy(p, d) + torch.special.xlogy(q, 1 - d)).sum()
    m = (p + q) / 2
    jsd = (
        0.5 * (torch.special.xlogy(p, p) - torch.special.xlogy(p, m)).sum()
        + 0.5 * (torch.special.xlogy(q, q) - torch.special.xlogy(q, m)).sum()
    )
    assert close(got, {"d": d.tolist(), "value": value.item(), "jsd": jsd.item()})
    # the link the trace states: V(D*, G) = −log 4 + 2·JSD, and JSD ≤ log 2
    assert got["value"] == pytest.approx(-math.log(4) + 2 * got["jsd"], abs=1e-12)
    assert 0 <= got["jsd"] <= math.log(2) + 1e-12


def test_optimal_discriminator_is_optimal() -> None:
    pd, pg = [0.1, 0.6, 0.3], [0.5, 0.2, 0.3]
    got = answer("gan.optimal_discriminator", p_data=pd, p_g=pg)
    p, q = torch.tensor(pd, dtype=DT), torch.tensor(pg, dtype=DT)
    d = torch.tensor(got["d"], dtype=DT, requires_grad=True)
    value = (p * torch.log(d) + q * torch.log(1 - d)).sum()
    (grad,) = torch.autograd.grad(value, d)
    assert torch.allclose(grad, torch.zeros(3, dtype=DT), atol=1e-12)  # a stationary point
    assert value.item() == pytest.approx(got["value"])
    # equal distributions: D* = ½ everywhere, V = −log 4, JSD = 0
    same = answer("gan.optimal_discriminator", p_data=pd, p_g=pd)
    assert same["d"] == [0.5] * 3 and same["jsd"] == pytest.approx(0, abs=1e-15)
    assert same["value"] == pytest.approx(-math.log(4))


def test_optimal_discriminator_disjoint_supports() -> None:
    got = solve("gan.optimal_discriminator", {"p_data": [0.5, 0.5, 0, 0], "p_g": [0, 0, 1, 0]})
    assert got.answer["d"] == [1.0, 1.0, 0.0, 0.5]
    assert got.answer["jsd"] == pytest.approx(math.log(2))
    assert got.answer["value"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"p_data": [0.5, 0.4], "p_g": [0.5, 0.5]}, "p_data"),
        ({"p_data": [0.5, 0.5], "p_g": [1.5, -0.5]}, "p_g"),
        ({"p_data": [0.5, 0.5], "p_g": [0.2, 0.3, 0.5]}, "p_g"),
        ({"p_data": [0.5, 0.5]}, "p_g"),
    ],
)
def test_optimal_discriminator_refuses_bad_calls(params: dict[str, Any], name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("gan.optimal_discriminator", params)
    assert err.value.param == name


def test_optimal_discriminator_misconceptions() -> None:
    params = {"p_data": [0.1, 0.6, 0.3], "p_g": [0.5, 0.2, 0.3]}
    right = answer("gan.optimal_discriminator", **params)
    wrong = wrong_answers("gan.optimal_discriminator", **params)
    assert set(wrong) == {"swapped_ratio", "forgot_log4", "jsd_in_bits", "kl_not_jsd"}
    assert wrong["swapped_ratio"][1].answer == pytest.approx([5 / 6, 0.25, 0.5])
    assert wrong["forgot_log4"][1].answer == pytest.approx(2 * right["jsd"])
    assert wrong["jsd_in_bits"][1].answer == pytest.approx(right["jsd"] / math.log(2))
    assert_distinct_per_part("gan.optimal_discriminator", params, right)
    # KL(p_data ‖ p_g) is infinite when p_g misses part of p_data's support: no such rule then
    disjoint = wrong_answers("gan.optimal_discriminator", p_data=[1, 0], p_g=[0, 1])
    assert "kl_not_jsd" not in disjoint


# --- vae.kl -------------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(data=st.data(), size=st.integers(1, 6))
def test_vae_kl_matches_torch(data: st.DataObject, size: int) -> None:
    mu = data.draw(st.lists(st.floats(-3, 3), min_size=size, max_size=size))
    sigma = data.draw(st.lists(st.floats(0.05, 4), min_size=size, max_size=size))
    m, s = torch.tensor(mu, dtype=DT), torch.tensor(sigma, dtype=DT)
    kl = kl_divergence(Normal(m, s), Normal(torch.zeros_like(m), torch.ones_like(s)))
    expected = {"per_dim": kl.tolist(), "total": kl.sum().item()}
    assert close(answer("vae.kl", mu=mu, sigma=sigma), expected)
    logvar = (2 * torch.log(s)).tolist()
    assert close(answer("vae.kl", mu=mu, logvar=logvar), expected)


def test_vae_kl_direction_is_encoder_against_prior() -> None:
    """KL(q(z|x) ‖ N(0, 1)), the VAE regulariser: not the reverse KL(N(0, 1) ‖ q)."""
    mu, sigma = [1.0, -0.5], [0.5, 2.0]
    m, s = torch.tensor(mu, dtype=DT), torch.tensor(sigma, dtype=DT)
    q, prior = Normal(m, s), Normal(torch.zeros(2, dtype=DT), torch.ones(2, dtype=DT))
    got = answer("vae.kl", mu=mu, sigma=sigma)["total"]
    assert got == pytest.approx(kl_divergence(q, prior).sum().item())
    assert got != pytest.approx(kl_divergence(prior, q).sum().item())
    assert answer("vae.kl", mu=[0, 0], sigma=[1, 1])["total"] == 0


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"mu": [0.0, 1.0]}, "sigma"),
        ({"mu": [0.0], "sigma": [1.0], "logvar": [0.0]}, "logvar"),
        ({"mu": [0.0, 1.0], "sigma": [1.0]}, "sigma"),
        ({"mu": [0.0, 1.0], "logvar": [1.0]}, "logvar"),
        ({"mu": [0.0], "sigma": [0.0]}, "sigma"),
        ({"mu": [0.0], "sigma": [-1.0]}, "sigma"),
        ({"mu": [0.0], "sigma": "wide"}, "sigma"),
        ({"sigma": [1.0]}, "mu"),
    ],
)
def test_vae_kl_refuses_bad_calls(params: dict[str, Any], name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("vae.kl", params)
    assert err.value.param == name


def test_vae_kl_misconceptions() -> None:
    params = {"mu": [0.5, -1.0], "sigma": [0.5, 1.5]}
    right = answer("vae.kl", **params)
    wrong = wrong_answers("vae.kl", **params)
    assert set(wrong) == {"forgot_half", "sigma_not_squared", "forgot_minus_one", "averaged_dims"}
    total = right["total"]
    assert wrong["forgot_half"][1].answer == pytest.approx(2 * total)
    assert wrong["forgot_minus_one"][1].answer == pytest.approx(total + 1)
    assert wrong["averaged_dims"][1].answer == pytest.approx(total / 2)
    by_hand = 0.5 * ((0.25 + 0.5 - math.log(0.5) - 1) + (1 + 1.5 - math.log(1.5) - 1))
    assert wrong["sigma_not_squared"][1].answer == pytest.approx(by_hand)
    assert_distinct_per_part("vae.kl", params, right)
    # σ = 1 everywhere: σ and σ² agree, so that mistake cannot be seen
    assert "sigma_not_squared" not in wrong_answers("vae.kl", mu=[1.0], sigma=[1.0])


# --- every device, the command line -------------------------------------------------------------

CALLS = [
    ("gan.value", {"d_real": [0.9, 0.8], "d_fake": [0.3, 0.1, 0.2]}),
    ("gan.step", {"real": [1, 2], "z": [0.5, -1], "d_w": 0.5, "d_b": 0.1, "g_a": 1.5, "g_c": 0.2}),
    ("gan.optimal_discriminator", {"p_data": [0.5, 0.5, 0, 0], "p_g": [0.25, 0, 0.75, 0]}),
    ("vae.kl", {"mu": [0.5, -1], "logvar": [0.1, -0.3]}),
]


@requires_cuda
@pytest.mark.cuda
@pytest.mark.parametrize(("problem", "params"), CALLS)
def test_cuda_reference_equals_cpu(problem: str, params: dict[str, Any]) -> None:
    assert_cuda_reference_equals_cpu(problem, params)


def test_cli_json(cli) -> None:
    out = cli(
        "solve",
        "gan.step",
        "real=[1,2]",
        "z=[0.5,-1]",
        "d_w=0.5",
        "d_b=0.1",
        "g_a=1.5",
        "g_c=0.2",
        "generator_loss=minimax",
        "--json",
        "--device",
        "cpu",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["problem"] == "gan.step" and data["params"]["lr"] == 0.1
    expected = torch_gan_step([1, 2], [0.5, -1], 0.5, 0.1, 1.5, 0.2, 0.1, "minimax")
    assert close(data["answer"], expected)
    assert data["verified"]["device"] == "cpu" and data["verified"]["by"].startswith("torch")
    assert all({"title", "formula", "substituted", "value"} <= set(s) for s in data["steps"])


def test_cli_human_and_errors(cli) -> None:
    out = cli("solve", "vae.kl", "mu=[0.5,-1]", "sigma=[0.8,1.2]")
    assert out.returncode == 0, out.stderr
    assert "KL" in out.stdout and "Checked against torch" in out.stdout
    bad = cli("solve", "gan.value", "d_real=[0.5]", "d_fake=[1]")
    assert bad.returncode == 2
    assert "d_fake" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
