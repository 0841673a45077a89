"""Question banks for Moodle and Canvas, sheet codes and `revise mark`.

The Moodle XML is held to the elements Moodle's documented import format ("Moodle XML format",
docs.moodle.org) requires of a numerical, a Cloze (embedded answers) and a category question,
and every answer in it to the engine's answer for the same (family, seed).
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content import answer_part
from engine.checking import check
from engine.registry import get_problem
from engine.solve import solve
from revise.course_cache import load_course
from revise.lms.bank import build_bank, families_for
from revise.lms.fields import _flat, margin
from revise.lms.moodle import moodle_xml
from revise.lms.qti import qti_package
from revise.printout.select import Selection
from revise.printout.sheet_code import decode, encode

CLOZE_NUMERICAL = re.compile(r"\{1:NUMERICAL:=([^:]+):([^#]+)#")


@cache
def course():
    return load_course()


@cache
def whole_bank():
    c = course()
    return build_bank(c, families_for(c, (), ()), 1, verify=False)


def expected_of(idnumber: str) -> tuple[Any, Any]:
    """The engine's answer to the asked part of the variant an idnumber names, and the variant."""
    family_id, seed = idnumber.rsplit("#", 1)
    variant = course().family(family_id).variant(int(seed))
    answer = solve(variant.problem, variant.params, verify=False).answer
    return answer_part(answer, variant.part), variant


def _text(q: ET.Element, path: str) -> str:
    node = q.find(path)
    assert node is not None, f"missing {path}"
    return node.text or ""


def test_moodle_bank_follows_the_format_and_the_engine() -> None:
    root = ET.fromstring(moodle_xml(whole_bank()))
    assert root.tag == "quiz"
    kinds: dict[str, int] = {}
    for q in root.findall("question"):
        kind = q.get("type") or ""
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "category":
            assert _text(q, "category/text").startswith("$course$/top/")
            continue
        assert kind in ("numerical", "cloze")
        assert _text(q, "name/text")
        assert q.find("questiontext").get("format") == "html"  # type: ignore[union-attr]
        assert _text(q, "generalfeedback/text")  # the worked solution
        expected, variant = expected_of(_text(q, "idnumber"))
        relative = get_problem(variant.problem).relative_tolerance
        if kind == "numerical":
            right = [a for a in q.findall("answer") if a.get("fraction") == "100"]
            assert len(right) == 1
            value = float(_text(right[0], "text"))
            tol = float(_text(right[0], "tolerance"))
            assert value == pytest.approx(float(expected), rel=1e-12, abs=1e-12)
            assert tol == pytest.approx(margin(expected, relative))
            for wrong in q.findall("answer"):
                if wrong.get("fraction") != "0":
                    continue
                # a misconception's value is marked wrong by the checker, which names a mistake
                result = check(variant.problem, variant.params, _text(wrong, "text"), variant.part)
                assert not result.correct and result.misconception is not None
                assert abs(float(_text(wrong, "text")) - value) > tol
        else:
            text = _text(q, "questiontext/text")
            blanks = CLOZE_NUMERICAL.findall(text)
            numbers = [v for _, v in _flat(expected) if isinstance(v, int | float)]
            assert len(blanks) == len([n for n in numbers if not isinstance(n, bool)])
            for (value, tol), exp in zip(blanks, numbers):
                assert float(value) == pytest.approx(float(exp), rel=1e-12, abs=1e-12)
                assert float(tol) == pytest.approx(margin(exp, relative))
    assert kinds["category"] >= 100 and kinds["numerical"] >= 50 and kinds["cloze"] >= 30


def test_qti_package_unzips_to_a_manifest_and_items_that_bracket_the_answer() -> None:
    data, written, _ = qti_package(whole_bank(), "Deep learning (revise)")
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert "imsmanifest.xml" in names
    ET.fromstring(archive.read("imsmanifest.xml"))
    assessment = next(n for n in names if n.endswith(".xml") and "/" in n and "meta" not in n)
    root = ET.fromstring(archive.read(assessment))
    ns = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}
    items = root.findall(".//q:item", ns)
    assert len(items) == written > 100
    bounds = 0
    for item in items:
        low = item.find(".//q:vargte", ns)
        high = item.find(".//q:varlte", ns)
        if low is not None and high is not None:
            assert float(low.text or "nan") <= float(high.text or "nan")
            bounds += 1
    assert bounds >= 100


def test_export_commands(cli, tmp_path: Path) -> None:
    out = tmp_path / "bank.xml"
    r = cli("export", "moodle", "-o", str(out), "--family", "cnn.conv-output.*", "--variants", "3")
    assert r.returncode == 0, r.stderr
    root = ET.parse(out).getroot()
    numerical = root.findall("question[@type='numerical']")
    assert numerical and all(_text(q, "idnumber").startswith("cnn.conv-output.") for q in numerical)
    r = cli("export", "qti", "-o", str(tmp_path / "bank.zip"), "--topic", "gnn", "--variants", "2")
    assert r.returncode == 0 and zipfile.is_zipfile(tmp_path / "bank.zip")
    for bad in (["-o", str(tmp_path / "bank.txt")], ["--variants", "0"], ["--topic", "nope"]):
        r = cli("export", "moodle", *bad)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    count=st.integers(1, 30),
    cards=st.integers(0, 10),
    topics=st.sets(st.sampled_from(["cnn", "rnn", "gnn", "activations", "rl"]), max_size=3),
    difficulties=st.sets(st.integers(1, 3), max_size=2),
)
def test_sheet_codes_round_trip(
    seed: int, count: int, cards: int, topics: set[str], difficulties: set[int]
) -> None:
    selection = Selection(
        topics=tuple(sorted(topics)),
        difficulties=tuple(sorted(difficulties)),
        count=count,
        seed=seed,
        cards=cards,
    )
    try:
        code = encode(course(), selection)
    except Exception as exc:  # a filter that matches no family is refused like `revise print`
        assert "no question family" in str(exc)
        return
    assert code is not None and re.fullmatch(r"[0-9A-Z]{1,4}(-[0-9A-Z]{1,4})*", code)
    back = decode(course(), code.lower())
    assert back.seed == seed and back.count == count and back.cards == cards
    assert set(back.topics) == topics and set(back.difficulties) == difficulties


def test_a_mistyped_code_is_refused() -> None:
    code = encode(course(), Selection(topics=("cnn",), count=4, seed=42))
    assert code is not None
    for k, ch in enumerate(code):
        if ch == "-":
            continue
        typo = code[:k] + ("1" if ch != "1" else "2") + code[k + 1 :]
        with pytest.raises(Exception, match="sheet code"):
            decode(course(), typo)


def test_a_marked_sheet_counts_as_reviews(cli, tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    r = cli("print", "--topic", "cnn", "--count", "3", "--seed", "7", "-o", str(tmp_path / "s.md"))
    assert r.returncode == 0, r.stderr
    code = re.search(r"revise mark ([0-9A-Z-]+)", (tmp_path / "s.md").read_text()).group(1)  # type: ignore[union-attr]
    # the first question answered right (its answer from the engine), the second wrong, the
    # third left out
    from revise.sheet_marking import sheet_questions

    first = sheet_questions(course(), code)[0].variant
    right = answer_part(solve(first.problem, first.params, verify=False).answer, first.part)
    r = cli("--home", home, "mark", code, input=f"{json.dumps(right)}\n-12345\n\n")
    assert r.returncode == 0, r.stderr
    assert "✓" in r.stdout and "✗" in r.stdout and "(left out)" in r.stdout
    assert "Worked solution of question 2" in r.stdout
    assert "1 of 2 answered right; 2 review(s) saved." in r.stdout
    stats = json.loads(cli("--home", home, "stats", "--json").stdout)
    assert stats["reviews_total"] == 2
    r = cli("--home", home, "mark", code[:-1] + ("1" if code[-1] != "1" else "2"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
