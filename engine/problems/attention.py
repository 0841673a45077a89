"""Scaled dot-product attention: scores, softmax weights over the keys, and the weighted values.

Owns `attention`. With `causal=true` query i sees keys j ≤ i (the mask is aligned at the top-left,
as PyTorch's `is_causal` does when there are more keys than queries). A masked score is −∞; JSON
has no infinity, so the answer writes it as null, and its weight is exactly 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from engine.compare import differs
from engine.errors import ProblemError
from engine.latex import matrix, num
from engine.params import Matrix, ParamModel, Real
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch


def _flag(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError("must be true or false")
    return v


Flag = Annotated[bool, BeforeValidator(_flag)]


class AttentionParams(ParamModel):
    q: Matrix = Field(description="queries, one row per query (n×d)")
    k: Matrix = Field(description="keys, one row per key (m×d)")
    v: Matrix = Field(description="values, one row per key (m×dv)")
    scale: Real | None = Field(None, description="score scale; null means 1/√d")
    causal: Flag = Field(False, description="query i attends only to keys j ≤ i")

    @model_validator(mode="after")
    def _shapes_agree(self) -> AttentionParams:
        d = len(self.q[0])
        if len(self.k[0]) != d:
            raise ProblemError(
                "k", f"expected {d} columns to match the queries (q has {d}), got {len(self.k[0])}"
            )
        if len(self.v) != len(self.k):
            raise ProblemError(
                "v",
                f"expected {len(self.k)} rows, one per key (k has {len(self.k)}), "
                f"got {len(self.v)}",
            )
        if self.scale is not None and self.scale <= 0:
            raise ProblemError("scale", "must be a positive number (leave it out for 1/√d)")
        return self

    @property
    def factor(self) -> float:
        return 1 / math.sqrt(len(self.q[0])) if self.scale is None else self.scale


@dataclass(frozen=True)
class Attended:
    raw: np.ndarray  # Q Kᵀ
    scores: np.ndarray  # scaled, −inf where masked
    shifted: np.ndarray  # exp(score − row max), 0 where masked
    sums: np.ndarray  # row sums of `shifted`
    weights: np.ndarray
    output: np.ndarray


def causal_mask(n: int, m: int) -> np.ndarray:
    """True where query i may look at key j, i.e. j ≤ i."""
    import numpy as np

    return np.tril(np.ones((n, m), dtype=bool))


def attend(
    p: AttentionParams, *, factor: float | None = None, mask: bool | None = None, axis: int = 1
) -> Attended:
    """The computation; `factor`, `mask` and `axis` let misconception rules change one thing."""
    import numpy as np

    Q, K, V = (np.array(m, dtype=np.float64) for m in (p.q, p.k, p.v))
    raw = Q @ K.T
    scores = (p.factor if factor is None else factor) * raw
    if p.causal if mask is None else mask:
        scores = np.where(causal_mask(*scores.shape), scores, -np.inf)
    # softmax is unchanged by shifting a row (or column) by a constant: shift by the largest
    with np.errstate(invalid="ignore"):  # a wrong rule may leave a column fully masked
        top = scores.max(axis=axis, keepdims=True)
        shifted = np.exp(scores - top)
        sums = shifted.sum(axis=axis, keepdims=True)
        weights = shifted / sums
    return Attended(raw, scores, shifted, sums.ravel(), weights, weights @ V)


def scores_json(scores: Any) -> list[list[float | None]]:
    """Scores with −∞ (masked) written as null, since JSON has no infinity."""
    return [[None if math.isinf(s) else float(s) for s in row] for row in scores.tolist()]


def answer(a: Attended) -> dict[str, Any]:
    return {
        "scores": scores_json(a.scores),
        "weights": a.weights.tolist(),
        "output": a.output.tolist(),
    }


class Attention(Problem[AttentionParams]):
    id = "attention"
    summary = (
        "Scaled dot-product attention: scores = scale·QKᵀ (scale 1/√d by default), weights = "
        "softmax over the keys, output = weights·V; masked scores (causal) are null."
    )
    topic = "attention"
    Params = AttentionParams

    def solve(self, p: AttentionParams, trace: Trace) -> Any:
        a = attend(p)
        d = len(p.q[0])
        if p.scale is None:
            trace.step(
                "Scale",
                r"\frac{1}{\sqrt{d}}",
                rf"\frac{{1}}{{\sqrt{{{d}}}}}",
                p.factor,
            )
        else:
            trace.note("Scale", f"The scale is given: {p.factor:g} (instead of 1/√d).")
        trace.step(
            "Dot products of every query with every key",
            r"Q K^{T}",
            rf"{matrix(p.q)} {matrix(_transpose(p.k))}",
            a.raw,
        )
        if p.causal:
            trace.note(
                "Causal mask",
                "Query i may only look at keys 1…i: the scores of later keys are set to −∞ "
                "(written null in the answer), so their weights are 0.",
            )
        trace.step(
            "Scores",
            r"S = \text{scale} \cdot Q K^{T}",
            rf"{num(p.factor)} \cdot {matrix(a.raw)}",
            scores_json(a.scores),
        )
        tops = a.scores.max(axis=1)
        trace.step(
            "Exponentials (each row shifted by its largest score)",
            r"E_{ij} = \exp(S_{ij} - \max_{j'} S_{ij'})",
            r"\exp \left( " + matrix(a.scores) + " - " + matrix(tops) + r" \right)",
            a.shifted,
        )
        trace.step(
            "Row sums",
            r"Z_{i} = \sum_{j} E_{ij}",
            r" \quad ".join(" + ".join(num(e) for e in row) for row in a.shifted),
            a.sums,
        )
        trace.step(
            "Attention weights (softmax over the keys, each row sums to 1)",
            r"A_{ij} = \frac{E_{ij}}{Z_{i}}",
            rf"{matrix(a.shifted)} \text{{ with row i divided by }} {matrix(a.sums)}",
            a.weights,
        )
        trace.step(
            "Output (weighted average of the values)",
            r"O = A V",
            rf"{matrix(a.weights)} {matrix(p.v)}",
            a.output,
        )
        return answer(a)

    def reference(self, p: AttentionParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        Q, K, V = (torch.tensor(m, dtype=torch.float64, device=device) for m in (p.q, p.k, p.v))
        scores = (Q @ K.transpose(0, 1)) * p.factor
        if p.causal:
            allowed = torch.ones(len(p.q), len(p.k), dtype=torch.bool, device=device).tril()
            scores = scores.masked_fill(~allowed, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        output = F.scaled_dot_product_attention(
            Q.unsqueeze(0), K.unsqueeze(0), V.unsqueeze(0), is_causal=p.causal, scale=p.factor
        )[0]
        return {
            "scores": scores_json(scores.cpu()),
            "weights": weights.cpu().tolist(),
            "output": output.cpu().tolist(),
        }

    def _wrong(self, p: AttentionParams, feedback: str, **rule: Any) -> Wrong | None:
        wrong = attend(p, **rule)
        if not bool((wrong.sums > 0).all()):
            return None  # the rule leaves a row or column with nothing to attend to
        if not differs(answer(wrong), answer(attend(p))):
            return None
        return Wrong(answer(wrong), feedback)

    @misconception("no_scaling")
    def _no_scaling(self, p: AttentionParams) -> Wrong | None:
        d = len(p.q[0])
        why = f"divide by √d = √{d}" if p.scale is None else f"multiply by the scale {p.factor:g}"
        return self._wrong(
            p,
            f"You used the raw dot products QKᵀ as scores. Scaled dot-product attention must "
            f"{why} before the softmax.",
            factor=1.0,
        )

    @misconception("scaled_by_d")
    def _scaled_by_d(self, p: AttentionParams) -> Wrong | None:
        d = len(p.q[0])
        if p.scale is not None:
            return None
        return self._wrong(
            p,
            f"You divided the scores by d = {d}. The scale is 1/√d = 1/√{d} = {1 / math.sqrt(d):.4g}.",
            factor=1.0 / d,
        )

    @misconception("scaled_anyway")
    def _scaled_anyway(self, p: AttentionParams) -> Wrong | None:
        d = len(p.q[0])
        if p.scale is None or math.isclose(p.scale, 1 / math.sqrt(d)):
            return None
        return self._wrong(
            p,
            f"You divided the scores by √d = √{d} out of habit. This head scales them by "
            f"{p.scale:g} instead, as the question says.",
            factor=1 / math.sqrt(d),
        )

    @misconception("softmax_over_queries")
    def _softmax_over_queries(self, p: AttentionParams) -> Wrong | None:
        return self._wrong(
            p,
            "You normalised each column (over the queries). Each query distributes its attention "
            "over the keys, so the softmax runs along each row and every row of weights sums to 1.",
            axis=0,
        )

    @misconception("ignored_causal_mask")
    def _ignored_causal_mask(self, p: AttentionParams) -> Wrong | None:
        if not p.causal:
            return None
        return self._wrong(
            p,
            "You let every query see every key. With causal=true query i only sees keys 1…i: "
            "the later scores are −∞ before the softmax, so their weights are 0.",
            mask=False,
        )


def _transpose(m: list[list[float]]) -> list[list[float]]:
    return [list(r) for r in zip(*m)]
