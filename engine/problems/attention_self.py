"""Self-attention from the token matrix: projections, several heads, an output projection.

Owns `attention.self`. Tokens are the rows of X (n×d_model), so the projections are row-vector
products Q = X·W_Q, K = X·W_K, V = X·W_V. With h heads the columns of W_Q, W_K and W_V are split
evenly: head i works with its own block of d_k/h (and d_v/h) columns, attends with the scale
1/√(d_k/h) (the per-head size, as `nn.MultiheadAttention` does), and the heads' outputs are
concatenated side by side and multiplied by W_O when it is given. Each head's attention is the
`attention` problem's computation (`engine.problems.attention.attend`), so masking and the −∞
written as null work the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from engine.compare import distinct
from engine.errors import ProblemError
from engine.latex import matrix, num
from engine.params import Matrix, ParamModel, PositiveInt, Real, parse_matrix
from engine.problem import Problem, Wrong, misconception
from engine.problems.attention import Attended, AttentionParams, Flag, attend, scores_json
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch


def _optional_matrix(v: Any) -> list[list[float]] | None:
    return None if v is None else parse_matrix(v)


OptionalMatrix = Annotated[list[list[float]] | None, BeforeValidator(_optional_matrix)]


class SelfAttentionParams(ParamModel):
    x: Matrix = Field(description="tokens, one per row (n×d_model)")
    w_q: Matrix = Field(description="query projection W_Q (d_model×d_k)")
    w_k: Matrix = Field(description="key projection W_K (d_model×d_k)")
    w_v: Matrix = Field(description="value projection W_V (d_model×d_v)")
    heads: PositiveInt = Field(1, description="number of heads; the columns split evenly")
    w_o: OptionalMatrix = Field(None, description="output projection W_O (d_v×d_out), or null")
    scale: Real | None = Field(None, description="score scale; null means 1/√(d_k per head)")
    causal: Flag = Field(False, description="token i attends only to tokens j ≤ i")

    @model_validator(mode="after")
    def _shapes_agree(self) -> SelfAttentionParams:
        d_model = len(self.x[0])
        for name, w in (("w_q", self.w_q), ("w_k", self.w_k), ("w_v", self.w_v)):
            if len(w) != d_model:
                raise ProblemError(
                    name,
                    f"expected {d_model} rows to match the tokens (x has {d_model} "
                    f"columns), got {len(w)}",
                )
        d_k, d_v = len(self.w_q[0]), len(self.w_v[0])
        if len(self.w_k[0]) != d_k:
            raise ProblemError(
                "w_k",
                f"expected {d_k} columns like w_q (queries and keys meet in a dot "
                f"product), got {len(self.w_k[0])}",
            )
        for name, cols in (("w_q", d_k), ("w_v", d_v)):
            if cols % self.heads:
                raise ProblemError(
                    "heads", f"{self.heads} heads do not split the {cols} columns of {name} evenly"
                )
        if self.w_o is not None and len(self.w_o) != d_v:
            raise ProblemError(
                "w_o",
                f"expected {d_v} rows, one per column of the concatenated heads (d_v = "
                f"{d_v}), got {len(self.w_o)}",
            )
        if self.scale is not None and self.scale <= 0:
            raise ProblemError("scale", "must be a positive number (leave it out for 1/√d_k)")
        return self

    @property
    def head_k(self) -> int:
        return len(self.w_q[0]) // self.heads

    @property
    def head_v(self) -> int:
        return len(self.w_v[0]) // self.heads

    @property
    def factor(self) -> float:
        return 1 / math.sqrt(self.head_k) if self.scale is None else self.scale


@dataclass(frozen=True)
class SelfAttended:
    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    heads: list[Attended]
    concat: np.ndarray
    output: np.ndarray


def self_attend(
    p: SelfAttentionParams,
    *,
    factor: float | None = None,
    mask: bool | None = None,
    axis: int = 1,
    project: bool = True,
) -> SelfAttended:
    """The computation; the keywords let misconception rules change one thing."""
    import numpy as np

    X = np.array(p.x, dtype=np.float64)
    Q, K, V = (X @ np.array(w, dtype=np.float64) for w in (p.w_q, p.w_k, p.w_v))
    dk, dv = p.head_k, p.head_v
    heads = []
    for i in range(p.heads):
        one = AttentionParams(
            q=Q[:, i * dk : (i + 1) * dk].tolist(),
            k=K[:, i * dk : (i + 1) * dk].tolist(),
            v=V[:, i * dv : (i + 1) * dv].tolist(),
            scale=p.factor if factor is None else factor,
            causal=p.causal if mask is None else mask,
        )
        heads.append(attend(one, axis=axis))
    concat = np.concatenate([a.output for a in heads], axis=1)
    out = concat @ np.array(p.w_o, dtype=np.float64) if p.w_o is not None and project else concat
    return SelfAttended(Q, K, V, heads, concat, out)


def answer(s: SelfAttended, several: bool) -> dict[str, Any]:
    scores = [scores_json(a.scores) for a in s.heads]
    weights = [a.weights.tolist() for a in s.heads]
    return {
        "q": s.q.tolist(),
        "k": s.k.tolist(),
        "v": s.v.tolist(),
        "scores": scores if several else scores[0],
        "weights": weights if several else weights[0],
        "output": s.output.tolist(),
    }


def _cols(first: int, last: int) -> str:
    return f"column {first}" if first == last else f"columns {first}–{last}"


class SelfAttention(Problem[SelfAttentionParams]):
    id = "attention.self"
    summary = (
        "Self-attention of the tokens X (rows): Q = X·W_Q, K = X·W_K, V = X·W_V, heads split the "
        "columns evenly, each softmax(scale·Q_i K_iᵀ)·V_i with scale 1/√(d_k per head); the heads "
        "concatenated, times W_O when given; masked scores (causal) are null."
    )
    topic = "attention"
    Params = SelfAttentionParams

    def solve(self, p: SelfAttentionParams, trace: Trace) -> Any:
        s = self_attend(p)
        trace.note(
            "Tokens are rows",
            f"Each of the {len(p.x)} rows of X is one token, so every projection multiplies X on "
            "the right: the same W_Q, W_K, W_V for every token.",
        )
        for name, symbol, w, value in (
            ("Queries", "Q = X W_{Q}", p.w_q, s.q),
            ("Keys", "K = X W_{K}", p.w_k, s.k),
            ("Values", "V = X W_{V}", p.w_v, s.v),
        ):
            trace.step(name, symbol, rf"{matrix(p.x)} {matrix(w)}", value)
        dk, dv = p.head_k, p.head_v
        if p.heads > 1:
            trace.note(
                f"{p.heads} heads",
                f"Head i uses its own {dk} columns of Q and K and {dv} of V (head 1: "
                f"{_cols(1, dk)} of Q and K, {_cols(1, dv)} of V; head 2 the next ones, and so "
                "on). Each head attends on its own.",
            )
        if p.scale is None:
            trace.step(
                "Scale (the size of one head's queries)",
                r"\frac{1}{\sqrt{d_{k}}}",
                rf"\frac{{1}}{{\sqrt{{{dk}}}}}",
                p.factor,
            )
        else:
            trace.note("Scale", f"The scale is given: {p.factor:g} (instead of 1/√d_k).")
        if p.causal:
            trace.note(
                "Causal mask",
                "Token i may only look at tokens 1…i: later scores are set to −∞ (written null "
                "in the answer), so their weights are 0.",
            )
        for i, a in enumerate(s.heads, start=1):
            tag = f"_{{{i}}}" if p.heads > 1 else ""
            head = f"Head {i}: " if p.heads > 1 else ""

            def titled(what: str, head: str = head) -> str:
                return head + what if head else what[0].upper() + what[1:]

            Qi = s.q[:, (i - 1) * dk : i * dk]
            Ki = s.k[:, (i - 1) * dk : i * dk]
            Vi = s.v[:, (i - 1) * dv : i * dv]
            trace.step(
                titled("scores"),
                rf"S{tag} = \text{{scale}} \cdot Q{tag} K{tag}^{{T}}",
                rf"{num(p.factor)} \cdot {matrix(Qi)} {matrix(Ki.T)}",
                scores_json(a.scores),
            )
            trace.step(
                titled("exponentials (each row shifted by its largest score)"),
                rf"E_{{ij}} = \exp(S{tag}_{{ij}} - \max_{{j'}} S{tag}_{{ij'}})",
                r"\exp \left( "
                + matrix(a.scores)
                + " - "
                + matrix(a.scores.max(axis=1))
                + r" \right)",
                a.shifted,
            )
            trace.step(
                titled("attention weights (softmax along each row)"),
                rf"A{tag}_{{ij}} = \frac{{E_{{ij}}}}{{\sum_{{j'}} E_{{ij'}}}}",
                rf"{matrix(a.shifted)} \text{{ with row i divided by }} {matrix(a.sums)}",
                a.weights,
            )
            trace.step(
                titled("output"),
                rf"O{tag} = A{tag} V{tag}",
                rf"{matrix(a.weights)} {matrix(Vi)}",
                a.output,
            )
        if p.heads > 1:
            parts = r" \quad ".join(matrix(a.output) for a in s.heads)
            trace.step(
                "Concatenate the heads side by side",
                r"O = \left[ "
                + r" \; ".join(f"O_{{{i}}}" for i in range(1, p.heads + 1))
                + r" \right]",
                parts,
                s.concat,
            )
        if p.w_o is not None:
            trace.step(
                "Output projection",
                r"Y = O W_{O}",
                rf"{matrix(s.concat)} {matrix(p.w_o)}",
                s.output,
            )
        return answer(s, p.heads > 1)

    def reference(self, p: SelfAttentionParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        def t(m: Any) -> torch.Tensor:
            return torch.tensor(m, dtype=torch.float64, device=device)

        X = t(p.x)
        Q, K, V = X @ t(p.w_q), X @ t(p.w_k), X @ t(p.w_v)
        n, h = len(p.x), p.heads
        # (heads, n, size per head): head i is the i-th block of columns
        Qh, Kh, Vh = (m.reshape(n, h, -1).transpose(0, 1) for m in (Q, K, V))
        scores = (Qh @ Kh.transpose(1, 2)) * p.factor
        if p.causal:
            allowed = torch.ones(n, n, dtype=torch.bool, device=device).tril()
            scores = scores.masked_fill(~allowed, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        heads = F.scaled_dot_product_attention(Qh, Kh, Vh, is_causal=p.causal, scale=p.factor)
        out = heads.transpose(0, 1).reshape(n, -1)
        if p.w_o is not None:
            out = out @ t(p.w_o)
        mha = _multihead(p, X, device)
        if mha is not None:  # where nn.MultiheadAttention can hold these weights, it must agree
            gap = float((mha - out).abs().max())
            assert gap < 1e-9, f"nn.MultiheadAttention disagrees with SDPA by {gap}"
        several = h > 1
        score_list = [scores_json(s.cpu()) for s in scores]
        weight_list = [w.cpu().tolist() for w in weights]
        return {
            "q": Q.cpu().tolist(),
            "k": K.cpu().tolist(),
            "v": V.cpu().tolist(),
            "scores": score_list if several else score_list[0],
            "weights": weight_list if several else weight_list[0],
            "output": out.cpu().tolist(),
        }

    def _wrong(self, p: SelfAttentionParams, feedback: str, **rule: Any) -> Wrong | None:
        wrong = self_attend(p, **rule)
        if not all(bool((a.sums > 0).all()) for a in wrong.heads):
            return None  # the rule leaves a row or column with nothing to attend to
        several = p.heads > 1
        if not distinct(answer(wrong, several), answer(self_attend(p), several)):
            return None
        return Wrong(answer(wrong, several), feedback)

    @misconception("no_scaling")
    def _no_scaling(self, p: SelfAttentionParams) -> Wrong | None:
        return self._wrong(
            p,
            "You used the raw dot products QKᵀ as scores. Scaled dot-product attention "
            f"multiplies them by {num(p.factor)} before the softmax.",
            factor=1.0,
        )

    @misconception("scaled_by_model_width")
    def _scaled_by_model_width(self, p: SelfAttentionParams) -> Wrong | None:
        if p.scale is not None or p.heads == 1:
            return None
        d_k = len(p.w_q[0])
        return self._wrong(
            p,
            f"You scaled by 1/√{d_k}, the width of all the heads together. Each head's scores "
            f"are scaled by the size of its own queries: 1/√{p.head_k}.",
            factor=1 / math.sqrt(d_k),
        )

    @misconception("softmax_over_queries")
    def _softmax_over_queries(self, p: SelfAttentionParams) -> Wrong | None:
        return self._wrong(
            p,
            "You normalised each column. Each token spreads its attention over the tokens it "
            "looks at, so the softmax runs along each row and every row of weights sums to 1.",
            axis=0,
        )

    @misconception("ignored_causal_mask")
    def _ignored_causal_mask(self, p: SelfAttentionParams) -> Wrong | None:
        if not p.causal:
            return None
        return self._wrong(
            p,
            "You let every token see every token. With causal=true token i only sees tokens "
            "1…i: the later scores are −∞ before the softmax, so their weights are 0.",
            mask=False,
        )

    @misconception("forgot_output_projection")
    def _forgot_output_projection(self, p: SelfAttentionParams) -> Wrong | None:
        if p.w_o is None:
            return None
        return self._wrong(
            p,
            "You stopped at the concatenated heads. The layer's output is that concatenation "
            "multiplied by W_O.",
            project=False,
        )


def _multihead(p: SelfAttentionParams, X: torch.Tensor, device: torch.device) -> Any:
    """The output of nn.MultiheadAttention holding these weights, where it can hold them.

    It needs d_k = d_v = d_model, the default scale, and a square W_O (or none: the identity).
    Its in-projection computes x·Wᵀ, so it holds W_Qᵀ, W_Kᵀ, W_Vᵀ stacked, and W_Oᵀ.
    """
    import torch
    from torch import nn

    d_model = len(p.x[0])
    square = len(p.w_q[0]) == len(p.w_v[0]) == d_model
    if not square or p.scale is not None:
        return None
    if p.w_o is not None and len(p.w_o[0]) != d_model:
        return None
    mha = nn.MultiheadAttention(d_model, p.heads, bias=False, dtype=torch.float64, device=device)
    w_o = torch.eye(d_model, dtype=torch.float64) if p.w_o is None else torch.tensor(p.w_o)
    with torch.no_grad():
        stacked = torch.cat([torch.tensor(w, dtype=torch.float64).T for w in (p.w_q, p.w_k, p.w_v)])
        mha.in_proj_weight.copy_(stacked.to(device))
        mha.out_proj.weight.copy_(w_o.to(device, torch.float64).T)
        n = len(p.x)
        mask = torch.ones(n, n, dtype=torch.bool, device=device).triu(1) if p.causal else None
        out, _ = mha(X, X, X, attn_mask=mask, need_weights=False)
    return out
