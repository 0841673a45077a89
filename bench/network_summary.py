"""`network.summary` of the presets, solved and verified, warm, in-process.

Each preset is solved once to warm up (imports, torch start-up), then timed over several runs:
the engine's traced solve plus the torch cross-check (modules built on the "meta" device for
networks too large to run quickly in float64, see `engine.problems.network_summary`). Prints the
median and the slowest run per preset; the target is under 2 s for vgg16 on a CPU.
Usage (from the repository root, the package installed or PYTHONPATH=.):
    python bench/network_summary.py [--runs N] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import statistics
import time

from engine.solve import solve

PRESETS = ("lenet5", "alexnet", "vgg11", "vgg16", "resnet18")
TARGET_S = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = parser.parse_args()

    for preset in PRESETS:
        solve("network.summary", {"preset": preset}, device=args.device)  # warm
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            solution = solve("network.summary", {"preset": preset}, device=args.device)
            times.append(time.perf_counter() - start)
        assert solution.verified is not None
        total = solution.answer["total_params"]
        print(
            f"{preset:9s} median {statistics.median(times) * 1000:7.1f} ms, "
            f"slowest {max(times) * 1000:7.1f} ms  ({total:,} parameters, checked by "
            f"{solution.verified.by} on {solution.verified.device})"
        )
        if preset == "vgg16":
            verdict = "under" if max(times) < TARGET_S else "OVER"
            print(f"          vgg16 solved and verified {verdict} the {TARGET_S:.0f} s target")


if __name__ == "__main__":
    main()
