"""`revise check` through the command line, as a person or a script calls it."""

from __future__ import annotations

import json

import pytest

CONTRACT_KEYS = {"correct", "score", "expected", "parsed", "feedback", "misconception"}


def test_a_right_answer_as_json(cli) -> None:
    out = cli(
        "check",
        "conv2d.output_size",
        "size=32",
        "kernel=5",
        "padding=2",
        "--answer",
        "32",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert CONTRACT_KEYS <= set(data)
    assert data["correct"] is True and data["score"] == 1 and data["expected"] == 32
    assert data["parsed"] == 32 and data["misconception"] is None


def test_a_misconception_as_json_exits_0(cli) -> None:
    out = cli(
        "check",
        "conv2d.output_size",
        "size=32",
        "kernel=5",
        "padding=2",
        "--answer",
        "28",
        "--json",
    )
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert data["correct"] is False and data["score"] == 0
    assert data["misconception"] == "ignored_padding"
    assert "padding" in data["feedback"]


def test_an_unreadable_answer_exits_0_with_parsed_null(cli) -> None:
    out = cli(
        "check",
        "conv2d.output_size",
        "size=32",
        "kernel=5",
        "--answer",
        "__import__('os')",
        "--json",
    )
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert data["parsed"] is None and data["score"] == 0 and data["correct"] is False
    assert "Write a size" in data["feedback"]


def test_a_part_and_a_friendly_sentence(cli) -> None:
    out = cli(
        "check", "hessian.critical_point", "f=x^2 + 3x y + y^2", "point=[0, 0]",
        "--part", "hessian", "--answer", "2 3; 3 5",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Your answer was read as:" in out.stdout
    assert "⎡2  3⎤" in out.stdout and "row 2, column 2 (you gave 5)" in out.stdout
    assert "The answer:" in out.stdout


def test_a_right_answer_for_a_person(cli) -> None:
    out = cli(
        "check",
        "derivative",
        "f=x^2 sin(3x)",
        "--part",
        "derivative",
        "--answer",
        "x(3x cos(3x) + 2 sin(3x))",
    )
    assert out.returncode == 0, out.stderr
    assert "read as: x·(3·x·cos(3·x) + 2·sin(3·x))" in out.stdout
    assert "✓ Correct" in out.stdout


def test_full_width_input_from_the_command_line(cli) -> None:
    out = cli(
        "check",
        "conv2d.output_size",
        "size=32",
        "kernel=5",
        "padding=2",
        "--answer",
        "３２×３２",
        "--json",
    )
    assert json.loads(out.stdout)["correct"] is True


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["check", "no.such.problem", "--answer", "1"], "no.such.problem"),
        (["check", "conv2d.output_size", "size=32", "--answer", "1"], "kernel"),
        (["check", "conv2d.output_size", "size=-1", "kernel=3", "--answer", "1"], "size"),
        (
            [
                "check",
                "hessian.critical_point",
                "f=x^2+y^2",
                "point=[0,0]",
                "--part",
                "nope",
                "--answer",
                "1",
            ],
            "part",
        ),
        (["check", "hessian.critical_point", "f=x^2+y^2", "point=[1,0]", "--answer", "1"], "point"),
        (["check", "derivative", "f=__import__('os')", "--answer", "1"], "f"),
        (["check", "conv2d.output_size", "size=32", "kernel=3"], "--answer"),
    ],
)
def test_bad_calls_exit_2_with_one_line(cli, args: list[str], names: str) -> None:
    out = cli(*args)
    assert out.returncode == 2, out.stdout
    assert names in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr
