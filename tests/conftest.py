"""Shared fixtures: a hermetic home and cache for the tests, and a runner for the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def hermetic_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No test reads or writes the real user cache; the tests of one worker share one."""
    folder = tmp_path_factory.mktemp("revise-cache")
    os.environ["REVISE_CACHE"] = str(folder)
    return folder


@pytest.fixture(autouse=True)
def hermetic_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user data folder."""
    home = tmp_path / "revise-home"
    monkeypatch.setenv("REVISE_HOME", str(home))
    return home


def run_cli(
    *args: str, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `revise ARGS...` in a fresh interpreter, as a person would from a shell."""
    return subprocess.run(
        [sys.executable, "-m", "revise.cli", *args],
        capture_output=True,
        text=True,
        input=input,
        timeout=timeout,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@pytest.fixture
def cli():
    return run_cli


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


requires_cuda = pytest.mark.skipif(
    "not __import__('torch').cuda.is_available()", reason="no CUDA device here"
)
