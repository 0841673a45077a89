"""One step of contrastive divergence (CD-1) for a binary RBM, made deterministic.

Owns `rbm.cd1`. The sampled hidden vector h₀ is given, so the step can be done by hand:
p_h0 = p(h = 1 | v₀) = σ(b + Wᵀv₀) (the positive phase), v₁ = p(v = 1 | h₀) = σ(a + W h₀)
(the reconstruction, kept as probabilities: mean field), p_h1 = σ(b + Wᵀv₁) (the negative
phase). The updates, learning rate included, are ΔW = lr·(v₀ p_h0ᵀ − v₁ p_h1ᵀ),
Δa = lr·(v₀ − v₁), Δb = lr·(p_h0 − p_h1); the sample h₀ only serves to compute v₁.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.compare import distinct
from engine.errors import ProblemError
from engine.latex import column, matrix, num
from engine.params import Matrix, ParamModel, Real, Vector
from engine.problem import Problem, Wrong, misconception
from engine.problems.rbm import _binary, _check_shapes
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch


class RbmCd1Params(ParamModel):
    v0: Vector = Field(description="the training example v₀ (binary, nv)")
    W: Matrix = Field(description="weights, nv×nh (row i: visible unit i)")
    a: Vector = Field(description="visible biases (nv)")
    b: Vector = Field(description="hidden biases (nh)")
    h0: Vector = Field(description="the sampled hidden vector h₀ (binary, nh)")
    lr: Real = Field(0.1, description="learning rate")

    @model_validator(mode="after")
    def _check(self) -> RbmCd1Params:
        _check_shapes(self.W, self.a, self.b, None, None)
        if len(self.v0) != len(self.W):
            raise ProblemError(
                "v0", f"expected {len(self.W)} visible units to match W's rows, got {len(self.v0)}"
            )
        if len(self.h0) != len(self.W[0]):
            raise ProblemError(
                "h0",
                f"expected {len(self.W[0])} hidden units to match W's columns, got {len(self.h0)}",
            )
        _binary("v0", self.v0)
        _binary("h0", self.h0)
        if self.lr <= 0:
            raise ProblemError("lr", "the learning rate must be positive")
        return self


KEYS = ("p_h0", "v1", "p_h1", "dW", "da", "db", "W_after", "a_after", "b_after")


def cd1(
    p: RbmCd1Params, *, sample_in_update: bool = False, reversed_phases: bool = False
) -> dict[str, np.ndarray]:
    """Every quantity of the step; the flags give the misconceptions' wrong rules."""
    import numpy as np

    def sig(x: np.ndarray) -> np.ndarray:
        return np.asarray(1 / (1 + np.exp(-x)))

    W = np.array(p.W, dtype=np.float64)
    a, b = np.array(p.a, dtype=np.float64), np.array(p.b, dtype=np.float64)
    v0, h0 = np.array(p.v0, dtype=np.float64), np.array(p.h0, dtype=np.float64)
    p_h0 = sig(b + W.T @ v0)
    v1 = sig(a + W @ h0)
    p_h1 = sig(b + W.T @ v1)
    positive = h0 if sample_in_update else p_h0
    sign = -1.0 if reversed_phases else 1.0
    dW = sign * p.lr * (np.outer(v0, positive) - np.outer(v1, p_h1))
    da = sign * p.lr * (v0 - v1)
    db = sign * p.lr * (positive - p_h1)
    return {
        "p_h0": p_h0,
        "v1": v1,
        "p_h1": p_h1,
        "dW": dW,
        "da": da,
        "db": db,
        "W_after": W + dW,
        "a_after": a + da,
        "b_after": b + db,
    }


def answer(out: dict[str, Any]) -> dict[str, Any]:
    return {k: out[k].tolist() for k in KEYS}


class RbmCd1(Problem[RbmCd1Params]):
    id = "rbm.cd1"
    summary = (
        "One CD-1 step for a binary RBM with the sample h₀ given: p_h0 = σ(b + Wᵀv₀), "
        "v₁ = σ(a + W·h₀) (mean field), p_h1 = σ(b + Wᵀv₁); ΔW = lr·(v₀p_h0ᵀ − v₁p_h1ᵀ), "
        "Δa = lr·(v₀ − v₁), Δb = lr·(p_h0 − p_h1), and the parameters after."
    )
    topic = "generative"
    Params = RbmCd1Params

    def solve(self, p: RbmCd1Params, trace: Trace) -> Any:
        import numpy as np

        out = cd1(p)
        W = np.array(p.W)
        trace.note(
            "Contrastive divergence, one step",
            "The gradient of the log-likelihood is ⟨v hᵀ⟩ under the data minus ⟨v hᵀ⟩ under the "
            "model. CD-1 replaces the model's expectation by one Gibbs step away from the data: "
            "v₀ → h₀ → v₁ → h₁. The sample h₀ is given here, so every step is determined.",
        )
        trace.step(
            "Positive phase: hidden probabilities from the data",
            r"p(h = 1 | v_{0}) = \sigma(b + W^{T} v_{0})",
            rf"\sigma \left( {column(p.b)} + {matrix(W.T)} {column(p.v0)} \right)",
            out["p_h0"],
        )
        trace.step(
            "Reconstruction from the sample h₀ (probabilities, mean field)",
            r"v_{1} = p(v = 1 | h_{0}) = \sigma(a + W h_{0})",
            rf"\sigma \left( {column(p.a)} + {matrix(W)} {column(p.h0)} \right)",
            out["v1"],
        )
        trace.step(
            "Negative phase: hidden probabilities from the reconstruction",
            r"p(h = 1 | v_{1}) = \sigma(b + W^{T} v_{1})",
            rf"\sigma \left( {column(p.b)} + {matrix(W.T)} {column(out['v1'])} \right)",
            out["p_h1"],
        )
        lr = num(p.lr)
        trace.step(
            "Weight update (data term minus reconstruction term)",
            r"\Delta W = \eta \left( v_{0} p(h | v_{0})^{T} - v_{1} p(h | v_{1})^{T} \right)",
            rf"{lr} \left( {matrix(np.outer(p.v0, out['p_h0']))} - "
            rf"{matrix(np.outer(out['v1'], out['p_h1']))} \right)",
            out["dW"],
        )
        trace.step(
            "Visible bias update",
            r"\Delta a = \eta (v_{0} - v_{1})",
            rf"{lr} \left( {column(p.v0)} - {column(out['v1'])} \right)",
            out["da"],
        )
        trace.step(
            "Hidden bias update",
            r"\Delta b = \eta \left( p(h | v_{0}) - p(h | v_{1}) \right)",
            rf"{lr} \left( {column(out['p_h0'])} - {column(out['p_h1'])} \right)",
            out["db"],
        )
        trace.step(
            "Weights after the step",
            r"W \leftarrow W + \Delta W",
            rf"{matrix(W)} + {matrix(out['dW'])}",
            out["W_after"],
        )
        trace.step(
            "Visible biases after the step",
            r"a \leftarrow a + \Delta a",
            rf"{column(p.a)} + {column(out['da'])}",
            out["a_after"],
        )
        trace.step(
            "Hidden biases after the step",
            r"b \leftarrow b + \Delta b",
            rf"{column(p.b)} + {column(out['db'])}",
            out["b_after"],
        )
        return answer(out)

    def reference(self, p: RbmCd1Params, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        kw: dict[str, Any] = {"dtype": torch.float64, "device": device}
        W = torch.tensor(p.W, **kw)
        a, b = torch.tensor(p.a, **kw), torch.tensor(p.b, **kw)
        v0, h0 = torch.tensor(p.v0, **kw), torch.tensor(p.h0, **kw)
        # F.linear(x, A, c) = x Aᵀ + c: with A = Wᵀ it is b + Wᵀx, with A = W it is a + W h
        p_h0 = torch.sigmoid(F.linear(v0, W.T, b))
        v1 = torch.sigmoid(F.linear(h0, W, a))
        p_h1 = torch.sigmoid(F.linear(v1, W.T, b))
        dW = p.lr * (torch.outer(v0, p_h0) - torch.outer(v1, p_h1))
        da, db = p.lr * (v0 - v1), p.lr * (p_h0 - p_h1)
        out = {"p_h0": p_h0, "v1": v1, "p_h1": p_h1, "dW": dW, "da": da, "db": db}
        out |= {"W_after": W + dW, "a_after": a + da, "b_after": b + db}
        return {k: out[k].cpu().tolist() for k in KEYS}

    def _wrong(self, p: RbmCd1Params, feedback: str, **rule: bool) -> Wrong | None:
        wrong = answer(cd1(p, **rule))
        if not distinct(wrong, answer(cd1(p))):
            return None
        return Wrong(wrong, feedback)

    @misconception("sample_in_update")
    def _sample_in_update(self, p: RbmCd1Params) -> Wrong | None:
        return self._wrong(
            p,
            "You used the sample h₀ in the updates. The sample only serves to reconstruct v₁; "
            "the positive term uses the probabilities p(h | v₀): ΔW = η(v₀ p(h|v₀)ᵀ − v₁ p(h|v₁)ᵀ).",
            sample_in_update=True,
        )

    @misconception("reversed_phases")
    def _reversed_phases(self, p: RbmCd1Params) -> Wrong | None:
        return self._wrong(
            p,
            "Your updates have the wrong sign: CD raises the energy of the reconstruction and "
            "lowers that of the data, so it is data term minus reconstruction term, "
            "η(v₀ p(h|v₀)ᵀ − v₁ p(h|v₁)ᵀ).",
            reversed_phases=True,
        )
