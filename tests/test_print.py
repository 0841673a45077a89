"""`revise print`: seeded sheets compiled to PDF (text read back with pypdf), Markdown, determinism,
question selection, pictures, Chinese fonts, and the command line's errors."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

import content
from engine.errors import UserError
from engine.latex import num
from revise.cli import main
from revise.printout.fonts import FontSetup, find_fonts, has_cjk, strip_cjk
from revise.printout.model import build_problem_sheet, build_sheet
from revise.printout.pdf import compile_pdf, page_count
from revise.printout.select import Selection, parse_difficulty, pick
from revise.printout.typst_writer import typst_source

pypdf = pytest.importorskip("pypdf", reason="pypdf (a dev dependency) reads the PDF's text")

DATE = dt.date(2025, 1, 2)
# output sizes and parameter counts: every answer is one integer
SCALAR_FAMILIES = ("cnn.conv-output", "cnn.conv-params", "cnn.pool-output")


@pytest.fixture(scope="module")
def course() -> content.Course:
    return content.load()


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return text.replace("\u2212", "-")  # Typst sets a minus sign, not a hyphen


def no_cjk_fonts() -> FontSetup:
    return find_fonts(system_fonts=False)


def test_seeded_pdf_has_numbered_questions_and_the_engines_answers(
    tmp_path: Path, course: content.Course, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sheet.pdf"
    args = ["print", "--count", "6", "--seed", "11", "--date", "2025-01-02", "-o", str(out)]
    for f in SCALAR_FAMILIES:
        args += ["--family", f]
    assert main(args) == 0
    assert f"wrote {out}: 6 question(s)" in capsys.readouterr().out

    text = pdf_text(out)
    selection = Selection(families=SCALAR_FAMILIES, count=6, seed=11)
    picks = pick(course, selection)
    for number, p in enumerate(picks, start=1):
        variant = p.family.variant(p.seed)
        answer = variant.expected(variant.solve(verify=False).answer)
        assert isinstance(answer, int | float)
        assert re.search(rf"(?m)^\s*{number}\.", text), f"question {number} is not numbered"
        assert re.search(rf"\b{re.escape(num(answer))}\b", text), (number, answer)
        assert p.family.title in " ".join(text.split())
    assert "Answers" in text and "Worked solutions" in text
    assert "seed 11" in text and "2025-01-02" in text
    assert "revise print" in text and "--seed 11" in text  # the command that regenerates it
    assert re.search(r"1\s*/\s*\d+", text)  # page numbers
    pages = len(pypdf.PdfReader(str(out)).pages)
    assert 2 <= pages <= 8
    assert page_count(out.read_bytes()) == pages


def test_same_seed_gives_the_same_bytes_and_another_seed_another_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the same `-o sheet.pdf` each time: the header quotes it
    sheets = []
    for seed in (5, 5, 6):
        args = ["print", "--topic", "cnn", "--count", "4", "--seed", str(seed)]
        assert main([*args, "--date", "2025-01-02", "-o", "sheet.pdf"]) == 0
        sheets.append((tmp_path / "sheet.pdf").read_bytes())
    assert sheets[0] == sheets[1]
    assert sheets[0] != sheets[2]


def test_source_date_epoch_fixes_the_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735776000")  # 2025-01-02
    out = tmp_path / "s.md"
    assert (
        main(["print", "--family", "cnn.conv-output.strided", "--seed", "1", "-o", str(out)]) == 0
    )
    assert "**Date:** 2025-01-02" in out.read_text(encoding="utf-8")


def test_markdown_sheet_has_the_maths(tmp_path: Path) -> None:
    out = tmp_path / "sheet.md"
    args = [
        "print",
        "--family",
        "cnn.conv-forward.cross-correlation",
        "--family",
        "activations.value",
    ]
    assert main([*args, "--count", "2", "--seed", "3", "--date", "2025-01-02", "-o", str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# Deep learning: problem sheet") or md.startswith("# ")
    assert "### 1." in md and "### 2." in md
    assert "## Answers" in md and "## Worked solutions" in md
    assert "$$\n" in md and r"\begin{bmatrix}" in md  # display maths, matrices as matrices
    assert r"\boxed{" in md  # the convolution window over the input
    assert "data:image/svg+xml;base64," in md  # the activation curve
    assert "`revise print --family cnn.conv-forward.cross-correlation" in md


def test_markdown_to_stdout_without_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["print", "--family", "cnn.conv-params.basic", "--seed", "2", "--count", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# ") and "### 1." in out


def test_family_and_seed_print_the_apps_variant(course: content.Course) -> None:
    family = course.family("cnn.conv-output.strided")
    sheet = build_sheet(
        course,
        Selection(families=(family.id,), count=1, seed=42),
        solutions="end",
        date=DATE,
        command="x",
        verify=False,
    )
    assert sheet.questions[0].prompt == family.variant(42).prompt_text
    assert sheet.questions[0].reference == f"{family.id} · seed 42"


def test_selection_spreads_over_topics_and_repeats_with_new_variants(
    course: content.Course,
) -> None:
    picks = pick(course, Selection(topics=("cnn", "rnn", "losses"), count=9, seed=1))
    assert {p.family.topic for p in picks} == {"cnn", "rnn", "losses"}
    one = course.family("losses.mse")
    repeated = pick(course, Selection(families=(one.id,), count=3, seed=8))
    assert [p.family.id for p in repeated] == [one.id] * 3
    assert len({p.seed for p in repeated}) == 3 and repeated[0].seed == 8
    hard = pick(course, Selection(difficulties=(3,), count=5, seed=2))
    assert all(p.family.difficulty == 3 for p in hard)
    assert pick(course, Selection(count=7, seed=4)) == pick(course, Selection(count=7, seed=4))


def test_difficulty_parsing() -> None:
    assert parse_difficulty("2") == (2,)
    assert parse_difficulty("1-2") == (1, 2)
    assert parse_difficulty("1,3") == (1, 3)
    for bad in ("4", "x", "3-1"):
        with pytest.raises(UserError):
            parse_difficulty(bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--topic", "cnnn"], "--topic cnnn: no such topic"),
        (["--family", "nope.*"], "no question family matches"),
        (["--count", "0"], "--count must be at least 1"),
        (["--format", "pdf"], "a PDF needs a file"),
        (["-o", "sheet.docx"], "cannot tell the format"),
        (["--date", "2025-13-01"], "YYYY-MM-DD"),
        (["--problem", "no.such.problem"], "no.such"),
        (["size=3"], "go with --problem"),
    ],
)
def test_bad_calls_are_one_line_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["print", "--seed", "1", *args] if "--problem" not in args else ["print", *args]) == 2
    )
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_problem_prints_the_worked_example_for_ones_own_numbers(tmp_path: Path) -> None:
    out = tmp_path / "mine.pdf"
    args = ["print", "--problem", "conv2d.output_size", "size=32", "kernel=5", "padding=2"]
    assert main([*args, "--date", "2025-01-02", "-o", str(out)]) == 0
    text = pdf_text(out)
    assert "conv2d.output_size" in text and "32" in text
    assert "revise print --problem conv2d.output_size size=32 kernel=5 padding=2" in " ".join(
        text.split()
    )


def test_every_family_typesets_and_compiles(course: content.Course) -> None:
    """One variant of every family in one PDF: every formula of every trace goes through Typst."""
    sheet = build_sheet(
        course,
        Selection(count=len(course.families), seed=0),
        solutions="inline",
        date=DATE,
        command="revise print",
        verify=False,
    )
    assert {q.family_id for q in sheet.questions} == {f.id for f in course.families}
    compiled = compile_pdf(typst_source(sheet, None), no_cjk_fonts())
    assert compiled.pages > 10


def test_pictures_are_drawn_for_activations_and_convolutions(course: content.Course) -> None:
    sheet = build_sheet(
        course,
        Selection(
            families=(
                "activations.derivative",
                "cnn.conv-forward.padded-strided",
                "cnn.pool-forward.max",
            ),
            count=3,
            seed=1,
        ),
        solutions="end",
        date=DATE,
        command="x",
        verify=False,
    )
    by_problem = {q.solution.problem: q for q in sheet.questions}
    assert by_problem["activation"].figure is not None
    conv = by_problem["conv2d.forward"]
    assert conv.step_pictures, "conv2d.forward steps lost their window pictures"
    window = next(iter(conv.step_pictures.values()))
    assert window.padding == (1, 1)  # type: ignore[union-attr]
    assert by_problem["pool2d.forward"].step_pictures
    source = typst_source(sheet, None)
    assert source.count("#figure-row(") == 1 and "convwin(" in source
    assert compile_pdf(source, no_cjk_fonts()).pages >= 2


def test_text_goes_in_as_text_not_markup(course: content.Course) -> None:
    sheet = build_problem_sheet(
        course,
        "conv2d.output_size",
        {"size": 8, "kernel": 3},
        solutions="inline",
        date=DATE,
        command="revise print",
        title='#set page(width: 1cm) $x$ *b* "q" \\ [l] <a> @r // c',
        verify=False,
    )
    compiled = compile_pdf(typst_source(sheet, None), no_cjk_fonts())
    reader = pypdf.PdfReader(__import__("io").BytesIO(compiled.pdf))
    assert '#set page(width: 1cm) $x$ *b* "q"' in reader.pages[0].extract_text()


def test_without_a_chinese_font_the_chinese_is_left_out_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import revise.printout.fonts as fonts

    monkeypatch.setattr(fonts, "find_fonts", lambda extra=(), system_fonts=True: no_cjk_fonts())
    out = tmp_path / "sheet.typ"
    assert main(["print", "--topic", "cnn", "--count", "2", "--seed", "1", "-o", str(out)]) == 0
    assert "no font with Chinese characters was found" in capsys.readouterr().err
    source = out.read_text(encoding="utf-8")
    body = source.split("#show: sheet.with(", 1)[1]
    assert not has_cjk(body)
    assert "Chinese terms left out" in body


def test_with_a_chinese_font_the_terms_are_printed(tmp_path: Path, course: content.Course) -> None:
    fonts = find_fonts()
    if fonts.cjk_family is None:
        pytest.skip(
            "no font with Chinese characters on this machine (e.g. apt-get install fonts-noto-cjk)"
        )
    sheet = build_sheet(
        course,
        Selection(topics=("cnn",), count=1, seed=1),
        solutions="end",
        date=DATE,
        command="x",
        verify=False,
    )
    compiled = compile_pdf(typst_source(sheet, fonts.cjk_family), fonts)
    path = tmp_path / "zh.pdf"
    path.write_bytes(compiled.pdf)
    assert "卷积神经网络" in pdf_text(path)


def test_strip_cjk_takes_brackets_with_it() -> None:
    assert strip_cjk("the receptive field (感受野) of a unit") == "the receptive field of a unit"
    assert strip_cjk("Activation functions (激活函数)") == "Activation functions"


def _solutions_modes(tmp_path: Path) -> dict[str, Any]:
    texts = {}
    for mode in ("end", "inline", "none"):
        out = tmp_path / f"{mode}.md"
        args = ["print", "--family", "losses.mse", "--count", "2", "--seed", "1"]
        assert main([*args, "--solutions", mode, "-o", str(out)]) == 0
        texts[mode] = out.read_text(encoding="utf-8")
    return texts


def test_solutions_end_inline_none(tmp_path: Path) -> None:
    texts = _solutions_modes(tmp_path)
    assert "## Worked solutions" in texts["end"]
    assert "## Worked solutions" not in texts["inline"] and "**Answer:**" in texts["inline"]
    assert "## Answers" not in texts["none"] and "**Answer:**" not in texts["none"]
    assert "--solutions none" in texts["none"]


def test_print_from_a_shell(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "sheet.pdf"
    done = cli("print", "--topic", "activations", "--count", "2", "--seed", "9", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    assert f"wrote {out}: 2 question(s)" in done.stdout
    bad = cli("print", "--topic", "nope")
    assert bad.returncode == 2 and bad.stderr.startswith("revise: error: --topic nope")
