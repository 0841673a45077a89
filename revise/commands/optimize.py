"""`revise optimize`: fit the FSRS parameters to your own review history (fsrs's Optimizer)."""

from __future__ import annotations

import argparse
from typing import Any

ORDER = 70


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "optimize",
        help="fit the scheduler to your own review history",
        description="Optimise the FSRS parameters from your review log (reviews made as exam "
        "cramming are left out). With too little history the defaults are kept.",
    )
    p.add_argument("--reset", action="store_true", help="go back to fsrs's default parameters")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from revise.study_open import open_study

    study = open_study()
    try:
        if args.reset:
            study.reset_parameters()
            print("Back to fsrs's default parameters.")
            return 0
        result = study.optimize(verbose=sys.stderr.isatty())
        if result.parameters is None:
            print(
                f"Not enough history yet: {result.usable} of your {result.reviews} reviews "
                f"came a day or more after the previous one; optimising needs "
                f"{result.usable + result.needed} ({result.needed} more). "
                "Keeping the current parameters."
            )
            return 0
        print(
            f"Optimised from {result.reviews} reviews ({result.usable} a day or more apart); "
            "the new parameters are saved and used from now on."
        )
        print("Parameters: " + ", ".join(f"{p:.4f}" for p in result.parameters))
        return 0
    finally:
        study.close()
