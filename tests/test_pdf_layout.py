"""The PDF's layout of formulas too wide for the page (`fit` in revise/printout/sheet.typ).

A formula that does not fit is shrunk, never below 8 pt; one still too wide runs over lines,
breaking at its operators and between column blocks of a matrix wider than the page. Checked on
the compiled PDF with pypdf: the size every glyph is set at, and where it lands on the page.
"""

from __future__ import annotations

import io
from typing import Any

import pypdf
import pytest

from revise.printout.typst_writer import math, template, unbreakable_words

typst = pytest.importorskip("typst")

PAGE = "#set page(width: 12cm, height: auto, margin: 1cm)\n#set text(size: 10.5pt)\n"


def _glyphs(source: str) -> list[tuple[str, float, float]]:
    """(text, size in pt, x in pt) of every piece of text in the compiled PDF."""
    pdf = pypdf.PdfReader(io.BytesIO(typst.compile(source.encode())))
    found: list[tuple[str, float, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip():
            scale = abs(tm[3] * cm[3]) or 1.0
            found.append((text, size * scale, tm[4] * cm[0] + cm[4]))

    for page in pdf.pages:
        page.extract_text(visitor_text=visit)
    return found


def _width(source: str) -> float:
    pdf = pypdf.PdfReader(io.BytesIO(typst.compile(source.encode())))
    return float(pdf.pages[0].mediabox.width)


@pytest.mark.parametrize("count", [14, 15, 16, 17, 22, 60])
def test_a_long_sum_breaks_over_lines_and_stays_at_8_pt_or_more(count: int) -> None:
    terms = " + ".join(f"x_{{{i}}}" for i in range(count))
    source = template() + PAGE + f"#fit({math(terms + ' = 1')})"
    glyphs = _glyphs(source)
    # the letters are set at 8 pt or more (their subscripts at the usual script size of that)
    assert min(size for text, size, _ in glyphs if "𝑥" in text) >= 8 - 1e-6
    assert max(x for _, _, x in glyphs) <= _width(source)


def test_a_matrix_wider_than_the_page_is_cut_into_column_blocks() -> None:
    row = " & ".join(str(100 + i) for i in range(28))
    latex = r"A = \begin{bmatrix} " + row + r" \\ " + row + r" \end{bmatrix} + B"
    source = template() + PAGE + f"#fit({math(latex)})"
    glyphs = _glyphs(source)
    text = " ".join(t for t, _, _ in glyphs)
    assert "⋯" in text  # the blocks are joined by ⋯
    assert min(size for _, size, _ in glyphs) >= 8 - 1e-6
    digits = "".join(t.strip() for t, _, _ in glyphs)
    # every column is printed, its two entries one after the other
    assert all(f"{100 + i}{100 + i}" in digits for i in range(28))
    assert max(x for _, _, x in glyphs) <= _width(source)


def test_the_regenerate_command_breaks_only_between_words() -> None:
    command = "revise print --family cnn.conv-output --family rnn.bptt --count 12 --seed 7 -o a.pdf"
    source = template() + "#set page(width: 6cm, height: auto, margin: 0.5cm)\n"
    source += "#" + unbreakable_words(command)
    lines = pypdf.PdfReader(io.BytesIO(typst.compile(source.encode()))).pages[0].extract_text()
    words = [w for line in lines.splitlines() for w in line.split()]
    assert len(lines.splitlines()) > 1  # it did have to break
    assert words == command.split()  # and only between words
