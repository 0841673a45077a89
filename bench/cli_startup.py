"""Start-up cost of the command line, as ratios to the imports that are its floor.

- `revise --help` and `revise problems` must stay within 1.5× `python -c "import pydantic"`.
- `revise solve` of a small problem, cold, within 1.3× `python -c "import torch"`.

Each command runs several times in fresh processes; the median wall time is reported.
Usage: python bench/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

REVISE = [sys.executable, "-m", "revise.cli"]


def median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs

    pydantic = median_seconds([sys.executable, "-c", "import pydantic"], runs)
    torch = median_seconds([sys.executable, "-c", "import torch"], runs)
    rows = [
        ("revise --help", REVISE + ["--help"], pydantic, 1.5),
        ("revise problems", REVISE + ["problems"], pydantic, 1.5),
        (
            "revise solve conv2d.output_size",
            REVISE + ["solve", "conv2d.output_size", "size=32", "kernel=5", "padding=2"],
            torch,
            1.3,
        ),
    ]
    print(f"import pydantic: {pydantic * 1000:7.0f} ms   import torch: {torch * 1000:7.0f} ms")
    for name, cmd, floor, target in rows:
        seconds = median_seconds(cmd, runs)
        ratio = seconds / floor
        verdict = "ok" if ratio <= target else "OVER TARGET"
        print(f"{name:34s} {seconds * 1000:7.0f} ms  {ratio:5.2f}x (target ≤ {target}x) {verdict}")


if __name__ == "__main__":
    main()
