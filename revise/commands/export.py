"""`revise export anki`: the flashcards and worked variants of every question family as an Anki
deck (`.apkg`). Exporting again updates the notes already in Anki instead of duplicating them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ORDER = 26
DEFAULT_OUTPUT = "revise.apkg"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export the course to another app (Anki)",
        description="Export the course for another app.",
    )
    targets = p.add_subparsers(dest="target", metavar="TARGET", required=True)
    anki = targets.add_parser(
        "anki",
        help="an Anki deck (.apkg): every flashcard and worked variants of every question",
        description="Write an Anki deck: every flashcard, and --variants worked variants of every "
        "question family with the full solution on the back (maths as MathJax). Note ids come "
        "from the content's ids, so importing a newer export updates your notes in place.",
    )
    anki.add_argument(
        "-o",
        "--output",
        default=DEFAULT_OUTPUT,
        metavar="FILE",
        help=f"where to write the deck (default {DEFAULT_OUTPUT})",
    )
    anki.add_argument(
        "--variants",
        type=int,
        default=3,
        metavar="N",
        help="worked variants per question family (default 3; 0 for flashcards only)",
    )
    anki.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="ID",
        help="only this topic (repeat or comma-separate for several)",
    )
    anki.add_argument(
        "--no-verify",
        action="store_true",
        help="skip checking each worked answer against PyTorch/SymPy (faster)",
    )
    anki.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.errors import UserError

    if args.variants < 0 or args.variants > 50:
        raise UserError("--variants must be between 0 and 50")
    output = Path(args.output)
    if output.suffix.lower() != ".apkg":
        raise UserError(f"-o {args.output}: an Anki deck file ends in .apkg")

    from revise.course_cache import load_course
    from revise.output_file import check_writable, replaced_in_one_step

    check_writable(output)  # before the deck takes seconds to build
    from revise.printout.anki import build_package, write_package

    course = load_course()  # every drawn variant is solved (so checked) below
    topics = tuple(t.strip() for item in args.topic for t in item.split(",") if t.strip())
    known = {t.id for t in course.topics}
    for t in topics:
        if t not in known:
            raise UserError(
                f"--topic {t}: no such topic; the topics are {', '.join(sorted(known))}"
            )

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rworking out variants: {done}/{total}", end="", file=sys.stderr, flush=True)

    package, summary = build_package(
        course, args.variants, topics, verify=not args.no_verify, progress=progress
    )
    if sys.stderr.isatty() and summary.problems:
        print(file=sys.stderr)
    with replaced_in_one_step(output) as scratch:
        write_package(package, scratch)
    print(
        f"wrote {output}: {summary.cards} flashcards and {summary.problems} worked problems "
        f"in {summary.decks} decks"
    )
    return 0
