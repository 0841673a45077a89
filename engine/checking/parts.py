"""Multi-part answers: naming their parts, and reading a whole answer typed at once.

An answer with several parts (`batchnorm.forward`: mean, var, x_hat, ...) is checked one part
at a time with `--part KEY` (dotted for nested parts: `grads.w1`; a 0-based index picks an
entry of a list: `layers.2.output_shape`, `grads.weights.0`), or whole. A whole answer may
be typed in any of these forms:

- JSON, as `revise solve --json` prints the answer: `{"mean": 0.5, "var": [1, 2]}`; a string
  where a number goes is read as a typed answer (`{"value": "sqrt(2)/2"}`);
- names and values: `mean = 0.5; var = 1, 2`, or `mean: 0.5, var: [1, 2]`, or the same inside
  braces without quotes; nested parts as `grads.w1 = ...` or `grads = {w1: ..., b1: ...}`;
  names are matched without regard to case;
- values in the order of the parts (the order `revise solve` prints them), separated by `;` or
  new lines, or by commas when every part is a single number: `0.5; [1, 2]; ...`.

Parts whose expected value is null (e.g. `derivative`'s value when no point is given) are not
asked for. An answer with a single part accepts the plain value. Parts left out count as wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any

from engine.checking.errors import AnswerError
from engine.checking.lexer import MAX_DEPTH

_KEY = re.compile(r"""\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z_][\w.]*))\s*[=:]""")
_OPENERS = {"(": ")", "[": "]", "{": "}"}


def leaves(expected: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """The parts of an answer, in order, as (dotted path, expected value); nulls left out."""
    if not isinstance(expected, dict):
        return [(prefix, expected)] if expected is not None else []
    found: list[tuple[str, Any]] = []
    for key, value in expected.items():
        found.extend(leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return found


def resolve(expected: Any, path: str) -> tuple[str, Any] | None:
    """The (canonical path, value) a dotted `path` names in `expected`, or None.

    Keys may themselves contain dots (a bigram "w."), so each level tries the longest key that
    matches; case is ignored when nothing matches exactly. In a list, a level is a 0-based
    index: `layers.2.output_shape`, `grads.weights.0`.
    """
    if path == "":
        return ("", expected)
    if isinstance(expected, list):
        head, _, rest = path.partition(".")
        if not head.isdigit() or int(head) >= len(expected):
            return None
        inner = resolve(expected[int(head)], rest)
        if inner is None:
            return None
        return (f"{int(head)}.{inner[0]}" if inner[0] else str(int(head)), inner[1])
    if not isinstance(expected, dict):
        return None
    candidates = sorted(expected, key=len, reverse=True)
    for exact in (True, False):
        for key in candidates:
            name = str(key)
            same = path == name if exact else path.lower() == name.lower()
            if same:
                return (name, expected[key])
            prefix = path[: len(name) + 1]
            if prefix == name + "." if exact else prefix.lower() == name.lower() + ".":
                inner = resolve(expected[key], path[len(name) + 1 :])
                if inner is not None:
                    return (f"{name}.{inner[0]}" if inner[0] else name, inner[1])
    return None


def put(whole: Any, path: str, value: Any) -> None:
    """Set the value at a canonical path (as `resolve` returns it) inside `whole`, in place."""
    keys = path.split(".")
    here = whole
    for key in keys[:-1]:
        here = here[int(key)] if isinstance(here, list) else here[key]
    last = keys[-1]
    if isinstance(here, list):
        here[int(last)] = value
    else:
        here[last] = value


def _depth(text: str) -> int:
    """How deeply brackets and braces nest (outside quotes), before JSON recurses into them."""
    deepest = depth = 0
    quote = ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


def split_top(text: str, separators: str) -> list[tuple[str, str]]:
    """Pieces of `text` between top-level separators, each with the separator that ended it."""
    pieces: list[tuple[str, str]] = []
    depth = 0
    quote = ""
    start = 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in _OPENERS:
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in separators:
            pieces.append((text[start:i], ch))
            start = i + 1
    pieces.append((text[start:], ""))
    return pieces


def read_whole(text: str, expected: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """The parts a whole answer gives: path → ("text", typed value) or ("json", JSON value)."""
    parts = leaves(expected)
    out: dict[str, tuple[str, Any]] = {}
    stripped = text.strip()
    if _depth(stripped) > MAX_DEPTH:
        raise AnswerError(f"brackets are nested too deeply (at most {MAX_DEPTH} inside each other)")
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            _from_json(data, expected, "", out)
            return out
        if stripped.endswith("}"):
            _named(stripped[1:-1], expected, "", out)
            return out
    if _KEY.match(stripped):
        _named(stripped, expected, "", out)
        return out
    _positional(stripped, parts, out)
    return out


def _full(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix else path


def _unknown(key: str, expected: Any) -> AnswerError:
    names = ", ".join(p for p, _ in leaves(expected))
    return AnswerError(f"this answer has no part {key!r} (its parts: {names})")


def _from_json(
    data: dict[str, Any], expected: Any, prefix: str, out: dict[str, tuple[str, Any]]
) -> None:
    for key, value in data.items():
        found = resolve(expected, str(key))
        if found is None:
            raise _unknown(str(key), expected)
        path, sub = found
        if isinstance(sub, dict) and isinstance(value, dict):
            _from_json(value, sub, _full(prefix, path), out)
        else:
            out[_full(prefix, path)] = ("json", value)


def _named(text: str, expected: Any, prefix: str, out: dict[str, tuple[str, Any]]) -> None:
    entries: list[list[str]] = []
    previous_separator = ""
    for piece, separator in split_top(text, ",;\n"):
        m = _KEY.match(piece)
        if m:
            key = next(g for g in m.groups() if g)
            entries.append([key, piece[m.end() :]])
        elif entries:
            entries[-1][1] += previous_separator + piece
        elif piece.strip():
            raise AnswerError("write each part as NAME = value, e.g. mean = 0.5; var = 2")
        previous_separator = separator
    if not entries:
        raise AnswerError("write each part as NAME = value, e.g. mean = 0.5; var = 2")
    for key, value in entries:
        found = resolve(expected, key)
        if found is None:
            raise _unknown(key, expected)
        path, sub = found
        value = value.strip()
        if not value:
            raise AnswerError(f"the part {key!r} has no value after its name")
        if isinstance(sub, dict):
            if not (value.startswith("{") and value.endswith("}")):
                raise AnswerError(f"{key} has parts of its own: write {key} = {{name: value, ...}}")
            _named(value[1:-1], sub, _full(prefix, path), out)
        else:
            out[_full(prefix, path)] = ("text", value)


def _positional(text: str, parts: list[tuple[str, Any]], out: dict[str, tuple[str, Any]]) -> None:
    n = len(parts)
    if n == 1:
        out[parts[0][0]] = ("text", text)
        return
    pieces = [p.strip() for p, _ in split_top(text, ";\n")]
    while pieces and not pieces[-1]:
        pieces.pop()
    if len(pieces) != n and all(_scalar(v) for _, v in parts):
        pieces = [p.strip() for p, _ in split_top(text, ",;\n")]
    if len(pieces) != n:
        names = ", ".join(p for p, _ in parts)
        raise AnswerError(
            f"this answer has {n} parts ({names}): give them in that order separated by ';', "
            f"or name them ({parts[0][0]} = …), or check one with --part"
        )
    for (path, _), piece in zip(parts, pieces):
        out[path] = ("text", piece)


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float | str | bool)
