"""JSON answer values (numbers, vectors, matrices, objects) laid out as text for the terminal."""

from __future__ import annotations

from typing import Any


def format_number(x: Any) -> str:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if isinstance(x, int):
        return str(x)
    return f"{x:.6g}"


def format_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    return format_number(value)
