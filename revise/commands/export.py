"""`revise export anki|moodle|qti`: the course for another app.

`anki`: the flashcards and worked variants of every question family as an Anki deck (`.apkg`);
exporting again updates the notes already in Anki instead of duplicating them. `moodle` and
`qti`: question banks for a learning-management system (Moodle XML; a QTI 1.2 package for
Canvas), N variants per family with tolerances, misconception feedback and worked solutions.
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
        help="export the course to another app (Anki, Moodle, Canvas)",
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
    for target, default, what in (
        ("moodle", "revise-moodle.xml", "a Moodle XML question bank (Question bank → Import)"),
        (
            "qti",
            "revise-qti.zip",
            "a QTI 1.2 package for Canvas (Settings → Import course content)",
        ),
    ):
        bank = targets.add_parser(
            target,
            help=what,
            description=f"Write {what}: --variants variants of every question family (or of "
            "those --topic and --family name), each with fresh numbers, the contract's "
            "tolerance, the misconceptions' wrong values with their feedback, and the worked "
            "solution as feedback. See docs/lms.md for what each format can carry.",
        )
        bank.add_argument("-o", "--output", default=default, metavar="FILE",
                          help=f"where to write it (default {default})")  # fmt: skip
        bank.add_argument("--topic", action="append", default=[], metavar="ID",
                          help="only this topic (repeat or comma-separate for several)")  # fmt: skip
        bank.add_argument("--family", action="append", default=[], metavar="ID",
                          help="only this family (a pattern like cnn.* works too)")  # fmt: skip
        bank.add_argument("--variants", type=int, default=5, metavar="N",
                          help="variants per question family (default 5)")  # fmt: skip
        bank.add_argument("--no-verify", action="store_true",
                          help="skip checking each answer against PyTorch/SymPy (faster)")  # fmt: skip
        bank.set_defaults(run=run_bank)


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


def run_bank(args: argparse.Namespace) -> int:
    """`revise export moodle` and `revise export qti`."""
    from engine.errors import UserError

    suffix = ".xml" if args.target == "moodle" else ".zip"
    output = Path(args.output)
    if output.suffix.lower() != suffix:
        raise UserError(f"-o {args.output}: a {args.target} bank file ends in {suffix}")
    if not 1 <= args.variants <= 50:
        raise UserError("--variants must be between 1 and 50")

    from revise.course_cache import load_course
    from revise.lms.bank import build_bank, families_for
    from revise.output_file import check_writable, replaced_in_one_step

    check_writable(output)  # before the bank takes seconds to build
    course = load_course()
    topics = tuple(t.strip() for item in args.topic for t in item.split(",") if t.strip())
    families = families_for(course, topics, tuple(args.family))

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rworking out variants: {done}/{total}", end="", file=sys.stderr, flush=True)

    bank = build_bank(course, families, args.variants, verify=not args.no_verify, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.target == "moodle":
        from revise.lms.moodle import moodle_xml

        data = moodle_xml(bank)
        summary = f"{len(bank.questions)} questions"
    else:
        from revise.lms.qti import qti_package

        data, written, small = qti_package(bank, "Deep learning (revise)")
        summary = f"{written} questions"
    with replaced_in_one_step(output) as scratch:
        scratch.write_bytes(data)
    families_done = len({q.family.id for q in bank.questions})
    print(f"wrote {output}: {summary} from {families_done} families")
    if args.target == "qti" and small:
        print(
            f"left out {small} blank(s): within 0.0001 of zero (text2qti cannot mark such "
            "answers) or the same question twice"
        )
    if bank.left_out:
        print(
            f"left out {len(bank.left_out)} families whose answers are expressions "
            f"({', '.join(bank.left_out)}): an LMS's numerical questions cannot mark them"
        )
    return 0
