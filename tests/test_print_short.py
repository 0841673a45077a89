"""Short questions on a sheet: flashcards picked from the seed, their Markdown parsed once and
written as HTML (Anki), Typst (PDF) and Markdown, and `revise print --cards` / topics without
question families on the command line."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import replace
from pathlib import Path

import pytest

import content
from revise.cli import main
from revise.printout.card_markdown import (
    Bold,
    BulletList,
    Code,
    Italic,
    Math,
    NumberedList,
    Paragraph,
    Text,
    parse,
)
from revise.printout.card_typst import card_typst
from revise.printout.fonts import FontSetup, find_fonts, has_cjk
from revise.printout.markdown_writer import card_markdown, markdown_source
from revise.printout.mdhtml import markdown_to_html
from revise.printout.model import build_sheet
from revise.printout.pdf import compile_pdf
from revise.printout.select import Selection, pick_cards
from revise.printout.typst_writer import typst_source
from tests.conftest import run_cli

pypdf = pytest.importorskip("pypdf", reason="pypdf (a dev dependency) reads the PDF's text")

DATE = dt.date(2025, 1, 2)
HOSTILE = (
    '#set page(width: 1cm) ] " \\ $ unbalanced <script>alert(1)</script> @ref // c\n\n'
    '- one `#x]` **b $x^2$ "q"**\n- two *it* [l]\n\n1. a\n2. b #pagebreak()'
)


@pytest.fixture(scope="module")
def course() -> content.Course:
    return content.load()


def no_cjk_fonts() -> FontSetup:
    return find_fonts(system_fonts=False)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def squeezed(text: str) -> str:
    """Text without spaces and hyphens: line breaks and hyphenation in a PDF do not matter."""
    return re.sub(r"[\s\-\u2010\u2212]", "", text)


def longest_text(markdown: str) -> str:
    """The longest plain-text run of a card, whitespace made single."""
    runs: list[str] = []

    def walk(spans: tuple[object, ...]) -> None:
        for s in spans:
            if isinstance(s, Text):
                runs.append(" ".join(s.text.split()))
            elif isinstance(s, Bold | Italic):
                walk(s.children)

    for block in parse(markdown):
        for line in block.lines if isinstance(block, Paragraph) else block.items:
            walk(line)
    return max(runs, key=len)


# --- the parser and its HTML --------------------------------------------------------------


def test_card_markdown_parses_blocks_and_spans() -> None:
    blocks = parse("**Bold $x$** and *it*\nnext `c`\n\n- one\n  more\n- two\n\n1. a\n2) b")
    assert blocks == (
        Paragraph(
            (
                (Bold((Text("Bold "), Math("x", False))), Text(" and "), Italic((Text("it"),))),
                (Text("next "), Code("c")),
            )
        ),
        BulletList(((Text("one more"),), (Text("two"),))),
        NumberedList(((Text("a"),), (Text("b"),))),
    )
    assert parse("$$a$$ costs \\$3") == (Paragraph(((Math("a", True), Text(" costs $3")),)),)


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        (
            "**ReLU** is $\\max(0, x)$ <b>\n\n- one\n- two $a<b$\n\n$$x^2$$",
            "<div><b>ReLU</b> is \\(\\max(0, x)\\) &lt;b&gt;</div>\n"
            "<ul><li>one</li><li>two \\(a&lt;b\\)</li></ul>\n<div>\\[x^2\\]</div>",
        ),
        ("line one\nline two", "<div>line one<br>line two</div>"),
        (
            "1. first\n2. second **b**\n   cont",
            "<ol><li>first</li><li>second <b>b</b> cont</li></ol>",
        ),
        ("**a *b* c** and *x **y** z*", "<div><b>a <i>b</i> c</b> and <i>x <b>y</b> z</i></div>"),
        ("`g<h>\"'` \\$5 and $y$5", "<div><code>g&lt;h&gt;&quot;&#x27;</code> $5 and $y$5</div>"),
        ("snake_case 2*3*4 a**b**c", "<div>snake_case 2*3*4 a<b>b</b>c</div>"),
    ],
)
def test_html_for_anki_is_as_before(markdown: str, html: str) -> None:
    assert markdown_to_html(markdown) == html


# --- Typst --------------------------------------------------------------------------------


def test_card_typst_puts_text_in_as_strings() -> None:
    assert card_typst("**Bold** is $x^2$, *it* `c`") == (
        '#strong[#"Bold"]#" is "$x^(2)$#", "#emph[#"it"]#" "#raw("c")'
    )
    assert card_typst("a\nb\n\n- x\n- y") == '#"a"#linebreak()#"b"#parbreak()#list([#"x"], [#"y"])'
    assert card_typst('say "#x" \\ ]') == '#"say \\"#x\\" \\\\ ]"'
    assert card_typst("$a/b$") == "$a\\/b$"  # a slash, not a stacked fraction
    assert card_typst("$\\nosuchcommand{x}$") == '#raw("$\\\\nosuchcommand{x}$")'


def test_hostile_card_text_is_printed_as_text(course: content.Course) -> None:
    sheet = build_sheet(
        course,
        Selection(topics=("foundations",), count=0, cards=1, seed=1),
        solutions="inline",
        date=DATE,
        command="x",
        verify=False,
    )
    sq = sheet.short[0]
    card = sq.card.model_copy(update={"front": HOSTILE, "back": HOSTILE})
    sheet = replace(sheet, short=(replace(sq, card=card),))
    compiled = compile_pdf(typst_source(sheet, None), no_cjk_fonts())
    reader = pypdf.PdfReader(io.BytesIO(compiled.pdf))
    assert float(reader.pages[0].mediabox.width) > 500  # the page is still A4
    text = squeezed(pdf_text(compiled.pdf))
    for piece in ("#setpage(width:1cm)]", '"\\$unbalanced<script>alert(1)</script>', "#x]"):
        assert squeezed(piece) in text
    assert "#pagebreak()" in text and "[l]" in text
    assert "**" not in text


def test_every_card_typesets_and_compiles(course: content.Course) -> None:
    cards = [c for c in course.cards if c.kind != "glossary"]
    sheet = build_sheet(
        course,
        Selection(count=0, cards=len(cards), seed=0),
        solutions="inline",
        date=DATE,
        command="x",
        verify=False,
    )
    assert [sq.card.id for sq in sheet.short] == [c.id for c in sheet_order(course, cards)]
    source = typst_source(sheet, None)
    assert '#raw("$' not in source  # every formula of the cards converts
    assert compile_pdf(source, no_cjk_fonts()).pages > 5


def sheet_order(course: content.Course, cards: list[content.Card]) -> list[content.Card]:
    order = {t.id: t.order for t in course.topics}
    return sorted(cards, key=lambda c: order[c.topic])  # stable: the course's card order within


def test_card_markdown_is_written_again_escaped() -> None:
    assert card_markdown("**b** $x$ <i>\n#no\n- not a list", "**1.**") == [
        "**1.** **b** $x$ \\<i\\>  \n\\#no  \n\\- not a list",
        "",
    ]
    assert card_markdown("- one `c`\n- *two*", "**Answer:**") == [
        "**Answer:**",
        "",
        "- one `c`",
        "- *two*",
        "",
    ]


# --- choosing the cards -------------------------------------------------------------------


def test_pick_cards_is_deterministic_and_leaves_out_the_glossary(course: content.Course) -> None:
    a = pick_cards(course, ("cnn", "rnn"), 6, 7)
    assert a == pick_cards(course, ("cnn", "rnn"), 6, 7)
    assert a != pick_cards(course, ("cnn", "rnn"), 6, 8)
    assert len(a) == 6 and {c.topic for c in a} == {"cnn", "rnn"}
    assert all(c.kind != "glossary" for c in a)
    assert a == sheet_order(course, [c for c in course.cards if c in a])
    every = [c for c in course.cards if c.topic == "theory" and c.kind != "glossary"]
    assert pick_cards(course, ("theory",), 999, 1) == every
    assert all(c.kind != "glossary" for c in pick_cards(course, (), 50, 3))


# --- the command line ---------------------------------------------------------------------


def test_a_topic_without_families_prints_short_questions(
    tmp_path: Path, course: content.Course
) -> None:
    out = tmp_path / "x.pdf"
    done = run_cli("print", "--topic", "foundations", "--count", "6", "--seed", "3", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        rf"wrote {re.escape(str(out))}: 6 short question\(s\), \d+ page\(s\), seed 3\n", done.stdout
    )
    text = pdf_text(out.read_bytes())
    assert "Short questions" in text and "Short answers" in text
    flat = squeezed(text)
    picked = pick_cards(course, ("foundations",), 6, 3)
    assert len(picked) == 6
    for card in picked:
        assert squeezed(card.front) in flat, card.id
    assert "--count 6 --seed 3" in " ".join(text.split())

    md_out = tmp_path / "x.md"
    assert (
        main(["print", "--topic", "foundations", "--count", "6", "--seed", "3", "-o", str(md_out)])
        == 0
    )
    md = md_out.read_text(encoding="utf-8")
    assert "## Short questions" in md and "## Short answers" in md and "## Questions" not in md
    assert "6 short questions, answers at the end" in md
    for card in picked:
        assert longest_text(card.back) in md, card.id


def test_cards_add_short_questions_numbered_after_the_worked_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], course: content.Course
) -> None:
    out = tmp_path / "s.md"
    args = ["print", "--topic", "cnn", "--count", "2", "--cards", "3", "--seed", "4"]
    assert main([*args, "-o", str(out)]) == 0
    assert f"wrote {out}: 2 question(s) and 3 short question(s), seed 4" in capsys.readouterr().out
    md = out.read_text(encoding="utf-8")
    assert "2 questions and 3 short questions" in md
    assert "`revise print --topic cnn --count 2 --cards 3 --seed 4" in md
    short = md.split("## Short questions", 1)[1].split("## Answers", 1)[0]
    assert [int(n) for n in re.findall(r"(?m)^\*\*(\d+)\.\*\*", short)] == [3, 4, 5]
    for card in pick_cards(course, ("cnn",), 3, 4):
        assert longest_text(card.front) in short


def test_same_arguments_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sheets = []
    for _ in range(2):
        args = ["print", "--topic", "theory", "--count", "4", "--seed", "2", "--date", "2025-01-02"]
        assert main([*args, "-o", "s.pdf"]) == 0
        sheets.append((tmp_path / "s.pdf").read_bytes())
    assert sheets[0] == sheets[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--topic", "cnn", "--cards", "-1"], "--cards -1"),
        (["--problem", "conv2d.output_size", "size=8", "kernel=3", "--cards", "2"], "--cards"),
        (["--topic", "theory", "--difficulty", "1"], "no question family matches"),
        (["--topic", "foundations", "--count", "0"], "--count must be at least 1"),
    ],
)
def test_bad_calls_are_one_line_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["print", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_solutions_modes_for_short_questions(tmp_path: Path) -> None:
    texts = {}
    for mode in ("end", "inline", "none"):
        out = tmp_path / f"{mode}.md"
        args = ["print", "--topic", "theory", "--count", "3", "--seed", "1"]
        assert main([*args, "--solutions", mode, "-o", str(out)]) == 0
        texts[mode] = out.read_text(encoding="utf-8")
    assert "## Short answers" in texts["end"] and "**Answer:**" not in texts["end"]
    assert "## Short answers" not in texts["inline"] and texts["inline"].count("**Answer:**") == 3
    assert "## Short answers" not in texts["none"] and "**Answer:**" not in texts["none"]


def test_the_chinese_of_short_questions_is_left_out_without_a_font(course: content.Course) -> None:
    sheet = build_sheet(
        course,
        Selection(topics=("foundations",), count=0, cards=5, seed=2),
        solutions="end",
        date=DATE,
        command="x",
        verify=False,
    )
    assert any(sq.card.zh and sq.card.zh in sq.meta for sq in sheet.short)
    body = typst_source(sheet, None).split("#show: sheet.with(", 1)[1]
    assert not has_cjk(body) and "Chinese terms left out" in body
    assert "Short answers" in markdown_source(sheet)
