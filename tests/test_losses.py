"""loss, softmax.cross_entropy, regularization, dropout.inverted and gd.updates against torch."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader

from engine import ProblemError, get_problem
from engine.solve import solve
from tests.conftest import requires_cuda
from tests.torch_support import assert_close


def t(v: Any) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float64)


def torch_loss(p: dict[str, Any]) -> float:
    """The loss as torch.nn.functional defines it (hinge and kl as the contract states)."""
    name, red = p["name"], p.get("reduction", "mean")
    pred, tgt = p["prediction"], p["target"]
    if name == "mse":
        return F.mse_loss(t(pred), t(tgt), reduction=red).item()
    if name == "huber":
        return F.huber_loss(t(pred), t(tgt), reduction=red, delta=p.get("delta", 1.0)).item()
    if name == "smooth_l1":
        return F.smooth_l1_loss(t(pred), t(tgt), reduction=red, beta=p.get("beta", 1.0)).item()
    if name == "bce":
        return F.binary_cross_entropy(t(pred), t(tgt), reduction=red).item()
    if name == "bce_logits":
        return F.binary_cross_entropy_with_logits(t(pred), t(tgt), reduction=red).item()
    if name == "hinge":
        margins = torch.clamp(p.get("margin", 1.0) - t(tgt) * t(pred), min=0)
        return (margins.sum() if red == "sum" else margins.mean()).item()
    if name == "ce":
        return F.cross_entropy(
            t(pred),
            torch.tensor(tgt),
            reduction=red,
            label_smoothing=p.get("label_smoothing", 0.0),
        ).item()
    if name == "multi_margin":
        return F.multi_margin_loss(
            t(pred), torch.tensor(tgt), margin=p.get("margin", 1.0), reduction=red
        ).item()
    if name == "kl":
        q, target = t(pred), t(tgt)
        batched = q.dim() == 2
        kl_red = "batchmean" if batched and red == "mean" else "sum"
        return F.kl_div(q.log(), target, reduction=kl_red).item()
    raise AssertionError(name)


reals = st.floats(-4, 4, allow_nan=False).map(lambda v: round(v, 2))
probs = st.floats(0.01, 0.99).map(lambda v: round(v, 3))


def _distribution(draw: st.DrawFn, c: int, zeros: bool) -> list[float]:
    weights = draw(st.lists(st.integers(0 if zeros else 1, 9), min_size=c, max_size=c))
    if sum(weights) == 0:
        weights[0] = 1
    total = sum(weights)
    return [w / total for w in weights]


@st.composite
def loss_calls(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(
        st.sampled_from(
            ["mse", "huber", "smooth_l1", "bce", "bce_logits", "ce", "multi_margin", "hinge", "kl"]
        )
    )
    params: dict[str, Any] = {"name": name, "reduction": draw(st.sampled_from(["mean", "sum"]))}
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    batched = draw(st.booleans())
    if name in ("ce", "multi_margin"):
        rows = [draw(st.lists(reals, min_size=c, max_size=c)) for _ in range(n)]
        labels = [draw(st.integers(0, c - 1)) for _ in range(n)]
        params["prediction"] = rows if batched else rows[0]
        params["target"] = labels if batched else labels[0]
        if name == "ce":
            params["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.25]))
        else:
            params["margin"] = draw(st.sampled_from([1.0, 0.5, 2.0]))
    elif name == "kl":
        target = [_distribution(draw, c, zeros=True) for _ in range(n)]
        pred = [_distribution(draw, c, zeros=False) for _ in range(n)]
        params["prediction"] = pred if batched else pred[0]
        params["target"] = target if batched else target[0]
    else:
        size = draw(st.integers(1, 5))
        if name == "bce":
            pred = draw(
                st.lists(
                    st.one_of(probs, st.sampled_from([0.0, 1.0])), min_size=size, max_size=size
                )
            )
        else:
            pred = draw(st.lists(reals, min_size=size, max_size=size))
        if name in ("bce", "bce_logits"):
            tgt = draw(st.lists(st.sampled_from([0.0, 1.0, 0.3]), min_size=size, max_size=size))
        elif name == "hinge":
            tgt = draw(st.lists(st.sampled_from([-1, 1]), min_size=size, max_size=size))
        else:
            tgt = draw(st.lists(reals, min_size=size, max_size=size))
        params["prediction"], params["target"] = pred, tgt
        if name == "huber":
            params["delta"] = draw(st.sampled_from([0.5, 1.0, 2.0]))
        if name == "smooth_l1":
            params["beta"] = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
        if name == "hinge":
            params["margin"] = draw(st.sampled_from([1.0, 2.0]))
    return params


@settings(max_examples=100, deadline=None)
@given(params=loss_calls())
def test_loss_matches_torch(params: dict[str, Any]) -> None:
    got = solve("loss", params).answer
    assert isinstance(got, float)
    assert math.isclose(got, torch_loss(params), rel_tol=1e-10, abs_tol=1e-12)


def test_a_matrix_of_elementwise_predictions() -> None:
    params = {"name": "huber", "prediction": [[1, 2], [3, -4]], "target": [[0, 0], [0, 1]]}
    assert solve("loss", params).answer == pytest.approx(torch_loss(params), rel=1e-12)


def test_convention_hinge_is_the_binary_svm_hinge() -> None:
    params = {"name": "hinge", "prediction": [0.5, -2.0, 3.0], "target": [1, 1, -1]}
    # max(0, 1 − y·f): 0.5, 3, 4
    assert solve("loss", params).answer == pytest.approx((0.5 + 3 + 4) / 3)
    assert solve("loss", dict(params, reduction="sum")).answer == pytest.approx(7.5)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
def test_convention_kl_is_kl_of_target_from_prediction() -> None:
    """KL(p ‖ q) with p the target; for one distribution both reductions give the KL itself."""
    p, q = [0.2, 0.0, 0.8], [0.5, 0.25, 0.25]
    expected = 0.2 * math.log(0.2 / 0.5) + 0.8 * math.log(0.8 / 0.25)
    for reduction in ("mean", "sum"):
        got = solve("loss", {"name": "kl", "prediction": q, "target": p, "reduction": reduction})
        assert got.answer == pytest.approx(expected, rel=1e-12)
    # torch's own reduction="mean" divides by the number of entries: a recognised slip
    problem = get_problem("loss")
    found = {
        m.tag: w.answer
        for m, w in problem.wrong_answers(
            problem.parse_params({"name": "kl", "prediction": q, "target": p})
        )
    }
    assert found["elementwise_mean"] == pytest.approx(
        F.kl_div(t(q).log(), t(p), reduction="mean").item()
    )
    assert "reversed_kl" not in found  # KL(q ‖ p) is infinite here: p has a zero


def test_binary_cross_entropy_clamps_its_logs_like_torch() -> None:
    params = {"name": "bce", "prediction": [0.0, 1.0], "target": [1.0, 1.0]}
    assert solve("loss", params).answer == pytest.approx(50.0)
    assert torch_loss(params) == pytest.approx(50.0)


def _found(problem_id: str, params: dict[str, Any]) -> dict[str, tuple[str | None, Any]]:
    problem = get_problem(problem_id)
    found = problem.wrong_answers(problem.parse_params(params))
    return {m.tag: (m.part, w.answer) for m, w in found}


def _assert_distinct(problem_id: str, params: dict[str, Any], tags: set[str]) -> None:
    right = solve(problem_id, params).answer
    found = _found(problem_id, params)
    assert set(found) == tags
    wholes: list[Any] = []
    for tag, (part, answer) in found.items():
        whole = dict(right, **{part: answer}) if part else answer
        assert whole != right, tag
        assert whole not in wholes, tag
        wholes.append(whole)


@pytest.mark.parametrize(
    ("params", "tags"),
    [
        ({"name": "mse", "prediction": [1, 2], "target": [0, 0]}, {"sum_not_mean"}),
        (
            {"name": "huber", "prediction": [1, 3], "target": [0, 0], "delta": 2},
            {"sum_not_mean", "huber_smooth_l1_scale"},
        ),
        (
            {"name": "smooth_l1", "prediction": [1, 4], "target": [0, 0], "beta": 3},
            {"sum_not_mean", "huber_smooth_l1_scale"},
        ),
        (
            {"name": "bce", "prediction": [0.9, 0.2], "target": [1, 0], "reduction": "sum"},
            {"mean_not_sum", "used_log10"},
        ),
        (
            {"name": "ce", "prediction": [[1, 2, 3], [0, 1, 0]], "target": [0, 1]},
            {"sum_not_mean", "used_log10", "forgot_label_smoothing"},
        ),
        (
            {"name": "multi_margin", "prediction": [[1, 2, 3], [0, 5, 0]], "target": [0, 1]},
            {"sum_not_mean", "forgot_clamp", "no_divide_by_classes"},
        ),
        (
            {"name": "hinge", "prediction": [0.5, 3], "target": [1, 1]},
            {"sum_not_mean", "forgot_clamp"},
        ),
        (
            {
                "name": "kl",
                "prediction": [[0.5, 0.5], [0.1, 0.9]],
                "target": [[0.2, 0.8], [0.5, 0.5]],
            },
            {"sum_not_mean", "used_log10", "reversed_kl", "elementwise_mean"},
        ),
    ],
)
def test_loss_misconceptions_give_distinct_wrong_answers(
    params: dict[str, Any], tags: set[str]
) -> None:
    if params["name"] == "ce":
        params = dict(params, label_smoothing=0.1)
    _assert_distinct("loss", params, tags)


def test_multi_margin_without_dividing_is_the_svm_loss() -> None:
    params = {"name": "multi_margin", "prediction": [3.2, 5.1, -1.7], "target": 0}
    found = _found("loss", params)
    # the multi-class SVM example: max(0, 5.1 − 3.2 + 1) + max(0, −1.7 − 3.2 + 1) = 2.9
    assert found["no_divide_by_classes"][1] == pytest.approx(2.9)
    assert solve("loss", params).answer == pytest.approx(2.9 / 3)


@pytest.mark.parametrize(
    ("params", "name", "words"),
    [
        ({"name": "mse", "prediction": [1, 2], "target": [1]}, "target", "shape of prediction"),
        ({"name": "bce", "prediction": [1.5], "target": [1]}, "prediction", "between 0 and 1"),
        ({"name": "bce_logits", "prediction": [1.5], "target": [2]}, "target", "between 0 and 1"),
        ({"name": "hinge", "prediction": [1.5], "target": [0]}, "target", "−1 or 1"),
        ({"name": "ce", "prediction": [1, 2], "target": 2}, "target", "from 0 to 1"),
        ({"name": "ce", "prediction": [1, 2], "target": 0.5}, "target", "whole number"),
        ({"name": "ce", "prediction": [[1, 2], [3, 4]], "target": [0]}, "target", "expected 2"),
        ({"name": "ce", "prediction": 3, "target": 0}, "prediction", "logits"),
        (
            {"name": "ce", "prediction": [1, 2], "target": 0, "label_smoothing": 2},
            "label_smoothing",
            "",
        ),
        ({"name": "huber", "prediction": [1], "target": [0], "delta": 0}, "delta", "positive"),
        ({"name": "smooth_l1", "prediction": [1], "target": [0], "beta": -1}, "beta", ""),
        ({"name": "kl", "prediction": [0.5, 0.5], "target": [0.3, 0.3]}, "target", "sum to 1"),
        ({"name": "kl", "prediction": [1.0, 0.0], "target": [0.5, 0.5]}, "prediction", "positive"),
        ({"name": "kl", "prediction": [1.5, -0.5], "target": [0.5, 0.5]}, "prediction", "negative"),
        ({"name": "l1", "prediction": [1], "target": [0]}, "name", ""),
        ({"name": "mse", "prediction": [[1, 2], [3]], "target": [0]}, "prediction", "rectangular"),
        ({"name": "mse", "prediction": [1], "target": [0], "reduction": "none"}, "reduction", ""),
    ],
)
def test_bad_loss_calls_name_the_parameter(params: dict[str, Any], name: str, words: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("loss", params)
    assert err.value.param == name
    assert words in str(err.value)


# --- softmax.cross_entropy -------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(2, 5), batched=st.booleans(), data=st.data())
def test_softmax_cross_entropy_matches_autograd(
    n: int, c: int, batched: bool, data: st.DataObject
) -> None:
    rows = [data.draw(st.lists(reals, min_size=c, max_size=c)) for _ in range(n if batched else 1)]
    labels = [data.draw(st.integers(0, c - 1)) for _ in rows]
    z = t(rows).requires_grad_()
    loss = F.cross_entropy(z, torch.tensor(labels))
    loss.backward()
    assert z.grad is not None
    expected = {
        "softmax": torch.softmax(z, 1).tolist(),
        "loss": loss.item(),
        "grad": z.grad.tolist(),
    }
    if not batched:
        expected["softmax"], expected["grad"] = expected["softmax"][0], expected["grad"][0]
    params = {"logits": rows if batched else rows[0], "target": labels if batched else labels[0]}
    assert_close(solve("softmax.cross_entropy", params).answer, expected)


def test_softmax_cross_entropy_misconceptions() -> None:
    params = {"logits": [[1, 2, 3], [3, 0, -1]], "target": [1, 0]}
    _assert_distinct(
        "softmax.cross_entropy",
        params,
        {
            "wrong_grad_sign",
            "grad_not_averaged",
            "forgot_one_hot",
            "used_log10",
            "summed_loss",
            "gave_probability",
        },
    )
    single = {"logits": [1, 2, 3], "target": 2}
    _assert_distinct(
        "softmax.cross_entropy",
        single,
        {"wrong_grad_sign", "forgot_one_hot", "used_log10", "gave_probability"},
    )


def test_softmax_cross_entropy_bad_calls() -> None:
    for params, name in [
        ({"logits": [1, 2], "target": 3}, "target"),
        ({"logits": [[1, 2], [3, 4]], "target": 1}, "target"),
        ({"logits": 2, "target": 0}, "logits"),
        ({"logits": [1, 2]}, "target"),
    ]:
        with pytest.raises(ProblemError) as err:
            solve("softmax.cross_entropy", params)
        assert err.value.param == name


# --- regularization --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    w=st.lists(st.one_of(reals, st.just(0.0)), min_size=1, max_size=5),
    kind=st.sampled_from(["l1", "l2"]),
    lam=st.floats(0, 2).map(lambda v: round(v, 3)),
    data_loss=st.floats(0, 5).map(lambda v: round(v, 2)),
)
def test_regularization_matches_autograd(
    w: list[float], kind: str, lam: float, data_loss: float
) -> None:
    wt = t(w).requires_grad_()
    penalty = lam * (wt.abs().sum() if kind == "l1" else (wt**2).sum())
    penalty.backward()
    assert wt.grad is not None
    expected = {
        "penalty": penalty.item(),
        "total": data_loss + penalty.item(),
        "grad": wt.grad.tolist(),
    }
    params = {"w": w, "kind": kind, "lam": lam, "data_loss": data_loss}
    assert_close(solve("regularization", params).answer, expected)


def test_regularization_misconceptions_and_bad_calls() -> None:
    _assert_distinct(
        "regularization",
        {"w": [1, -2, 0.5], "kind": "l2", "lam": 0.1, "data_loss": 1},
        {"swapped_l1_l2", "forgot_factor_two", "norm_not_squared", "forgot_data_loss"},
    )
    _assert_distinct("regularization", {"w": [1, -2, 0.5], "lam": 0.1}, {"swapped_l1_l2"})
    assert solve("regularization", {"w": [0, 2], "lam": 0.5}).answer["grad"] == [0.0, 0.5]
    for params, name in [
        ({"w": [1], "lam": -1}, "lam"),
        ({"w": [1]}, "lam"),
        ({"w": [1], "lam": 1, "kind": "l3"}, "kind"),
    ]:
        with pytest.raises(ProblemError) as err:
            solve("regularization", params)
        assert err.value.param == name


# --- dropout.inverted --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    x=st.lists(reals, min_size=1, max_size=6),
    p=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.8]),
    data=st.data(),
)
def test_inverted_dropout_matches_torch(x: list[float], p: float, data: st.DataObject) -> None:
    mask = data.draw(st.lists(st.sampled_from([0, 1]), min_size=len(x), max_size=len(x)))
    # torch's dropout with this mask: its backward kernel keeps masked entries, scales 1/(1 − p)
    expected = torch.ops.aten.native_dropout_backward(
        t(x), torch.tensor(mask, dtype=torch.bool), 1 / (1 - p)
    )
    got = solve("dropout.inverted", {"x": x, "mask": mask, "p": p}).answer
    assert_close(got, expected.tolist())
    assert_close(got, (t(x) * t(mask) / (1 - p)).tolist())


def test_dropout_keeps_the_expected_value_like_torch() -> None:
    torch.manual_seed(0)
    x = torch.ones(200_000, dtype=torch.float64)
    y = F.dropout(x, p=0.3, training=True)
    mask = (y != 0).to(torch.float64)
    assert torch.allclose(y, x * mask / 0.7)
    got = solve("dropout.inverted", {"x": [1.0, 1.0], "mask": [1, 0], "p": 0.3}).answer
    assert got == pytest.approx([1 / 0.7, 0.0])


def test_dropout_misconceptions_and_bad_calls() -> None:
    _assert_distinct(
        "dropout.inverted",
        {"x": [1, 2, 3], "mask": [1, 0, 1], "p": 0.2},
        {"not_scaled", "scaled_wrong_way", "divided_by_p"},
    )
    for params, name in [
        ({"x": [1, 2], "mask": [1], "p": 0.5}, "mask"),
        ({"x": [1, 2], "mask": [1, 2], "p": 0.5}, "mask"),
        ({"x": [1, 2], "mask": [1, 0], "p": 1}, "p"),
        ({"x": [1, 2], "mask": [1, 0], "p": -0.1}, "p"),
    ]:
        with pytest.raises(ProblemError) as err:
            solve("dropout.inverted", params)
        assert err.value.param == name


# --- gd.updates --------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 5000),
    b=st.integers(1, 600),
    epochs=st.integers(0, 20),
    drop_last=st.booleans(),
)
def test_updates_match_the_dataloader(n: int, b: int, epochs: int, drop_last: bool) -> None:
    expected = len(DataLoader(range(n), batch_size=b, drop_last=drop_last)) * epochs  # type: ignore[arg-type]
    got = solve(
        "gd.updates", {"n_samples": n, "batch_size": b, "epochs": epochs, "drop_last": drop_last}
    ).answer
    assert got == expected and isinstance(got, int)


def test_updates_misconceptions_and_bad_calls() -> None:
    _assert_distinct(
        "gd.updates",
        {"n_samples": 1000, "batch_size": 64, "epochs": 3},
        {"forgot_partial_batch", "ignored_epochs", "per_sample_updates", "one_update_per_epoch"},
    )
    _assert_distinct(
        "gd.updates",
        {"n_samples": 1000, "batch_size": 64, "epochs": 3, "drop_last": True},
        {"counted_partial_batch", "ignored_epochs", "per_sample_updates", "one_update_per_epoch"},
    )
    found = _found("gd.updates", {"n_samples": 1000, "batch_size": 64, "epochs": 3})
    assert found["forgot_partial_batch"] == (None, 15 * 3)
    for params, name in [
        ({"n_samples": 0, "batch_size": 4}, "n_samples"),
        ({"n_samples": 10, "batch_size": 2.5}, "batch_size"),
        ({"n_samples": 10, "batch_size": 2, "epochs": -1}, "epochs"),
    ]:
        with pytest.raises(ProblemError) as err:
            solve("gd.updates", params)
        assert err.value.param == name


# --- devices and the command line --------------------------------------------------------------


@requires_cuda
def test_cuda_agrees_with_cpu() -> None:
    calls = [
        ("loss", {"name": "ce", "prediction": [[1, 2, 3], [0, 1, 0]], "target": [0, 1]}),
        ("loss", {"name": "kl", "prediction": [0.5, 0.5], "target": [0.2, 0.8]}),
        ("loss", {"name": "bce_logits", "prediction": [2, -1], "target": [1, 0]}),
        ("softmax.cross_entropy", {"logits": [[1, 2, 3], [3, 0, -1]], "target": [1, 0]}),
        ("regularization", {"w": [1, -2, 0], "kind": "l2", "lam": 0.1}),
        ("dropout.inverted", {"x": [1, 2, 3], "mask": [1, 0, 1], "p": 0.25}),
        ("gd.updates", {"n_samples": 100, "batch_size": 32}),
    ]
    for problem_id, params in calls:
        gpu = solve(problem_id, params, device="cuda")
        assert gpu.verified is not None and gpu.verified.device.startswith("cuda")
        cpu = solve(problem_id, params, device="cpu")
        if isinstance(cpu.answer, int):
            assert gpu.answer == cpu.answer
        else:
            assert_close(gpu.answer, cpu.answer, 1e-6)


def test_cli_json_and_trace(cli: Any) -> None:
    out = cli(
        "solve",
        "loss",
        "name=ce",
        "prediction=[[1, 2, 3], [0, 1, 0]]",
        "target=[0, 1]",
        "label_smoothing=0.1",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    expected = torch_loss(
        {
            "name": "ce",
            "prediction": [[1, 2, 3], [0, 1, 0]],
            "target": [0, 1],
            "label_smoothing": 0.1,
        }
    )
    assert data["answer"] == pytest.approx(expected, rel=1e-12)
    assert data["params"]["target"] == [0, 1] and data["params"]["reduction"] == "mean"
    human = cli("solve", "gd.updates", "n_samples=1000", "batch_size=64", "epochs=3")
    assert human.returncode == 0, human.stderr
    assert "Answer: 48" in human.stdout
    bad = cli("solve", "loss", "name=hinge", "prediction=[1]", "target=[0]")
    assert bad.returncode == 2 and "target" in bad.stderr and bad.stderr.count("\n") == 1
