"""A sheet as data: numbered questions with their worked solutions and pictures, and short
questions drawn from the flashcards.

The sheet is built once (questions drawn, solved by the engine and checked against PyTorch/SymPy,
pictures computed) and then written by each writer: `typst_writer` for PDF, `markdown_writer`
for Markdown. Nothing here knows about a file format.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from content import Card, Course, Family, GlossaryTerm, Topic, Variant, answer_part
from content.models import question_key
from content.prompt import value_latex as prompt_latex
from content.samplers import SamplingError
from engine.errors import UserError
from engine.solve import Solution, solve
from revise.printout.pictures import Picture, activation_plot, conv_windows, pool_windows
from revise.printout.select import RETRIES, Selection, derived_seed, pick, pick_cards
from revise.render.steps import marked
from revise.render.values import answer_expressions, value_latex

SolutionsMode = Literal["end", "inline", "none"]
SOLUTIONS_MODES: tuple[SolutionsMode, ...] = ("end", "inline", "none")
STARS = {1: "★☆☆", 2: "★★☆", 3: "★★★"}


@dataclass(frozen=True)
class Question:
    number: int
    title: str
    topic: Topic | None
    prompt: str
    solution: Solution
    part: str | None
    expected: Any
    family_id: str | None = None
    seed: int | None = None
    difficulty: int | None = None
    source: str | None = None
    figure: Picture | None = None
    step_pictures: Mapping[int, Picture] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """Where the question comes from: `family · seed N`, or the problem for one's own numbers."""
        if self.family_id is not None:
            return f"{self.family_id} · seed {self.seed}"
        return self.solution.problem

    @property
    def meta(self) -> str:
        """One line under the title: topic, difficulty, reference."""
        parts = []
        if self.topic is not None:
            parts.append(self.topic.title)
        if self.difficulty is not None:
            parts.append(STARS.get(self.difficulty, str(self.difficulty)))
        parts.append(self.reference)
        return " · ".join(parts)

    @property
    def answer_latex(self) -> str:
        kinds = answer_expressions(self.solution.problem, self.part)
        return value_latex(self.expected, expressions=kinds)


@dataclass(frozen=True)
class ShortQuestion:
    """A flashcard asked on a sheet: its front is the question, its back the answer."""

    number: int
    card: Card
    topic: Topic

    @property
    def meta(self) -> str:
        """One line under the question: topic, kind of card, Chinese term, seed note."""
        parts = [self.topic.title, self.card.kind]
        if self.card.zh:
            parts.append(self.card.zh)
        parts.append(f"note {self.card.source}")
        return " · ".join(parts)


@dataclass(frozen=True)
class Sheet:
    title: str
    topics: tuple[Topic, ...]
    seed: int | None
    date: dt.date
    command: str
    solutions: SolutionsMode
    questions: tuple[Question, ...]
    glossary: tuple[GlossaryTerm, ...] = ()
    short: tuple[ShortQuestion, ...] = ()
    code: str | None = None  # the sheet code that `revise mark` reads back (sheet_code.py)
    # what the reader should know about the choice: a family asked several times, or run out
    notes: tuple[str, ...] = ()

    @property
    def topic_line(self) -> str:
        """The topics in English, each with its Chinese title where the course gives one."""
        return " · ".join(
            f"{t.title} ({t.title_zh})" if t.title_zh else t.title for t in self.topics
        )


def pictures_for(solution: Solution) -> tuple[Picture | None, dict[int, Picture]]:
    """The whole-solution figure and the per-step pictures of a solution."""
    if solution.problem == "activation":
        return activation_plot(solution.params), {}
    if solution.problem == "conv2d.forward":
        return None, dict(conv_windows(solution.params, solution.steps))
    if solution.problem == "pool2d.forward":
        return None, dict(pool_windows(solution.params, solution.steps, solution.answer))
    return None, {}


def variant_for(family: Family, seed: int) -> Variant:
    """The family's variant for `seed`, or for the next seeds in a fixed order if it cannot draw."""
    last: Exception | None = None
    for k in range(RETRIES):
        try:
            return family.variant(derived_seed(seed, k) if k else seed)
        except SamplingError as exc:
            last = exc
    raise UserError(f"{family.id}: no variant could be drawn near seed {seed} ({last})")


def question_from_variant(
    number: int,
    course: Course,
    family: Family,
    variant: Variant,
    *,
    verify: bool = True,
    device: str = "cpu",
) -> Question:
    solution = marked(variant.solve(device=device, verify=verify), variant.part)
    figure, step_pictures = pictures_for(solution)
    return Question(
        number=number,
        title=family.title,
        topic=_topic(course, family.topic),
        prompt=variant.prompt_text,
        solution=solution,
        part=variant.part,
        expected=answer_part(solution.answer, variant.part),
        family_id=family.id,
        seed=variant.seed,
        difficulty=family.difficulty,
        source=family.source,
        figure=figure,
        step_pictures=step_pictures,
    )


def _topic(course: Course, topic_id: str) -> Topic | None:
    try:
        return course.topic(topic_id)
    except KeyError:
        return None


def _problem_topic(course: Course, problem_id: str, declared: str) -> Topic | None:
    """The topic of the course's families for a problem, else the one the problem declares."""
    families = course.families_for_problem(problem_id)
    return _topic(course, families[0].topic if families else declared)


def _topics_of(
    course: Course, questions: list[Question], short: Sequence[ShortQuestion] = ()
) -> tuple[Topic, ...]:
    seen = {q.topic.id for q in questions if q.topic is not None}
    seen |= {s.topic.id for s in short}
    return tuple(t for t in course.topics if t.id in seen)


def _glossary_for(course: Course, topics: tuple[Topic, ...]) -> tuple[GlossaryTerm, ...]:
    ids = {t.id for t in topics}
    return tuple(g for g in course.glossary if g.topic in ids)


def default_title(topics: tuple[Topic, ...]) -> str:
    if len(topics) == 1:
        return f"{topics[0].title}: problem sheet"
    return "Deep learning: problem sheet"


def sheet_variants(
    course: Course, selection: Selection
) -> tuple[list[Any], list[tuple[Family, Variant]], Counter[str]]:
    """The sheet's picks, the (family, variant) of each question in printed order (a family
    asked again never repeats a question), and how many each family had to leave out. `revise
    mark` rebuilds a sheet's questions with this too."""
    picks = pick(course, selection) if selection.count else []
    asked: dict[str, set[str]] = {}
    exhausted: Counter[str] = Counter()
    chosen: list[tuple[Family, Variant]] = []
    for p in picks:
        seen = asked.setdefault(p.family.id, set())
        variant = new_variant_for(p.family, p.seed, seen)
        if variant is None:
            exhausted[p.family.id] += 1
            continue
        seen.add(question_key(variant.params))
        chosen.append((p.family, variant))
    return picks, chosen, exhausted


def build_sheet(
    course: Course,
    selection: Selection,
    *,
    solutions: SolutionsMode,
    date: dt.date,
    command: str,
    title: str | None = None,
    verify: bool = True,
    device: str = "cpu",
) -> Sheet:
    """A sheet of `selection.count` questions drawn from `selection.seed`, solved and pictured,
    then `selection.cards` short questions from the flashcards of the same topics."""
    picks, chosen, exhausted = sheet_variants(course, selection)
    questions = [
        question_from_variant(number, course, family, variant, verify=verify, device=device)
        for number, (family, variant) in enumerate(chosen, start=1)
    ]
    cards = pick_cards(course, selection.topics, selection.cards, selection.seed)
    short = [
        ShortQuestion(number, card, course.topic(card.topic))
        for number, card in enumerate(cards, start=len(questions) + 1)
    ]
    if not questions and not short:
        raise UserError(
            "the sheet would have no questions: ask for --count or --cards of 1 or more"
        )
    topics = _topics_of(course, questions, short)
    return Sheet(
        title=title or default_title(topics),
        topics=topics,
        seed=selection.seed,
        date=date,
        command=command,
        solutions=solutions,
        questions=tuple(questions),
        glossary=_glossary_for(course, topics),
        short=tuple(short),
        notes=repeat_notes(picks, exhausted),
    )


def _prose(text: str) -> str:
    """Plain text as prompt Markdown: a dollar is a dollar, not maths."""
    return text.replace("$", r"\$")


def _given_markdown(name: str, value: Any) -> str:
    """A parameter a person typed, as prompt Markdown: its name as code, its value as maths."""
    return f"`{name}` $= {prompt_latex(value)}$"


def new_variant_for(family: Family, seed: int, asked: set[str]) -> Variant | None:
    """The family's variant for `seed`, or for the next seeds in a fixed order, that is not a
    question already `asked`; None when the next seeds have none left."""
    if not asked:
        return variant_for(family, seed)
    for k in range(RETRIES * 5):
        try:
            variant = family.variant(derived_seed(seed, k) if k else seed)
        except SamplingError:
            continue
        if question_key(variant.params) not in asked:
            return variant
    return None


def repeat_notes(picks: Sequence[Any], exhausted: Mapping[str, int]) -> tuple[str, ...]:
    """Sentences saying which families are asked more than once, and which ran out of new
    questions (those questions are left out rather than repeated)."""
    uses = Counter(p.family.id for p in picks)
    notes = []
    repeated = {f: n - exhausted.get(f, 0) for f, n in uses.items() if n - exhausted.get(f, 0) > 1}
    if repeated:
        if len(uses) == 1:
            ((f, n),) = repeated.items()
            notes.append(
                f"only 1 question family matches: {f} is asked {n} times, each time with "
                "other numbers"
            )
        else:
            shown = ", ".join(f"{f} ×{n}" for f, n in sorted(repeated.items()))
            notes.append(
                f"only {len(uses)} question families match for {len(picks)} questions, so some "
                f"are asked more than once, each time with other numbers: {shown}"
            )
    for f, n in sorted(exhausted.items()):
        noun = "question is" if n == 1 else "questions are"
        notes.append(f"{f} has no other numbers left to ask: {n} {noun} left out")
    return tuple(notes)


def build_problem_sheet(
    course: Course,
    problem_id: str,
    params: Mapping[str, Any],
    *,
    solutions: SolutionsMode,
    date: dt.date,
    command: str,
    title: str | None = None,
    verify: bool = True,
    device: str = "cpu",
) -> Sheet:
    """A one-question sheet: the worked example for a person's own numbers (as `revise solve`)."""
    from engine.registry import get_problem

    problem = get_problem(problem_id)
    solution = solve(problem_id, params, device=device, verify=verify)
    figure, step_pictures = pictures_for(solution)
    given_text = ", ".join(_given_markdown(k, v) for k, v in params.items())
    question = Question(
        number=1,
        title=f"Worked example: {problem_id}",
        topic=_problem_topic(course, problem_id, problem.topic),
        prompt=_prose(problem.summary) + (f" Given {given_text}." if given_text else ""),
        solution=solution,
        part=None,
        expected=solution.answer,
        figure=figure,
        step_pictures=step_pictures,
    )
    topics = _topics_of(course, [question])
    return Sheet(
        title=title or f"Worked example: {problem_id}",
        topics=topics,
        seed=None,
        date=date,
        command=command,
        solutions=solutions,
        questions=(question,),
    )
