"""The problem catalogue: every problem's id, topic, summary and parameters, as plain JSON.

`revise problems` reads `catalog.json` instead of building 44 pydantic models, which keeps it as
quick as importing pydantic, and `engine.registry` uses it to import only the module that
defines the problem asked for. The file is generated from the models (`python -m engine.catalog`)
and a test fails when it no longer matches them, so it cannot drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CATALOG = Path(__file__).with_name("catalog.json")


def describe_problems() -> list[dict[str, Any]]:
    """The catalogue computed from the problem classes (imports every problem module)."""
    from pydantic_core import PydanticUndefined

    from engine.registry import all_problems

    rows = []
    for problem in all_problems():
        schema = problem.Params.model_json_schema()
        params = []
        for name, field in problem.Params.model_fields.items():
            required = field.default is PydanticUndefined and field.default_factory is None
            entry: dict[str, Any] = {"name": name, "required": required}
            if not required:
                default = field.get_default(call_default_factory=True)
                entry["default"] = json.loads(json.dumps(default, default=list))
            if field.description:
                entry["description"] = field.description
            entry["schema"] = schema.get("properties", {}).get(name, {})
            params.append(entry)
        rows.append(
            {
                "id": problem.id,
                "module": type(problem).__module__,
                "topic": problem.topic,
                "summary": problem.summary,
                "parameters": params,
            }
        )
    return rows


def load_catalog() -> list[dict[str, Any]]:
    """The catalogue as shipped (cheap: one JSON file)."""
    rows: list[dict[str, Any]] = json.loads(CATALOG.read_text(encoding="utf-8"))
    return rows


def write_catalog() -> None:
    text = json.dumps(describe_problems(), indent=1, ensure_ascii=False, sort_keys=True)
    CATALOG.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_catalog()
    print(f"wrote {CATALOG.name}", file=sys.stderr)
