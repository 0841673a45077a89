"""`revise validate [PATH]`: check course content and list every problem as `file:line key: message`.

Without PATH it checks the packaged course. PATH may be a content folder (topics.yaml, cards/,
families/, glossary.yaml) or a single content file. Each family is drawn for several seeds, each
draw checked as a call of its problem, and a few draws are solved to check the part asked exists.
Exit status 0 when the content is clean, 2 when it has problems.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

ORDER = 60
DEFAULT_SEEDS = 50
DEEP_SEEDS = 3


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="check course content files and report every problem with file, line and key",
        description="Check the course content (or the folder or file PATH): every problem is "
        "listed as file:line key: message. Exit status 0 when clean, 2 with problems.",
    )
    p.add_argument("path", nargs="?", metavar="PATH", help="a content folder or file")
    p.add_argument(
        "--seeds",
        type=int,
        default=DEFAULT_SEEDS,
        metavar="N",
        help=f"draws checked per question family (default {DEFAULT_SEEDS})",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from content import check

    seeds = max(1, args.seeds)
    course, problems = check(args.path, seeds=seeds, deep=min(DEEP_SEEDS, seeds))
    counts = course.counts()
    if args.json:
        print(
            json.dumps(
                {
                    "ok": not problems,
                    "counts": counts,
                    "problems": [p.to_json() for p in problems],
                },
                ensure_ascii=False,
            )
        )
        return 2 if problems else 0
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        noun = "problem" if len(problems) == 1 else "problems"
        print(f"revise: error: {len(problems)} {noun} in the content", file=sys.stderr)
        return 2
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    print(f"content OK: {summary}")
    return 0
