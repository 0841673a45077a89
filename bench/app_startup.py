"""Start-up of the app as a person sees it: from the process start until the home screen is drawn.

`revise` runs in a real terminal (a detached tmux session, 120×40); the screen is polled with
`tmux capture-pane -p` until the home screen's frame appears ("first screen") and until its
numbers are filled in ("ready": the course and the database are open). Beside it, in the same
run, `python -c "import textual.app"` is timed: the floor of any Textual app. Target: the first
screen within 2× that import. Each figure is the median of several runs on a fresh home.

Usage: python bench/app_startup.py [--runs N]   (needs tmux)
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SESSION = "revise-bench"
ROOT = Path(__file__).resolve().parent.parent
TARGET = 2.0
FIRST = "deep-learning revision"  # the header of the home screen
READY = "items seen"  # the today panel, once the course and the database are open
POLL = 0.005
TIMEOUT = 60.0


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def median_import(runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import textual.app"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def one_start(home: Path) -> tuple[float, float]:
    """(seconds to the first screen, seconds to the filled-in home screen) for one start."""
    # this checkout's code (a `revise` on the PATH may be another install of it)
    command = [sys.executable, "-m", "revise.cli"]
    shell = f"REVISE_HOME={shlex.quote(str(home))} exec {shlex.join(command)}"
    tmux("kill-session", "-t", SESSION)
    start = time.perf_counter()
    tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", "-c", str(ROOT), shell)
    first = ready = None
    try:
        while time.perf_counter() - start < TIMEOUT:
            screen = tmux("capture-pane", "-p", "-t", SESSION)
            now = time.perf_counter() - start
            if first is None and FIRST in screen:
                first = now
            if READY in screen:
                ready = now
                break
            time.sleep(POLL)
    finally:
        tmux("kill-session", "-t", SESSION)
    if first is None or ready is None:
        raise SystemExit(f"the home screen did not appear within {TIMEOUT:.0f} s")
    return first, ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    if shutil.which("tmux") is None:
        raise SystemExit("this bench needs tmux (a real terminal to watch)")
    os.environ.pop("TMUX", None)  # work from inside a tmux session too

    floor = median_import(runs)
    firsts, readies = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            first, ready = one_start(Path(home))
        firsts.append(first)
        readies.append(ready)
    first, ready = statistics.median(firsts), statistics.median(readies)
    ratio = first / floor
    verdict = "ok" if ratio <= TARGET else "OVER TARGET"
    print(f'python -c "import textual.app"     {floor * 1000:7.0f} ms')
    print(
        f"revise: home screen drawn          {first * 1000:7.0f} ms  {ratio:5.2f}x (target ≤ {TARGET}x) {verdict}"
    )
    print(
        f"revise: home screen filled in      {ready * 1000:7.0f} ms  {ready / floor:5.2f}x (course and database open)"
    )


if __name__ == "__main__":
    main()
