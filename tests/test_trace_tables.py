"""Table steps in every back-end: the terminal and the app's trace view, Markdown, Anki HTML,
Typst/PDF and JSON. The tables here are made up (any problem may emit one), and one is a real
network summary printed to PDF and read back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import content
from engine.solve import Solution, solve
from engine.trace import Trace
from revise.printout.anki import table_html
from revise.printout.fonts import find_fonts
from revise.printout.markdown_writer import solution_markdown as sheet_solution_markdown
from revise.printout.model import Question, build_problem_sheet
from revise.printout.pdf import compile_pdf
from revise.printout.typst_writer import table_source, typst_source
from revise.render.table import markdown_table, numeric_columns, table_lines
from revise.render.terminal import render_solution
from revise.widgets.trace_view import render_step, solution_markdown

pypdf = pytest.importorskip("pypdf", reason="pypdf (a dev dependency) reads the PDF's text")


def q_table_solution() -> Solution:
    """A made-up table step: Q-values after each backup, as another problem might emit them."""
    trace = Trace()
    trace.table(
        "Q after each backup",
        [r"\text{Backup}", r"Q(s_{1}, a)", r"\text{Update}"],
        [["1", "0.5", r"\frac{1}{2}"], ["2", r"12\,345", r"|x| + \sqrt{2}"], ["3", "-0.25", ""]],
        [[0.5], [12345], [-0.25]],
        formula=r"Q \leftarrow Q + \alpha (r + \gamma \max Q' - Q)",
    )
    return Solution("rl.value_iteration", {}, 1, tuple(trace.steps), None)


def test_terminal_table_has_rules_aligned_columns_and_tall_rows() -> None:
    step = q_table_solution().steps[0]
    assert step.table is not None
    lines = table_lines(step.table)
    assert lines[0] == lines[2] == lines[-1] and set(lines[0]) == {"═"}
    assert "Backup" in lines[1] and "Q(s₁, a)" in lines[1]
    # the fraction makes its row three lines tall; numbers are right-aligned under the header
    body = lines[3:-1]
    assert len(body) == 3 + 1 + 1
    col = lines[1].index("Q(s₁, a)") + len("Q(s₁, a)")
    assert any(line[:col].endswith("12 345") for line in body)
    assert any(line[:col].endswith("−0.25") for line in body)
    assert numeric_columns(step.table) == [True, True, False]


def test_solve_and_the_app_draw_the_table_instead_of_the_value() -> None:
    solution = q_table_solution()
    text = render_solution(solution)
    assert "1. Q after each backup" in text and "12 345" in text and "[[0.5]" not in text
    rendered = render_step(1, solution.steps[0])
    first, *rest = rendered.body.splitlines()
    assert "α" in first  # the formula, then the table
    assert any("═" in line for line in rest) and "12 345" in rendered.body
    assert "[[0.5]" not in rendered.body


def test_markdown_pipe_table_with_maths_cells() -> None:
    step = q_table_solution().steps[0]
    assert step.table is not None
    lines = markdown_table(step.table)
    assert lines[0] == r"| $\text{Backup}$ | $Q(s_{1}, a)$ | $\text{Update}$ |"
    assert lines[1] == "|---:|---:|---|"
    assert r"$\|x\| + \sqrt{2}$" in lines[3] and lines[4].endswith("|  |")
    app_md = solution_markdown(q_table_solution())
    assert "| $1$ | $0.5$ | $\\frac{1}{2}$ |" in app_md


def test_anki_html_table() -> None:
    step = q_table_solution().steps[0]
    assert step.table is not None
    html = table_html(step.table)
    assert html.startswith('<table class="trace-table"><thead><tr><th')
    assert html.count("<tr>") == 4 and r"\(\frac{1}{2}\)" in html
    assert 'style="text-align:right"' in html


def test_json_keeps_the_table() -> None:
    data = json.loads(json.dumps(q_table_solution().to_json()))
    assert data["steps"][0]["table"]["rows"][1][1] == r"12\,345"


def test_typst_table_source(tmp_path: Path) -> None:
    step = q_table_solution().steps[0]
    assert step.table is not None
    source = table_source(step.table)
    assert source.startswith("trace-table(") and "[]" in source


def test_network_summary_prints_as_a_table_in_pdf_and_markdown(tmp_path: Path) -> None:
    course = content.load()
    sheet = build_problem_sheet(
        course,
        "network.summary",
        {"input": [3, 32, 32], "layers": "conv(6,5) relu pool(2) flatten linear(10)"},
        solutions="inline",
        date=dt.date(2025, 1, 2),
        command="revise print",
    )
    compiled = compile_pdf(typst_source(sheet, None), find_fonts(system_fonts=False))
    out = tmp_path / "net.pdf"
    out.write_bytes(compiled.pdf)
    text = " ".join(
        (page.extract_text() or "") for page in pypdf.PdfReader(str(out)).pages
    ).replace("\u2212", "-")
    assert "Receptive field" in text and "conv1" in text and "11 770" in text.replace("\u2009", " ")
    question: Question = sheet.questions[0]
    md = "\n".join(sheet_solution_markdown(question))
    assert r"| $\text{Layer}$ | $\text{Type}$ |" in md


def test_the_answer_of_a_long_table_is_not_written_inline() -> None:
    from revise.render.values import value_latex

    answer = solve("network.summary", {"preset": "lenet5"}, verify=False).answer
    latex = value_latex(answer)
    assert "a table of 14 rows" in latex and "OUTPUT" not in latex
    assert r"\text{total params} = 60000" in latex
