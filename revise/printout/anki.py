"""The course as an Anki deck (`.apkg`, made with genanki): every flashcard, and worked variants of
every question family with the full solution on the back.

Ids are derived from content ids, never from time or chance: the note types and decks have fixed
ids, a flashcard's note GUID comes from the card's id and a variant's from (family id, variant
number). Importing a newer export therefore updates the student's notes (and keeps their review
history) instead of adding duplicates. Maths is MathJax (`\\( \\)`, `\\[ \\]`), which Anki draws
on every platform.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content import Card, Course, Family, Topic
from content.models import question_key
from engine.trace import Table
from revise.printout.markdown_writer import step_latex, window_latex
from revise.printout.mdhtml import (
    escape,
    markdown_to_html,
    math_display,
    math_inline,
    prompt_html,
)
from revise.printout.model import Question, question_from_variant, variant_for
from revise.printout.pictures import ActivationPlot, Picture
from revise.printout.svg import plot_svg
from revise.render.steps import is_note
from revise.render.table import numeric_columns

ROOT_DECK = "Deep learning (revise)"
DEFAULT_VARIANTS = 3

# Changing a note type's fields or templates? Keep its id: Anki updates the note type on import.
CARD_MODEL_KEY = "revise.anki.model.flashcard"
PROBLEM_MODEL_KEY = "revise.anki.model.worked-problem"

CSS = """
.card { font-family: "Libertinus Serif", Georgia, "Noto Serif CJK SC", "Songti SC", serif;
        font-size: 20px; line-height: 1.45; color: #1b2433; background: #fff;
        text-align: left; max-width: 46em; margin: 0 auto; padding: 0 0.6em; }
.nightMode.card, .night_mode .card { color: #e8ecf2; background: #1d2127; }
.front { font-size: 1.05em; }
.zh { margin-top: 0.8em; color: #8a4b08; font-size: 1.05em; }
.meta { margin-top: 1.2em; font-size: 0.65em; color: #7b8494; }
.answer { background: #fff6dc; padding: 0.35em 0.6em; border-radius: 4px; margin: 0.6em 0; }
.nightMode .answer, .night_mode .answer { background: #3a3322; }
.steps { padding-left: 1.4em; }
.steps li { margin: 0.55em 0; }
.step-title { font-weight: bold; font-size: 0.85em; }
.note { font-size: 0.9em; }
.given { margin: 0.4em 0; }
svg { max-width: 100%; height: auto; }
code { font-size: 0.85em; }
.trace-table { border-collapse: collapse; font-size: 0.7em; margin: 0.4em 0; }
.trace-table th, .trace-table td { padding: 0.1em 0.6em; text-align: left; white-space: nowrap; }
.trace-table thead { border-top: 2px solid #7b8494; border-bottom: 1px solid #7b8494; }
.trace-table tbody { border-bottom: 2px solid #7b8494; }
"""


def stable_id(key: str) -> int:
    """A fixed id for a note type or deck, in the range Anki's own ids use."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def card_guid(card: Card) -> str:
    import genanki

    return str(genanki.guid_for("revise.card", card.id))


def variant_guid(family: Family, k: int) -> str:
    import genanki

    return str(genanki.guid_for("revise.problem", family.id, k))


def _tag(text: str) -> str:
    return "_".join(text.split())


def tags_for(topic: str, source: str, *extra: str) -> list[str]:
    return ["revise", f"topic::{_tag(topic)}", f"source::{_tag(source)}", *map(_tag, extra)]


def deck_name(topic: Topic | None) -> str:
    if topic is None:
        return ROOT_DECK
    zh = f" {topic.title_zh}" if topic.title_zh else ""
    return f"{ROOT_DECK}::{topic.order:02d} {topic.title}{zh}"


def card_model() -> Any:
    import genanki

    return genanki.Model(
        stable_id(CARD_MODEL_KEY),
        "revise flashcard",
        fields=[
            {"name": "Front"},
            {"name": "Back"},
            {"name": "Chinese"},
            {"name": "Topic"},
            {"name": "Source"},
            {"name": "Id"},
        ],
        templates=[
            {
                "name": "Card",
                "qfmt": '<div class="front">{{Front}}</div>',
                "afmt": '{{FrontSide}}<hr id="answer">{{Back}}'
                '{{#Chinese}}<div class="zh">中文：{{Chinese}}</div>{{/Chinese}}'
                '<div class="meta">{{Topic}} · notes {{Source}} · {{Id}}</div>',
            }
        ],
        css=CSS,
    )


def problem_model() -> Any:
    import genanki

    return genanki.Model(
        stable_id(PROBLEM_MODEL_KEY),
        "revise worked problem",
        fields=[
            {"name": "Question"},
            {"name": "Answer"},
            {"name": "Solution"},
            {"name": "Topic"},
            {"name": "Source"},
            {"name": "Reference"},
        ],
        templates=[
            {
                "name": "Worked problem",
                "qfmt": '<div class="front">{{Question}}</div>',
                "afmt": '{{FrontSide}}<hr id="answer"><div class="answer"><b>Answer:</b> '
                "{{Answer}}</div>{{Solution}}"
                '<div class="meta">{{Topic}} · notes {{Source}} · {{Reference}}</div>',
            }
        ],
        css=CSS,
    )


def topic_label(topic: Topic | None, fallback: str) -> str:
    if topic is None:
        return escape(fallback)
    zh = f" ({topic.title_zh})" if topic.title_zh else ""
    return escape(topic.title + zh)


def card_fields(card: Card, topic: Topic | None) -> list[str]:
    chinese = "" if card.kind == "glossary" else escape(card.zh or "")
    return [
        markdown_to_html(card.front),
        markdown_to_html(card.back),
        chinese,
        topic_label(topic, card.topic),
        escape(card.source),
        escape(card.id),
    ]


def picture_html(picture: Picture) -> str:
    if isinstance(picture, ActivationPlot):
        return f'<div class="figure">{plot_svg(picture)}</div>'
    return f"<div>{math_display(window_latex(picture))}</div>"


def table_html(table: Table) -> str:
    """A table step as an HTML table, each cell as inline maths (numbers right-aligned)."""
    right = numeric_columns(table)

    def cells(row: Sequence[str], tag: str) -> str:
        out = []
        for latex, align_right in zip(row, right):
            style = ' style="text-align:right"' if align_right else ""
            out.append(f"<{tag}{style}>{math_inline(latex) if latex.strip() else ''}</{tag}>")
        return "<tr>" + "".join(out) + "</tr>"

    head = cells(table.header, "th")
    body = "".join(cells(row, "td") for row in table.rows)
    return f'<table class="trace-table"><thead>{head}</thead><tbody>{body}</tbody></table>'


def solution_html(q: Question) -> str:
    items = []
    for k, step in enumerate(q.solution.steps):
        body = f'<div class="step-title">{escape(step.title)}</div>'
        if is_note(step):
            body += f'<div class="note">{escape(step.value)}</div>'
        else:
            body += "".join(math_display(latex) for latex in step_latex(step))
        if step.table is not None:
            body += table_html(step.table)
        picture = q.step_pictures.get(k)
        if picture is not None:
            body += picture_html(picture)
        items.append(f"<li>{body}</li>")
    html = f'<ol class="steps">{"".join(items)}</ol>'
    if q.figure is not None:
        html += picture_html(q.figure)
    return html


def question_html(q: Question) -> str:
    return f"<div><b>{escape(q.title)}</b></div>" + prompt_html(q.prompt)


@dataclass(frozen=True)
class DeckSummary:
    cards: int
    problems: int
    decks: int


def build_package(
    course: Course,
    variants: int = DEFAULT_VARIANTS,
    topics: Sequence[str] = (),
    verify: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Any, DeckSummary]:
    """The genanki package: every card, and `variants` worked variants of every family."""
    import genanki

    chosen = set(topics) or {t.id for t in course.topics}
    topic_by_id = {t.id: t for t in course.topics}
    decks: dict[str, Any] = {}

    def deck_for(topic_id: str) -> Any:
        topic = topic_by_id.get(topic_id)
        name = deck_name(topic)
        if name not in decks:
            decks[name] = genanki.Deck(
                stable_id(f"revise.anki.deck.{topic_id if topic else 'root'}"), name
            )
        return decks[name]

    cmodel, pmodel = card_model(), problem_model()
    n_cards = 0
    for card in course.cards:
        if card.topic not in chosen:
            continue
        note = genanki.Note(
            model=cmodel,
            fields=card_fields(card, topic_by_id.get(card.topic)),
            tags=tags_for(card.topic, card.source, f"kind::{card.kind}", *card.tags),
            guid=card_guid(card),
        )
        deck_for(card.topic).add_note(note)
        n_cards += 1

    families = [f for f in course.families if f.topic in chosen]
    total = len(families) * variants
    n_problems = done = 0
    for family in families:
        asked: set[str] = set()
        for k in range(variants):
            variant = variant_for(family, k)
            key = question_key(variant.params)
            if key in asked:  # the family has no other numbers left: no note repeats a question
                done += 1
                if progress is not None:
                    progress(done, total)
                continue
            asked.add(key)
            q = question_from_variant(k + 1, course, family, variant, verify=verify)
            note = genanki.Note(
                model=pmodel,
                fields=[
                    question_html(q),
                    math_inline(q.answer_latex),
                    solution_html(q),
                    topic_label(q.topic, family.topic),
                    escape(family.source),
                    escape(q.reference),
                ],
                tags=tags_for(family.topic, family.source, "problem", *family.tags),
                guid=variant_guid(family, k),
            )
            deck_for(family.topic).add_note(note)
            n_problems += 1
            done += 1
            if progress is not None:
                progress(done, total)
    ordered = [decks[name] for name in sorted(decks)]
    package = genanki.Package(ordered)
    return package, DeckSummary(n_cards, n_problems, len(ordered))


def write_package(package: Any, path: Path) -> None:
    package.write_to_file(str(path))
