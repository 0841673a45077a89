"""The `revise` command line: builds the parser from `revise.commands` and turns errors into exit 2.

Nothing heavy is imported here: each command imports what it needs when it runs, so
`revise --help` and `revise problems` never load torch or sympy.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from engine.errors import UserError, VerificationError
from revise import __version__
from revise.commands import command_modules

EXIT_USER_ERROR = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad call in one line (not usage plus error) and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"revise: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="revise",
        description="Revise a deep-learning course: worked examples checked live against "
        "PyTorch, spaced repetition towards your exam date, printouts. "
        "Run with no command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"revise {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="where your review history and settings live (default: $REVISE_HOME, "
        "else the platform's user data folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for module in command_modules():
        module.add_parser(sub)
    return parser


# options whose value may begin with "-" (an answer of -1/4): argparse would take it for an option
VALUE_OPTIONS = ("--answer",)


def glue_values(args: list[str]) -> list[str]:
    """`--answer -1/4` as `--answer=-1/4`, so that an answer starting with `-` is an answer."""
    out: list[str] = []
    i = 0
    while i < len(args):
        if args[i] in VALUE_OPTIONS and i + 1 < len(args) and args[i + 1].startswith("-"):
            out.append(f"{args[i]}={args[i + 1]}")
            i += 2
            continue
        out.append(args[i])
        i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args_list = glue_values(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args, extra = parser.parse_known_args(args_list)
    # `NAME=VALUE` items after an option (`solve ID a=1 --json b=2`) belong to the parameters
    if extra and hasattr(args, "params") and all("=" in e and not e.startswith("-") for e in extra):
        args.params.extend(extra)
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.home:
        os.environ["REVISE_HOME"] = args.home
    try:
        if args.command is None:
            from revise.commands.app import run_app

            return run_app(args)
        return int(args.run(args))
    except UserError as exc:
        # content errors list one problem per line (file:line key: message)
        for line in str(exc).splitlines() or ["(no message)"]:
            print(f"revise: error: {line}", file=sys.stderr)
        return EXIT_USER_ERROR
    except VerificationError as exc:
        print(f"revise: internal error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def entry() -> NoReturn:
    """The `revise` program: `main()`, then out, without tearing torch down when it was loaded.

    Unloading torch at interpreter exit takes about 0.3 s and frees nothing the operating system
    would not. Nothing is left to finish by then: every command has closed the files it wrote
    and committed its reviews (the app closes its database as it unmounts) before `main` returns.
    """
    code = main()
    if "torch" not in sys.modules:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # nobody is reading any more, or the stream is closed
        pass
    os._exit(code)


if __name__ == "__main__":
    entry()
