"""Additive (Bahdanau) attention: a small network scores each encoder state against the query.

Owns `attention.additive`. For a decoder state s and encoder states h_1…h_m (rows of `keys`,
which are also the values), e_j = v_aᵀ tanh(W_a s + U_a h_j) (Bahdanau et al. 2015), the
weights are α = softmax(e) and the context is c = Σ_j α_j h_j. Unlike dot-product attention,
the query and the keys may have different sizes: W_a and U_a take both to the same width a.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.compare import distinct
from engine.errors import ProblemError
from engine.latex import column, matrix, num
from engine.params import Matrix, ParamModel, Vector
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch


class AdditiveParams(ParamModel):
    query: Vector = Field(description="decoder state s (d_s numbers)")
    keys: Matrix = Field(description="encoder states h_j, one per row (m×d_h); also the values")
    w: Matrix = Field(description="W_a, applied to the query (a×d_s)")
    u: Matrix = Field(description="U_a, applied to each key (a×d_h)")
    v: Vector = Field(description="v_a, which turns tanh(…) into one score (a numbers)")

    @model_validator(mode="after")
    def _shapes_agree(self) -> AdditiveParams:
        d_s, d_h, a = len(self.query), len(self.keys[0]), len(self.v)
        if len(self.w) != a or len(self.w[0]) != d_s:
            raise ProblemError(
                "w",
                f"expected a {a}×{d_s} matrix (a = {a} entries of v by d_s = {d_s} of the "
                f"query), got {len(self.w)}×{len(self.w[0])}",
            )
        if len(self.u) != a or len(self.u[0]) != d_h:
            raise ProblemError(
                "u",
                f"expected a {a}×{d_h} matrix (a = {a} entries of v by d_h = {d_h} columns "
                f"of the keys), got {len(self.u)}×{len(self.u[0])}",
            )
        return self


@dataclass(frozen=True)
class Scored:
    ws: np.ndarray  # W_a s
    uh: list[np.ndarray]  # U_a h_j
    hidden: list[np.ndarray]  # tanh(W_a s + U_a h_j)
    scores: np.ndarray  # e_j
    weights: np.ndarray  # α_j
    context: np.ndarray


def score(p: AdditiveParams, *, squash: bool = True, normalise: bool = True) -> Scored:
    """The computation; the flags give the misconceptions' wrong rules."""
    import numpy as np

    s = np.array(p.query, dtype=np.float64)
    H = np.array(p.keys, dtype=np.float64)
    W, U, v = (np.array(m, dtype=np.float64) for m in (p.w, p.u, p.v))
    ws = W @ s
    uh = [U @ h for h in H]
    hidden = [np.tanh(ws + x) if squash else ws + x for x in uh]
    e = np.array([float(v @ z) for z in hidden])
    if normalise:
        top = np.exp(e - e.max())
        weights = top / top.sum()
    else:
        weights = e
    return Scored(ws, uh, hidden, e, weights, weights @ H)


def answer(r: Scored) -> dict[str, Any]:
    return {
        "scores": r.scores.tolist(),
        "weights": r.weights.tolist(),
        "context": r.context.tolist(),
    }


class AdditiveAttention(Problem[AdditiveParams]):
    id = "attention.additive"
    summary = (
        "Additive (Bahdanau) attention: e_j = v_aᵀ tanh(W_a s + U_a h_j), α = softmax(e), "
        "context c = Σ_j α_j h_j (the keys are also the values)."
    )
    topic = "attention"
    Params = AdditiveParams

    def solve(self, p: AdditiveParams, trace: Trace) -> Any:
        import numpy as np

        r = score(p)
        trace.note(
            "Additive attention",
            "A one-layer network scores how well each encoder state h_j fits the decoder state "
            "s; the query part W_a s is the same for every j.",
        )
        trace.step(
            "The query's part",
            r"W_{a} s",
            rf"{matrix(p.w)} {column(p.query)}",
            r.ws,
        )
        for j, h in enumerate(p.keys, start=1):
            trace.step(
                f"Key {j}: its part",
                rf"U_{{a}} h_{{{j}}}",
                rf"{matrix(p.u)} {column(h)}",
                r.uh[j - 1],
            )
            trace.step(
                f"Key {j}: hidden layer",
                rf"\tanh(W_{{a}} s + U_{{a}} h_{{{j}}})",
                rf"\tanh \left( {column(r.ws)} + {column(r.uh[j - 1])} \right)",
                r.hidden[j - 1],
            )
            trace.step(
                f"Key {j}: score",
                rf"e_{{{j}}} = v_{{a}}^{{T}} \tanh(W_{{a}} s + U_{{a}} h_{{{j}}})",
                " + ".join(rf"{_paren(a)} \cdot {_paren(b)}" for a, b in zip(p.v, r.hidden[j - 1])),
                float(r.scores[j - 1]),
            )
        exps = np.exp(r.scores - r.scores.max())
        trace.step(
            "Attention weights (softmax over the keys)",
            r"\alpha_{j} = \frac{\exp(e_{j})}{\sum_{k} \exp(e_{k})}",
            rf"\frac{{1}}{{{num(float(exps.sum()))}}} {column(exps)} "
            r"\text{ (each exponential shifted by the largest score)}",
            r.weights,
        )
        trace.step(
            "Context vector (weighted sum of the encoder states)",
            r"c = \sum_{j} \alpha_{j} h_{j}",
            " + ".join(rf"{num(a)} {column(h)}" for a, h in zip(r.weights, p.keys)),
            r.context,
        )
        return answer(r)

    def reference(self, p: AdditiveParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        def t(m: Any) -> torch.Tensor:
            return torch.tensor(m, dtype=torch.float64, device=device)

        s, H = t(p.query), t(p.keys)
        # F.linear computes x·Wᵀ: W_a s for the query, U_a h_j for every row at once
        e = torch.tanh(F.linear(s, t(p.w)) + F.linear(H, t(p.u))) @ t(p.v)
        weights = torch.softmax(e, dim=0)
        return {
            "scores": e.cpu().tolist(),
            "weights": weights.cpu().tolist(),
            "context": (weights @ H).cpu().tolist(),
        }

    def _wrong(self, p: AdditiveParams, feedback: str, **rule: bool) -> Wrong | None:
        wrong = answer(score(p, **rule))
        if not distinct(wrong, answer(score(p))):
            return None
        return Wrong(wrong, feedback)

    @misconception("no_tanh")
    def _no_tanh(self, p: AdditiveParams) -> Wrong | None:
        return self._wrong(
            p,
            "You left out the tanh: each score is v_aᵀ tanh(W_a s + U_a h_j), the hidden layer "
            "squashed before v_a turns it into one number.",
            squash=False,
        )

    @misconception("unnormalised_weights")
    def _unnormalised_weights(self, p: AdditiveParams) -> Wrong | None:
        return self._wrong(
            p,
            "You weighted the encoder states by the raw scores e_j. The weights are their "
            "softmax, α_j = exp(e_j)/Σ_k exp(e_k), so they are positive and sum to 1.",
            normalise=False,
        )


def _paren(x: Any) -> str:
    text = num(x)
    return f"({text})" if text.startswith("-") else text
