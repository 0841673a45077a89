"""Latency of answer checking, warm and in-process (issue: p99 of `check` ≤ 20 ms).

For every registered problem (example calls from engine/examples.py) it grades a right answer,
wrong answers (each misconception's answer, and a perturbed one) and malformed answers, then
reports p50 and p99 over all calls and the ratio of p99 to the 20 ms target, twice:

- repeat: the same question checked again (the app previews the input on each key press, then
  checks it; the solution and misconception answers are then cached);
- first: every call with the caches cleared, so each one solves the problem again.

Wall-clock figures include whatever else the machine is doing; the CPU time of the checking
thread is printed beside them to tell the two apart.

Run: python bench/check_latency.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_MS = 20.0
MALFORMED = ["[[1, 2", "banana", "9**9**9**9", "1 2 +", "x.__class__", "(" * 40 + "1" + ")" * 40]


def _perturbed(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return value + 1 if isinstance(value, int) else value * 1.5 + 0.25
    if isinstance(value, list):
        return [_perturbed(v) for v in value]
    if isinstance(value, dict):
        return {k: _perturbed(v) for k, v in value.items()}
    return value


def calls() -> list[tuple[str, dict[str, Any], str, str | None, str]]:
    """(problem, params, answer, part, label) for every registered problem with an example."""
    from engine import all_problems
    from engine.checking import check
    from engine.checking.typed import as_typed
    from engine.examples import EXAMPLES

    out = []
    for problem in all_problems():
        params = EXAMPLES.get(problem.id)
        if params is None:
            print(f"  (no example call for {problem.id}: skipped)")
            continue
        expected = check(problem.id, params, "0").expected
        out.append((problem.id, params, as_typed(expected), None, "right"))
        out.append((problem.id, params, as_typed(_perturbed(expected)), None, "wrong"))
        p = problem.parse_params(params)
        for rule, wrong in problem.wrong_answers(p):
            out.append((problem.id, params, as_typed(wrong.answer), rule.part, "wrong"))
        for text in MALFORMED:
            out.append((problem.id, params, text, None, "malformed"))
    return out


def measure(
    work: list[tuple[str, dict[str, Any], str, str | None, str]], rounds: int, cold: bool
) -> dict[str, list[float]]:
    from engine.checking import check
    from engine.checking.grade import clear_caches

    times: dict[str, list[float]] = {"all": [], "cpu": []}
    for _ in range(rounds):
        for problem_id, params, text, part, label in work:
            if cold:
                clear_caches()
            start, cpu = time.perf_counter(), time.thread_time()
            check(problem_id, params, text, part)
            ms = (time.perf_counter() - start) * 1000
            times["all"].append(ms)
            times["cpu"].append((time.thread_time() - cpu) * 1000)
            times.setdefault(label, []).append(ms)
            times.setdefault(problem_id, []).append(ms)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(name: str, times: dict[str, list[float]]) -> None:
    overall = times["all"]
    p50, p99 = statistics.median(overall), percentile(overall, 0.99)
    print(f"\n{name}: {len(overall)} checks")
    print(f"  p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   p99 / target = {p99 / TARGET_MS:.2f}")
    cpu = times["cpu"]
    print(
        f"  CPU time of the checking thread (scheduling noise left out): p50 "
        f"{statistics.median(cpu):.2f} ms   p99 {percentile(cpu, 0.99):.2f} ms"
    )
    for label in ("right", "wrong", "malformed"):
        if label in times:
            v = times[label]
            print(
                f"  {label:<10} p50 {statistics.median(v):7.2f} ms   p99 {percentile(v, 0.99):7.2f} ms"
            )
    worst = sorted(
        (
            (percentile(v, 0.99), k)
            for k, v in times.items()
            if k not in ("all", "cpu", "right", "wrong", "malformed")
        ),
        reverse=True,
    )[:5]
    print("  slowest problems (p99): " + ", ".join(f"{k} {ms:.1f} ms" for ms, k in worst))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = calls()
    measure(work, 1, cold=False)  # warm up: imports, caches, sympy's own caches
    print(f"target: p99 ≤ {TARGET_MS:.0f} ms")
    report("repeat (question already checked once)", measure(work, args.rounds, cold=False))
    report(
        "first (caches cleared before every call)",
        measure(work, max(1, args.rounds // 2), cold=True),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
