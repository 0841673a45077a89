"""`revise mark CODE`: type the answers written on a printed sheet; they are marked and counted."""

from __future__ import annotations

import argparse
import sys
from typing import Any

ORDER = 27


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "mark",
        help="mark the answers of a printed sheet (its code is on it) and count them as reviews",
        description="Every printed sheet carries a sheet code (and its QR code). Give it here and "
        "type the answer you wrote for each question (Enter leaves one out): each is marked as "
        "in the app, the worked solution of every missed one follows, and the answers are saved "
        "as reviews of their question families (Good when right, Again when wrong).",
    )
    p.add_argument("code", metavar="CODE", help="the sheet code, e.g. 2100-00G0-DA07-00")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.errors import UserError
    from revise.course_cache import load_course
    from revise.sheet_marking import Marked, mark, record, sheet_questions

    course = load_course()
    questions = sheet_questions(course, args.code)  # a bad code is refused before anything
    if not questions:
        raise UserError("this sheet has short questions only: there is nothing to mark here")

    from revise.render.safe_text import printable
    from revise.render.terminal import render_solution
    from revise.study_open import open_study

    study = open_study()
    marked: list[Marked] = []
    try:
        print(f"Sheet {args.code.upper()}: {len(questions)} questions. Type the answer you "
              "wrote for each; Enter leaves a question out.")  # fmt: skip
        for q in questions:
            print(printable(f"\n{q.number}. {q.family.title}\n{q.variant.prompt_text}"))
            while True:
                line = sys.stdin.readline()
                if not line:  # end of input: stop, keeping what was marked
                    break
                text = line.strip()
                if not text:
                    print("(left out)")
                    break
                result = mark(q, text)
                if result is None:
                    print("? That cannot be read; see docs/answers.md, or Enter to leave it out.")
                    continue
                record(study, result)
                marked.append(result)
                print(("✓ " if result.correct else "✗ ") + (result.feedback or ""))
                break
            if not line:
                break
        missed = [m for m in marked if not m.correct]
        for m in missed:
            from engine.solve import solve

            v = m.question.variant
            solution = solve(v.problem, v.params, verify=False)
            print(f"\nWorked solution of question {m.question.number}:")
            print(printable(render_solution(solution)))
        right = sum(m.correct for m in marked)
        print(f"\n{right} of {len(marked)} answered right; {len(marked)} review(s) saved.")
        return 0
    finally:
        study.close()
