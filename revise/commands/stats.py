"""`revise stats`: reviews per day, true retention, items by state, due, mastery, exam forecast."""

from __future__ import annotations

import argparse
import json
from typing import Any

from revise.clock import add_now_option

ORDER = 50


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "stats",
        help="your review statistics and the exam forecast",
        description="Reviews per day, true retention (share of reviews passed), items by "
        "state, due today and tomorrow, per-topic mastery and the exam forecast.",
    )
    p.add_argument("--json", action="store_true", help="print everything as one JSON object")
    p.add_argument(
        "--days", type=int, default=14, metavar="N", help="days of history shown (default 14)"
    )
    add_now_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.errors import UserError
    from revise.study_open import open_study
    from revise.study_text import stats_lines

    if not 1 <= args.days <= 365:
        raise UserError(f"--days {args.days} must be from 1 to 365")
    from revise.clock import clock_from

    clock = clock_from(args)  # a mistyped --now is reported before the course is loaded
    study = open_study(clock=clock)
    try:
        stats = study.stats()
        if args.json:
            print(json.dumps(stats.to_json(), ensure_ascii=False))
        else:
            print("\n".join(stats_lines(stats, study.tz, args.days)))
        return 0
    finally:
        study.close()
