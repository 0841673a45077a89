"""A process that records reviews as fast as it can, for the kill and two-session tests.

`python tests/store_child.py HOME COUNT SEED`: opens a Study on HOME with a small course of
flashcards, prints "ready", then records COUNT reviews (0: until killed), printing each review's
log id right after its commit. A stand-in course (plain dataclasses) keeps start-up quick.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from revise.study import Study  # noqa: E402


@dataclass(frozen=True)
class _Topic:
    id: str
    title: str
    order: int


@dataclass(frozen=True)
class _Card:
    id: str
    topic: str
    front: str
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Course:
    topics: tuple[_Topic, ...]
    cards: tuple[_Card, ...]
    families: tuple[Any, ...] = ()


def course(topics: int = 4, cards: int = 25) -> Any:
    return _Course(
        topics=tuple(_Topic(f"t{i}", f"Topic {i}", i) for i in range(topics)),
        cards=tuple(
            _Card(f"t{i}.c{j}", f"t{i}", f"Front {i}.{j}")
            for i in range(topics)
            for j in range(cards)
        ),
    )


def main() -> None:
    home, count, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    the_course = course()
    ids = [c.id for c in the_course.cards]
    study = Study(home, the_course)
    print("ready", flush=True)
    done = 0
    while count == 0 or done < count:
        study.record(rng.choice(ids), rng.randint(1, 4), seconds=rng.random() * 10, seed=done)
        print(study.last_review_id, flush=True)
        done += 1
    study.close()


if __name__ == "__main__":
    main()
