"""`revise exam`: set, show or clear the exam date and daily budget; the outlook and the plan."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from revise.clock import add_now_option

ORDER = 60


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "exam",
        help="set, show or clear your exam date and see the exam-day forecast and plan",
        description="With an exam date set, the planner chooses each day's reviews and new "
        "items within your daily time budget, for the most recall on exam day. `revise exam` "
        "shows the forecast; `revise exam set 2027-01-15 [14:30] [--minutes 60]` sets the date "
        "(local time, 09:00 unless given) and the minutes a day; `revise exam plan` prints the "
        "plan day by day; `revise exam clear` forgets the date.",
    )
    p.add_argument("--json", action="store_true", help="print the forecast as JSON")
    add_now_option(p)
    actions = p.add_subparsers(dest="exam_action", metavar="ACTION", parser_class=type(p))
    s = actions.add_parser("set", help="set the exam date (YYYY-MM-DD) and optional time (HH:MM)")
    s.add_argument("date", metavar="YYYY-MM-DD")
    s.add_argument("time", metavar="HH:MM", nargs="?")
    s.add_argument("--minutes", type=int, metavar="M", help="minutes of study a day (default 60)")
    add_now_option(s)
    s.set_defaults(run=run)
    c = actions.add_parser("clear", help="forget the exam date")
    add_now_option(c)
    c.set_defaults(run=run)
    pl = actions.add_parser("plan", help="the planner's days until the exam")
    pl.add_argument("--json", action="store_true", help="print the plan as JSON")
    add_now_option(pl)
    pl.set_defaults(run=run)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.errors import UserError
    from revise.clock import clock_from
    from revise.study_open import open_study
    from revise.study_text import exam_lines, plan_lines, when_text

    action = getattr(args, "exam_action", None)
    clock = clock_from(args)
    minutes = getattr(args, "minutes", None)
    if minutes is not None and not 5 <= minutes <= 24 * 60:
        raise UserError(f"--minutes {minutes} must be from 5 to 1440")
    if action == "set":  # a mistyped date is reported before the course is loaded
        from datetime import UTC, datetime

        from revise.schedule.exam import parse_exam

        parse_exam(args.date, args.time, clock() if clock else datetime.now(UTC), None)
    study = open_study(clock=clock)
    try:
        if action == "set":
            exam_at = study.set_exam(args.date, args.time, minutes)
            print(
                f"Exam set: {when_text(exam_at, study.tz)}, "
                f"{study.settings.minutes_per_day} minutes of study a day."
            )
            action = None
        elif action == "clear":
            had = study.clear_exam()
            print("Exam date cleared." if had else "No exam date was set.")
            return 0
        elif action == "plan":
            days = study.exam_plan()
            if getattr(args, "json", False):
                print(json.dumps({"days": [d.__dict__ for d in days]}))
            else:
                print("\n".join(plan_lines(days, study)))
            return 0
        forecast = study.forecast()
        outlook = study.exam_outlook()
        if getattr(args, "json", False):
            data = forecast.to_json()
            data["outlook"] = None if outlook is None else outlook.to_json()
            print(json.dumps(data, ensure_ascii=False))
            return 0
        for line in exam_lines(forecast, outlook, study.tz):
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
