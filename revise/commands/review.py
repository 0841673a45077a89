"""`revise review`: today's reviews — in the app, or `--plain` one line at a time on stdin/stdout."""

from __future__ import annotations

import argparse
from typing import Any

from revise.clock import add_now_option

ORDER = 40


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "review",
        help="review what is due today (--plain: one line at a time, for scripts)",
        description="Review today's queue: due items (weakest at the exam first when an exam "
        "date is set), then new ones in course order. --plain runs the session on standard "
        "input and output: type answers, press Enter to accept the suggested rating or type "
        "1–4; `:u` undoes the last review, `:q` stops, end of input stops cleanly.",
    )
    p.add_argument("--plain", action="store_true", help="plain text on stdin/stdout, no app")
    p.add_argument("--topic", metavar="ID", help="only this topic (see `revise topics`)")
    p.add_argument("--kind", choices=("card", "family"), help="only flashcards or questions")
    p.add_argument("--limit", type=int, metavar="N", help="stop after N reviews")
    p.add_argument(
        "--exam-drill",
        action="store_true",
        help="drill every item already seen, weakest on exam day first (counts as cramming)",
    )
    p.add_argument(
        "--content", metavar="PATH", help="read the course from PATH, not the packaged one"
    )
    add_now_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from engine.errors import UserError

    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit {args.limit} must be 1 or more")
    if args.now is not None and not args.plain:
        raise UserError("--now works with --plain (the app always uses the real time)")
    if not args.plain and sys.stdin.isatty() and sys.stdout.isatty():
        from revise.commands.app import run_app

        return run_app(args)

    from revise.clock import clock_from
    from revise.plain_review import PlainSession
    from revise.study_open import open_study

    clock = clock_from(args)
    study = open_study(args.content, clock=clock)
    course = study.course
    assert course is not None  # opened on the course itself, not on its index
    try:
        session = PlainSession(study, course, sys.stdin, sys.stdout, device=study.settings.device)
        session.run(topic=args.topic, kind=args.kind, limit=args.limit, exam_drill=args.exam_drill)
        return 0
    finally:
        study.close()
