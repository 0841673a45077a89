"""`revise exam`: set, show or clear the exam date; the exam-day forecast per topic."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

ORDER = 60


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "exam",
        help="set, show or clear your exam date and see the exam-day forecast",
        description="With an exam date set, reviews are ordered weakest-at-the-exam first, new "
        "items are paced to be seen in time, and the forecast predicts your recall on the day. "
        "`revise exam` shows it; `revise exam set 2027-01-15 [14:30]` sets the date (local "
        "time, 09:00 unless given); `revise exam clear` forgets it.",
    )
    p.add_argument("--json", action="store_true", help="print the forecast as JSON")
    actions = p.add_subparsers(dest="exam_action", metavar="ACTION", parser_class=type(p))
    s = actions.add_parser("set", help="set the exam date (YYYY-MM-DD) and optional time (HH:MM)")
    s.add_argument("date", metavar="YYYY-MM-DD")
    s.add_argument("time", metavar="HH:MM", nargs="?")
    s.set_defaults(run=run)
    c = actions.add_parser("clear", help="forget the exam date")
    c.set_defaults(run=run)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from revise.study_open import open_study
    from revise.study_text import exam_lines, when_text

    action = getattr(args, "exam_action", None)
    if action == "set":  # a mistyped date is reported before the course is loaded
        from datetime import UTC, datetime

        from revise.schedule.exam import parse_exam

        parse_exam(args.date, args.time, datetime.now(UTC), None)
    study = open_study()
    try:
        if action == "set":
            exam_at = study.set_exam(args.date, args.time)
            print(f"Exam set: {when_text(exam_at, study.tz)}.")
            action = None
        elif action == "clear":
            had = study.clear_exam()
            print("Exam date cleared." if had else "No exam date was set.")
            return 0
        forecast = study.forecast()
        if getattr(args, "json", False):
            print(json.dumps(forecast.to_json(), ensure_ascii=False))
            return 0
        for line in exam_lines(forecast, study.settings.new_per_day, study.tz):
            print(line)
        if forecast.passed and sys.stdin.isatty() and sys.stdout.isatty():
            try:
                answer = input("Clear the exam date now? [y/N] ")
            except EOFError:
                answer = ""
            if answer.strip().lower() in ("y", "yes"):
                study.clear_exam()
                print("Exam date cleared.")
        return 0
    finally:
        study.close()
