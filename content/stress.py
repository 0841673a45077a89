"""The stress test of question families: many seeds drawn, solved and judged, per family.

For authors and lecturers (as R/exams' stress test does for exercises): `stress(family, seeds)`
draws `seeds` variants, solves each (optionally cross-checked with PyTorch/SymPy), judges the
kept variant again with the quality rules (`content.quality`), and measures how many draws were
thrown away on the way and why, how many questions repeat, the spread of the answers and the
slowest variant. A family fails when a seed cannot be drawn or solved, a kept variant breaks a
quality rule, or its first seeds repeat a question although its parameters have new ones.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from content.models import DISTINCT_SEEDS, Family, answer_part, question_key
from content.quality import judge
from content.samplers import SamplingError

__all__ = ["FamilyStress", "stress"]


@dataclass
class FamilyStress:
    """What `seeds` draws of one family gave."""

    family: str
    seeds: int
    kept: int = 0
    draws: int = 0  # draws that met the constraints, kept or thrown away by the quality rules
    redrawn: Counter[str] = field(default_factory=Counter)  # flaw kind → draws thrown away
    reasons: Counter[str] = field(default_factory=Counter)  # flaw sentence → draws thrown away
    trivial: int = 0  # kept variants with a trivial answer
    undistinguished: int = 0  # kept variants where a wrong method scores, or the method is untested
    duplicates: int = 0  # seeds repeating an earlier seed's question
    early_duplicates: int = 0  # the same, within the first DISTINCT_SEEDS seeds
    distinct: int = 0
    failures: list[str] = field(default_factory=list)  # seeds that could not be drawn or solved
    answers: list[float] = field(default_factory=list)  # the size of each numeric answer
    words: Counter[str] = field(default_factory=Counter)  # answers that are words or expressions
    slowest: tuple[float, int] = (0.0, -1)  # (seconds, seed)

    @property
    def redraw_share(self) -> float:
        """The share of draws (meeting the constraints) that the quality rules threw away."""
        return sum(self.redrawn.values()) / self.draws if self.draws else 0.0

    @property
    def problems(self) -> list[str]:
        """Why the family fails the rules (empty: it passes)."""
        found = list(self.failures[:3])
        if len(self.failures) > 3:
            found.append(f"… {len(self.failures) - 3} more seeds failed")
        if self.trivial:
            found.append(f"{self.trivial} kept variants have a trivial answer")
        if self.undistinguished:
            found.append(f"{self.undistinguished} kept variants let a wrong method score")
        if self.early_duplicates and self.distinct > min(self.seeds, DISTINCT_SEEDS):
            found.append(
                f"the first {DISTINCT_SEEDS} seeds repeat {self.early_duplicates} questions "
                f"although the family has {self.distinct} distinct ones"
            )
        return found

    @property
    def ok(self) -> bool:
        return not self.problems

    def spread(self) -> tuple[float, float, float] | None:
        """(min, median, max) of the answers' sizes (the largest |number| of each answer)."""
        if not self.answers:
            return None
        return min(self.answers), statistics.median(self.answers), max(self.answers)

    def to_json(self) -> dict[str, Any]:
        spread = self.spread()
        return {
            "family": self.family,
            "seeds": self.seeds,
            "kept": self.kept,
            "ok": self.ok,
            "problems": self.problems,
            "redraw_share": round(self.redraw_share, 4),
            "redrawn": dict(self.redrawn),
            "reasons": dict(self.reasons.most_common(5)),
            "trivial": self.trivial,
            "undistinguished": self.undistinguished,
            "duplicates": self.duplicates,
            "distinct": self.distinct,
            "answers": None
            if spread is None
            else {"min": spread[0], "median": spread[1], "max": spread[2]},
            "words": dict(self.words.most_common(5)),
            "slowest": {"seconds": round(self.slowest[0], 4), "seed": self.slowest[1]},
        }


def stress(family: Family, seeds: int, verify: bool = False) -> FamilyStress:
    """Draw, solve and judge seeds 0 … seeds − 1 of a family."""
    from engine.errors import ProblemError
    from engine.solve import solve

    out = FamilyStress(family.id, seeds)
    seen: set[str] = set()
    try:  # the first solve imports what the problem needs (SymPy, torch): not a variant's cost
        solve(family.problem, family.draw_counted(seeds).params, verify=verify)
    except Exception:  # noqa: BLE001 - failures are counted on the seeds themselves below
        pass
    for seed in range(seeds):
        start = time.perf_counter()
        try:
            drawn = family.draw_counted(seed)
            solution = solve(family.problem, drawn.params, verify=verify)
            value = answer_part(solution.answer, family.part)
        except (SamplingError, ProblemError, KeyError) as exc:
            out.failures.append(f"seed {seed}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - a bug in a problem is a failure of the family
            out.failures.append(f"seed {seed}: the engine failed ({type(exc).__name__}: {exc})")
            continue
        flaws = judge(family, drawn.params)
        elapsed = time.perf_counter() - start
        out.kept += 1
        out.draws += 1 + drawn.redrawn
        for flaw in drawn.flaws:
            out.redrawn[flaw.kind] += 1
            out.reasons[flaw.message] += 1
        out.trivial += any(f.kind == "trivial" for f in flaws)
        out.undistinguished += any(f.kind != "trivial" for f in flaws)
        key = question_key(drawn.params)
        if key in seen:
            out.duplicates += 1
            out.early_duplicates += seed < DISTINCT_SEEDS
        seen.add(key)
        size = _size(value)
        if size is None:
            out.words[str(value)[:40]] += 1
        else:
            out.answers.append(size)
        if elapsed > out.slowest[0]:
            out.slowest = (elapsed, seed)
    out.distinct = len(seen)
    return out


def _size(value: Any) -> float | None:
    """The largest |number| in an answer; None for a word or an expression."""
    numbers: list[float] = []

    def walk(v: Any) -> None:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return
        if isinstance(v, int | float):
            numbers.append(abs(float(v)))
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    walk(value)
    return max(numbers) if numbers else None
