"""Writing helpers several problem modules share: numbers in feedback sentences, long sums in traces.

It defines no problem (the registry imports it like every module here, and finds none).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# A sum written out in a trace shows every term up to this many, then elides the middle.
MAX_TERMS = 8


def fmt(x: float) -> str:
    """A number in a feedback sentence."""
    return f"{x:.4g}"


def fmt_list(values: Iterable[float]) -> str:
    """A list of numbers in a feedback sentence, e.g. [0.5, 0.25]."""
    return "[" + ", ".join(fmt(v) for v in values) + "]"


def sum_of(terms: Sequence[str]) -> str:
    """Terms joined with +, the middle elided when there are too many to read."""
    shown = list(terms)
    if len(shown) > MAX_TERMS:
        shown = [*shown[:3], r"\cdots", shown[-1]]
    return " + ".join(shown)


def mean_of(terms: Sequence[str]) -> str:
    """(1/n)(t₁ + … + tₙ) written out; a single term stands alone."""
    if len(terms) == 1:
        return terms[0]
    return rf"\frac{{1}}{{{len(terms)}}}\left({sum_of(terms)}\right)"
