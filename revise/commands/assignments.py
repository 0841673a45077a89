"""Reading `NAME=VALUE` arguments: VALUE as JSON when it parses, else as a plain string."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engine.errors import UserError

# far above any parameter a person types (a 100×100 matrix is about 60,000 characters)
MAX_VALUE_CHARS = 200_000


def parse_assignments(items: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise UserError(f"{item!r}: parameters are written NAME=VALUE, e.g. kernel=3")
        if name in params:
            raise UserError(f"{name}: given twice")
        if len(text) > MAX_VALUE_CHARS:
            raise UserError(f"{name}: the value is over {MAX_VALUE_CHARS:,} characters long")
        try:
            params[name] = json.loads(text)
        except ValueError:
            params[name] = text
        except RecursionError:  # thousands of nested brackets
            raise UserError(f"{name}: the value is nested too deeply") from None
    return params
