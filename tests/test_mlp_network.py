"""mlp.network against torch autograd through real nn.Linear stacks, computed here."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ProblemError
from engine.checking import check
from engine.solve import solve
from tests.conftest import requires_cuda
from tests.torch_support import assert_close

ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda z: z,
    "softmax": lambda z: torch.softmax(z, dim=0),
}


def torch_network(
    params: dict[str, Any],
    *,
    straight_through_output: bool = False,
    straight_through_hidden: bool = False,
) -> dict[str, Any]:
    """The network as nn.Linear layers, the loss as torch defines it, δ and grads by autograd.

    A straight-through activation keeps its value but passes the gradient unchanged
    (a + (f(z) − z).detach() = f(z) with ∂a/∂z = 1): the backward pass of a student who forgot
    that derivative.
    """
    layers = []
    for i, w in enumerate(params["weights"]):
        w_t = torch.tensor(w, dtype=torch.float64)
        lin = torch.nn.Linear(w_t.shape[1], w_t.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(w_t)
            biases = params.get("biases")
            b = 0.0 if biases is None else biases[i]
            lin.bias.copy_(torch.tensor(b, dtype=torch.float64).expand(w_t.shape[0]))
        layers.append(lin)
    acts = params["activations"]
    slope = params.get("slope", 0.01)
    a = torch.tensor(params["x"], dtype=torch.float64)
    zs, as_ = [], []
    for i, (lin, name) in enumerate(zip(layers, acts)):
        z = lin(a)
        z.retain_grad()
        if name == "leaky_relu":
            out = torch.nn.functional.leaky_relu(z, slope)
        else:
            out = ACT[name](z)
        last = i == len(layers) - 1
        if (last and straight_through_output) or (not last and straight_through_hidden):
            out = z + (out - z).detach()
        zs.append(z)
        as_.append(out)
        a = out
    loss_name = params.get("loss", "squared")
    if loss_name == "ce":
        loss = torch.nn.CrossEntropyLoss()(zs[-1].unsqueeze(0), torch.tensor([params["y"]]))
    elif loss_name == "bce":
        loss = torch.nn.BCELoss(reduction="sum")(a, torch.tensor(params["y"], dtype=torch.float64))
    else:
        y = torch.tensor(params["y"], dtype=torch.float64)
        loss = torch.nn.MSELoss(reduction="sum" if loss_name == "squared" else "mean")(a, y)
        if loss_name == "squared":
            loss = 0.5 * loss
    loss.backward()
    out: dict[str, Any] = {
        "loss": loss.item(),
        "z": [z.tolist() for z in zs],
        "a": [v.tolist() for v in as_],
        "deltas": [z.grad.tolist() for z in zs],  # type: ignore[union-attr]
        "grads": {
            "weights": [lin.weight.grad.tolist() for lin in layers],  # type: ignore[union-attr]
            "biases": [lin.bias.grad.tolist() for lin in layers],  # type: ignore[union-attr]
        },
    }
    if params.get("lr") is not None:
        optimiser = torch.optim.SGD([p for lin in layers for p in lin.parameters()], params["lr"])
        optimiser.step()
        out["updated"] = {
            "weights": [lin.weight.tolist() for lin in layers],
            "biases": [lin.bias.tolist() for lin in layers],
        }
    return out


CLASSIC = {
    "x": [0.05, 0.10],
    "y": [0.01, 0.99],
    "weights": [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]],
    "biases": [0.35, 0.60],
    "activations": ["sigmoid", "sigmoid"],
    "loss": "squared",
    "lr": 0.5,
}


def test_the_classic_two_two_two_example_is_one_call() -> None:
    answer = solve("mlp.network", CLASSIC).answer
    assert_close(answer, torch_network(CLASSIC))
    # the published walk-through's headline figures, to the digits it prints
    assert answer["loss"] == pytest.approx(0.298371109, abs=1e-9)
    assert answer["updated"]["weights"][1][0][0] == pytest.approx(0.35891648, abs=1e-8)
    assert answer["updated"]["weights"][0][0][0] == pytest.approx(0.149780716, abs=1e-9)


def test_answer_keys_follow_the_contract() -> None:
    answer = solve("mlp.network", CLASSIC).answer
    assert set(answer) == {"loss", "z", "a", "deltas", "grads", "updated"}
    assert set(answer["grads"]) == set(answer["updated"]) == {"weights", "biases"}
    without_lr = solve("mlp.network", dict(CLASSIC, lr=None)).answer
    assert "updated" not in without_lr


reals = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 2))


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    depth = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 3)) for _ in range(depth + 1)]
    loss = draw(st.sampled_from(["squared", "mse", "ce", "bce"]))
    hidden = st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "linear"])
    acts = [draw(hidden) for _ in range(depth - 1)]
    if loss == "ce":
        sizes[-1] = max(sizes[-1], 2)
        acts.append("softmax")
    elif loss == "bce":
        acts.append("sigmoid")
    else:
        acts.append(draw(st.sampled_from(["sigmoid", "tanh", "relu", "linear", "softmax"])))

    def vec(n: int) -> list[float]:
        return draw(st.lists(reals, min_size=n, max_size=n))

    out = sizes[-1]
    if loss == "ce":
        y: Any = draw(st.integers(0, out - 1))
    elif loss == "bce":
        y = draw(st.lists(st.sampled_from([0.0, 1.0, 0.25]), min_size=out, max_size=out))
    else:
        y = vec(out)
    return {
        "x": vec(sizes[0]),
        "y": y,
        "weights": [[vec(sizes[i]) for _ in range(sizes[i + 1])] for i in range(depth)],
        "biases": [vec(sizes[i + 1]) for i in range(depth)],
        "activations": acts,
        "slope": draw(st.sampled_from([0.01, 0.1, 0.2])),
        "loss": loss,
        "lr": draw(st.sampled_from([None, 0.1, 0.5])),
    }


@settings(max_examples=120, deadline=None)
@given(params=networks())
def test_network_matches_autograd(params: dict[str, Any]) -> None:
    assert_close(solve("mlp.network", params).answer, torch_network(params))


def test_one_hidden_layer_agrees_with_mlp_backprop() -> None:
    """mlp.backprop is the special case of one sigmoid hidden layer and a linear output."""
    params = {"x": [1.0, -2.0], "y": [1.0, 0.0], "w1": [[0.1, 0.2], [0.4, -0.5]]}
    params |= {"b1": [0.0, 0.1], "w2": [[0.7, -0.8], [0.9, 1.0]], "b2": [0.0, 0.1]}
    old = solve("mlp.backprop", params).answer
    new = solve(
        "mlp.network",
        {
            "x": params["x"],
            "y": params["y"],
            "weights": [params["w1"], params["w2"]],
            "biases": [params["b1"], params["b2"]],
            "activations": ["sigmoid", "linear"],
        },
    ).answer
    assert_close(new["grads"]["weights"], [old["grads"]["w1"], old["grads"]["w2"]])
    assert new["loss"] == pytest.approx(old["loss"])


def test_the_trace_writes_the_chain_rule_once_then_layer_by_layer() -> None:
    steps = solve("mlp.network", CLASSIC).steps
    titles = [s.title for s in steps]
    chain = [s for s in steps if s.title.startswith("Chain rule")]
    assert len(chain) == 1
    # ∂L/∂w = ∂L/∂a · ∂a/∂z · ∂z/∂w: three factors in symbols, three numbers put in
    assert chain[0].formula.count(r"\partial") == 8 and chain[0].substituted.count(r"\cdot") == 2
    for k in (1, 2):
        assert f"Layer {k}: pre-activation" in titles and f"Gradient of W{'₁₂'[k - 1]}" in titles
    assert "Error of layer 1" in titles and "Updated W₂" in titles


def sig4(value: Any) -> Any:
    """A student's answer at 4 significant figures."""
    if isinstance(value, dict):
        return {k: sig4(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sig4(v) for v in value]
    return float(f"{value:.4g}")


def _named(params: dict[str, Any], answer: Any, part: str | None) -> str | None:
    result = check("mlp.network", params, json.dumps(sig4(answer)), part)
    assert not result.correct
    return result.misconception


def test_forgot_the_derivative_of_the_output_sigmoid_is_named() -> None:
    wrong = torch_network(CLASSIC, straight_through_output=True)
    assert _named(CLASSIC, wrong["grads"]["weights"], "grads.weights") == (
        "forgot_output_derivative"
    )
    assert _named(CLASSIC, wrong["deltas"], "deltas") == "forgot_output_derivative"


def test_forgot_the_hidden_derivative_is_named() -> None:
    wrong = torch_network(CLASSIC, straight_through_hidden=True)
    assert _named(CLASSIC, wrong["grads"]["weights"], "grads.weights") == (
        "forgot_activation_derivative"
    )


def test_backpropagating_through_updated_weights_is_named() -> None:
    right = torch_network(CLASSIC)
    w2_new = torch.tensor(right["updated"]["weights"][1], dtype=torch.float64)
    a1 = torch.tensor(right["a"][0], dtype=torch.float64)
    delta1 = (w2_new.T @ torch.tensor(right["deltas"][1], dtype=torch.float64)) * a1 * (1 - a1)
    dw1 = torch.outer(delta1, torch.tensor(CLASSIC["x"], dtype=torch.float64))
    # W₁'s update is too small here to tell at two decimals; its gradient is not
    student = [dw1.tolist(), right["grads"]["weights"][1]]
    assert _named(CLASSIC, student, "grads.weights") == "used_updated_weights"


def test_bce_after_a_sigmoid_needs_no_extra_derivative() -> None:
    params = dict(CLASSIC, loss="bce", y=[0.0, 1.0], lr=None)
    right = torch_network(params)
    a1, a2 = (torch.tensor(a, dtype=torch.float64) for a in right["a"])
    delta2 = torch.tensor(right["deltas"][1], dtype=torch.float64) * a2 * (1 - a2)
    w2 = torch.tensor(params["weights"][1], dtype=torch.float64)
    delta1 = (w2.T @ delta2) * a1 * (1 - a1)
    assert _named(params, [delta1.tolist(), delta2.tolist()], "deltas") == (
        "extra_output_derivative"
    )


@pytest.mark.parametrize(
    ("change", "name", "words"),
    [
        ({"weights": [[[0.1, 0.2, 0.3]]]}, "weights", "W_1 needs 2 columns"),
        ({"activations": ["sigmoid"] * 3}, "activations", "expected 2 names"),
        ({"activations": ["softmax", "sigmoid"]}, "activations", "last layer"),
        ({"activations": ["sigmoid", "swish"]}, "activations", "not one of"),
        ({"loss": "ce", "y": 1}, "activations", "softmax"),
        ({"loss": "bce", "activations": ["sigmoid", "tanh"]}, "activations", "sigmoid"),
        ({"loss": "bce", "y": [2.0, 0.0]}, "y", "between 0 and 1"),
        ({"y": [1.0]}, "y", "expected 2 target"),
        ({"biases": [[0.1, 0.2, 0.3], 0.6]}, "biases", "b_1 needs 2 numbers"),
        ({"lr": -0.1}, "lr", "positive"),
        ({"weights": [[[0.1, 0.2]], "oops"]}, "weights", "W_2"),
    ],
)
def test_bad_calls_name_the_parameter(change: dict[str, Any], name: str, words: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("mlp.network", dict(CLASSIC, **change))
    assert err.value.param == name
    assert words in str(err.value)


def test_one_activation_name_serves_every_layer() -> None:
    one = solve("mlp.network", dict(CLASSIC, activations="sigmoid")).answer
    assert one == solve("mlp.network", CLASSIC).answer


@requires_cuda
def test_cuda_agrees_with_cpu() -> None:
    gpu = solve("mlp.network", CLASSIC, device="cuda")
    assert gpu.verified is not None and gpu.verified.device.startswith("cuda")
    assert_close(gpu.answer, solve("mlp.network", CLASSIC, device="cpu").answer, 1e-9)


def test_cli_classic_example(cli: Any) -> None:
    args = [f"{k}={json.dumps(v)}" for k, v in CLASSIC.items()]
    out = cli("solve", "mlp.network", *args, "--json")
    assert out.returncode == 0, out.stderr
    assert_close(json.loads(out.stdout)["answer"], torch_network(CLASSIC))
    human = cli("solve", "mlp.network", *args)
    assert human.returncode == 0 and "δ₂" in human.stdout and "Answer" in human.stdout
    bad = cli("solve", "mlp.network", *args, 'activations=["softmax","sigmoid"]')
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_dropping_the_half_of_the_squared_loss_is_named() -> None:
    right = torch_network(CLASSIC)
    doubled = [[[2 * v for v in row] for row in w] for w in right["grads"]["weights"]]
    assert _named(CLASSIC, doubled, "grads.weights") == "forgot_half"


def test_adding_the_gradient_is_named() -> None:
    right = torch_network(CLASSIC)
    ascended = [
        (torch.tensor(w, dtype=torch.float64) + CLASSIC["lr"] * torch.tensor(g)).tolist()
        for w, g in zip(CLASSIC["weights"], right["grads"]["weights"])
    ]
    assert _named(CLASSIC, ascended, "updated.weights") == "gradient_ascent"
