"""Two sessions at once on the same home: no "database is locked", no lost review."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from study_support import check_consistent

CHILD = Path(__file__).resolve().parent / "store_child.py"
EACH = 120


def test_two_processes_recording_at_once_lose_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    children = [
        subprocess.Popen(
            [sys.executable, str(CHILD), str(home), str(EACH), str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    ids: list[int] = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert "locked" not in err.lower() and not err.strip(), err
        ids += [int(x) for x in out.split() if x.isdigit()]
    assert len(ids) == len(set(ids)) == 2 * EACH
    assert check_consistent(home / "revise.db") == 2 * EACH
    import sqlite3

    conn = sqlite3.connect(home / "revise.db")
    assert {r[0] for r in conn.execute("SELECT id FROM reviews")} == set(ids)
    conn.close()


def test_two_studies_in_one_process_interleave(tmp_path: Path) -> None:
    from datetime import UTC

    from study_support import Clock, make_course

    from revise.study import Study

    clock = Clock()
    a = Study(tmp_path, make_course(), clock, tz=UTC)
    b = Study(tmp_path, make_course(), clock, tz=UTC)
    for i in range(10):
        a.record("t1.c1", 3, seconds=1)
        b.record("t1.c1", 1 + i % 4, seconds=1)
        clock.advance(hours=6)
    assert a.stats().reviews_total == 20
    # each session undoes only its own reviews, and never one another session followed
    assert a.undo_last() is None  # b reviewed t1.c1 after a's latest
    assert b.undo_last() == "t1.c1"
    assert check_consistent(tmp_path / "revise.db") == 19
    a.close()
    b.close()
