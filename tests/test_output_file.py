"""Files named with -o: replaced whole, links kept, pipes written to, failures reported in a line."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from engine.errors import UserError
from revise.output_file import replaced_in_one_step
from tests.conftest import run_cli


def test_a_new_file_is_written_and_no_scratch_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "sheet.md"
    with replaced_in_one_step(target) as scratch:
        assert scratch != target
        scratch.write_text("new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.md"]


def test_a_failure_half_way_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "sheet.md"
    target.write_text("good")
    with pytest.raises(UserError, match=r"cannot write .*sheet\.md"):
        with replaced_in_one_step(target) as scratch:
            scratch.write_text("half")
            raise OSError(28, "No space left on device")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.md"]


def test_a_link_is_kept_and_the_file_it_points_to_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    with replaced_in_one_step(link) as scratch:
        scratch.write_text("new")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text() == "new"


def test_print_to_a_pipe_writes_into_the_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "sheet.md"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run_cli("print", "--count", "2", "--seed", "5", "-o", str(fifo))
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert fifo.is_fifo()  # not swapped for a plain file
    text = received[0].decode()
    assert text.startswith("# ") and "## Questions" in text and "## Worked solutions" in text


def test_print_into_a_missing_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("print", "--count", "1", "-o", str(tmp_path / "nowhere" / "sheet.md"))
    assert result.returncode == 2
    assert (
        result.stderr.startswith("revise: error: cannot write") and result.stderr.count("\n") == 1
    )
