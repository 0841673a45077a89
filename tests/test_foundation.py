"""The package layout: light imports, dependency direction, and the command line's error handling."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return set(out)


@pytest.mark.parametrize(
    "code",
    [
        "import revise.cli",
        "from revise.cli import build_parser; build_parser()",
        "from engine.catalog import load_catalog; load_catalog()",
    ],
)
def test_light_paths_import_no_torch_or_sympy(code: str) -> None:
    loaded = _loaded_after(code)
    assert "torch" not in loaded
    assert "sympy" not in loaded


def _imports_of(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_dependency_direction() -> None:
    """revise -> content -> engine, never back; engine and content use no Textual."""
    engine = _imports_of("engine")
    content = _imports_of("content")
    assert not engine & {"revise", "content", "textual"}
    assert not content & {"revise", "textual"}


def test_help_and_version(cli) -> None:
    out = cli("--help")
    assert out.returncode == 0
    assert "solve" in out.stdout and "problems" in out.stdout
    assert cli("--version").stdout.startswith("revise ")


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["solve", "conv2d.output_size", "size=32"], "kernel"),
        (["solve", "conv2d.output_size", "size=32", "kernel=3", "colour=red"], "colour"),
        (["solve", "conv2d.output_size", "size=-1", "kernel=3"], "size"),
        (["solve", "conv2d.output_size", "size=4", "kernel=7"], "kernel"),
        (["solve", "no.such.problem"], "no.such.problem"),
        (["solve", "conv2d.output_size", "kernel"], "NAME=VALUE"),
        (["bogus"], "bogus"),
    ],
)
def test_bad_calls_exit_2_with_one_line(cli, args: list[str], names: str) -> None:
    out = cli(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert names in lines[0]
    assert "Traceback" not in out.stderr


def test_solve_json_matches_contract(cli) -> None:
    out = cli("solve", "conv2d.output_size", "size=32", "kernel=5", "padding=2", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"problem", "params", "answer", "steps", "verified"}
    assert data["answer"] == 32
    assert data["params"] == {"size": 32, "kernel": 5, "stride": 1, "padding": 2, "dilation": 1}
    assert all(set(s) == {"title", "formula", "substituted", "value"} for s in data["steps"])
    assert data["verified"]["by"].startswith("torch 2.")
    assert data["verified"]["device"] in ("cpu", "cuda:0")


def test_problems_json_lists_parameters(cli) -> None:
    out = cli("problems", "--json")
    assert out.returncode == 0
    rows = {r["id"]: r for r in json.loads(out.stdout)}
    params = {p["name"]: p for p in rows["conv2d.output_size"]["parameters"]}
    assert params["size"]["required"] and not params["stride"]["required"]
    assert params["stride"]["default"] == 1


def test_shipped_catalog_matches_the_problem_models() -> None:
    """catalog.json is generated (`python -m engine.catalog`); it must not drift from the code."""
    from engine.catalog import describe_problems, load_catalog

    assert load_catalog() == json.loads(json.dumps(describe_problems()))
