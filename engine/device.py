"""Choosing where torch reference computations run: `auto`, `cpu` or `cuda`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import ProblemError

if TYPE_CHECKING:
    import torch

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    import torch

    if name not in DEVICES:
        raise ProblemError("--device", f"must be one of {', '.join(DEVICES)}, not {name!r}")
    if name == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ProblemError("--device", "cuda was asked for, but no CUDA device is available")
        return torch.device("cuda:0")
    return torch.device("cpu")


def device_label(device: torch.device) -> str:
    """`cpu` or `cuda:0`, as the contract writes it."""
    if device.type == "cuda":
        return f"cuda:{device.index or 0}"
    return device.type
