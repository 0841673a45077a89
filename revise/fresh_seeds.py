"""Fresh questions for a review: a variant seed whose question the student has not just seen.

Seeds are drawn at random, but two seeds can ask the same question when a family has few
numbers to choose from. A new seed is kept only when its question differs from the questions of
the family's latest reviews (and of the seed handed out just before); when the family has no
other question left within `TRIES` draws, the least recent one may come back.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the course is read later than the Study opens: import it only when used
    import content

__all__ = ["RECENT", "TRIES", "FreshSeeds"]

#: the latest reviews of a family whose questions a new seed avoids
RECENT = 20
#: random seeds tried before a repeated question is accepted
TRIES = 60


class FreshSeeds:
    """New variant seeds per family, avoiding recently asked questions (questions cached)."""

    def __init__(
        self,
        course: Callable[[], content.Course | None],
        rng: random.Random,
        seed_range: int,
    ) -> None:
        # the course may be read after the Study opens (the app opens on its index first)
        self._course = course
        self.rng = rng
        self.seed_range = seed_range
        self._questions: dict[tuple[str, int], str] = {}

    def question(self, family_id: str, seed: int) -> str:
        """The question a seed asks ("" when the family cannot draw it)."""
        from content.models import question_key
        from content.samplers import SamplingError

        key = (family_id, seed)
        if key not in self._questions:
            course = self._course()
            try:
                params = None if course is None else course.family(family_id).variant(seed).params
            except (SamplingError, KeyError):
                params = None
            self._questions[key] = "" if params is None else question_key(params)
        return self._questions[key]

    def new_seed(self, family_id: str, used: set[int], recent: Iterable[int]) -> int:
        """A seed not in `used` whose question is none of the `recent` seeds' questions."""
        course = self._course()
        try:
            if course is None:  # not read yet: any unused seed will do
                return self._unused(used)
            course.family(family_id)
        except KeyError:  # a card: any unused seed will do
            return self._unused(used)
        avoid = {self.question(family_id, s) for s in recent} - {""}
        seed = self._unused(used)
        for _ in range(TRIES):
            if self.question(family_id, seed) not in avoid:
                return seed
            seed = self._unused(used)
        return seed

    def _unused(self, used: set[int]) -> int:
        while True:
            seed = self.rng.randrange(1, self.seed_range)
            if seed not in used:
                return seed
