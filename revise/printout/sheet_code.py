"""Sheet codes: a short code printed on a sheet that fixes its questions, for `revise mark`.

A code packs the sheet's selection — topics, families, difficulties, number of questions and of
short questions, seed — against the course's own order of topics and families, plus ten bits
that check the questions it draws (so a mistyped code, or one printed from another version of
the course, is refused rather than marking the wrong questions). It is written in Crockford's
base 32 in groups of four (`3G7K-Q2MX-8ZTA-D`): no I, L, O or U, case and dashes ignored when read.

Decoding needs only the course, not the database of whoever printed the sheet: a lecturer
prints, each student marks on their own machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from content import Course
from engine.errors import UserError
from revise.printout.select import Pick, Selection, _matches, pick, pick_cards

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ = {c: i for i, c in enumerate(ALPHABET)} | {"O": 0, "I": 1, "L": 1}
VERSION = 1
MAX_COUNT = 255
MAX_FAMILIES = 63
CHECK_BITS = 10


class _Bits:
    def __init__(self, value: int = 0, length: int = 0) -> None:
        self.value, self.length = value, length

    def put(self, value: int, width: int) -> None:
        if not 0 <= value < (1 << width):
            raise ValueError(f"{value} does not fit in {width} bits")
        self.value = (self.value << width) | value
        self.length += width

    def take(self, width: int) -> int:
        if width > self.length:
            raise ValueError("the code is too short")
        self.length -= width
        return (self.value >> self.length) & ((1 << width) - 1)


def _family_width(course: Course) -> int:
    return max(1, (len(course.families) - 1).bit_length())


def check_value(picks: Sequence[Pick], cards: Sequence[str]) -> int:
    """Ten bits from the questions a selection draws: they change when the questions do."""
    text = ";".join(f"{p.family.id}#{p.seed}" for p in picks) + "|" + ";".join(cards)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:2], "big") >> (16 - CHECK_BITS)


def drawn(course: Course, selection: Selection) -> tuple[list[Pick], list[str]]:
    """The worked questions and the flashcards (ids) a selection puts on a sheet."""
    picks = pick(course, selection) if selection.count > 0 else []
    cards = pick_cards(course, selection.topics, selection.cards, selection.seed)
    return picks, [c.id for c in cards]


def exact_families(course: Course, patterns: Sequence[str]) -> tuple[str, ...]:
    """The family ids the patterns of `--family` match, in course order."""
    return tuple(f.id for f in course.families if any(_matches(f.id, p) for p in patterns))


def encode(course: Course, selection: Selection) -> str | None:
    """The sheet code of a selection, or None when it is too large to fit a code."""
    families = exact_families(course, selection.families)
    if (
        selection.count > MAX_COUNT
        or selection.cards > MAX_COUNT
        or len(families) > MAX_FAMILIES
        or not 0 <= selection.seed < 2**31
    ):
        return None
    bits = _Bits()
    bits.put(VERSION, 4)
    bits.put(selection.count, 8)
    bits.put(selection.cards, 8)
    bits.put(sum(1 << (d - 1) for d in selection.difficulties), 3)
    topic_ids = [t.id for t in course.topics]
    bits.put(sum(1 << k for k, t in enumerate(topic_ids) if t in selection.topics), len(topic_ids))
    seed_width = selection.seed.bit_length()
    bits.put(seed_width, 5)
    bits.put(selection.seed, seed_width)
    position = {f.id: k for k, f in enumerate(course.families)}
    bits.put(len(families), 6)
    for fid in families:
        bits.put(position[fid], _family_width(course))
    picks, cards = drawn(course, selection)
    bits.put(check_value(picks, cards), CHECK_BITS)
    pad = -bits.length % 5
    bits.put(0, pad)
    chars = [ALPHABET[bits.take(5)] for _ in range(bits.length // 5)]
    text = "".join(chars)
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def decode(course: Course, code: str) -> Selection:
    """The selection a sheet code stands for; a one-line UserError when it stands for none."""
    cleaned = "".join(ch for ch in code.upper() if ch not in "- ")
    bad = [ch for ch in cleaned if ch not in _READ]
    if not cleaned or bad:
        raise UserError(
            f"sheet code {code!r}: it is written with the letters and digits printed on the "
            "sheet (like 3G7K-Q2MX-8ZTA-D)"
        )
    bits = _Bits()
    for ch in cleaned:
        bits.put(_READ[ch], 5)
    try:
        if bits.take(4) != VERSION:
            raise ValueError("unknown version")
        count, cards = bits.take(8), bits.take(8)
        mask = bits.take(3)
        topic_ids = [t.id for t in course.topics]
        topics_mask = bits.take(len(topic_ids))
        seed = bits.take(bits.take(5))
        n_families = bits.take(6)
        indices = [bits.take(_family_width(course)) for _ in range(n_families)]
        check = bits.take(CHECK_BITS)
        if bits.length >= 5 or bits.take(bits.length) != 0:
            raise ValueError("wrong length")  # the padding is zeros: a typo there is caught
        if any(i >= len(course.families) for i in indices):
            raise ValueError("no such family")
    except ValueError:
        raise UserError(f"sheet code {code!r} is not one revise printed: check it") from None
    selection = Selection(
        topics=tuple(t for k, t in enumerate(topic_ids) if topics_mask >> k & 1),
        families=tuple(course.families[i].id for i in indices),
        difficulties=tuple(d for d in (1, 2, 3) if mask >> (d - 1) & 1),
        count=count,
        seed=seed,
        cards=cards,
    )
    try:
        picks, card_ids = drawn(course, selection)
    except UserError:
        picks, card_ids = [], []
    if check_value(picks, card_ids) != check:
        raise UserError(
            f"sheet code {code!r} does not match this course: it is mistyped, or the sheet was "
            "printed by another version of revise"
        )
    return selection
