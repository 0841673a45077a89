"""The compact layer form of `network.summary`, for typing a network on the command line.

    layers="conv(96,11,s=4) relu pool(3,s=2) conv(256,5,p=2) bn relu flatten linear(4096)"

Layers are separated by spaces (or commas, semicolons, `->`); each is a word, optionally with
arguments in parentheses: positional first, then `key=value`. A pair is written `3x5`. The text
is read with a small hand-written scanner (never evaluated) into the contract's layer objects,
so both forms are checked by the same code; a layer that cannot be read gives one line naming
it: `layers: layer 3, conv(96,,4): ...`.

| word | arguments | layer object |
|---|---|---|
| `conv` | out_channels, kernel; s, p (a number, `3x5` or `same`), d, g, bias | conv |
| `pool`, `maxpool`, `avgpool` | kernel; s, p, ceil | pool (max or avg) |
| `bn`, `flatten` | | bn, flatten |
| `relu`, `sigmoid`, `tanh`, … (any activation) | | act |
| `dropout` | p (0.5) | dropout |
| `linear`, `fc` | out_features; bias | linear |
| `gap`, `adaptive` | output size (1) | adaptive_avg_pool |
| `block` | out_channels; s | basic_block |
"""

from __future__ import annotations

import re
from typing import Any, get_args

from engine.errors import ProblemError
from engine.problems.activations import ActivationName

# Longer inputs are not networks anyone types.
MAX_TEXT = 4_000

ACTIVATIONS = set(get_args(ActivationName))
# word → (layer type, positional keys, short keys → contract keys, fixed settings)
WORDS: dict[str, tuple[str, tuple[str, ...], dict[str, str], dict[str, Any]]] = {
    "conv": (
        "conv",
        ("out_channels", "kernel"),
        {"s": "stride", "p": "padding", "d": "dilation", "g": "groups"},
        {},
    ),
    "pool": ("pool", ("kernel",), {"s": "stride", "p": "padding", "ceil": "ceil_mode"}, {}),
    "maxpool": ("pool", ("kernel",), {"s": "stride", "p": "padding", "ceil": "ceil_mode"}, {}),
    "avgpool": (
        "pool",
        ("kernel",),
        {"s": "stride", "p": "padding", "ceil": "ceil_mode"},
        {"kind": "avg"},
    ),
    "bn": ("bn", (), {}, {}),
    "flatten": ("flatten", (), {}, {}),
    "dropout": ("dropout", ("p",), {}, {}),
    "linear": ("linear", ("out_features",), {}, {}),
    "fc": ("linear", ("out_features",), {}, {}),
    "gap": ("adaptive_avg_pool", ("output",), {}, {}),
    "adaptive": ("adaptive_avg_pool", ("output",), {}, {}),
    "block": ("basic_block", ("out_channels",), {"s": "stride"}, {}),
}
CONTRACT_KEYS = {
    "conv": ("out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias"),
    "pool": ("kernel", "stride", "padding", "ceil_mode"),
    "dropout": ("p",),
    "linear": ("out_features", "bias"),
    "adaptive_avg_pool": ("output",),
    "basic_block": ("out_channels", "stride"),
}

_LAYER = re.compile(r"([A-Za-z_]+)(\s*\(([^()]*)\))?")
_SEPARATOR = re.compile(r"\s*(?:->|→|[,;])?\s*")
_PAIR = re.compile(r"^(\d+)\s*[x×*]\s*(\d+)$")
_INT = re.compile(r"^\d+$")
_REAL = re.compile(r"^(\d+\.\d*|\.\d+|\d+)$")


def _value(text: str, key: str) -> Any:
    """One argument: a whole number, a pair 3x5, a decimal (dropout), true/false, or same."""
    t = text.strip()
    lower = t.lower()
    if lower in ("true", "false"):
        return lower == "true"
    if lower == "same":
        return "same"
    if _INT.match(t):
        return int(t)
    if m := _PAIR.match(t):
        return [int(m.group(1)), int(m.group(2))]
    if _REAL.match(t):
        return float(t)
    if not t:
        raise ValueError(f"{key} has no value")
    raise ValueError(f"cannot read {t!r} as a value of {key} (write a number, 3x5, true or false)")


def _one(word: str, inner: str | None) -> dict[str, Any]:
    """One layer in compact form as a contract layer object (ValueError says what is wrong)."""
    lower = word.lower()
    if lower in ACTIVATIONS:
        if inner:
            raise ValueError(f"{word} takes no arguments")
        return {"type": "act", "name": lower}
    if lower == "act":
        name = (inner or "").strip().lower()
        if name not in ACTIVATIONS:
            raise ValueError(f"act(...) needs an activation: {', '.join(sorted(ACTIVATIONS))}")
        return {"type": "act", "name": name}
    if lower not in WORDS:
        known = sorted([*WORDS, "relu", "sigmoid", "tanh", "act(name)"])
        raise ValueError(f"unknown layer {word!r} (the layers are: {', '.join(known)})")
    kind, positional, short, fixed = WORDS[lower]
    layer: dict[str, Any] = {"type": kind, **fixed}
    args = [a for a in (inner or "").split(",")] if inner is not None and inner.strip() else []
    seen_key = False
    for index, arg in enumerate(args):
        if "=" in arg:
            seen_key = True
            key, _, text = arg.partition("=")
            key = key.strip()
            if not key or " " in key:
                raise ValueError(f"cannot read {arg.strip()!r}: separate the settings by commas")
            full = short.get(key.lower(), key.lower())
            if full not in CONTRACT_KEYS.get(kind, ()):
                takes = ", ".join(short) or "no keys"
                raise ValueError(f"unknown key {key!r} (here: {takes})")
            if full in layer:
                raise ValueError(f"{key} is given twice")
            layer[full] = _value(text, key)
            continue
        if seen_key:
            raise ValueError("numbers without a name go before the key=value settings")
        if index >= len(positional):
            if not positional:
                raise ValueError(f"{word} takes no numbers")
            raise ValueError(f"{word} takes at most {len(positional)} numbers without a name")
        layer[positional[index]] = _value(arg, positional[index])
    return layer


def parse_compact(text: str) -> list[tuple[dict[str, Any], str]]:
    """The layers of a compact description, each with the text it was read from.

    Raises ProblemError("layers", ...) naming the layer that cannot be read.
    """
    if len(text) > MAX_TEXT:
        raise ProblemError("layers", f"is too long (at most {MAX_TEXT:,} characters)")
    out: list[tuple[dict[str, Any], str]] = []
    pos = _SEPARATOR.match(text, 0).end()  # type: ignore[union-attr]
    while pos < len(text):
        number = len(out) + 1
        m = _LAYER.match(text, pos)
        rest = text[pos:].split()[0]
        if m is None:
            raise ProblemError(
                "layers", f"layer {number}, {rest}: write a layer as a word, e.g. conv(64,3,p=1)"
            )
        after = m.end()
        if after < len(text) and not (text[after].isspace() or text[after] in ",;-→"):
            what = "unbalanced ( )" if "(" in rest or ")" in rest else "cannot be read"
            raise ProblemError("layers", f"layer {number}, {rest}: {what}")
        word, inner = m.group(1), m.group(3)
        written = m.group(0).strip()
        try:
            out.append((_one(word, inner), written))
        except ValueError as exc:
            raise ProblemError("layers", f"layer {number}, {written}: {exc}") from None
        pos = _SEPARATOR.match(text, after).end()  # type: ignore[union-attr]
    if not out:
        raise ProblemError("layers", "is empty: give at least one layer, e.g. conv(6,5) relu")
    return out


def read_shape(text: str) -> list[int]:
    """An input shape typed as 3x224x224 (or 3×224×224)."""
    pieces = re.split(r"\s*[x×*,]\s*", text.strip().strip("[]()"))
    if not pieces or not all(_INT.match(p) for p in pieces):
        raise ProblemError("input", "must be a shape such as [3, 224, 224] or 3x224x224")
    return [int(p) for p in pieces]
