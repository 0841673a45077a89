"""Crash safety: processes recording reviews are killed with SIGKILL at random moments.

Each child prints a review's id only after its transaction committed; after every kill, each
printed id must be in the log, the file must pass `PRAGMA integrity_check`, and every item's
schedule must follow from its log. Two homes are hammered side by side to keep this quick.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from study_support import check_consistent

CHILD = Path(__file__).resolve().parent / "store_child.py"
KILLS_PER_HOME = 26
HOMES = 2


def spawn(home: Path, seed: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(home), "0", str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def committed_ids(out: str) -> set[int]:
    return {int(line) for line in out.split() if line.isdigit()}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_no_committed_review_is_lost_to_sigkill(tmp_path: Path) -> None:
    rng = random.Random(20260901)
    homes = [tmp_path / f"home{i}" for i in range(HOMES)]
    printed: dict[Path, set[int]] = {h: set() for h in homes}
    kills = 0
    for round_ in range(KILLS_PER_HOME):
        children = [(h, spawn(h, round_ * HOMES + i)) for i, h in enumerate(homes)]
        early = round_ % 4 == 0
        heads: list[str] = []
        if early:
            # now and then while starting: opening, creating the schema
            deadline = time.monotonic() + rng.uniform(0.0, 0.4)
            heads = ["", ""]
        else:
            # mostly in the middle of recording: wait until both are under way
            heads = [child.stdout.readline() if child.stdout else "" for _, child in children]
            deadline = time.monotonic() + rng.uniform(0.0, 0.25)
        time.sleep(max(0.0, deadline - time.monotonic()))
        for _, child in rng.sample(children, len(children)):
            child.send_signal(signal.SIGKILL)
            time.sleep(rng.uniform(0.0, 0.02))
        for (home, child), head in zip(children, heads):
            rest, err = child.communicate(timeout=30)
            out = head + rest
            assert child.returncode == -signal.SIGKILL, err
            assert "Traceback" not in err, err
            printed[home] |= committed_ids(out)
            kills += 1
            db = home / "revise.db"
            if not db.exists():
                assert not printed[home]
                continue
            import sqlite3

            conn = sqlite3.connect(db)
            has_log = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'reviews'"
            ).fetchone()[0]
            logged = {r[0] for r in conn.execute("SELECT id FROM reviews")} if has_log else set()
            conn.close()
            lost = printed[home] - logged
            assert not lost, f"kill {kills}: committed reviews lost: {sorted(lost)[:10]}"
            if has_log:
                check_consistent(db)
    assert kills >= 50
    # the reviews were really being recorded when the kills came
    assert sum(len(ids) for ids in printed.values()) > 100
    # and a killed home opens and records as before
    done = subprocess.run(
        [sys.executable, str(CHILD), str(homes[0]), "5", "99"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert len(committed_ids(done.stdout)) == 5
    check_consistent(homes[0] / "revise.db")
