"""Choosing a sheet's questions: families filtered by topic, family and difficulty, then drawn
deterministically from the sheet's seed.

Families are taken in turn from each topic (topics and families shuffled by the seed), so a sheet over several topics
covers them evenly; a family used a second time gets a different variant. Each question is a
(family, variant seed) pair, and a family's first question uses the sheet's seed itself, so
`--family F --seed S` prints exactly the variant the app shows as (F, S). The questions are then
ordered as the course teaches them: by topic, then difficulty, then family.

Short questions are flashcards (glossary cards aside: the glossary prints as a table), drawn from
the same seed under another salt and taken from each topic in turn, then put in the course's
order of topics and cards.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from content import Card, Course, Family
from engine.errors import UserError

T = TypeVar("T", Family, Card)

#: further seeds tried, in a fixed order, when a family cannot draw a variant for a seed
RETRIES = 20


@dataclass(frozen=True)
class Selection:
    """What a sheet asks for. Empty filters mean "everything".

    `count` worked questions (0: none, a sheet of short questions only) and `cards` short
    questions from the flashcards of the topics.
    """

    topics: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    difficulties: tuple[int, ...] = ()
    count: int = 10
    seed: int = 0
    cards: int = 0


@dataclass(frozen=True)
class Pick:
    family: Family
    seed: int


def derived_seed(seed: int, k: int) -> int:
    """The k-th seed after `seed` (k = 0 is the seed itself): stable everywhere."""
    if k == 0:
        return seed
    digest = hashlib.sha256(f"revise.sheet#{seed}#{k}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def parse_difficulty(text: str) -> tuple[int, ...]:
    """`2`, `1,3` or `1-2` → the difficulties (1 to 3) they name."""
    out: set[int] = set()
    for part in text.replace(" ", "").split(","):
        lo, sep, hi = part.partition("-")
        try:
            a, b = (int(lo), int(hi)) if sep else (int(lo), int(lo))
        except ValueError:
            raise UserError(
                f"--difficulty {text!r}: write a level 1–3, a list (1,3) or a range (1-2)"
            ) from None
        if not (1 <= a <= b <= 3):
            raise UserError(f"--difficulty {text!r}: levels run from 1 (easy) to 3 (hard)")
        out.update(range(a, b + 1))
    return tuple(sorted(out))


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _matches(family_id: str, pattern: str) -> bool:
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(family_id, pattern)
    return family_id == pattern or family_id.startswith(pattern + ".")


def check_topics(course: Course, topics: Sequence[str]) -> None:
    """UserError naming a topic the course does not have."""
    topic_ids = [t.id for t in course.topics]
    for t in topics:
        if t not in topic_ids:
            raise UserError(
                f"--topic {t}: no such topic{_suggest(t, topic_ids)}; "
                f"the topics are {', '.join(topic_ids)}"
            )


def only_short(course: Course, selection: Selection) -> bool:
    """Whether the filters are topics alone, none of which has a question family: such topics
    (flashcards only) make a sheet of short questions rather than an error."""
    check_topics(course, selection.topics)
    if not selection.topics or selection.families or selection.difficulties:
        return False
    return not any(f.topic in selection.topics for f in course.families)


def eligible(course: Course, selection: Selection) -> list[Family]:
    """The families the filters allow, in course order; UserError naming a filter that is wrong."""
    check_topics(course, selection.topics)
    family_ids = [f.id for f in course.families]
    for pattern in selection.families:
        if not any(_matches(fid, pattern) for fid in family_ids):
            raise UserError(
                f"--family {pattern}: no question family matches{_suggest(pattern, family_ids)} "
                "(see `revise topics`)"
            )
    order = {t.id: t.order for t in course.topics}
    families = [
        f
        for f in course.families
        if (not selection.topics or f.topic in selection.topics)
        and (not selection.families or any(_matches(f.id, p) for p in selection.families))
        and (not selection.difficulties or f.difficulty in selection.difficulties)
    ]
    if not families:
        raise UserError("no question family matches all of --topic, --family and --difficulty")
    position = {f.id: i for i, f in enumerate(course.families)}
    return sorted(families, key=lambda f: (order.get(f.topic, 99), position[f.id]))


def _spread(items: Sequence[T], salt: str) -> list[T]:
    """The items shuffled within their topics and the topics shuffled (deterministically from
    `salt`), then taken one from each topic in turn."""
    rng = random.Random(int.from_bytes(hashlib.sha256(salt.encode()).digest()[:8], "big"))
    by_topic: dict[str, list[T]] = {}
    for item in items:
        by_topic.setdefault(item.topic, []).append(item)
    groups = list(by_topic.values())
    for group in groups:
        rng.shuffle(group)
    rng.shuffle(groups)
    return [g[k] for k in range(max(map(len, groups), default=0)) for g in groups if k < len(g)]


def pick(course: Course, selection: Selection) -> list[Pick]:
    """`selection.count` (family, seed) pairs, spread over topics, in the order they are printed."""
    if selection.count < 1:
        raise UserError("--count must be at least 1")
    families = eligible(course, selection)
    # one family from each topic in turn until the count is reached
    round_robin = _spread(families, f"revise.sheet#{selection.seed}")
    chosen: list[Pick] = []
    uses: Counter[str] = Counter()
    while len(chosen) < selection.count:
        f = round_robin[len(chosen) % len(round_robin)]
        chosen.append(Pick(f, derived_seed(selection.seed, uses[f.id])))
        uses[f.id] += 1
    order = {t.id: t.order for t in course.topics}
    position = {f.id: i for i, f in enumerate(course.families)}
    return sorted(
        chosen,
        key=lambda p: (order.get(p.family.topic, 99), p.family.difficulty, position[p.family.id]),
    )


def pick_cards(course: Course, topics: Sequence[str], count: int, seed: int) -> list[Card]:
    """`count` flashcards of the topics (all when none), spread over them, in the course's order.

    The same topics, seed and count always give the same cards; fewer when the topics have
    fewer.
    """
    check_topics(course, topics)
    cards = [c for c in course.cards if c.kind != "glossary" and (not topics or c.topic in topics)]
    if count < 1 or not cards:
        return []
    round_robin = _spread(cards, f"revise.sheet.cards#{seed}")
    chosen = round_robin[:count]
    order = {t.id: t.order for t in course.topics}
    position = {c.id: i for i, c in enumerate(course.cards)}
    return sorted(chosen, key=lambda c: (order.get(c.topic, 99), position[c.id]))
