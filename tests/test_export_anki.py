"""`revise export anki`: a valid .apkg whose collection holds every card and the worked variants,
with stable GUIDs, MathJax maths, topic and source tags, and the Chinese terms."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

import content
from revise.cli import main
from revise.printout.anki import (
    CARD_MODEL_KEY,
    PROBLEM_MODEL_KEY,
    build_package,
    stable_id,
    write_package,
)
from revise.printout.mdhtml import markdown_to_html

VARIANTS = 2


@pytest.fixture(scope="module")
def course() -> content.Course:
    return content.load()


def collection(apkg: Path, into: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(apkg) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert "media" in names
        db = next(n for n in names if n.startswith("collection.anki2"))
        into.write_bytes(z.read(db))
    return sqlite3.connect(into)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, course: content.Course) -> Path:
    path = tmp_path_factory.mktemp("anki") / "deck.apkg"
    package, summary = build_package(course, VARIANTS, verify=False)
    write_package(package, path)
    assert summary.cards == len(course.cards)
    assert summary.problems == VARIANTS * len(course.families)
    return path


def notes(db: sqlite3.Connection) -> list[tuple[str, int, list[str], str]]:
    rows = db.execute("select guid, mid, flds, tags from notes").fetchall()
    return [(g, m, f.split("\x1f"), t) for g, m, f, t in rows]


def test_the_collection_holds_every_card_and_variant(
    exported: Path, tmp_path: Path, course: content.Course
) -> None:
    db = collection(exported, tmp_path / "c.anki2")
    rows = notes(db)
    card_model, problem_model = stable_id(CARD_MODEL_KEY), stable_id(PROBLEM_MODEL_KEY)
    cards = [r for r in rows if r[1] == card_model]
    problems = [r for r in rows if r[1] == problem_model]
    assert len(cards) == len(course.cards)
    assert len(problems) == VARIANTS * len(course.families)
    assert len(rows) == len(cards) + len(problems)
    assert db.execute("select count(*) from cards").fetchone()[0] == len(rows)

    models = json.loads(db.execute("select models from col").fetchone()[0])
    fields = {int(k): [f["name"] for f in m["flds"]] for k, m in models.items()}
    assert fields[card_model] == ["Front", "Back", "Chinese", "Topic", "Source", "Id"]
    assert fields[problem_model] == [
        "Question",
        "Answer",
        "Solution",
        "Topic",
        "Source",
        "Reference",
    ]
    assert all(len(r[2]) == 6 for r in rows)

    by_id = {r[2][5]: r for r in cards}
    for card in course.cards:
        guid, _, flds, tags = by_id[card.id]
        assert f"topic::{card.topic}" in tags.split() and f"source::{card.source}" in tags.split()
        assert flds[4] == card.source
    decks = json.loads(db.execute("select decks from col").fetchone()[0])
    names = {d["name"] for d in decks.values()}
    assert any("Convolutional networks" in n for n in names)


def test_problem_notes_carry_the_worked_solution_in_mathjax(exported: Path, tmp_path: Path) -> None:
    db = collection(exported, tmp_path / "c.anki2")
    problems = [r for r in notes(db) if r[1] == stable_id(PROBLEM_MODEL_KEY)]
    conv = [r for r in problems if r[2][5].startswith("cnn.conv-forward.cross-correlation · seed")]
    assert len(conv) == VARIANTS
    question, answer, solution = conv[0][2][:3]
    assert answer.startswith(r"\(") and answer.endswith(r"\)")
    assert r"\[" in solution and r"\begin{bmatrix}" in solution and r"\boxed{" in solution
    assert '<ol class="steps">' in solution
    assert all("problem" in r[3].split() for r in problems)
    activation = next(r for r in problems if r[2][5].startswith("activations.value · seed"))
    assert "<svg" in activation[2][2]


def test_chinese_terms_are_on_the_cards(
    exported: Path, tmp_path: Path, course: content.Course
) -> None:
    if not course.glossary:
        pytest.skip("the course has no glossary yet")
    db = collection(exported, tmp_path / "c.anki2")
    text = "\n".join("\x1f".join(r[2]) for r in notes(db))
    for term in course.glossary[:10]:
        assert term.zh in text


def test_a_second_export_keeps_the_guids(
    exported: Path, tmp_path: Path, course: content.Course
) -> None:
    again = tmp_path / "again.apkg"
    package, _ = build_package(course, VARIANTS, verify=False)
    write_package(package, again)
    first = {r[0]: r[2][5] for r in notes(collection(exported, tmp_path / "1.anki2"))}
    second = {r[0]: r[2][5] for r in notes(collection(again, tmp_path / "2.anki2"))}
    assert first == second
    assert len(first) == len(course.cards) + VARIANTS * len(course.families)


def test_command_line_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine.apkg"
    assert (
        main(["export", "anki", "--variants", "1", "--topic", "cnn", "--no-verify", "-o", str(out)])
        == 0
    )
    assert f"wrote {out}:" in capsys.readouterr().out
    assert zipfile.is_zipfile(out)
    assert main(["export", "anki", "-o", str(tmp_path / "x.zip")]) == 2
    assert "ends in .apkg" in capsys.readouterr().err
    assert main(["export", "anki", "--topic", "nope", "-o", str(out)]) == 2


def test_markdown_becomes_safe_html_with_mathjax() -> None:
    html = markdown_to_html("**ReLU** is $\\max(0, x)$ <b>\n\n- one\n- two $a<b$\n\n$$x^2$$")
    assert "<b>ReLU</b>" in html and r"\(\max(0, x)\)" in html
    assert "&lt;b&gt;" in html and "<ul><li>one</li>" in html
    assert r"\(a&lt;b\)" in html and r"\[x^2\]" in html
