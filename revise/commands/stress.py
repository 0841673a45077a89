"""`revise stress`: draw many variants of each question family, solve and judge them, and report.

For authors and lecturers: per family the share of draws the quality rules threw away (and why),
trivial answers and wrong methods that score in the kept variants, repeated questions, the spread
of the answers and the slowest variant. Exit status 2 when a family fails the rules.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

ORDER = 62
DEFAULT_SEEDS = 100


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "stress",
        help="draw, solve and judge many variants of each question family (for authors)",
        description="Draw N variants of each question family, solve and check them, and report "
        "per family the share of redraws, trivial answers, wrong methods that score, repeated "
        "questions, the spread of the answers and the slowest variant. Exit status 2 when a "
        "family fails the rules.",
    )
    p.add_argument("--family", action="append", default=[], metavar="ID", help="only this family "
                   "(or families starting with ID.); may be repeated")  # fmt: skip
    p.add_argument("--topic", action="append", default=[], metavar="ID", help="only this topic")
    p.add_argument(
        "--seeds",
        type=int,
        default=DEFAULT_SEEDS,
        metavar="N",
        help=f"variants drawn per family: seeds 0 … N − 1 (default {DEFAULT_SEEDS})",
    )
    p.add_argument(
        "--content", metavar="PATH", help="a content folder or file (default: the shipped course)"
    )
    p.add_argument(
        "--verify", action="store_true", help="also cross-check every variant with PyTorch/SymPy"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from content import load
    from content.stress import stress
    from engine.errors import UserError
    from revise.printout.select import Selection, eligible

    if args.seeds < 1:
        raise UserError("--seeds must be at least 1")
    if args.content:
        course = load(args.content, seeds=0)
    else:
        from revise.course_cache import load_course

        course = load_course()
    if not course.families:
        raise UserError("no question families to stress")
    selection = Selection(topics=tuple(args.topic), families=tuple(args.family))
    families = eligible(course, selection)
    results = []
    for i, family in enumerate(families, start=1):
        if not args.json and sys.stderr.isatty():
            print(f"\r{i}/{len(families)} {family.id:<50}", end="", file=sys.stderr, flush=True)
        results.append(stress(family, args.seeds, verify=args.verify))
    if not args.json and sys.stderr.isatty():
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
    failing = [r for r in results if not r.ok]
    if args.json:
        print(
            json.dumps(
                {
                    "ok": not failing,
                    "seeds": args.seeds,
                    "families": [r.to_json() for r in results],
                },
                ensure_ascii=False,
            )
        )
    else:
        _print_table(results)
        for r in failing:
            for problem in r.problems:
                print(f"revise: error: {r.family}: {problem}", file=sys.stderr)
    return 2 if failing else 0


def _number(x: float) -> str:
    return f"{x:.3g}"


def _print_table(results: list[Any]) -> None:
    header = ("family", "redraw", "trivial", "wrong ok", "repeats", "answers min/median/max",
              "slowest")  # fmt: skip
    rows = []
    for r in results:
        spread = r.spread()
        if spread:
            answers = "/".join(_number(x) for x in spread)
        else:
            answers = f"{len(r.words)} different words" if r.words else "—"
        slowest = f"{r.slowest[0] * 1000:.1f} ms (seed {r.slowest[1]})" if r.kept else "—"
        rows.append(
            (
                r.family + ("" if r.ok else "  FAIL"),
                f"{r.redraw_share:.0%}",
                str(r.trivial),
                str(r.undistinguished),
                f"{r.duplicates}/{r.kept}",
                answers,
                slowest,
            )
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    total = len(results)
    failing = sum(not r.ok for r in results)
    summary = f"\n{total - failing} of {total} families pass"
    drawn = [r for r in results if r.kept]
    if drawn:
        worst = max(drawn, key=lambda r: r.redraw_share)
        slowest = max(drawn, key=lambda r: r.slowest[0])
        summary += (
            f"; most redrawn: {worst.family} ({worst.redraw_share:.0%}); slowest variant: "
            f"{slowest.family} seed {slowest.slowest[1]} ({slowest.slowest[0] * 1000:.1f} ms)"
        )
    print(summary)
