"""The hostile corpus (tests/hostile_corpus.py) through the command line, under CPU and memory caps.

Each call must end by itself within its CPU-time and address-space caps (`resource` limits,
never a wall-clock assertion), exit 0 or 2, say what went wrong in one line (a content error:
one line per problem and the count), show no traceback, stay under the peak-memory limit and
write nothing in its folder but the output it named.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile_corpus import CASES, PEAK_RSS_LIMIT, Case, run_case


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under `folder` but the home, with its size and modification time."""
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not (root == str(folder) and d == ".home")]
        for name in files + dirs:
            path = Path(root) / name
            info = path.lstat()
            found[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile-cache")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_hostile_call_ends_in_one_line_within_the_caps(
    case: Case, tmp_path: Path, shared_cache: Path
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    if case.setup is not None:
        case.setup(folder)
    before = _snapshot(folder)
    outcome = run_case(case, folder, shared_cache)
    after = _snapshot(folder)

    assert outcome.returncode in (0, 2), (outcome.returncode, outcome.stderr[-2000:])
    if case.expect is not None:
        assert outcome.returncode == case.expect, outcome.stderr[-2000:]
    assert "Traceback" not in outcome.stderr and "Traceback" not in outcome.stdout
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    # a font warning is a note about the machine, not about the call
    lines = [line for line in lines if not line.startswith("revise: warning:")]
    assert len(lines) <= case.stderr_lines, lines
    if outcome.returncode == 2:
        assert lines and "error" in lines[-1]
    assert outcome.peak_rss < PEAK_RSS_LIMIT, outcome.peak_rss
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    assert changed <= case.writes, changed
    if "victim.txt" in before:
        assert (folder / "victim.txt").read_text() == "precious"
    # nothing the terminal would act on reaches it
    assert "\x1b" not in outcome.stdout and "\u202e" not in outcome.stdout


def test_an_unknown_schema_version_is_refused_each_time_and_leaves_no_backup(
    tmp_path: Path,
) -> None:
    import sqlite3

    from revise.store import open_store
    from revise.store.errors import StoreError

    path = tmp_path / "revise.db"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = -1")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    for _ in range(3):
        with pytest.raises(StoreError, match="schema version -1"):
            open_store(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["revise.db"]
    assert path.read_bytes() == before
