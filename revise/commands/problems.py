"""`revise problems`: every problem id with its parameters, defaults and one-line summary."""

from __future__ import annotations

import argparse
import json
from typing import Any

ORDER = 10


def add_parser(sub: Any) -> None:
    p = sub.add_parser("problems", help="list every problem, its parameters and defaults")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def describe() -> list[dict[str, Any]]:
    from pydantic_core import PydanticUndefined

    from engine import all_problems

    rows = []
    for problem in all_problems():
        params = []
        for name, field in problem.Params.model_fields.items():
            required = field.default is PydanticUndefined and field.default_factory is None
            entry: dict[str, Any] = {"name": name, "required": required}
            if not required:
                default = field.get_default(call_default_factory=True)
                entry["default"] = list(default) if isinstance(default, tuple) else default
            if field.description:
                entry["description"] = field.description
            params.append(entry)
        rows.append(
            {
                "id": problem.id,
                "topic": problem.topic,
                "summary": problem.summary,
                "parameters": params,
            }
        )
    return rows


def run(args: argparse.Namespace) -> int:
    rows = describe()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        print(f"{row['id']}\n    {row['summary']}")
        parts = []
        for prm in row["parameters"]:
            if prm["required"]:
                parts.append(prm["name"])
            else:
                parts.append(f"{prm['name']}={json.dumps(prm['default'], ensure_ascii=False)}")
        print(f"    {' '.join(parts)}")
    return 0
