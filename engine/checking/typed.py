"""A JSON answer written the way a student could type it (for tests, benches and answer keys).

Numbers at full precision, lists and matrices as nested brackets, expressions as they are, and
a multi-part answer as JSON: every form here is one the parser reads back to the same value.
"""

from __future__ import annotations

import json
from typing import Any


def as_typed(value: Any) -> str:
    """`value` (a JSON answer or part) as answer text that checks as right."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)
