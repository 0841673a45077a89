"""Conversion of computed values (numpy, torch, Python) to plain JSON values, and comparisons."""

from __future__ import annotations

import math
from typing import Any


def to_json(value: Any) -> Any:
    """Plain JSON: ints stay ints, floats are full-precision floats, arrays become nested lists."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    # numpy and torch values, without importing either here
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return to_json(tolist())
    item = getattr(value, "item", None)
    if callable(item):
        return to_json(item())
    raise TypeError(f"cannot express {type(value).__name__} as JSON")


def max_abs_diff(ours: Any, theirs: Any, path: str = "answer") -> float:
    """Largest absolute difference between two JSON values of the same structure.

    Structural differences (other keys, other lengths, other strings, ints that differ) raise
    ValueError naming the path, because they are never rounding.
    """
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if set(ours) != set(theirs):
            raise ValueError(f"{path}: keys {sorted(ours)} vs {sorted(theirs)}")
        return max((max_abs_diff(ours[k], theirs[k], f"{path}.{k}") for k in ours), default=0.0)
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            raise ValueError(f"{path}: length {len(ours)} vs {len(theirs)}")
        return max(
            (max_abs_diff(a, b, f"{path}[{i}]") for i, (a, b) in enumerate(zip(ours, theirs))),
            default=0.0,
        )
    if isinstance(ours, bool | str) or isinstance(theirs, bool | str) or ours is None:
        if ours != theirs:
            raise ValueError(f"{path}: {ours!r} vs {theirs!r}")
        return 0.0
    if isinstance(ours, int) and isinstance(theirs, int):
        if ours != theirs:
            raise ValueError(f"{path}: {ours} vs {theirs}")
        return 0.0
    if isinstance(ours, int | float) and isinstance(theirs, int | float):
        a, b = float(ours), float(theirs)
        if math.isnan(a) or math.isnan(b):
            if math.isnan(a) and math.isnan(b):
                return 0.0
            raise ValueError(f"{path}: {a} vs {b}")
        if math.isinf(a) or math.isinf(b):
            if a == b:
                return 0.0
            raise ValueError(f"{path}: {a} vs {b}")
        return abs(a - b)
    raise ValueError(f"{path}: {type(ours).__name__} vs {type(theirs).__name__}")


def relative_scale(value: Any) -> float:
    """The largest magnitude in a JSON value (at least 1), to make a tolerance relative."""
    if isinstance(value, dict):
        return max((relative_scale(v) for v in value.values()), default=1.0)
    if isinstance(value, list):
        return max((relative_scale(v) for v in value), default=1.0)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return max(1.0, abs(float(value)))
    return 1.0


def all_finite(value: Any) -> bool:
    """Whether every number in a JSON value is finite (JSON has no Infinity or NaN)."""
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(all_finite(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return True
