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


def test_a_link_named_as_the_output_is_replaced_and_its_target_left_alone(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "s.md"
    link.symlink_to(victim)
    with replaced_in_one_step(link) as scratch:
        scratch.write_text("new")
    assert not link.is_symlink() and link.read_text() == "new"
    assert victim.read_text() == "precious"


def test_a_planted_scratch_name_is_never_opened(tmp_path: Path) -> None:
    # the old scheme's predictable scratch name, planted as a link to another file
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / f".race.md.{os.getpid()}.tmp").symlink_to(victim)
    with replaced_in_one_step(tmp_path / "race.md") as scratch:
        scratch.write_text("sheet")
    assert victim.read_text() == "precious"
    assert (tmp_path / "race.md").read_text() == "sheet"


@pytest.mark.parametrize("where", ["under_a_file", "long_name", "a_folder"])
def test_an_impossible_target_is_one_line_and_leaves_nothing(tmp_path: Path, where: str) -> None:
    (tmp_path / "file.txt").write_text("x")
    target = {
        "under_a_file": tmp_path / "file.txt" / "sheet.md",
        "long_name": tmp_path / ("n" * 300 + ".md"),
        "a_folder": tmp_path,
    }[where]
    with pytest.raises(UserError, match=r"^cannot write .*: [^\n]+$"):
        with replaced_in_one_step(target) as scratch:
            scratch.write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


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
