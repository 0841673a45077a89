"""`revise solve`: the worked solution of one problem call, for a person or as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

ORDER = 20


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "solve",
        help="show the worked solution for your own numbers",
        description="Solve a problem step by step and check the result against PyTorch/SymPy. "
        "Parameters are NAME=VALUE, VALUE read as JSON when it parses (3, [[1,2],[3,4]]).",
    )
    p.add_argument("problem", metavar="ID", help="problem id (see `revise problems`)")
    p.add_argument("params", nargs="*", metavar="NAME=VALUE")
    p.add_argument("--json", action="store_true", help="print the contract's JSON object")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.solve import solve
    from revise.commands.assignments import parse_assignments

    solution = solve(args.problem, parse_assignments(args.params), device=args.device)
    if args.json:
        # the engine refuses non-finite answers: JSON here never holds Infinity or NaN
        print(json.dumps(solution.to_json(), ensure_ascii=False, allow_nan=False))
    else:
        import shutil

        from revise.render.safe_text import printable
        from revise.render.terminal import render_solution

        print(printable(render_solution(solution, shutil.get_terminal_size().columns)))
    return 0
