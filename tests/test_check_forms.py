"""Answers as students write them: feature-map shapes either way round, answers that start with
a minus sign, and parts picked by list index (`--part layers.2.output_shape`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from torch import nn

from engine.checking import check
from engine.checking.parts import put, resolve
from engine.errors import ProblemError

STACK = {"input": [3, 227, 227], "layers": "conv(96,11,s=4) relu pool(3,s=2)"}


def conv1_shape() -> list[int]:
    y = nn.Conv2d(3, 96, 11, stride=4)(torch.zeros(1, 3, 227, 227))
    return list(y.shape[1:])


@pytest.mark.parametrize(
    ("typed", "order"),
    [("96x55x55", "channels first"), ("96×55×55", "channels first"),
     ("55x55x96", "channels last"), ("55×55×96", "channels last"), ("(55, 55, 96)", "channels last"),
     ("[96, 55, 55]", "channels first")],
)  # fmt: skip
def test_a_feature_map_shape_is_read_channels_first_or_last(typed: str, order: str) -> None:
    assert conv1_shape() == [96, 55, 55]
    result = check("network.summary", STACK, typed, part="layers.0.output_shape")
    assert result.correct, result.feedback
    assert order in result.feedback


def test_a_wrong_shape_says_how_it_was_read() -> None:
    result = check("network.summary", STACK, "54x54x96", part="layers.0.output_shape")
    assert not result.correct
    assert "channels first" in result.feedback and "channels last was tried" in result.feedback


def test_the_final_output_shape_is_a_feature_map_part_too() -> None:
    result = check("network.summary", STACK, "27x27x96", part="output_shape")
    assert result.correct and "channels last" in result.feedback


def test_a_shape_that_is_not_a_feature_map_keeps_its_order() -> None:
    # conv2d.forward answers are matrices: 2x3 there is not a shape to turn around
    params = {"x": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "w": [[1, 0], [0, 1]]}
    result = check("conv2d.forward", params, "[[6, 8], [12, 14]]")
    assert result.correct and "channels" not in result.feedback


def test_parts_by_list_index_in_nested_answers() -> None:
    expected = {"grads": {"weights": [[[1.0]], [[2.0, 3.0]]]}, "params": [7, 8]}
    assert resolve(expected, "grads.weights.0") == ("grads.weights.0", [[1.0]])
    assert resolve(expected, "grads.weights.1") == ("grads.weights.1", [[2.0, 3.0]])
    assert resolve(expected, "params.1") == ("params.1", 8)
    assert resolve(expected, "params") == ("params", [7, 8])
    assert resolve(expected, "params.2") is None and resolve(expected, "params.x") is None
    put(expected, "grads.weights.1", [[0.0, 0.0]])
    assert expected["grads"]["weights"][1] == [[0.0, 0.0]]


def test_part_of_a_layer_and_a_list_part_whole() -> None:
    pool = nn.MaxPool2d(3, stride=2)(torch.zeros(1, 96, 55, 55))
    result = check("network.summary", STACK, "96x27x27", part="layers.2.output_shape")
    assert result.correct and list(pool.shape[1:]) == [96, 27, 27]
    params = (11 * 11 * 3 + 1) * 96
    assert check("network.summary", STACK, str(params), part="layers.0.params").correct
    # params.network's layers: one entry's count, and the list checked whole as JSON
    assert check("params.network", {"name": "lenet5"}, "156", part="layers.0.params").correct
    whole = check("network.summary", STACK, "[96, 27, 27]", part="output_shape")
    assert whole.correct


def test_a_misconception_is_named_for_one_layers_part() -> None:
    result = check("network.summary", STACK, str(11 * 11 * 3 * 96), part="layers.0.params")
    assert not result.correct and result.misconception == "forgot_bias"


def test_an_index_past_the_end_is_a_bad_call() -> None:
    with pytest.raises(ProblemError) as err:
        check("network.summary", STACK, "1", part="layers.9.params")
    assert "layers.0" in str(err.value)


@pytest.mark.parametrize("form", [["--answer", "-1/4"], ["--answer=-1/4"]])
def test_an_answer_starting_with_minus_is_an_answer(cli: Any, form: list[str]) -> None:
    out = cli("check", "activation", "name=tanh", "x=-0.2554", *form, "--part", "derivative",
              "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["parsed"] == -0.25
    out = cli("check", "loss", "name=mse", "prediction=[0.5]", "target=[1]", *form, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["parsed"] == -0.25


def test_part_with_an_index_from_the_command_line(cli: Any) -> None:
    out = cli("check", "network.summary", "input=[3,227,227]", f"layers={STACK['layers']}",
              "--part", "layers.2.output_shape", "--answer", "27x27x96", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["correct"] is True and data["part"] == "layers.2.output_shape"
    assert "channels last" in data["feedback"]


def test_a_list_of_layers_checked_whole_as_json_is_shown_as_json() -> None:
    conv = nn.Conv2d(3, 4, 3)
    shape = list(conv(torch.zeros(1, 3, 16, 16)).shape[1:])
    params = sum(p.numel() for p in conv.parameters())
    typed = json.dumps(
        [{"name": "conv1", "output_shape": shape, "params": params, "macs": 4 * 14 * 14 * 27,
          "receptive_field": 3}]
    )  # fmt: skip
    result = check("network.summary", {"input": [3, 16, 16], "layers": "conv(4,3)"}, typed,
                   part="layers")  # fmt: skip
    assert result.correct, result.feedback
    assert result.shown is not None and result.shown.startswith('[{"name": "conv1"')
