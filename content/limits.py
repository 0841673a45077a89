"""The limits a content file is held to before anything in it is solved.

A content file is hostile input like a student's answer: a kilobyte of YAML can hold a billion
aliases, a short expression can ask for a number of a million digits, a sampler can ask for a
matrix of vectors of a billion numbers. Each limit here is checked before the work it bounds,
and each failure is one line naming the limit:

- files: a regular file (not a pipe or a device, which could block or never end) of at most
  `MAX_FILE_BYTES`, read without following it past that size;
- YAML: at most `MAX_YAML_NODES` nodes with every alias expanded, nested at most
  `MAX_YAML_DEPTH` deep, counted in linear time on the node graph before the document is built
  or walked;
- expressions (`content.expr`): at most `MAX_EXPRESSION_CHARS` characters, whole numbers of at
  most `MAX_INT_BITS` bits, strings and lists of at most `MAX_SEQUENCE` items, each refused
  before the operation that would exceed it;
- samplers (`content.samplers`): at most `MAX_DRAWN` values in one draw, counted over every
  level together (a vector of vectors is the product of the lengths).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 4 * 1024 * 1024  # the course's largest file is about 100 KB
MAX_YAML_NODES = 200_000  # aliases expanded; the whole course has about 60,000
MAX_YAML_DEPTH = 64  # nesting of mappings and lists; the course's deepest is under 10
MAX_EXPRESSION_CHARS = 1_000
MAX_INT_BITS = 1_024  # about 300 digits
MAX_SEQUENCE = 10_000  # items in a string or list an expression makes
MAX_DRAWN = 100_000  # values in one sampler's draw


# C0 controls but tab, newline and carriage return; DEL and C1; bidirectional overrides,
# embeddings, isolates and marks (the same set `revise.render.safe_text` replaces on output)
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


class LimitError(ValueError):
    """Content over one of the limits: the message is one line and names it."""


def read_text(path: Path) -> str:
    """A content file's text, refused (LimitError) if it is not a regular file or too large.

    Opened without blocking, so a pipe is refused rather than waited on; OSError and
    UnicodeDecodeError pass through for the caller to report.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise LimitError("not a regular file (a content file cannot be a pipe or a device)")
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise LimitError(f"the file is over {MAX_FILE_BYTES // (1024 * 1024)} MB (the limit)")
    text = data.decode("utf-8")
    found = _UNSAFE.search(text)
    if found:
        raise _unsafe(text.count("\n", 0, found.start()) + 1, found.group())
    return text


def _unsafe(line: int, char: str) -> LimitError:
    return LimitError(
        f"line {line}: control or text-direction character U+{ord(char):04X} (content must "
        "not be able to drive the terminal or reorder what it shows)"
    )


def check_yaml(root: yaml.Node) -> None:
    """Refuse a node graph of more than MAX_YAML_NODES nodes once its aliases are expanded,
    nested more than MAX_YAML_DEPTH deep (walking it would exhaust Python's recursion), or with
    a control or direction character in a value.

    An alias is the same node object appearing again, so the expanded size of each node is
    computed once (memoised by identity) and the whole count takes time linear in the file.
    """
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    # iterative post-order: a deeply nested file must not exhaust Python's recursion
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        kids = _children(node)
        if isinstance(node, yaml.ScalarNode) and (found := _UNSAFE.search(node.value)):
            # written as a YAML escape ("\e", "\u202e"): not in the file's text as such
            raise _unsafe(node.start_mark.line + 1, found.group())
        if not children_done:
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in sizes)
            continue
        size = 1 + sum(sizes.get(id(k), 1) for k in kids)
        depth = 1 + max((depths.get(id(k), 1) for k in kids), default=0)
        if depth > MAX_YAML_DEPTH:
            raise LimitError(f"the YAML is nested more than {MAX_YAML_DEPTH} deep (the limit)")
        depths[id(node)] = depth
        if size > MAX_YAML_NODES:
            raise LimitError(
                f"the YAML expands to more than {MAX_YAML_NODES:,} values (aliases of aliases?)"
            )
        sizes[id(node)] = size


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expression_source(source: str) -> None:
    if len(source) > MAX_EXPRESSION_CHARS:
        raise LimitError(
            f"an expression has at most {MAX_EXPRESSION_CHARS:,} characters "
            f"(this one has {len(source):,})"
        )


def check_operation(op: str, left: Any, right: Any) -> None:
    """Refuse, before computing it, an arithmetic result past MAX_INT_BITS or MAX_SEQUENCE."""
    if op == "pow" and _is_int(left) and _is_int(right) and right > 0:
        # a lower bound on the result's size: past the limit, it is never computed
        if max(left.bit_length() - 1, 0) * right > MAX_INT_BITS:
            raise LimitError(f"the power would have over {MAX_INT_BITS:,} bits (the limit)")
    elif op == "mul" and _is_int(left) and _is_int(right):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise LimitError(f"the product would have over {MAX_INT_BITS:,} bits (the limit)")
    elif op == "add" and isinstance(left, str | list) and isinstance(right, str | list):
        if len(left) + len(right) > MAX_SEQUENCE:
            raise LimitError(f"the result would be over {MAX_SEQUENCE:,} items long (the limit)")


def check_result(value: Any) -> None:
    """Refuse a computed whole number, string or list past the limits (after a bounded step)."""
    if _is_int(value) and value.bit_length() > MAX_INT_BITS:
        raise LimitError(f"a whole number in an expression has over {MAX_INT_BITS:,} bits")
    if isinstance(value, str | list) and len(value) > MAX_SEQUENCE:
        raise LimitError(f"an expression made something over {MAX_SEQUENCE:,} items long")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# values drawn so far in the current top-level draw (None: no draw under way)
_drawn: ContextVar[list[int] | None] = ContextVar("drawn", default=None)


@contextmanager
def draw_budget() -> Iterator[None]:
    """Count the values of one top-level draw (nested draws share the count)."""
    if _drawn.get() is not None:
        yield
        return
    token = _drawn.set([0])
    try:
        yield
    finally:
        _drawn.reset(token)


def spend(count: int) -> None:
    """Account for `count` more values in the current draw; LimitError past MAX_DRAWN."""
    spent = _drawn.get()
    if spent is None:
        return
    spent[0] += max(count, 0)
    if spent[0] > MAX_DRAWN:
        raise LimitError(f"a draw makes more than {MAX_DRAWN:,} values (the limit)")
