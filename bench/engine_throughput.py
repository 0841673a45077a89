"""Solve-and-verify throughput: random variants of every problem, in-process, warm.

Variants come from the content's question families (each drawn from a fresh seed); the draw is
not timed, the engine's traced solve plus the torch/sympy cross-check is. Prints variants per
second per problem and overall (target ≥ 200/s overall on CPU).
Usage: python bench/engine_throughput.py [--per-problem N] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from typing import Any

import content
from engine.solve import solve

TARGET = 200.0


def draw_calls(per_problem: int, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    families = defaultdict(list)
    for family in content.load().families:
        families[family.problem].append(family)
    calls: dict[str, list[dict[str, Any]]] = {}
    for problem, group in sorted(families.items()):
        calls[problem] = [
            rng.choice(group).variant(rng.randrange(1 << 30)).params for _ in range(per_problem)
        ]
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-problem", type=int, default=40)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = parser.parse_args()

    calls = draw_calls(args.per_problem, random.Random(2026))
    for problem, params in calls.items():  # warm: imports, first-call set-up, caches
        solve(problem, params[0], device=args.device)

    total_time, total = 0.0, 0
    rows = []
    for problem, params_list in calls.items():
        start = time.perf_counter()
        for params in params_list:
            solve(problem, params, device=args.device)
        elapsed = time.perf_counter() - start
        total_time += elapsed
        total += len(params_list)
        rows.append((len(params_list) / elapsed, problem))
    for rate, problem in sorted(rows):
        print(f"{problem:30s} {rate:9.0f} variants/s")
    overall = total / total_time
    print(
        f"\noverall on {args.device}: {overall:.0f} variants/s over {total} variants "
        f"({overall / TARGET:.2f}x the {TARGET:.0f}/s target)"
    )


if __name__ == "__main__":
    main()
