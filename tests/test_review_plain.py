"""`revise review --plain`: a whole session on piped stdin/stdout, ending on end-of-file."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC
from pathlib import Path

from study_support import Clock

import content
from revise.plain_review import PlainSession
from revise.study import Study

COURSE = Path(__file__).resolve().parent / "fixtures" / "course"


def logged(home: Path) -> list[tuple]:
    conn = sqlite3.connect(home / "revise.db")
    rows = conn.execute(
        "SELECT i.id, r.rating, r.answer, r.correct, r.seed IS NOT NULL FROM reviews r "
        "JOIN items i ON i.num = r.item ORDER BY r.id"
    ).fetchall()
    conn.close()
    return rows


def test_plain_session_through_a_subprocess(cli, tmp_path: Path) -> None:
    home = tmp_path / "home"
    typed = "\n".join(
        [
            "",  # card 1: show the back
            "3",  # Good
            "",  # card 2: show the back
            "x",  # not a rating: asked again
            "4",  # Easy
            "31",  # the question: wrong first
            "32",  # right at the second try
            "",  # accept the suggestion (Hard)
        ]
    )
    r = cli("--home", str(home), "review", "--plain", "--content", str(COURSE), input=typed + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    out = r.stdout
    assert "3 to review: 0 due, 3 new." in out
    assert "What is a convolution kernel?" in out
    assert "A small matrix of shared weights" in out
    assert "Type 1, 2, 3 or 4." in out
    assert "A 32×32 input, a 5×5 kernel, stride 1, padding 2. What is the output size?" in out
    assert "answer> 31\n✗" in out
    assert "try again (Enter for the solution)> 32\n✓" in out
    assert "Worked solution:" in out and "conv2d.output_size" in out
    assert "Suggested: 2 Hard (right after a wrong first try)." in out
    assert "Saved: Hard" in out
    assert out.rstrip().endswith(
        "Session over: 3 reviewed; 1 of 1 questions right. Hard 1 · Good 1 · Easy 1."
    )
    assert logged(home) == [
        ("cnn.kernel.def", 3, None, None, 0),
        ("cnn.pooling.def", 4, None, None, 0),
        ("cnn.conv-output.fixed", 2, "32", 1, 1),
    ]


def session(tmp_path: Path, typed: str) -> tuple[str, Study]:
    course = content.load(COURSE)
    study = Study(tmp_path, course, Clock(), tz=UTC, fuzz=False)
    out = io.StringIO()
    PlainSession(study, course, io.StringIO(typed), out, device="cpu").run()
    return out.getvalue(), study


def test_end_of_input_before_the_rating_saves_nothing(tmp_path: Path) -> None:
    out, study = session(tmp_path, "\n")  # shows the back of card 1, then the input ends
    assert "A small matrix" in out
    assert out.rstrip().endswith("No reviews saved.")
    assert study.stats().reviews_total == 0


def test_empty_input(tmp_path: Path) -> None:
    out, study = session(tmp_path, "")
    assert out.rstrip().endswith("No reviews saved.")


def test_undo_and_quit(tmp_path: Path) -> None:
    # card 1 rated Good; at card 2, :u takes card 1's review back; card 2 rated Again; :q
    out, study = session(tmp_path, "\n3\n:u\n\n1\n:q\nnever read\n")
    assert "Undid the last review (cnn.kernel.def)." in out
    assert logged(tmp_path) == [("cnn.pooling.def", 1, None, None, 0)]
    assert "Session over: 1 reviewed." in out


def test_a_wrong_answer_and_giving_up(tmp_path: Path) -> None:
    course = content.load(COURSE)
    study = Study(tmp_path, course, Clock(), tz=UTC, fuzz=False)
    out = io.StringIO()
    PlainSession(study, course, io.StringIO("banana\n7\n\n\n"), out).run(kind="family")
    text = out.getvalue()
    assert "? " in text  # `banana` cannot be read: asked again, not counted as wrong
    assert "answer> 7\n✗" in text
    assert "Suggested: 1 Again (wrong answer)." in text
    assert logged(tmp_path) == [("cnn.conv-output.fixed", 1, "7", 0, 1)]


def test_nothing_to_review(tmp_path: Path) -> None:
    course = content.load(COURSE)
    study = Study(tmp_path, course, Clock(), tz=UTC, fuzz=False)
    from dataclasses import replace

    study.save_settings(replace(study.settings, new_per_day=0))
    out = io.StringIO()
    PlainSession(study, course, io.StringIO(""), out).run()
    assert "Nothing to review now" in out.getvalue()


def test_review_limit_must_be_positive(cli, tmp_path: Path) -> None:
    r = cli("--home", str(tmp_path), "review", "--plain", "--limit", "0")
    assert r.returncode == 2 and "--limit" in r.stderr and r.stderr.count("\n") == 1
