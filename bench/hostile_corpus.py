"""CPU time and peak memory of every call of the hostile corpus (tests/hostile_corpus.py).

Each call runs in a fresh process under the corpus's caps (CPU seconds, address space); the
table gives its exit status, CPU seconds (with its children, e.g. a bounded SymPy worker), peak
resident memory and the last line it wrote to stderr. `--root DIR` runs another checkout's
`revise` (an older commit exported with `git archive`) to compare; `--cpu N` lowers the cap so
that calls which never end there stop sooner; `-k TEXT` keeps the cases whose name contains it.

Usage: python bench/hostile_corpus.py [--root DIR] [--cpu N] [-k TEXT]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostile_corpus import CASES, CPU_SECONDS, ROOT, run_case  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--cpu", type=int, default=CPU_SECONDS)
    parser.add_argument("-k", default="")
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="hostile-cache-"))
    print(f"{'case':32} {'exit':>4} {'cpu s':>7} {'peak MB':>8}  last line on stderr")
    for case in CASES:
        if args.k not in case.name:
            continue
        folder = Path(tempfile.mkdtemp(prefix="hostile-"))
        if case.setup is not None:
            case.setup(folder)
        out = run_case(case, folder, cache, root=args.root.resolve(), cpu_seconds=args.cpu)
        last = (out.stderr.strip().splitlines() or [""])[-1][:90]
        print(
            f"{case.name:32} {out.returncode:>4} {out.cpu_seconds:>7.1f} "
            f"{out.peak_rss / 2**20:>8.0f}  {last}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
