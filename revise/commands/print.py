"""`revise print`: problem sheets with worked solutions, as PDF (Typst) or Markdown.

The same options and seed always give the same sheet; the header prints the command that
regenerates it. `--problem ID NAME=VALUE ...` prints the worked example for one's own numbers.
`--cards N` adds short questions from the flashcards; topics that have flashcards but no question
family (foundations, theory) print as short questions alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from revise.printout.model import Sheet

ORDER = 25
FORMATS = ("pdf", "md", "typ")
EXTENSIONS = {".pdf": "pdf", ".md": "md", ".markdown": "md", ".typ": "typ"}
DEFAULT_COUNT = 10
# a sheet is printed for a sitting: 200 questions is far past one, and takes seconds to build
MAX_QUESTIONS = 200


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "print",
        help="print a problem sheet with worked solutions (PDF or Markdown)",
        description="Print a sheet of the course's questions with worked solutions, every step "
        "with its formula and numbers. The same options and --seed give the same sheet. "
        "With --problem, print the worked example for your own numbers instead.",
    )
    p.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="ID",
        help="only this topic (repeat or comma-separate for several; see `revise topics`)",
    )
    p.add_argument(
        "--family",
        action="append",
        default=[],
        metavar="ID",
        help="only this question family, a prefix (cnn.conv-output) or a glob (cnn.*-forward.*)",
    )
    p.add_argument("--difficulty", metavar="LEVEL", help="1, 2 or 3; a list (1,2) or a range (1-2)")
    p.add_argument(
        "--count",
        type=int,
        default=DEFAULT_COUNT,
        help=f"questions (default {DEFAULT_COUNT}, at most {MAX_QUESTIONS})",
    )
    p.add_argument(
        "--cards",
        type=int,
        default=0,
        metavar="N",
        help="also N short questions from the flashcards of the topics (default 0); topics "
        "without question families print --count short questions",
    )
    p.add_argument("--seed", type=int, help="the sheet's seed (default: a new one, printed)")
    p.add_argument(
        "--solutions",
        choices=("end", "inline", "none"),
        default="end",
        help="worked solutions at the end (default), after each question, or none",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="sheet.pdf, sheet.md or sheet.typ (default: Markdown on standard output)",
    )
    p.add_argument("--format", choices=FORMATS, help="pdf, md or typ (default: from -o)")
    p.add_argument("--title", help="the sheet's title")
    p.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="the date in the header (default: $SOURCE_DATE_EPOCH, else today)",
    )
    p.add_argument(
        "--font-path",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of fonts, e.g. one with a Chinese font (also $REVISE_FONT_PATH)",
    )
    p.add_argument(
        "--problem",
        metavar="ID",
        help="print the worked example of this problem for the NAME=VALUE parameters given",
    )
    p.add_argument("params", nargs="*", metavar="NAME=VALUE", help="parameters for --problem")
    p.set_defaults(run=run)


def sheet_date(text: str | None) -> dt.date:
    from engine.errors import UserError

    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise UserError(f"--date {text!r}: write the date as YYYY-MM-DD") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except (ValueError, OverflowError):
            raise UserError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from None
    return dt.date.today()


def output_format(args: argparse.Namespace) -> str:
    from engine.errors import UserError

    if args.format:
        return str(args.format)
    if args.output:
        suffix = Path(args.output).suffix.lower()
        if suffix not in EXTENSIONS:
            raise UserError(
                f"-o {args.output}: cannot tell the format from {suffix or 'no extension'}; "
                "use .pdf, .md or .typ, or give --format"
            )
        return EXTENSIONS[suffix]
    return "md"


def topics_of(args: argparse.Namespace) -> tuple[str, ...]:
    return tuple(t.strip() for item in args.topic for t in item.split(",") if t.strip())


def regenerate_command(args: argparse.Namespace, seed: int | None) -> str:
    """The exact command that prints this sheet again (the date aside)."""
    words = ["revise", "print"]
    if args.problem:
        words += ["--problem", args.problem, *args.params]
    else:
        for t in topics_of(args):
            words += ["--topic", t]
        for f in args.family:
            words += ["--family", f]
        if args.difficulty:
            words += ["--difficulty", args.difficulty]
        words += ["--count", str(args.count)]
        if args.cards > 0:
            words += ["--cards", str(args.cards)]
        words += ["--seed", str(seed)]
    if args.solutions != "end":
        words += ["--solutions", args.solutions]
    if args.title:
        words += ["--title", args.title]
    if args.output:
        words += ["-o", args.output]
    if args.format:
        words += ["--format", args.format]
    return shlex.join(words)


def run(args: argparse.Namespace) -> int:
    from engine.errors import UserError

    fmt = output_format(args)
    if fmt == "pdf" and not args.output:
        raise UserError("a PDF needs a file: add -o sheet.pdf")
    if args.params and not args.problem:
        raise UserError(
            f"{args.params[0]}: NAME=VALUE parameters go with --problem ID "
            "(e.g. revise print --problem conv2d.output_size size=32 kernel=5)"
        )
    if args.problem and (args.topic or args.family or args.difficulty or args.seed is not None):
        raise UserError(
            "--problem prints one worked example: leave out --topic, --family, "
            "--difficulty and --seed"
        )
    if args.cards < 0:
        raise UserError(f"--cards {args.cards}: give 0 or more short questions")
    for option, value in (("--count", args.count), ("--cards", args.cards)):
        if value > MAX_QUESTIONS:
            raise UserError(f"{option} {value}: a sheet has at most {MAX_QUESTIONS} questions")
    if args.problem and args.cards:
        raise UserError("--problem prints one worked example: leave out --cards")
    if not args.problem and args.count < 1:
        raise UserError("--count must be at least 1")  # before a sheet of short questions alone
    date = sheet_date(args.date)
    if args.output:
        from revise.output_file import check_writable

        check_writable(Path(args.output))  # before the sheet takes seconds to build

    from revise.course_cache import load_course
    from revise.printout.model import build_problem_sheet, build_sheet

    course = load_course()  # every drawn variant is solved (so checked) below
    if args.problem:
        from revise.commands.assignments import parse_assignments

        params = parse_assignments(args.params)
        sheet = build_problem_sheet(
            course,
            args.problem,
            params,
            solutions="inline" if args.solutions == "end" else args.solutions,
            date=date,
            command=regenerate_command(args, None),
            title=args.title,
        )
    else:
        from dataclasses import replace

        from revise.printout.select import Selection, only_short, parse_difficulty

        seed = args.seed if args.seed is not None else secrets.randbelow(1_000_000)
        selection = Selection(
            topics=topics_of(args),
            families=tuple(args.family),
            difficulties=parse_difficulty(args.difficulty) if args.difficulty else (),
            count=args.count,
            seed=seed,
            cards=args.cards,
        )
        if only_short(course, selection):
            # flashcards but no question family: the sheet is short questions alone
            selection = replace(selection, count=0, cards=args.cards or args.count)
        from revise.printout.sheet_code import encode

        sheet = build_sheet(
            course,
            selection,
            solutions=args.solutions,
            date=date,
            command=regenerate_command(args, seed),
            title=args.title,
        )
        sheet = replace(sheet, code=encode(course, selection))
    for note in sheet.notes:
        print(f"revise: note: {note}", file=sys.stderr)
    data = render(sheet, fmt, args.font_path)
    if args.output:
        from revise.output_file import replaced_in_one_step

        with replaced_in_one_step(Path(args.output)) as scratch:
            scratch.write_bytes(data)
        summary = f"wrote {args.output}: {counts(sheet)}"
        if fmt == "pdf":
            from revise.printout.pdf import page_count

            summary += f", {page_count(data)} page(s)"
        if sheet.seed is not None:
            summary += f", seed {sheet.seed}"
        print(summary)
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def counts(sheet: Sheet) -> str:
    """`20 question(s) and 5 short question(s)`, leaving out a kind the sheet has none of."""
    parts = []
    if sheet.questions or not sheet.short:
        parts.append(f"{len(sheet.questions)} question(s)")
    if sheet.short:
        parts.append(f"{len(sheet.short)} short question(s)")
    return " and ".join(parts)


def render(sheet: Sheet, fmt: str, font_path: list[str]) -> bytes:
    """The sheet in a format: PDF bytes, or Markdown / Typst text as UTF-8."""
    if fmt == "md":
        from revise.printout.markdown_writer import markdown_source

        return markdown_source(sheet).encode("utf-8")
    from revise.printout.fonts import INSTALL_HINT, find_fonts
    from revise.printout.typst_writer import needs_cjk, typst_source

    fonts = find_fonts(font_path)
    if needs_cjk(sheet) and fonts.cjk_family is None:
        print(
            "revise: warning: no font with Chinese characters was found, so the Chinese terms "
            f"are left out of the sheet; {INSTALL_HINT}",
            file=sys.stderr,
        )
    source = typst_source(sheet, fonts.cjk_family)
    if fmt == "typ":
        return source.encode("utf-8")
    from revise.printout.pdf import compile_pdf

    return compile_pdf(source, fonts).pdf
