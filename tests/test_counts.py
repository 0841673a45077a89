"""Parameter counts against the numel() of real torch modules built here, and their misconceptions."""

from __future__ import annotations

import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from engine.errors import ProblemError
from engine.registry import get_problem
from engine.solve import solve
from tests.conftest import requires_cuda


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def answer(problem_id: str, **params: object) -> object:
    return solve(problem_id, params, verify=False).answer


def wrong_answers(problem_id: str, **params: object) -> dict[str, object]:
    problem = get_problem(problem_id)
    return {m.tag: w.answer for m, w in problem.wrong_answers(problem.parse_params(params))}


# --- single layers ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(n_in=st.integers(1, 300), n_out=st.integers(1, 300), bias=st.booleans())
def test_linear_matches_torch(n_in: int, n_out: int, bias: bool) -> None:
    expected = numel(nn.Linear(n_in, n_out, bias=bias))
    assert answer("params.linear", in_features=n_in, out_features=n_out, bias=bias) == expected


@settings(max_examples=50, deadline=None)
@given(v=st.integers(1, 5000), d=st.integers(1, 64))
def test_embedding_matches_torch(v: int, d: int) -> None:
    expected = numel(nn.Embedding(v, d))
    assert answer("params.embedding", num_embeddings=v, embedding_dim=d) == expected


@settings(max_examples=50, deadline=None)
@given(c=st.integers(1, 512), affine=st.booleans())
def test_batchnorm_matches_torch(c: int, affine: bool) -> None:
    layer = nn.BatchNorm2d(c, affine=affine)
    running = layer.running_mean.numel() + layer.running_var.numel()  # type: ignore[union-attr]
    got = answer("params.batchnorm", num_features=c, affine=affine)
    assert got == {"learnable": numel(layer), "running": running}
    # num_batches_tracked is a buffer too, but a counter, not a running statistic
    assert sum(b.numel() for b in layer.buffers()) == running + 1


def test_huge_layers_are_counted_without_allocating_them() -> None:
    # 10⁷ × 10⁷ weights would need 800 TB; the reference builds it on the meta device
    got = solve("params.linear", {"in_features": 10**7, "out_features": 10**7})
    assert got.answer == 10**14 + 10**7


# --- recurrent layers ------------------------------------------------------------------------

CELLS = {"rnn": (nn.RNN, 1), "lstm": (nn.LSTM, 4), "gru": (nn.GRU, 3)}

rnn_configs = st.fixed_dictionaries(
    {
        "cell": st.sampled_from(sorted(CELLS)),
        "input_size": st.integers(1, 24),
        "hidden_size": st.integers(1, 24),
        "num_layers": st.integers(1, 4),
        "bidirectional": st.booleans(),
        "bias": st.booleans(),
    }
)


def textbook_count(cell: str, x: int, h: int, layers: int, bidirectional: bool, bias: bool) -> int:
    """G·(h·(h + x) + h) per layer and direction, one bias per gate; layer l > 1 reads h·D."""
    gates = CELLS[cell][1]
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(layers):
        inputs = x if layer == 0 else h * directions
        per_direction = gates * (h * (h + inputs) + (h if bias else 0))
        total += directions * per_direction
    return total


@settings(max_examples=80, deadline=None)
@given(config=rnn_configs)
def test_rnn_pytorch_convention_matches_torch(config: dict) -> None:
    cls = CELLS[config["cell"]][0]
    module = cls(
        config["input_size"],
        config["hidden_size"],
        num_layers=config["num_layers"],
        bidirectional=config["bidirectional"],
        bias=config["bias"],
    )
    assert answer("params.rnn", **config) == numel(module)


@settings(max_examples=60, deadline=None)
@given(config=rnn_configs)
def test_rnn_textbook_convention_matches_the_textbook_formula(config: dict) -> None:
    expected = textbook_count(
        config["cell"],
        config["input_size"],
        config["hidden_size"],
        config["num_layers"],
        config["bidirectional"],
        config["bias"],
    )
    assert answer("params.rnn", **config, convention="textbook") == expected


def test_convention_one_or_two_rnn_biases() -> None:
    # LSTM, x = 10, h = 20: PyTorch 4·(20·10 + 20·20 + 20 + 20), textbook 4·(20·(20 + 10) + 20)
    lstm = nn.LSTM(10, 20)
    assert answer("params.rnn", cell="lstm", input_size=10, hidden_size=20) == numel(lstm) == 2560
    textbook = answer(
        "params.rnn", cell="lstm", input_size=10, hidden_size=20, convention="textbook"
    )
    assert textbook == 2480 == numel(lstm) - lstm.bias_hh_l0.numel()
    # without biases the two conventions agree
    for convention in ("pytorch", "textbook"):
        got = answer(
            "params.rnn",
            cell="gru",
            input_size=5,
            hidden_size=7,
            bias=False,
            convention=convention,
        )
        assert got == numel(nn.GRU(5, 7, bias=False))


def test_rnn_misconceptions_give_distinct_wrong_answers() -> None:
    # a 2-layer bidirectional LSTM, x = 10, h = 20 (right answer: 2·(2560 + 4960) = 15040)
    config = {
        "cell": "lstm",
        "input_size": 10,
        "hidden_size": 20,
        "num_layers": 2,
        "bidirectional": True,
    }
    right = answer("params.rnn", **config)
    assert right == numel(nn.LSTM(10, 20, num_layers=2, bidirectional=True)) == 15040
    wrong = wrong_answers("params.rnn", **config)
    assert wrong["single_bias"] == textbook_count("lstm", 10, 20, 2, True, True)
    assert wrong["wrong_gate_count"] == numel(nn.LSTM(10, 20, 2, bidirectional=True)) // 4 * 3
    assert wrong["forgot_bias"] == numel(nn.LSTM(10, 20, 2, bias=False, bidirectional=True))
    assert wrong["forgot_bidirectional"] == numel(nn.LSTM(10, 20, num_layers=2))
    assert wrong["one_layer_only"] == numel(nn.LSTM(10, 20, bidirectional=True))
    # layer 2 wrongly read 10 inputs instead of 2·20
    assert wrong["wrong_layer_input"] == 2 * 2560 + 2 * 4 * (20 * 10 + 20 * 20 + 40)
    values = list(wrong.values())
    assert right not in values and len(set(values)) == len(values)
    assert "double_bias" not in wrong

    textbook = wrong_answers("params.rnn", **config, convention="textbook")
    assert textbook["double_bias"] == right and "single_bias" not in textbook


def test_gru_counted_with_four_gates_is_wrong_gate_count() -> None:
    wrong = wrong_answers("params.rnn", cell="gru", input_size=3, hidden_size=5)
    assert wrong["wrong_gate_count"] == numel(nn.LSTM(3, 5))
    assert "wrong_gate_count" not in wrong_answers("params.rnn", input_size=3, hidden_size=5)


# --- whole networks --------------------------------------------------------------------------


def layer_counts(problem_answer: dict) -> dict[str, int]:
    return {layer["name"]: layer["params"] for layer in problem_answer["layers"]}


def test_modern_lenet5_layer_by_layer() -> None:
    net = {
        "conv1": nn.Conv2d(1, 6, 5),
        "pool1": nn.AvgPool2d(2),
        "conv2": nn.Conv2d(6, 16, 5),
        "pool2": nn.AvgPool2d(2),
        "fc1": nn.Linear(400, 120),
        "fc2": nn.Linear(120, 84),
        "fc3": nn.Linear(84, 10),
    }
    got = answer("params.network", name="lenet5", variant="modern")
    assert isinstance(got, dict)
    assert layer_counts(got) == {name: numel(m) for name, m in net.items()}
    assert got["total"] == 61706


def test_original_lenet5_counts_the_papers_60000() -> None:
    got = answer("params.network", name="lenet5", variant="original")
    assert isinstance(got, dict)
    layers = layer_counts(got)
    assert layers["C1"] == numel(nn.Conv2d(1, 6, 5))
    # S2/S4: one coefficient and one bias per map, as a depthwise 1×1 convolution
    assert layers["S2"] == numel(nn.Conv2d(6, 6, 1, groups=6)) == 12
    assert layers["S4"] == numel(nn.Conv2d(16, 16, 1, groups=16)) == 32
    # C3 through LeCun's connection table: 6 maps read 3 S2 maps, 9 read 4, 1 reads 6
    partial = [nn.Conv2d(k, 1, 5) for k in [3] * 6 + [4] * 9 + [6]]
    assert layers["C3"] == sum(numel(m) for m in partial) == 1516
    assert layers["C5"] == numel(nn.Conv2d(16, 120, 5))
    assert layers["F6"] == numel(nn.Linear(120, 84))
    assert layers["OUTPUT"] == 0  # the RBF centres are fixed, not trained
    assert got["total"] == 60000


def alexnet_convs(variant: str) -> dict[str, nn.Module]:
    with torch.device("meta"):
        if variant == "torchvision":
            convs = [(3, 64, 11, 1), (64, 192, 5, 1), (192, 384, 3, 1), (384, 256, 3, 1)]
            convs.append((256, 256, 3, 1))
        else:
            g = 2 if variant == "original" else 1
            convs = [(3, 96, 11, 1), (96, 256, 5, g), (256, 384, 3, 1), (384, 384, 3, g)]
            convs.append((384, 256, 3, g))
        layers = {
            f"conv{i}": nn.Conv2d(c_in, c_out, k, groups=g)
            for i, (c_in, c_out, k, g) in enumerate(convs, start=1)
        }
        layers["fc6"] = nn.Linear(256 * 6 * 6, 4096)
        layers["fc7"] = nn.Linear(4096, 4096)
        layers["fc8"] = nn.Linear(4096, 1000)
    return layers


@pytest.mark.parametrize(
    ("variant", "total"),
    [("original", 60_965_224), ("ungrouped", 62_378_344), ("torchvision", 61_100_840)],
)
def test_alexnet_variants(variant: str, total: int) -> None:
    got = solve("params.network", {"name": "alexnet", "variant": variant}).answer
    expected = {name: numel(m) for name, m in alexnet_convs(variant).items()}
    assert layer_counts(got) == expected
    assert got["total"] == sum(expected.values()) == total


def test_network_trace_is_a_table_of_layers() -> None:
    steps = solve("params.network", {"name": "alexnet"}, verify=False).steps
    assert steps[0].title == "Architecture" and "two GPUs" in steps[0].value
    conv2 = next(s for s in steps if s.title.startswith("conv2"))
    assert r"\frac{96}{2}" in conv2.substituted and conv2.value == 307456
    assert steps[-1].title.startswith("Total") and steps[-1].value == 60_965_224
    assert len([s for s in steps if s.formula]) == 8 + 1


def test_network_misconceptions() -> None:
    lenet = wrong_answers("params.network", name="lenet5", variant="original")
    assert lenet["full_c3"] == 60000 - 1516 + (5 * 5 * 6 + 1) * 16
    assert lenet["counted_rbf_centres"] == 60840
    assert lenet["untrained_subsampling"] == 60000 - 44
    assert lenet["forgot_bias"] == 60000 - (6 + 6 + 16 + 16 + 120 + 84)
    assert len(set(lenet.values())) == len(lenet)
    alexnet = wrong_answers("params.network", name="alexnet", variant="original")
    assert alexnet["ignored_groups"] == 62_378_344
    assert "ignored_groups" not in wrong_answers(
        "params.network", name="alexnet", variant="ungrouped"
    )


# --- misconceptions of single layers ---------------------------------------------------------


def test_layer_misconceptions() -> None:
    linear = wrong_answers("params.linear", in_features=5, out_features=3)
    assert linear == {"forgot_bias": 15, "bias_per_input": 20}
    assert wrong_answers("params.linear", in_features=5, out_features=3, bias=False) == {
        "extra_bias": 18
    }
    assert wrong_answers("params.embedding", num_embeddings=100, embedding_dim=8) == {
        "added_bias": 808
    }
    bn = wrong_answers("params.batchnorm", num_features=64)
    assert bn == {"running_as_learnable": 256, "forgot_beta": 64, "counted_batch_counter": 129}
    parts = {m.tag: m.part for m in get_problem("params.batchnorm").misconceptions}
    assert parts["counted_batch_counter"] == "running" and parts["forgot_beta"] == "learnable"
    assert wrong_answers("params.batchnorm", num_features=64, affine=False)["ignored_affine"] == 128


# --- bad calls -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problem_id", "params", "param"),
    [
        ("params.linear", {"in_features": 0, "out_features": 3}, "in_features"),
        ("params.linear", {"in_features": 3}, "out_features"),
        ("params.linear", {"in_features": 3, "out_features": 2, "bais": True}, "bais"),
        ("params.embedding", {"num_embeddings": -1, "embedding_dim": 3}, "num_embeddings"),
        ("params.batchnorm", {"num_features": 2.5}, "num_features"),
        ("params.rnn", {"cell": "transformer", "input_size": 3, "hidden_size": 4}, "cell"),
        ("params.rnn", {"input_size": 3, "hidden_size": 10**9}, "hidden_size"),
        ("params.rnn", {"input_size": 3, "hidden_size": 4, "convention": "keras"}, "convention"),
        ("params.network", {"name": "lenet5", "variant": "torchvision"}, "variant"),
        ("params.network", {"name": "vgg16"}, "name"),
    ],
)
def test_bad_calls_name_the_parameter(problem_id: str, params: dict, param: str) -> None:
    with pytest.raises(ProblemError) as info:
        solve(problem_id, params)
    assert info.value.param == param
    assert "\n" not in str(info.value)


# --- devices and the command line ------------------------------------------------------------


@requires_cuda
def test_cuda_matches_cpu() -> None:
    for problem_id, params in [
        ("params.linear", {"in_features": 7, "out_features": 3}),
        ("params.batchnorm", {"num_features": 16}),
        ("params.rnn", {"cell": "gru", "input_size": 4, "hidden_size": 6, "num_layers": 2}),
        ("params.network", {"name": "lenet5", "variant": "original"}),
    ]:
        on_gpu = solve(problem_id, params, device="cuda")
        on_cpu = solve(problem_id, params, device="cpu")
        assert on_gpu.verified is not None and on_gpu.verified.device.startswith("cuda")
        assert on_gpu.answer == on_cpu.answer


def test_cli_json_and_human_output(cli) -> None:
    done = cli(
        "solve",
        "params.rnn",
        "cell=lstm",
        "input_size=10",
        "hidden_size=20",
        "convention=textbook",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["answer"] == 2480
    assert data["params"]["num_layers"] == 1 and data["params"]["bias"] is True
    assert data["verified"]["max_abs_diff"] == 0

    human = cli("solve", "params.network", "name=lenet5", "variant=modern")
    assert human.returncode == 0, human.stderr
    assert "61706" in human.stdout and "fc1" in human.stdout

    bad = cli("solve", "params.network", "name=alexnet", "variant=modern")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "variant" in bad.stderr
