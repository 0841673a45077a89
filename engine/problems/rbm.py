"""Restricted Boltzmann machines: the energy of a joint state and the factorised conditionals.

A binary RBM with visible units v, hidden units h, weights W (nv×nh), visible bias a and hidden
bias b has energy E(v, h) = −aᵀv − bᵀh − vᵀWh. Because there are no links within a layer, the
conditionals factorise: p(h_j = 1 | v) = σ(b_j + Σ_i v_i W_ij) and p(v_i = 1 | h) = σ(a_i + Σ_j W_ij h_j).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.compare import distinct
from engine.errors import ProblemError
from engine.latex import matrix, num, paren, vector
from engine.params import Matrix, OptionalVector, ParamModel, Vector
from engine.problem import Problem, Wrong, misconception
from engine.problems.activations import sigmoid
from engine.problems.common import fmt, fmt_list, sum_of
from engine.trace import Trace

if TYPE_CHECKING:
    import torch


def _check_shapes(
    W: list[list[float]],
    a: list[float],
    b: list[float],
    v: list[float] | None,
    h: list[float] | None,
) -> None:
    """W is nv×nh: its rows go with v and a, its columns with h and b."""
    rows, cols = len(W), len(W[0])
    if len(a) != rows:
        raise ProblemError(
            "a", f"expected {rows} visible biases to match W ({rows}×{cols}), got {len(a)}"
        )
    if len(b) != cols:
        raise ProblemError(
            "b", f"expected {cols} hidden biases to match W ({rows}×{cols}), got {len(b)}"
        )
    if v is not None and len(v) != rows:
        raise ProblemError(
            "v", f"expected {rows} visible units to match W ({rows} rows), got {len(v)}"
        )
    if h is not None and len(h) != cols:
        raise ProblemError(
            "h", f"expected {cols} hidden units to match W ({cols} columns), got {len(h)}"
        )


def _binary(name: str, values: list[float]) -> None:
    for i, x in enumerate(values):
        if x not in (0.0, 1.0):
            raise ProblemError(
                name, f"entry {i + 1} is {fmt(x)}; the units of a binary RBM are 0 or 1"
            )


def _unit_interval(name: str, values: list[float]) -> None:
    for i, x in enumerate(values):
        if not 0 <= x <= 1:
            raise ProblemError(
                name,
                f"entry {i + 1} is {fmt(x)}; units are 0 or 1 (or a probability between them)",
            )


def _dot(x: list[float], y: list[float]) -> float:
    return math.fsum(p * q for p, q in zip(x, y))


# --- rbm.energy ---------------------------------------------------------------------------------


class RbmEnergyParams(ParamModel):
    v: Vector = Field(description="visible units, each 0 or 1")
    h: Vector = Field(description="hidden units, each 0 or 1")
    W: Matrix = Field(description="weights, nv×nh (row i: visible unit i)")
    a: Vector = Field(description="visible biases (nv)")
    b: Vector = Field(description="hidden biases (nh)")

    @model_validator(mode="after")
    def _shapes(self) -> RbmEnergyParams:
        _binary("v", self.v)
        _binary("h", self.h)
        _check_shapes(self.W, self.a, self.b, self.v, self.h)
        return self


def _energy_terms(p: RbmEnergyParams) -> tuple[float, float, float]:
    """(aᵀv, bᵀh, vᵀWh)."""
    wh = [_dot(row, p.h) for row in p.W]
    return _dot(p.a, p.v), _dot(p.b, p.h), _dot(p.v, wh)


class RbmEnergy(Problem[RbmEnergyParams]):
    id = "rbm.energy"
    summary = "Energy of a binary RBM state: E(v, h) = −aᵀv − bᵀh − vᵀWh."
    topic = "generative"
    Params = RbmEnergyParams

    def solve(self, p: RbmEnergyParams, trace: Trace) -> Any:
        av = trace.step(
            "Visible bias term",
            r"a^{T} v = \sum_{i} a_{i} v_{i}",
            sum_of([rf"{paren(x)} \cdot {num(y)}" for x, y in zip(p.a, p.v)]),
            _dot(p.a, p.v),
        )
        bh = trace.step(
            "Hidden bias term",
            r"b^{T} h = \sum_{j} b_{j} h_{j}",
            sum_of([rf"{paren(x)} \cdot {num(y)}" for x, y in zip(p.b, p.h)]),
            _dot(p.b, p.h),
        )
        wh = trace.step(
            "Weights times the hidden state",
            r"W h",
            rf"{matrix(p.W)} {matrix(p.h)}",
            [_dot(row, p.h) for row in p.W],
        )
        vwh = trace.step(
            "Interaction term (only pairs with v_i = h_j = 1 contribute W_ij)",
            r"v^{T} W h = \sum_{i} v_{i} (W h)_{i}",
            sum_of([rf"{num(x)} \cdot {paren(y)}" for x, y in zip(p.v, wh)]),
            _dot(p.v, wh),
        )
        return trace.step(
            "Energy (low energy = likely state, p(v, h) ∝ exp(−E))",
            r"E(v, h) = -a^{T} v - b^{T} h - v^{T} W h",
            rf"-{paren(av)} - {paren(bh)} - {paren(vwh)}",
            -av - bh - vwh + 0.0,  # + 0.0 turns −0.0 (nothing switched on) into 0
        )

    def reference(self, p: RbmEnergyParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        kw: dict[str, Any] = {"dtype": torch.float64, "device": device}
        v, h = torch.tensor([p.v], **kw), torch.tensor([p.h], **kw)
        W, a, b = torch.tensor(p.W, **kw), torch.tensor(p.a, **kw), torch.tensor(p.b, **kw)
        # F.bilinear(x1, x2, A) = x1ᵀ A x2 for a one-output bilinear form A (1×nv×nh)
        interaction = F.bilinear(v, h, W.unsqueeze(0))
        energy = -(v @ a) - (h @ b) - interaction.squeeze(-1)
        return energy.item()

    @misconception("forgot_bias")
    def _forgot_bias(self, p: RbmEnergyParams) -> Wrong | None:
        av, bh, vwh = _energy_terms(p)
        right, wrong = -av - bh - vwh, -vwh
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You left out the bias terms −aᵀv − bᵀh (here {fmt(-av)} and {fmt(-bh)}): "
            f"E = −aᵀv − bᵀh − vᵀWh = {fmt(right)}.",
        )

    @misconception("sign_error")
    def _sign_error(self, p: RbmEnergyParams) -> Wrong | None:
        av, bh, vwh = _energy_terms(p)
        right = -av - bh - vwh
        if not distinct(-right, right):
            return None
        return Wrong(
            -right,
            f"The signs are reversed: every term of the energy carries a minus sign, so that "
            f"agreeing with the weights and biases lowers the energy. E = {fmt(right)}.",
        )

    @misconception("forgot_hidden_bias")
    def _forgot_hidden_bias(self, p: RbmEnergyParams) -> Wrong | None:
        av, bh, vwh = _energy_terms(p)
        right, wrong = -av - bh - vwh, -av - vwh
        if not distinct(wrong, right) or not distinct(wrong, -vwh):
            return None
        return Wrong(
            wrong,
            f"You left out the hidden bias term −bᵀh = {fmt(-bh)}: E = {fmt(right)}.",
        )


# --- rbm.conditional ----------------------------------------------------------------------------


class RbmConditionalParams(ParamModel):
    W: Matrix = Field(description="weights, nv×nh (row i: visible unit i)")
    a: Vector = Field(description="visible biases (nv)")
    b: Vector = Field(description="hidden biases (nh)")
    v: OptionalVector = Field(None, description="visible state: gives p(h = 1 | v)")
    h: OptionalVector = Field(None, description="hidden state: gives p(v = 1 | h)")

    @model_validator(mode="after")
    def _one_side(self) -> RbmConditionalParams:
        if self.v is None and self.h is None:
            raise ProblemError("v", "required parameter is missing (give v, or h instead)")
        if self.v is not None and self.h is not None:
            raise ProblemError("h", "give either v (for p(h|v)) or h (for p(v|h)), not both")
        _check_shapes(self.W, self.a, self.b, self.v, self.h)
        if self.v is not None:
            _unit_interval("v", self.v)
        if self.h is not None:
            _unit_interval("h", self.h)
        return self


def _conditional(
    p: RbmConditionalParams,
    *,
    bias: bool = True,
    other_bias: bool = False,
    transpose: bool = True,
    squash: bool = True,
) -> list[float]:
    """p(h=1|v) = σ(b + Wᵀv) or p(v=1|h) = σ(a + Wh); the keywords switch in the wrong rules."""
    W = p.W
    Wt = [list(col) for col in zip(*W)]
    if p.v is not None:
        given, weights, own, other = p.v, Wt, p.b, p.a
    else:
        assert p.h is not None
        given, weights, own, other = p.h, W, p.a, p.b
    if not transpose:  # the other orientation of W; only meaningful when W is square
        weights = Wt if weights is W else W
    offsets = (other if other_bias else own) if bias else [0.0] * len(own)
    pre = [c + _dot(row, given) for c, row in zip(offsets, weights)]
    return [sigmoid(t) for t in pre] if squash else pre


class RbmConditional(Problem[RbmConditionalParams]):
    id = "rbm.conditional"
    summary = (
        "Conditionals of a binary RBM: p(h = 1 | v) = σ(b + Wᵀv) or p(v = 1 | h) = σ(a + Wh) "
        "(units 0/1, or probabilities for a mean-field pass)."
    )
    topic = "generative"
    Params = RbmConditionalParams

    def _key(self, p: RbmConditionalParams) -> str:
        return "p_h_given_v" if p.v is not None else "p_v_given_h"

    def solve(self, p: RbmConditionalParams, trace: Trace) -> Any:
        trace.note(
            "Why the conditional factorises",
            "An RBM has no links inside a layer, so given one layer the units of the other are "
            "independent; each is a logistic unit fed by its bias plus its weighted inputs.",
        )
        Wt = [list(col) for col in zip(*p.W)]
        if p.v is not None:
            pre = trace.step(
                "Input to each hidden unit",
                r"b + W^{T} v",
                rf"{matrix([[x] for x in p.b])} + {matrix(Wt)} {matrix([[x] for x in p.v])}",
                [c + _dot(row, p.v) for c, row in zip(p.b, Wt)],
            )
            probs = trace.step(
                "Probability that each hidden unit is on",
                r"p(h_{j} = 1 | v) = \sigma\left(b_{j} + \sum_{i} W_{ij} v_{i}\right)",
                rf"\sigma({vector(pre)})",
                [sigmoid(t) for t in pre],
            )
        else:
            assert p.h is not None
            pre = trace.step(
                "Input to each visible unit",
                r"a + W h",
                rf"{matrix([[x] for x in p.a])} + {matrix(p.W)} {matrix([[x] for x in p.h])}",
                [c + _dot(row, p.h) for c, row in zip(p.a, p.W)],
            )
            probs = trace.step(
                "Probability that each visible unit is on",
                r"p(v_{i} = 1 | h) = \sigma\left(a_{i} + \sum_{j} W_{ij} h_{j}\right)",
                rf"\sigma({vector(pre)})",
                [sigmoid(t) for t in pre],
            )
        return {self._key(p): probs}

    def reference(self, p: RbmConditionalParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        kw: dict[str, Any] = {"dtype": torch.float64, "device": device}
        W, a, b = torch.tensor(p.W, **kw), torch.tensor(p.a, **kw), torch.tensor(p.b, **kw)
        if p.v is not None:
            # F.linear(x, A, c) = x Aᵀ + c; with A = Wᵀ this is b + Wᵀv
            out = torch.sigmoid(F.linear(torch.tensor(p.v, **kw), W.T, b))
        else:
            out = torch.sigmoid(F.linear(torch.tensor(p.h, **kw), W, a))
        return {self._key(p): out.tolist()}

    def _wrong(self, p: RbmConditionalParams, **rule: bool) -> tuple[Any, Any] | None:
        key = self._key(p)
        right, wrong = {key: _conditional(p)}, {key: _conditional(p, **rule)}
        return (wrong, right[key]) if distinct(wrong, right) else None

    def _bias_name(self, p: RbmConditionalParams) -> str:
        return "hidden bias b" if p.v is not None else "visible bias a"

    @misconception("forgot_bias")
    def _forgot_bias(self, p: RbmConditionalParams) -> Wrong | None:
        pair = self._wrong(p, bias=False)
        if pair is None:
            return None
        return Wrong(
            pair[0],
            f"You left out the {self._bias_name(p)}: each unit's input is its bias plus the "
            f"weighted sum, giving {fmt_list(pair[1])}.",
        )

    @misconception("wrong_bias")
    def _wrong_bias(self, p: RbmConditionalParams) -> Wrong | None:
        if len(p.a) != len(p.b):
            return None  # the other layer's bias does not even fit
        pair = self._wrong(p, other_bias=True)
        if pair is None:
            return None
        return Wrong(
            pair[0],
            f"You used the other layer's bias. The units you are computing have the "
            f"{self._bias_name(p)}, giving {fmt_list(pair[1])}.",
        )

    @misconception("forgot_transpose")
    def _forgot_transpose(self, p: RbmConditionalParams) -> Wrong | None:
        if len(p.W) != len(p.W[0]):
            return None  # with a non-square W the other orientation does not fit
        pair = self._wrong(p, transpose=False)
        if pair is None:
            return None
        which = (
            "Wᵀv: hidden unit j sums W_ij·v_i over the visible units i"
            if p.v
            else ("Wh: visible unit i sums W_ij·h_j over the hidden units j")
        )
        return Wrong(
            pair[0],
            f"You multiplied by W the wrong way round. W is visible × hidden, so the input is "
            f"{which}, giving {fmt_list(pair[1])}.",
        )

    @misconception("forgot_sigmoid")
    def _forgot_sigmoid(self, p: RbmConditionalParams) -> Wrong | None:
        pair = self._wrong(p, squash=False)
        if pair is None:
            return None
        return Wrong(
            pair[0],
            f"That is the input to the units, not a probability: pass it through the logistic "
            f"sigmoid σ(t) = 1/(1 + e^(−t)), giving {fmt_list(pair[1])}.",
        )
