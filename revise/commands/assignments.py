"""Reading `NAME=VALUE` arguments: VALUE as JSON when it parses, else as a plain string."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engine.errors import UserError


def parse_assignments(items: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise UserError(f"{item!r}: parameters are written NAME=VALUE, e.g. kernel=3")
        if name in params:
            raise UserError(f"{name}: given twice")
        try:
            params[name] = json.loads(text)
        except ValueError:
            params[name] = text
    return params
