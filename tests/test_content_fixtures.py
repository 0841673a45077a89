"""Bad content is reported with file, line and key — one fixture file or folder per bad case.

Each case under tests/fixtures/content/ breaks the content in one way; the loader must report
exactly where (`file:line key: message`), never with a traceback, and `revise validate` must exit
with status 2 printing the same lines. The shipped course itself must validate cleanly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import content
from content import ContentError, ContentProblem

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "content"

# case, file (relative to the case), line, key, a fragment of the message
CASES = [
    ("bad_yaml.yaml", "", 9, "", "not valid YAML"),
    ("unknown_key.yaml", "", 12, "families[0].colour", "unknown key"),
    ("wrong_type.yaml", "", 10, "families[0].difficulty", "valid integer"),
    ("unknown_problem.yaml", "", 4, "families[0].problem", "did you mean conv2d.output_size"),
    ("missing_placeholder.yaml", "", 6, "families[0].prompt", "placeholder {stride}"),
    ("duplicate_card_id.yaml", "", 14, "cards[2].id", "duplicate card id 'cnn.kernel.def'"),
    ("invalid_call.yaml", "", 10, "families[0].params.kernel", "invalid call"),
    ("unknown_topic.yaml", "", 9, "cards[1].topic", "unknown topic 'cnnn'"),
    ("bad_source.yaml", "", 6, "terms[0].source", "seed note id"),
    ("missing_key.yaml", "", 2, "cards[0].back", "required key is missing"),
    ("unknown_param.yaml", "", 10, "families[0].params.strid", "no parameter 'strid'"),
    ("missing_param.yaml", "", 7, "families[0].params", "required parameter 'kernel'"),
    ("bad_sampler.yaml", "", 8, "families[0].params.size", "a sampler is a constant"),
    ("bad_expression.yaml", "", 10, "families[0].params.stride.expr", "unknown function"),
    ("expression_order.yaml", "", 10, "families[0].params.padding.expr", "drawn later"),
    ("unsatisfiable.yaml", "", 10, "families[0].constraints", "no draw met the constraints"),
    ("duplicate_key.yaml", "", 7, "topics[0].order", "duplicate key"),
    ("wrong_section.yaml", "", 1, "card", "did you mean cards"),
    ("empty.yaml", "", 1, "", "empty file"),
    (
        "duplicate_family_across_files",
        "families/b.yaml",
        12,
        "families[1].id",
        "duplicate family id 'cnn.same'",
    ),
    ("no_topics", "topics.yaml", 1, "", "no topics"),
    # a prompt's placeholders are plain names: no attribute, format spec, index or position
    ("prompt_attribute.yaml", "", 8, "families[0].prompt", "{size.__class__.__mro__} is not a"),
    ("prompt_format_spec.yaml", "", 8, "families[0].prompt", "{size:x>1000000000} is not a"),
    ("prompt_positional.yaml", "", 8, "families[0].prompt", "{0} is not a plain name"),
    ("prompt_index.yaml", "", 8, "families[0].prompt", "{a[0]} is not a plain name"),
    ("prompt_empty.yaml", "", 8, "families[0].prompt", "{} is not a plain name"),
    ("prompt_command.yaml", "", 8, "families[0].prompt", "{size} after \\text would put"),
    ("trivial_answers.yaml", "", 7, "families[0].params", "the answer is zero"),
    ("untested_method.yaml", "", 14, "families[0].tests", "row_normalized gives no other answer"),
    ("unknown_test.yaml", "", 11, "families[0].tests[0]", "no misconception 'ignored_paddding'"),
    ("unknown_test.yaml", "", 12, "families[0].may_equal[1]", "'stride' is not one of"),
]


def _display(case: str, file: str) -> str:
    path = FIXTURES / case
    return (path / file).as_posix() if file else path.as_posix()


@pytest.mark.parametrize(("case", "file", "line", "key", "fragment"), CASES)
def test_each_bad_case_is_located(case: str, file: str, line: int, key: str, fragment: str) -> None:
    _, problems = content.check(FIXTURES / case)
    assert problems, f"{case}: no problem reported"
    found = [p for p in problems if fragment in p.message]
    assert found, f"{case}: nothing mentions {fragment!r}: {[str(p) for p in problems]}"
    p = found[0]
    assert (p.file, p.line, p.key) == (_display(case, file), line, key), str(p)
    assert str(p).startswith(f"{p.file}:{line} {key}: " if key else f"{p.file}:{line}: ")


def test_there_are_at_least_ten_bad_cases() -> None:
    cases = {p.name for p in FIXTURES.iterdir()}
    assert len(cases) >= 10
    assert {c for c, *_ in CASES} <= cases


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    _, problems = content.check(FIXTURES / "bad_sampler.yaml")
    keys = {p.key for p in problems}
    assert keys == {"families[0].params.size", "families[0].params.kernel.int"}


def test_semantic_checks_still_run_on_items_with_schema_errors() -> None:
    text = (FIXTURES / "unknown_param.yaml").read_text(encoding="utf-8")
    _, problems = content.check(FIXTURES / "unknown_param.yaml")
    assert [p.key for p in problems] == ["families[0].params.strid"]
    assert "difficulty: 1" in text


def test_part_that_the_answer_lacks_is_found_when_solving() -> None:
    path = FIXTURES / "bad_part.yaml"
    assert content.check(path)[1] == []  # a well-formed key: only solving can tell
    (problem,) = content.check(path, deep=1)[1]
    assert (problem.line, problem.key) == (12, "families[0].part")
    assert "macs, flops, output_size" in problem.message


def test_load_raises_content_error_with_every_line() -> None:
    with pytest.raises(ContentError) as info:
        content.load(FIXTURES / "bad_sampler.yaml")
    err = info.value
    assert len(err.problems) == 2
    assert str(err).splitlines() == err.lines()
    assert all(isinstance(p, ContentProblem) for p in err.problems)


def test_missing_path_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    _, problems = content.check(tmp_path / "nowhere")
    assert [p.message for p in problems] == ["no such file or folder"]


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("cards:\n  - front: caf\xe9\n".encode("latin-1"))
    (problem,) = content.check(bad)[1]
    assert problem.line == 1 and "not UTF-8" in problem.message


def test_shipped_content_validates() -> None:
    course, problems = content.check(seeds=20, deep=2)
    assert problems == [], "\n".join(str(p) for p in problems)
    assert course.topics and course.families


def test_validate_command_reports_lines_and_exits_2(cli) -> None:
    out = cli("validate", str(FIXTURES / "unknown_topic.yaml"))
    assert out.returncode == 2
    line = f"{(FIXTURES / 'unknown_topic.yaml').as_posix()}:9 cards[1].topic: unknown topic 'cnnn'"
    assert line in out.stderr
    assert "Traceback" not in out.stderr


def test_validate_command_json(cli) -> None:
    out = cli("validate", str(FIXTURES / "duplicate_family_across_files"), "--json")
    assert out.returncode == 2
    data = json.loads(out.stdout)
    assert data["ok"] is False
    assert data["problems"][0]["key"] == "families[1].id"
    assert data["problems"][0]["line"] == 12


def test_validate_command_clean_content(cli) -> None:
    out = cli("validate", "--seeds", "5")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("content OK:")
    assert "families" in out.stdout


def test_topics_command_json(cli) -> None:
    out = cli("topics", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["id"] for r in rows][:2] == ["foundations", "activations"]
    assert {"id", "title", "cards", "families"} <= set(rows[0])
    assert sum(r["families"] for r in rows) == len(content.load().families)
