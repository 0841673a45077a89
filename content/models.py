"""The course as data: topics, flashcards, glossary terms and question families (pydantic models).

Every model refuses unknown keys, and text fields refuse numbers and booleans, so a typo in a
content file is reported rather than silently ignored. A question family turns a seed into a
`Variant`: the same (family id, seed) always gives the same parameters and the same prompt.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    StrictStr,
    StringConstraints,
)

from content.expr import ExprError, Expression
from content.prompt import PromptError, fill
from content.samplers import ExprField, Sampler, SamplingError, expressions_of, sample

if TYPE_CHECKING:
    from content.quality import Flaw
    from engine.solve import Solution

__all__ = [
    "SOURCES",
    "Card",
    "CardKind",
    "Family",
    "GlossaryTerm",
    "Topic",
    "Variant",
    "answer_part",
    "format_value",
    "question_key",
]

#: The seed notes of the course, by id: every topic, card and family names the one it comes from.
SOURCES: dict[str, str] = {
    "000": "Exam review notes (APS): vanishing gradients, gradient descent, overfitting, "
    "activations, CNN/ResNet, RNN/LSTM, GAN",
    "001": "The same exam review notes as plain text",
    "002": "Deep learning notes: learning process, activations, losses, optimisers, "
    "architectures, n-gram language models",
    "003": "Weekly lecture notes: criticism of deep learning, compression, ReLU, saddle points, "
    "batch normalisation, softmax, regularisation",
    "004": "Final exam checklist: convolution arithmetic, graph convolution, activations, "
    "BatchNorm, ResNet, LSTM/GRU, RBM/DBN/AE/VAE/GAN, reinforcement learning, attention, BPTT",
}

MAX_ATTEMPTS = 1000
#: the first seeds of a family give distinct questions where its parameters allow
DISTINCT_SEEDS = 50
#: repeats of earlier questions drawn again before a seed accepts a repeat
DISTINCT_ATTEMPTS = 100

Slug = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")]
DottedId = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$", max_length=120)
]
Name = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Text = Annotated[str, StringConstraints(strict=True, min_length=1)]
SourceId = Literal["000", "001", "002", "003", "004"]
PartPath = Annotated[
    str,
    StringConstraints(
        strict=True, pattern=r"^[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+))*$"
    ),
]
CardKind = Literal["definition", "why", "compare", "formula", "fact", "glossary"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Topic(_Model):
    """A part of the course, in the order the notes teach it."""

    id: Slug
    title: Text
    title_zh: Text | None = None
    order: StrictInt
    summary: Text
    notes: list[SourceId] = Field(min_length=1)


class Card(_Model):
    """A flashcard. The id is stable: editing the text keeps the card's review history."""

    id: DottedId
    topic: Slug
    kind: CardKind
    front: Text
    back: Text
    zh: Text | None = None
    source: SourceId
    tags: list[StrictStr] = []
    # ids of cards merged into this one: their review history becomes this card's
    replaces: list[DottedId] = []


class GlossaryTerm(_Model):
    """A Chinese term of the notes with its English name: drilled in both directions."""

    id: DottedId
    zh: Text
    en: Text
    topic: Slug
    source: SourceId
    note: Text | None = None

    def cards(self) -> tuple[Card, Card]:
        """The two glossary cards: Chinese → English and English → Chinese."""
        extra = f"\n\n{self.note}" if self.note else ""
        common: dict[str, Any] = {
            "topic": self.topic,
            "kind": "glossary",
            "zh": self.zh,
            "source": self.source,
            "tags": ["glossary"],
        }
        return (
            Card(
                id=f"glossary.{self.id}.zh-en",
                front=f"{self.zh} — in English?",
                back=f"**{self.en}**{extra}",
                **common,
            ),
            Card(
                id=f"glossary.{self.id}.en-zh",
                front=f"{self.en} — in Chinese (中文)?",
                back=f"**{self.zh}**{extra}",
                **common,
            ),
        )


@dataclass(frozen=True)
class Variant:
    """One concrete question: a family's parameters and prompt for one seed."""

    family_id: str
    seed: int
    params: dict[str, Any]
    prompt_text: str
    part: str | None
    problem: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    def solve(self, device: str = "auto", verify: bool = True) -> Solution:
        """The engine's worked solution of this variant's call (imports the engine's solver)."""
        from engine.solve import solve

        return solve(self.problem, self.params, device=device, verify=verify)

    def expected(self, answer: Any) -> Any:
        """The part of a full answer that this variant asks for."""
        return answer_part(answer, self.part)


def answer_part(answer: Any, part: str | None) -> Any:
    """Follow a dotted part path (`grads.w1`, `layers.2.params`: a number is a 0-based index
    into a list) into an answer; KeyError if it is absent."""
    if part is None:
        return answer
    value = answer
    for key in part.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            raise KeyError(f"the answer has no part {part!r} (stuck at {key!r})")
    return value


def format_value(v: Any, nested: bool = False) -> str:
    """A value as a person writes it in a question: 3, 0.5, -1.2, [1, 2], [[1, 0], [0, 1]].

    Text inside a list or mapping is quoted (["I am Sam", "Sam I am"]); on its own it is not.
    """
    if isinstance(v, str):
        return f'"{v}"' if nested else v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        text = f"{v:.10g}"
        if "e" in text:
            text = f"{v:.6g}"
        return "0" if text == "-0" else text
    if isinstance(v, list | tuple):
        return "[" + ", ".join(format_value(x, True) for x in v) + "]"
    if isinstance(v, dict):
        inner = ", ".join(f"{k}: {format_value(x, True)}" for k, x in v.items())
        return "{" + inner + "}"
    return str(v)


@dataclass(frozen=True)
class Drawn:
    """A kept draw: the problem's parameters, every named value, and what was thrown away
    (draws failing a constraint; draws failing a quality rule, with the first flaw of each)."""

    params: dict[str, Any]
    values: dict[str, Any]
    rejected: int = 0
    flaws: list[Flaw] = field(default_factory=list)

    @property
    def redrawn(self) -> int:
        return len(self.flaws)


def _gave_up(flaws: list[Flaw]) -> str:
    from collections import Counter

    (message, times), *_ = Counter(f.message for f in flaws).most_common(1)
    return f"no draw met the quality rules in {len(flaws)} attempts ({times} of them: {message})"


def question_key(params: Mapping[str, Any]) -> str:
    """What makes two variants the same question: the same call of the problem."""
    import json

    return json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)


def seed_state(family_id: str, seed: int) -> int:
    """The random state of (family, seed): stable across runs, machines and Python versions."""
    digest = hashlib.sha256(f"{family_id}#{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class Family(_Model):
    """A question family: one problem, a prompt template and samplers for its parameters.

    Values are drawn in order: `let` (helpers, not passed to the problem), then `params` (the
    problem's parameters), then `derived` (expressions for the prompt); a draw is repeated until
    every `constraint` holds. The prompt is Markdown with `$…$` maths and `{name}` placeholders
    over all of these names (`content.prompt`).
    """

    id: DottedId
    topic: Slug
    problem: Text
    title: Text
    prompt: Text
    let: dict[Name, Sampler] = {}
    params: dict[Name, Sampler]
    derived: dict[Name, ExprField] = {}
    constraints: list[ExprField] = []
    part: PartPath | None = None
    difficulty: Annotated[StrictInt, Field(ge=1, le=3)]
    source: SourceId
    tags: list[StrictStr] = []
    # what the family tests: misconception tags of its problem that leave out the part of the
    # method it is about; each must give an answer the checker marks wrong (content.quality)
    tests: list[Name] = []
    # givens the asked answer may equal (same padding keeps the size): not a trivial answer here
    may_equal: list[Name] = []
    # the questions of the first seeds, by seed, filled as they are drawn (not part of the data)
    _question_keys: dict[int, str] = PrivateAttr(default_factory=dict)

    def names(self) -> list[tuple[str, str]]:
        """(section, name) of every value the family defines, in drawing order."""
        return (
            [("let", n) for n in self.let]
            + [("params", n) for n in self.params]
            + [("derived", n) for n in self.derived]
        )

    def expressions(self) -> Iterator[tuple[tuple[str | int, ...], Expression, set[str]]]:
        """Every expression with its path in the family and the names visible to it."""
        seen: set[str] = set()
        for section in ("let", "params"):
            samplers: dict[str, Any] = getattr(self, section)
            for name, s in samplers.items():
                for sub, expr in expressions_of(s):
                    yield (section, name, *sub), expr, set(seen)
                seen.add(name)
        for name, expr in self.derived.items():
            yield ("derived", name), expr, set(seen)
            seen.add(name)
        for i, expr in enumerate(self.constraints):
            yield ("constraints", i), expr, set(seen)

    def draw(self, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """(params, every named value) for a seed; SamplingError if no draw meets the constraints
        and the quality rules (`content.quality`)."""
        drawn = self.draw_counted(seed)
        return drawn.params, drawn.values

    def draw_counted(self, seed: int, quality: bool = True) -> Drawn:
        """The kept draw for a seed, with how many draws were thrown away on the way.

        The first `DISTINCT_SEEDS` seeds give distinct questions while the parameter space has
        new ones: a draw that repeats an earlier seed's question is drawn again (at most
        `DISTINCT_ATTEMPTS` times, and cheaply: before the draw is solved). Without `quality`
        the draw only meets the constraints (the loader checks calls this way, quickly).
        """
        from content.quality import QUALITY_ATTEMPTS, judge

        avoid = self._earlier_questions(seed) if quality else set()
        rng = random.Random(seed_state(self.id, seed))
        rejected = repeats = 0
        flaws: list[Flaw] = []
        for _ in range(MAX_ATTEMPTS + DISTINCT_ATTEMPTS + QUALITY_ATTEMPTS):
            found = self._draw_once(rng)
            if found is None:
                rejected += 1
                if rejected >= MAX_ATTEMPTS:
                    break
                continue
            params, env = found
            key = question_key(params) if avoid else ""
            if key in avoid:
                repeats += 1
                if repeats >= DISTINCT_ATTEMPTS:
                    avoid = set()  # the space has no new question left: repeating is allowed
                continue
            bad = judge(self, params) if quality else []
            if not bad:
                return Drawn(params, env, rejected, flaws)
            flaws.append(bad[0])
            if key:
                avoid.add(key)  # judged once is enough: a repeat of it counts as a repeat
            if len(flaws) >= QUALITY_ATTEMPTS:
                raise SamplingError(_gave_up(flaws), (flaws[-1].key,))
        raise SamplingError(
            f"no draw met the constraints in {MAX_ATTEMPTS} attempts", ("constraints",)
        )

    def _earlier_questions(self, seed: int) -> set[str]:
        """The questions of the seeds before `seed` within the first `DISTINCT_SEEDS`."""
        if seed <= 0 or seed >= DISTINCT_SEEDS:
            return set()
        keys = self._question_keys
        earlier: set[str] = set()
        for s in range(seed):
            if s not in keys:
                try:
                    keys[s] = question_key(self.draw_counted(s).params)
                except SamplingError:
                    keys[s] = ""
            earlier.add(keys[s])
        earlier.discard("")
        return earlier

    def _draw_once(self, rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """One draw of every value, or None when a constraint does not hold."""
        env: dict[str, Any] = {}
        params: dict[str, Any] = {}
        for section in ("let", "params"):
            samplers: dict[str, Any] = getattr(self, section)
            for name, s in samplers.items():
                try:
                    env[name] = sample(s, rng, env)
                except SamplingError as exc:
                    raise SamplingError(str(exc), (section, name)) from None
                if section == "params":
                    params[name] = env[name]
        for name, expr in self.derived.items():
            try:
                env[name] = expr.evaluate(env)
            except ExprError as exc:
                raise SamplingError(str(exc), ("derived", name)) from None
        for i, expr in enumerate(self.constraints):
            try:
                ok = expr.evaluate(env)
            except ExprError as exc:
                raise SamplingError(str(exc), ("constraints", i)) from None
            if not ok:
                return None
        return params, env

    def render(self, values: Mapping[str, Any]) -> str:
        """The prompt with the values put in: Markdown, values as LaTeX inside `$…$`."""
        return fill(self.prompt, values)

    def variant(self, seed: int) -> Variant:
        """The question for one seed: fully determined by (family id, seed)."""
        params, values = self.draw(seed)
        try:
            text = self.render(values)
        except PromptError as exc:
            raise SamplingError(
                f"cannot put the values in the prompt: {exc}", ("prompt",)
            ) from None
        return Variant(
            family_id=self.id,
            seed=seed,
            params=params,
            prompt_text=text,
            part=self.part,
            problem=self.problem,
            values=values,
        )
