"""`revise problems`: every problem id with its parameters, defaults and one-line summary."""

from __future__ import annotations

import argparse
import json
from typing import Any

ORDER = 10


def add_parser(sub: Any) -> None:
    p = sub.add_parser("problems", help="list every problem, its parameters and defaults")
    p.add_argument("--json", action="store_true", help="print JSON (with each parameter's schema)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.catalog import load_catalog

    rows = load_catalog()
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
