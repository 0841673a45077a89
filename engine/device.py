"""Choosing where torch reference computations run: `auto`, `cpu` or `cuda`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import ProblemError

if TYPE_CHECKING:
    import torch

DEVICES = ("auto", "cpu", "cuda")

# Building a module or tensor initialises its numbers; past a few million of them that takes
# seconds and hundreds of megabytes, although a size or a count needs only the shapes.
META_ABOVE = 1 << 22


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


def shapes_device(device: torch.device, elements: int) -> torch.device:
    """`device`, or torch's shape-only "meta" device for more than META_ABOVE numbers.

    For references that need only shapes (output sizes, parameter and FLOP counts).
    """
    import torch

    return device if elements <= META_ABOVE else torch.device("meta")
