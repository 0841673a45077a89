"""`revise check`: grade a typed answer to one problem call, for a person or as JSON.

Exit status 0 whether the answer is right or wrong (or cannot be read); 2 only for a bad call:
an unknown problem, bad parameters, an unknown part.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

ORDER = 30


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="check your answer to a problem",
        description="Check an answer against the live solution. Parameters are NAME=VALUE, "
        "VALUE read as JSON when it parses. Answers may be numbers (0.25, 3/14, sqrt(2)/2, "
        "4.2e-3), lists and matrices ([[1, 2], [3, 4]] or '1 2; 3 4'), sizes (16x16), "
        "feature-map shapes (55x55x96 or 96x55x55) or expressions in x (3x^2 + 2 sin(x)). "
        "A multi-part answer is checked whole (as JSON, 'name = value; ...', or values in "
        "order separated by ';') or one part with --part.",
    )
    p.add_argument("problem", metavar="ID", help="problem id (see `revise problems`)")
    p.add_argument("params", nargs="*", metavar="NAME=VALUE")
    p.add_argument(
        "--answer",
        required=True,
        metavar="TEXT",
        help="your answer, as you would write it (one starting with - is fine: --answer -1/4)",
    )
    p.add_argument(
        "--part",
        metavar="KEY",
        help="check one part of a multi-part answer: dotted keys, 0-based list indices "
        "(e.g. y, grads.w1, layers.2.output_shape)",
    )
    p.add_argument("--json", action="store_true", help="print the contract's JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.checking import check
    from revise.commands.assignments import parse_assignments

    result = check(args.problem, parse_assignments(args.params), args.answer, part=args.part)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    from revise.render.safe_text import printable

    print(printable(describe(result, args.problem)))
    return 0


def describe(result: Any, problem_id: str = "") -> str:
    """The verdict for a person: how the input was read, right or not, and why."""
    from revise.render.values import answer_expressions, format_value

    lines = []
    if result.shown is not None:
        shown = result.shown
        if "\n" in shown:
            lines.append("Your answer was read as:")
            lines.extend("  " + line for line in shown.split("\n"))
        else:
            lines.append(f"Your answer was read as: {shown}")
    if result.correct:
        lines.append(f"✓ {result.feedback}")
    elif result.verdict == "unreadable":
        lines.append(result.feedback)
    else:
        label = "≈" if result.verdict == "imprecise" else "✗"
        lines.append(f"{label} {result.feedback}")
        if result.misconception:
            lines.append(f"  (mistake: {result.misconception.replace('_', ' ')})")
        kinds = answer_expressions(problem_id, result.part) if problem_id else frozenset()
        answer = format_value(result.expected, expressions=kinds)
        if "\n" in answer:
            lines.append("The answer:")
            lines.extend("  " + line for line in answer.split("\n"))
        else:
            lines.append(f"The answer is {answer}.")
        if 0 < result.score < 1:
            lines.append(f"Score: {result.score:.0%}")
    return "\n".join(lines)
