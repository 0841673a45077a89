"""`revise topics`: the course's topics in order, each with its number of cards and families."""

from __future__ import annotations

import argparse
import json
from typing import Any

ORDER = 15


def add_parser(sub: Any) -> None:
    p = sub.add_parser("topics", help="list the course's topics with their cards and questions")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def describe() -> list[dict[str, Any]]:
    """One row per topic, in course order (refuses broken content with ContentError)."""
    from content import load

    course = load()
    return [
        {
            "id": t.id,
            "title": t.title,
            "title_zh": t.title_zh,
            "order": t.order,
            "cards": len(course.cards_for(t.id)),
            "families": len(course.families_for(t.id)),
            "notes": list(t.notes),
        }
        for t in course.topics
    ]


def run(args: argparse.Namespace) -> int:
    rows = describe()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    width = max((len(r["id"]) for r in rows), default=5)
    print(f"{'topic':<{width}}  cards  families  title")
    for r in rows:
        title = r["title"] + (f" ({r['title_zh']})" if r["title_zh"] else "")
        print(f"{r['id']:<{width}}  {r['cards']:>5}  {r['families']:>8}  {title}")
    total_cards = sum(r["cards"] for r in rows)
    total_families = sum(r["families"] for r in rows)
    print(f"{'total':<{width}}  {total_cards:>5}  {total_families:>8}")
    return 0
