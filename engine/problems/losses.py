"""Loss functions, softmax cross-entropy with its gradient, regularisation, dropout, update counts.

This module owns `loss` (nine losses as `torch.nn.functional` computes them), `softmax.cross_entropy`,
`regularization`, `dropout.inverted` and `gd.updates`.

Reductions: `mean` averages over every element for the element-wise losses (mse, huber,
smooth_l1, bce, bce_logits, hinge) and over the examples (rows) for ce and multi_margin, as
PyTorch does. For `kl`, each distribution's divergence is a sum over its entries; `mean` averages
those sums over the distributions (PyTorch's `reduction="batchmean"`), so for a single
distribution both reductions give KL(p ‖ q) itself. PyTorch's own `reduction="mean"` for
`kl_div` divides by the number of entries instead, which is not a KL divergence; that slip is
the `elementwise_mean` misconception.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from engine.compare import distinct
from engine.errors import ProblemError
from engine.latex import num, paren, vector
from engine.params import NonNegativeInt, ParamModel, PositiveInt, Real, Vector, shape_of
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

# torch clamps each log in binary cross-entropy at -100 so that log 0 stays finite
BCE_LOG_FLOOR = -100.0
# probability vectors may be rounded by hand; this much off 1 is still a distribution
SUM_TOLERANCE = 1e-3


def _number_or_tensor(v: Any) -> int | float | list[Any]:
    """A number, or a rectangular nested list of numbers (vector, matrix...).

    Integers stay integers so that class indices read back as written.
    """

    def real(x: Any) -> int | float:
        if isinstance(x, bool) or not isinstance(x, int | float):
            raise ValueError("must be a number or a (nested) list of numbers")
        if not math.isfinite(x):
            raise ValueError("must contain finite numbers only")
        return x

    def walk(x: Any) -> tuple[tuple[int, ...], Any]:
        if isinstance(x, list | tuple):
            if not x:
                raise ValueError("must not contain empty lists")
            parts = [walk(e) for e in x]
            if any(s != parts[0][0] for s, _ in parts):
                raise ValueError("must be rectangular: every row the same length")
            return (len(x), *parts[0][0]), [e for _, e in parts]
        return (), real(x)

    return walk(v)[1]


NumberOrTensor = Annotated[int | float | list[Any], BeforeValidator(_number_or_tensor)]


def _flat(v: Any) -> list[float]:
    if isinstance(v, list):
        return [e for row in v for e in _flat(row)]
    return [float(v)]


def _shape(v: Any) -> tuple[int, ...]:
    return shape_of(v) if isinstance(v, list) else ()


def _describe(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"{shape[0]} numbers"
    return "a " + "×".join(str(s) for s in shape) + " array"


def _fmt(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(e) for e in v) + "]"
    return f"{v:.4g}"


def _log_softmax(row: Sequence[float]) -> list[float]:
    m = max(row)
    lse = m + math.log(math.fsum(math.exp(z - m) for z in row))
    return [z - lse for z in row]


def _class_indices(
    target: Any, logits: Any, param: str = "target", logits_param: str = "prediction"
) -> list[int]:
    """Class indices for logits of shape (C,) or (N, C), checked against C and N."""
    shape = _shape(logits)
    if len(shape) not in (1, 2):
        raise ProblemError(
            logits_param,
            "must be a vector of logits (C classes) or an N×C matrix, one row per example",
        )
    classes = shape[-1]
    if len(shape) == 1:
        if isinstance(target, list):
            if len(target) != 1:
                raise ProblemError(param, "one vector of logits takes one class index")
            target = target[0]
        values = [target]
    else:
        if not isinstance(target, list) or len(_shape(target)) != 1:
            raise ProblemError(param, f"give a list of {shape[0]} class indices, one per row")
        if len(target) != shape[0]:
            raise ProblemError(
                param, f"expected {shape[0]} class indices, one per row, got {len(target)}"
            )
        values = target
    out = []
    for v in values:
        if isinstance(v, list) or not float(v).is_integer() or not 0 <= v < classes:
            raise ProblemError(
                param, f"a class index is a whole number from 0 to {classes - 1}, got {_fmt(v)}"
            )
        out.append(int(v))
    return out


def _is_matrix(v: Any) -> bool:
    return isinstance(v, list) and isinstance(v[0], list)


def _rows(logits: Any) -> list[list[float]]:
    return logits if isinstance(logits[0], list) else [logits]


def _reduce_latex(terms: Sequence[float], reduction: str, count: int | None = None) -> str:
    body = " + ".join(paren(t) for t in terms)
    if reduction == "sum":
        return body
    return rf"\frac{{1}}{{{count if count is not None else len(terms)}}} ({body})"


# --- loss ----------------------------------------------------------------------------------

LossName = Literal[
    "mse", "huber", "smooth_l1", "bce", "bce_logits", "ce", "multi_margin", "hinge", "kl"
]
ELEMENTWISE = ("mse", "huber", "smooth_l1", "bce", "bce_logits", "hinge")


class LossParams(ParamModel):
    name: LossName = Field(description="which loss")
    prediction: NumberOrTensor = Field(
        description="predictions: values, probabilities (bce), logits (bce_logits, ce, "
        "multi_margin), scores f (hinge) or the distribution q (kl)"
    )
    target: NumberOrTensor = Field(
        description="targets: values, 0/1 labels, class indices (ce, multi_margin), "
        "−1/1 labels (hinge) or the distribution p (kl)"
    )
    delta: Real = Field(1.0, description="huber: where the quadratic part ends")
    beta: Real = Field(1.0, description="smooth_l1: where the quadratic part ends")
    label_smoothing: Real = Field(0.0, description="ce: share of the target spread evenly")
    reduction: Literal["mean", "sum"] = Field(
        "mean", description="mean (per element; per example for ce, multi_margin, kl) or sum"
    )
    margin: Real = Field(1.0, description="hinge and multi_margin: the margin")

    @model_validator(mode="after")
    def _check(self) -> LossParams:
        pred, tgt = self.prediction, self.target
        if self.name in ELEMENTWISE or self.name == "kl":
            if _shape(pred) != _shape(tgt):
                raise ProblemError(
                    "target",
                    f"expected the shape of prediction ({_describe(_shape(pred))}), "
                    f"got {_describe(_shape(tgt))}",
                )
        if self.name == "huber" and self.delta <= 0:
            raise ProblemError("delta", "must be positive")
        if self.name == "smooth_l1" and self.beta < 0:
            raise ProblemError("beta", "must be ≥ 0")
        if self.name == "bce" and any(not 0 <= v <= 1 for v in _flat(pred)):
            raise ProblemError(
                "prediction", "bce takes probabilities between 0 and 1 (use bce_logits for logits)"
            )
        if self.name in ("bce", "bce_logits") and any(not 0 <= v <= 1 for v in _flat(tgt)):
            raise ProblemError("target", "binary targets are probabilities between 0 and 1")
        if self.name == "hinge" and any(v not in (-1.0, 1.0) for v in _flat(tgt)):
            raise ProblemError("target", "the hinge loss takes labels −1 or 1")
        if self.name in ("ce", "multi_margin"):
            _class_indices(tgt, pred)
        if self.name == "ce" and not 0 <= self.label_smoothing <= 1:
            raise ProblemError("label_smoothing", "must be between 0 and 1")
        if self.name == "kl":
            self._check_distributions()
        return self

    def _check_distributions(self) -> None:
        if len(_shape(self.prediction)) not in (1, 2):
            raise ProblemError(
                "prediction", "kl takes a probability vector, or a matrix with one per row"
            )
        for param, value in (("target", self.target), ("prediction", self.prediction)):
            for row in _rows(value):
                if any(v < 0 for v in row):
                    raise ProblemError(param, "probabilities cannot be negative")
                if abs(math.fsum(row) - 1.0) > SUM_TOLERANCE:
                    raise ProblemError(
                        param, f"a probability vector must sum to 1, {_fmt(row)} does not"
                    )
        if any(v == 0 for v in _flat(self.prediction)):
            raise ProblemError(
                "prediction", "every probability of q must be positive: KL(p ‖ q) takes log q"
            )

    def indices(self) -> list[int]:
        return _class_indices(self.target, self.prediction)


def elementwise_terms(p: LossParams, name: str | None = None) -> list[float]:
    """Each element's loss for the element-wise losses."""
    name = name or p.name
    terms = []
    for f, t in zip(_flat(p.prediction), _flat(p.target)):
        d = f - t
        if name == "mse":
            terms.append(d * d)
        elif name == "huber":
            a = abs(d)
            terms.append(0.5 * d * d if a < p.delta else p.delta * (a - 0.5 * p.delta))
        elif name == "smooth_l1":
            a = abs(d)
            if p.beta == 0:
                terms.append(a)
            else:
                terms.append(0.5 * d * d / p.beta if a < p.beta else a - 0.5 * p.beta)
        elif name == "bce":
            log_p = max(math.log(f), BCE_LOG_FLOOR) if f > 0 else BCE_LOG_FLOOR
            log_q = max(math.log1p(-f), BCE_LOG_FLOOR) if f < 1 else BCE_LOG_FLOOR
            terms.append(-(t * log_p + (1.0 - t) * log_q))
        elif name == "bce_logits":
            # max(x, 0) − x·t + ln(1 + e^{−|x|}): the same value, without overflow
            terms.append(max(f, 0.0) - f * t + math.log1p(math.exp(-abs(f))))
        elif name == "hinge":
            terms.append(max(0.0, p.margin - t * f))
        else:
            raise AssertionError(name)
    return terms


def _term_latex(p: LossParams, f: float, t: float) -> str:
    d = f - t
    if p.name == "mse":
        return rf"({num(f)} - {paren(t)})^{{2}}"
    if p.name == "huber":
        if abs(d) < p.delta:
            return rf"\frac{{1}}{{2}} ({num(f)} - {paren(t)})^{{2}}"
        return rf"{num(p.delta)} (\left|{num(f)} - {paren(t)}\right| - \frac{{1}}{{2}} \cdot {num(p.delta)})"
    if p.name == "smooth_l1":
        if p.beta == 0:
            return rf"\left|{num(f)} - {paren(t)}\right|"
        if abs(d) < p.beta:
            return rf"\frac{{({num(f)} - {paren(t)})^{{2}}}}{{2 \cdot {num(p.beta)}}}"
        return rf"\left|{num(f)} - {paren(t)}\right| - \frac{{{num(p.beta)}}}{{2}}"
    if p.name == "bce":
        return rf"-({num(t)} \ln {num(f)} + (1 - {num(t)}) \ln (1 - {num(f)}))"
    if p.name == "bce_logits":
        return rf"-({num(t)} \ln \sigma({num(f)}) + (1 - {num(t)}) \ln (1 - \sigma({num(f)})))"
    if p.name == "hinge":
        return rf"\max(0, {num(p.margin)} - {paren(t)} \cdot {paren(f)})"
    raise AssertionError(p.name)


TERM_FORMULA = {
    "mse": r"l_{i} = (\hat{y}_{i} - y_{i})^{2}",
    "huber": r"l_{i} = \frac{1}{2} d_{i}^{2} \text{ if } |d_{i}| < \delta \text{, else } "
    r"\delta (|d_{i}| - \frac{1}{2} \delta), \quad d_{i} = \hat{y}_{i} - y_{i}",
    "smooth_l1": r"l_{i} = \frac{d_{i}^{2}}{2 \beta} \text{ if } |d_{i}| < \beta \text{, else } "
    r"|d_{i}| - \frac{\beta}{2}, \quad d_{i} = \hat{y}_{i} - y_{i}",
    "bce": r"l_{i} = -(y_{i} \ln \hat{y}_{i} + (1 - y_{i}) \ln (1 - \hat{y}_{i}))",
    "bce_logits": r"l_{i} = -(y_{i} \ln \sigma(z_{i}) + (1 - y_{i}) \ln (1 - \sigma(z_{i})))",
    "hinge": r"l_{i} = \max(0, 1 - y_{i} f_{i})",
}


def ce_terms(p: LossParams, smoothing: float | None = None) -> list[float]:
    eps = p.label_smoothing if smoothing is None else smoothing
    out = []
    for row, k in zip(_rows(p.prediction), p.indices()):
        logp = _log_softmax(row)
        out.append(-(1.0 - eps) * logp[k] - eps * math.fsum(logp) / len(row))
    return out


def multi_margin_terms(p: LossParams, divide: bool = True, clamp: bool = True) -> list[float]:
    out = []
    for row, k in zip(_rows(p.prediction), p.indices()):
        parts = [p.margin - row[k] + z for j, z in enumerate(row) if j != k]
        total = math.fsum(max(0.0, v) if clamp else v for v in parts)
        out.append(total / len(row) if divide else total)
    return out


def kl_terms(p: LossParams, reverse: bool = False) -> list[float]:
    """KL(p ‖ q) per distribution, with 0·ln 0 = 0; `reverse` gives KL(q ‖ p)."""
    out = []
    for pt, qt in zip(_rows(p.target), _rows(p.prediction)):
        a, b = (qt, pt) if reverse else (pt, qt)
        out.append(math.fsum(u * math.log(u / v) for u, v in zip(a, b) if u > 0))
    return out


def loss_terms(p: LossParams) -> list[float]:
    """The values the reduction averages or sums: one per element, or per example/distribution."""
    if p.name == "ce":
        return ce_terms(p)
    if p.name == "multi_margin":
        return multi_margin_terms(p)
    if p.name == "kl":
        return kl_terms(p)
    return elementwise_terms(p)


def reduce(terms: Sequence[float], reduction: str) -> float:
    total = math.fsum(terms)
    return total if reduction == "sum" else total / len(terms)


class Loss(Problem[LossParams]):
    id = "loss"
    summary = (
        "A loss as torch.nn.functional computes it: mse, huber, smooth_l1, bce, bce_logits, ce "
        "(logits, class indices), multi_margin, hinge max(0, 1 − y·f), kl = KL(target ‖ prediction)."
    )
    topic = "loss"
    Params = LossParams

    def solve(self, p: LossParams, trace: Trace) -> Any:
        if p.name in ELEMENTWISE:
            terms = elementwise_terms(p)
            subst = r", \quad ".join(
                _term_latex(p, f, t) for f, t in zip(_flat(p.prediction), _flat(p.target))
            )
            formula = TERM_FORMULA[p.name]
            if p.name == "hinge" and p.margin != 1:
                formula = r"l_{i} = \max(0, m - y_{i} f_{i})"
            trace.step("Loss of each element", formula, subst, terms)
            what = "element"
        elif p.name == "ce":
            terms = self._trace_ce(p, trace)
            what = "example"
        elif p.name == "multi_margin":
            terms = self._trace_multi_margin(p, trace)
            what = "example"
        else:
            terms = self._trace_kl(p, trace)
            what = "distribution"
        if len(terms) == 1:
            return terms[0]
        if p.reduction == "sum":
            formula = r"L = \sum_{i} l_{i}"
        else:
            formula = r"L = \frac{1}{n} \sum_{i=1}^{n} l_{i}"
        return trace.step(
            f"Reduce ({p.reduction} over each {what})",
            formula,
            _reduce_latex(terms, p.reduction),
            reduce(terms, p.reduction),
        )

    def _trace_ce(self, p: LossParams, trace: Trace) -> list[float]:
        terms = []
        eps = p.label_smoothing
        for i, (row, k) in enumerate(zip(_rows(p.prediction), p.indices())):
            where = f" (example {i})" if _is_matrix(p.prediction) else ""
            logp = trace.step(
                "Log-softmax" + where,
                r"\ln \operatorname{softmax}(z)_{j} = z_{j} - \ln \sum_{k} e^{z_{k}}",
                rf"{vector(row)} - \ln (" + " + ".join(rf"e^{{{num(z)}}}" for z in row) + ")",
                _log_softmax(row),
            )
            if eps == 0:
                term = trace.step(
                    "Cross-entropy" + where,
                    r"l = -\ln \operatorname{softmax}(z)_{c}",
                    rf"-({num(logp[k])}) \quad (c = {k})",
                    -logp[k],
                )
            else:
                term = trace.step(
                    "Cross-entropy with label smoothing" + where,
                    r"l = -(1 - \epsilon) \ln p_{c} - \frac{\epsilon}{C} \sum_{j} \ln p_{j}",
                    rf"-(1 - {num(eps)}) \cdot ({num(logp[k])}) - \frac{{{num(eps)}}}"
                    rf"{{{len(row)}}} ({' + '.join(paren(v) for v in logp)})",
                    -(1.0 - eps) * logp[k] - eps * math.fsum(logp) / len(row),
                )
            terms.append(term)
        return terms

    def _trace_multi_margin(self, p: LossParams, trace: Trace) -> list[float]:
        terms = []
        for i, (row, k) in enumerate(zip(_rows(p.prediction), p.indices())):
            where = f" (example {i})" if _is_matrix(p.prediction) else ""
            parts = [
                rf"\max(0, {num(p.margin)} - {paren(row[k])} + {paren(z)})"
                for j, z in enumerate(row)
                if j != k
            ]
            terms.append(
                trace.step(
                    "Multi-class margin loss" + where,
                    r"l = \frac{1}{C} \sum_{j \ne c} \max(0, m - z_{c} + z_{j})",
                    rf"\frac{{1}}{{{len(row)}}} (" + " + ".join(parts) + rf") \quad (c = {k})",
                    multi_margin_terms(p)[i],
                )
            )
        return terms

    def _trace_kl(self, p: LossParams, trace: Trace) -> list[float]:
        terms = []
        for i, (pt, qt) in enumerate(zip(_rows(p.target), _rows(p.prediction))):
            where = f" (distribution {i})" if _is_matrix(p.prediction) else ""
            parts = [
                rf"{num(u)} \ln \frac{{{num(u)}}}{{{num(v)}}}" for u, v in zip(pt, qt) if u > 0
            ]
            terms.append(
                trace.step(
                    "KL divergence" + where,
                    r"D_{KL}(p \lVert q) = \sum_{j} p_{j} \ln \frac{p_{j}}{q_{j}} "
                    r"\quad (0 \ln 0 = 0)",
                    " + ".join(parts) if parts else "0",
                    kl_terms(p)[i],
                )
            )
        return terms

    def reference(self, p: LossParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        def t(v: Any) -> torch.Tensor:
            return torch.tensor(v, dtype=torch.float64, device=device)

        pred, tgt, red = t(p.prediction), t(p.target), p.reduction
        if p.name == "mse":
            out = F.mse_loss(pred, tgt, reduction=red)
        elif p.name == "huber":
            out = F.huber_loss(pred, tgt, reduction=red, delta=p.delta)
        elif p.name == "smooth_l1":
            out = F.smooth_l1_loss(pred, tgt, reduction=red, beta=p.beta)
        elif p.name == "bce":
            out = F.binary_cross_entropy(pred, tgt, reduction=red)
        elif p.name == "bce_logits":
            out = F.binary_cross_entropy_with_logits(pred, tgt, reduction=red)
        elif p.name == "hinge":
            margins = torch.clamp(p.margin - tgt * pred, min=0)
            out = margins.sum() if red == "sum" else margins.mean()
        elif p.name in ("ce", "multi_margin"):
            idx = p.indices()
            target = torch.tensor(idx if pred.dim() == 2 else idx[0], device=device)
            if p.name == "ce":
                out = F.cross_entropy(
                    pred, target, reduction=red, label_smoothing=p.label_smoothing
                )
            else:
                out = F.multi_margin_loss(pred, target, margin=p.margin, reduction=red)
        else:
            # kl_div(log q, p) sums p·(ln p − ln q); "batchmean" averages over the rows
            kl_red = "batchmean" if pred.dim() == 2 and red == "mean" else "sum"
            out = F.kl_div(pred.log(), tgt, reduction=kl_red)
        return out.item()

    # --- misconceptions ----------------------------------------------------------------------
    def _right(self, p: LossParams) -> float:
        return float(self.solve(p, Trace()))

    @misconception("sum_not_mean")
    def _sum_not_mean(self, p: LossParams) -> Wrong | None:
        terms = loss_terms(p)
        if p.reduction != "mean" or len(terms) == 1 or math.fsum(terms) == 0:
            return None
        return Wrong(
            math.fsum(terms),
            f"You added up the {len(terms)} losses; reduction=mean averages them, so divide the "
            f"sum {_fmt(math.fsum(terms))} by {len(terms)}.",
        )

    @misconception("mean_not_sum")
    def _mean_not_sum(self, p: LossParams) -> Wrong | None:
        terms = loss_terms(p)
        if p.reduction != "sum" or len(terms) == 1 or math.fsum(terms) == 0:
            return None
        return Wrong(
            reduce(terms, "mean"),
            f"You averaged the {len(terms)} losses; reduction=sum adds them up.",
        )

    @misconception("huber_smooth_l1_scale")
    def _huber_scale(self, p: LossParams) -> Wrong | None:
        if p.name == "huber" and p.delta != 1:
            wrong = reduce(
                elementwise_terms(p.model_copy(update={"beta": p.delta}), "smooth_l1"), p.reduction
            )
            said = (
                f"You computed the smooth L1 loss with β = {num(p.delta)}. The Huber loss is δ "
                f"times that: ½d² inside |d| < δ and δ(|d| − ½δ) outside."
            )
        elif p.name == "smooth_l1" and p.beta not in (0, 1):
            wrong = reduce(
                elementwise_terms(p.model_copy(update={"delta": p.beta}), "huber"), p.reduction
            )
            said = (
                f"You computed the Huber loss with δ = {num(p.beta)}. Smooth L1 divides it by β: "
                f"d²/(2β) inside |d| < β and |d| − β/2 outside."
            )
        else:
            return None
        if wrong == self._right(p):
            return None
        return Wrong(wrong, said)

    @misconception("used_log10")
    def _used_log10(self, p: LossParams) -> Wrong | None:
        if p.name not in ("bce", "bce_logits", "ce", "kl"):
            return None
        right = self._right(p)
        if right == 0:
            return None
        return Wrong(
            right / math.log(10),
            "You used log base 10. Cross-entropy and KL divergence use the natural log ln.",
        )

    @misconception("gave_probability")
    def _gave_probability(self, p: LossParams) -> Wrong | None:
        if p.name != "ce" or p.label_smoothing != 0:
            return None
        # each term is −ln p(true class): the probabilities themselves are exp(−term)
        probs = [math.exp(-t) for t in ce_terms(p)]
        wrong = reduce(probs, p.reduction)
        if not distinct(wrong, self._right(p)):
            return None
        return Wrong(
            wrong,
            f"You gave the probability of the true class ({_fmt(probs[0])}"
            + (", …" if len(probs) > 1 else "")
            + "). The loss is its negative log, −ln p: a confident right answer costs little, "
            "a confident wrong one a lot.",
        )

    @misconception("forgot_label_smoothing")
    def _forgot_label_smoothing(self, p: LossParams) -> Wrong | None:
        if p.name != "ce" or p.label_smoothing == 0:
            return None
        return Wrong(
            reduce(ce_terms(p, smoothing=0.0), p.reduction),
            f"You left out label smoothing: the target puts 1 − ε + ε/C on the true class and "
            f"ε/C on every other class, with ε = {num(p.label_smoothing)}.",
        )

    @misconception("forgot_clamp")
    def _forgot_clamp(self, p: LossParams) -> Wrong | None:
        if p.name == "hinge":
            raw = [p.margin - t * f for f, t in zip(_flat(p.prediction), _flat(p.target))]
            wrong = reduce(raw, p.reduction)
        elif p.name == "multi_margin":
            wrong = reduce(multi_margin_terms(p, clamp=False), p.reduction)
        else:
            return None
        if wrong == self._right(p):
            return None
        return Wrong(
            wrong,
            "You kept negative margins. Each term is max(0, …): a prediction already on the "
            "right side of the margin adds 0, never a negative amount.",
        )

    @misconception("no_divide_by_classes")
    def _no_divide_by_classes(self, p: LossParams) -> Wrong | None:
        if p.name != "multi_margin":
            return None
        wrong = reduce(multi_margin_terms(p, divide=False), p.reduction)
        if wrong == self._right(p):
            return None
        classes = _shape(p.prediction)[-1]
        return Wrong(
            wrong,
            f"You summed the margins as the multi-class SVM loss does; PyTorch's multi_margin "
            f"loss also divides each example's sum by the number of classes C = {classes}.",
        )

    @misconception("reversed_kl")
    def _reversed_kl(self, p: LossParams) -> Wrong | None:
        if p.name != "kl" or any(v == 0 for v in _flat(p.target)):
            return None
        wrong = reduce(kl_terms(p, reverse=True), p.reduction)
        if abs(wrong - self._right(p)) < 1e-12:
            return None
        return Wrong(
            wrong,
            "You computed KL(q ‖ p), with the prediction first. KL is not symmetric: here it is "
            "KL(p ‖ q) = Σ p·ln(p/q) with p the target.",
        )

    @misconception("elementwise_mean")
    def _elementwise_mean(self, p: LossParams) -> Wrong | None:
        if p.name != "kl" or p.reduction != "mean":
            return None
        terms = kl_terms(p)
        wrong = math.fsum(terms) / len(_flat(p.target))
        if wrong == self._right(p):
            return None
        return Wrong(
            wrong,
            f"You divided by the number of entries ({len(_flat(p.target))}), as kl_div's "
            f"reduction='mean' does. A KL divergence sums over the entries of each "
            f"distribution; only the average over distributions is taken.",
        )


# --- softmax.cross_entropy -----------------------------------------------------------------


class SoftmaxCEParams(ParamModel):
    logits: NumberOrTensor = Field(description="logits: a vector (C), or N×C, one row per example")
    target: NumberOrTensor = Field(description="true class index, or one per row")

    @model_validator(mode="after")
    def _check(self) -> SoftmaxCEParams:
        _class_indices(self.target, self.logits, logits_param="logits")
        return self

    @property
    def batched(self) -> bool:
        return isinstance(self.logits, list) and isinstance(self.logits[0], list)

    def indices(self) -> list[int]:
        return _class_indices(self.target, self.logits)


def softmax_ce(
    p: SoftmaxCEParams, *, average: bool = True, sign: float = 1.0, subtract: bool = True
) -> dict[str, Any]:
    """softmax, mean loss and gradient; the keywords switch on wrong rules for misconceptions."""
    rows, idx = _rows(p.logits), p.indices()
    n = len(rows)
    probs, losses, grads = [], [], []
    for row, k in zip(rows, idx):
        logp = _log_softmax(row)
        s = [math.exp(v) for v in logp]
        probs.append(s)
        losses.append(-logp[k])
        g = [v - (1.0 if j == k and subtract else 0.0) for j, v in enumerate(s)]
        grads.append([sign * v / (n if average else 1) for v in g])
    out = {"softmax": probs, "loss": math.fsum(losses) / n, "grad": grads}
    if not p.batched:
        out["softmax"], out["grad"] = probs[0], grads[0]
    return out


class SoftmaxCrossEntropy(Problem[SoftmaxCEParams]):
    id = "softmax.cross_entropy"
    summary = (
        "Softmax of the logits, the cross-entropy loss (mean over the batch) and its gradient "
        "with respect to the logits, (softmax − one-hot)/N."
    )
    topic = "loss"
    Params = SoftmaxCEParams

    def solve(self, p: SoftmaxCEParams, trace: Trace) -> Any:
        rows, idx = _rows(p.logits), p.indices()
        n = len(rows)
        probs, losses, grads = [], [], []
        for i, (row, k) in enumerate(zip(rows, idx)):
            where = f" (example {i})" if p.batched else ""
            m = max(row)
            shifted = ", ".join(rf"e^{{{num(z)} - {paren(m)}}}" for z in row)
            s = trace.step(
                "Softmax" + where,
                r"p_{j} = \frac{e^{z_{j} - \max z}}{\sum_{k} e^{z_{k} - \max z}}",
                rf"\frac{{1}}{{{' + '.join(rf'e^{{{num(z - m)}}}' for z in row)}}} \left[{shifted}\right]",
                [math.exp(v) for v in _log_softmax(row)],
            )
            loss = trace.step(
                "Loss" + where,
                r"l = -\ln p_{c}",
                rf"-\ln {num(s[k])} \quad (c = {k})",
                -_log_softmax(row)[k],
            )
            onehot = [1.0 if j == k else 0.0 for j in range(len(row))]
            g = trace.step(
                "Gradient of the loss" + where,
                r"\frac{\partial L}{\partial z} = \frac{1}{N} (p - \operatorname{onehot}(c))",
                rf"\frac{{1}}{{{n}}} \left({vector(s)} - {vector(onehot)}\right)",
                [(v - o) / n for v, o in zip(s, onehot)],
            )
            probs.append(s)
            losses.append(loss)
            grads.append(g)
        total = math.fsum(losses) / n
        if n > 1:
            total = trace.step(
                "Mean loss over the batch",
                r"L = \frac{1}{N} \sum_{i} l_{i}",
                _reduce_latex(losses, "mean"),
                total,
            )
        if p.batched:
            return {"softmax": probs, "loss": total, "grad": grads}
        return {"softmax": probs[0], "loss": total, "grad": grads[0]}

    def reference(self, p: SoftmaxCEParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        z = torch.tensor(_rows(p.logits), dtype=torch.float64, device=device, requires_grad=True)
        target = torch.tensor(p.indices(), device=device)
        loss = F.cross_entropy(z, target)
        (grad,) = torch.autograd.grad(loss, z)
        probs = torch.softmax(z.detach(), dim=1)
        if p.batched:
            return {
                "softmax": probs.cpu().tolist(),
                "loss": loss.item(),
                "grad": grad.cpu().tolist(),
            }
        return {
            "softmax": probs[0].cpu().tolist(),
            "loss": loss.item(),
            "grad": grad[0].cpu().tolist(),
        }

    @misconception("wrong_grad_sign", part="grad")
    def _wrong_sign(self, p: SoftmaxCEParams) -> Wrong | None:
        return Wrong(
            softmax_ce(p, sign=-1.0)["grad"],
            "Your gradient has the wrong sign: it is softmax − one-hot (pushing the true "
            "class's logit up means a negative gradient there), not one-hot − softmax.",
        )

    @misconception("grad_not_averaged", part="grad")
    def _not_averaged(self, p: SoftmaxCEParams) -> Wrong | None:
        n = len(_rows(p.logits))
        if n == 1:
            return None
        return Wrong(
            softmax_ce(p, average=False)["grad"],
            f"The loss is the mean over the {n} examples, so each row of the gradient is "
            f"(softmax − one-hot)/{n}.",
        )

    @misconception("forgot_one_hot", part="grad")
    def _forgot_one_hot(self, p: SoftmaxCEParams) -> Wrong | None:
        return Wrong(
            softmax_ce(p, subtract=False)["grad"],
            "You gave the softmax itself as the gradient; subtract 1 at the true class: "
            "∂L/∂z = softmax − one-hot (divided by N for a batch).",
        )

    @misconception("gave_probability", part="loss")
    def _gave_probability(self, p: SoftmaxCEParams) -> Wrong | None:
        rows, idx = _rows(p.logits), p.indices()
        probs = [math.exp(_log_softmax(row)[k]) for row, k in zip(rows, idx)]
        wrong = math.fsum(probs) / len(probs)
        if not distinct(wrong, softmax_ce(p)["loss"]):
            return None
        return Wrong(
            wrong,
            "You gave the softmax probability of the true class. The loss is its negative log, "
            "L = −ln softmax(z)_y" + (" (averaged over the examples)." if len(rows) > 1 else "."),
        )

    @misconception("used_log10", part="loss")
    def _log10(self, p: SoftmaxCEParams) -> Wrong | None:
        right = softmax_ce(p)["loss"]
        if right == 0:
            return None
        return Wrong(right / math.log(10), "You used log base 10; cross-entropy uses ln.")

    @misconception("summed_loss", part="loss")
    def _summed(self, p: SoftmaxCEParams) -> Wrong | None:
        n = len(_rows(p.logits))
        right = softmax_ce(p)["loss"]
        if n == 1 or right == 0:
            return None
        return Wrong(
            right * n,
            f"You added up the {n} examples' losses; the loss is their mean.",
        )


# --- regularization ------------------------------------------------------------------------


class RegularizationParams(ParamModel):
    w: Vector = Field(description="weights")
    kind: Literal["l1", "l2"] = Field("l1", description="l1: λ·Σ|w|, l2: λ·Σw²")
    lam: Real = Field(description="regularisation strength λ ≥ 0")
    data_loss: Real = Field(0.0, description="loss on the data, before the penalty")

    @model_validator(mode="after")
    def _check(self) -> RegularizationParams:
        if self.lam < 0:
            raise ProblemError("lam", "the regularisation strength λ must be ≥ 0")
        return self


def _sign(v: float) -> float:
    return 1.0 if v > 0 else -1.0 if v < 0 else 0.0


def regularize(p: RegularizationParams, kind: str | None = None) -> dict[str, Any]:
    kind = kind or p.kind
    if kind == "l1":
        penalty = p.lam * math.fsum(abs(v) for v in p.w)
        grad = [p.lam * _sign(v) for v in p.w]
    else:
        penalty = p.lam * math.fsum(v * v for v in p.w)
        grad = [2.0 * p.lam * v for v in p.w]
    return {"penalty": penalty, "total": p.data_loss + penalty, "grad": grad}


class Regularization(Problem[RegularizationParams]):
    id = "regularization"
    summary = (
        "L1 or L2 weight penalty: L1 = λ·Σ|w| with gradient λ·sign(w), L2 = λ·Σw² with "
        "gradient 2λw; total = data loss + penalty."
    )
    topic = "regularization"
    Params = RegularizationParams

    def solve(self, p: RegularizationParams, trace: Trace) -> Any:
        r = regularize(p)
        if p.kind == "l1":
            trace.step(
                "L1 penalty",
                r"\lambda \sum_{j} |w_{j}|",
                rf"{num(p.lam)} \cdot (" + " + ".join(rf"\left|{num(v)}\right|" for v in p.w) + ")",
                r["penalty"],
            )
        else:
            trace.step(
                "L2 penalty",
                r"\lambda \sum_{j} w_{j}^{2}",
                rf"{num(p.lam)} \cdot (" + " + ".join(rf"{paren(v)}^{{2}}" for v in p.w) + ")",
                r["penalty"],
            )
        trace.step(
            "Total loss",
            r"L = L_{\text{data}} + \text{penalty}",
            rf"{num(p.data_loss)} + {num(r['penalty'])}",
            r["total"],
        )
        if p.kind == "l1":
            trace.step(
                "Gradient of the penalty",
                r"\frac{\partial}{\partial w_{j}} = \lambda \operatorname{sign}(w_{j}) "
                r"\quad (\operatorname{sign}(0) = 0)",
                rf"{num(p.lam)} \cdot \operatorname{{sign}}\left({vector(p.w)}\right)",
                r["grad"],
            )
        else:
            trace.step(
                "Gradient of the penalty",
                r"\frac{\partial}{\partial w_{j}} = 2 \lambda w_{j}",
                rf"2 \cdot {num(p.lam)} \cdot {vector(p.w)}",
                r["grad"],
            )
        return r

    def reference(self, p: RegularizationParams, device: torch.device) -> Any:
        import torch

        w = torch.tensor(p.w, dtype=torch.float64, device=device, requires_grad=True)
        penalty = p.lam * (w.abs().sum() if p.kind == "l1" else w.pow(2).sum())
        (grad,) = torch.autograd.grad(penalty, w)
        return {
            "penalty": penalty.item(),
            "total": (p.data_loss + penalty).item(),
            "grad": grad.cpu().tolist(),
        }

    @misconception("swapped_l1_l2")
    def _swapped(self, p: RegularizationParams) -> Wrong | None:
        other = "l2" if p.kind == "l1" else "l1"
        wrong = regularize(p, other)
        if wrong == regularize(p):
            return None
        return Wrong(
            wrong,
            f"You used the {other.upper()} penalty; this one is {p.kind.upper()}: "
            + ("λ·Σ|w| with gradient λ·sign(w)." if p.kind == "l1" else "λ·Σw² with gradient 2λw."),
        )

    @misconception("forgot_factor_two", part="grad")
    def _forgot_two(self, p: RegularizationParams) -> Wrong | None:
        if p.kind != "l2" or all(v == 0 for v in p.w) or p.lam == 0:
            return None
        return Wrong(
            [p.lam * v for v in p.w],
            "You gave λw: the derivative of λ·w² is 2λw (λw belongs to the penalty ½λ·Σw²).",
        )

    @misconception("norm_not_squared", part="penalty")
    def _norm(self, p: RegularizationParams) -> Wrong | None:
        if p.kind != "l2":
            return None
        wrong = p.lam * math.sqrt(math.fsum(v * v for v in p.w))
        if wrong == regularize(p)["penalty"]:
            return None
        return Wrong(
            wrong,
            "You took the length ‖w‖; the L2 penalty uses the squared length, λ·Σw².",
        )

    @misconception("forgot_data_loss", part="total")
    def _forgot_data(self, p: RegularizationParams) -> Wrong | None:
        if p.data_loss == 0:
            return None
        return Wrong(
            regularize(p)["penalty"],
            f"You gave the penalty alone; the total adds it to the data loss {num(p.data_loss)}.",
        )


# --- dropout.inverted ----------------------------------------------------------------------


def _mask(v: Any) -> list[float]:
    if not isinstance(v, list | tuple) or not v:
        raise ValueError("must be a non-empty list of 0s and 1s")
    out = []
    for e in v:
        if isinstance(e, bool):
            out.append(1.0 if e else 0.0)
        elif isinstance(e, int | float) and e in (0, 1):
            out.append(float(e))
        else:
            raise ValueError("must contain only 0 (dropped) and 1 (kept)")
    return out


class DropoutParams(ParamModel):
    x: Vector = Field(description="activations")
    mask: Annotated[list[float], BeforeValidator(_mask)] = Field(
        description="1 where the unit is kept, 0 where it is dropped"
    )
    p: Real = Field(description="drop probability, 0 ≤ p < 1")

    @model_validator(mode="after")
    def _check(self) -> DropoutParams:
        if len(self.mask) != len(self.x):
            raise ProblemError(
                "mask", f"expected {len(self.x)} entries, one per entry of x, got {len(self.mask)}"
            )
        if not 0 <= self.p < 1:
            raise ProblemError(
                "p", "the drop probability must be at least 0 and below 1 (the scale is 1/(1 − p))"
            )
        return self


class DropoutInverted(Problem[DropoutParams]):
    id = "dropout.inverted"
    summary = "Inverted dropout at training time: y = x ⊙ mask / (1 − p), with p the drop rate."
    topic = "regularization"
    Params = DropoutParams

    def solve(self, p: DropoutParams, trace: Trace) -> Any:
        scale = trace.step(
            "Scale for the kept units",
            r"\frac{1}{1 - p}",
            rf"\frac{{1}}{{1 - {num(p.p)}}}",
            1.0 / (1.0 - p.p),
        )
        return trace.step(
            "Drop and rescale",
            r"y = \frac{x \odot m}{1 - p}",
            rf"{vector(p.x)} \odot {vector(p.mask)} \cdot {num(scale)}",
            [v * m / (1.0 - p.p) for v, m in zip(p.x, p.mask)],
        )

    def reference(self, p: DropoutParams, device: torch.device) -> Any:
        import torch

        x = torch.tensor(p.x, dtype=torch.float64, device=device)
        mask = torch.tensor([m == 1 for m in p.mask], device=device)
        # the kernel autograd uses for dropout: keep where the mask is set, scale by 1/(1 − p)
        y = torch.ops.aten.native_dropout_backward(x, mask, 1.0 / (1.0 - p.p))
        return y.cpu().tolist()

    def _if_different(self, p: DropoutParams, wrong: list[float], said: str) -> Wrong | None:
        return None if wrong == self.solve(p, Trace()) else Wrong(wrong, said)

    @misconception("not_scaled")
    def _not_scaled(self, p: DropoutParams) -> Wrong | None:
        return self._if_different(
            p,
            [v * m for v, m in zip(p.x, p.mask)],
            f"You applied the mask but did not rescale. Inverted dropout divides the kept values "
            f"by 1 − p = {num(1 - p.p)}, so nothing needs scaling at test time.",
        )

    @misconception("scaled_wrong_way")
    def _scaled_wrong_way(self, p: DropoutParams) -> Wrong | None:
        return self._if_different(
            p,
            [v * m * (1.0 - p.p) for v, m in zip(p.x, p.mask)],
            f"You multiplied by 1 − p = {num(1 - p.p)}; inverted dropout divides by it, so the "
            f"expected value of each unit stays the same.",
        )

    @misconception("divided_by_p")
    def _divided_by_p(self, p: DropoutParams) -> Wrong | None:
        if p.p == 0:
            return None
        return self._if_different(
            p,
            [v * m / p.p for v, m in zip(p.x, p.mask)],
            f"You divided by p = {num(p.p)}, the drop rate. Divide by the keep rate 1 − p = "
            f"{num(1 - p.p)}.",
        )


# --- gd.updates ----------------------------------------------------------------------------


class UpdatesParams(ParamModel):
    n_samples: PositiveInt = Field(description="training examples")
    batch_size: PositiveInt = Field(description="examples per batch")
    epochs: NonNegativeInt = Field(1, description="passes over the data")
    drop_last: bool = Field(False, description="skip a last batch smaller than batch_size")


class GdUpdates(Problem[UpdatesParams]):
    id = "gd.updates"
    summary = (
        "Parameter updates in mini-batch gradient descent: batches per epoch (⌈n/B⌉, or ⌊n/B⌋ "
        "with drop_last) times epochs."
    )
    topic = "optim"
    Params = UpdatesParams

    def solve(self, p: UpdatesParams, trace: Trace) -> Any:
        n, b = p.n_samples, p.batch_size
        if p.drop_last:
            batches = trace.step(
                "Batches per epoch (the partial last batch is dropped)",
                r"\left\lfloor \frac{n}{B} \right\rfloor",
                rf"\left\lfloor \frac{{{n}}}{{{b}}} \right\rfloor",
                n // b,
            )
        else:
            batches = trace.step(
                "Batches per epoch (a partial last batch still counts)",
                r"\left\lceil \frac{n}{B} \right\rceil",
                rf"\left\lceil \frac{{{n}}}{{{b}}} \right\rceil",
                -(-n // b),
            )
        return trace.step(
            "Updates (one per batch)",
            r"\text{batches} \times \text{epochs}",
            rf"{batches} \times {p.epochs}",
            batches * p.epochs,
        )

    def reference(self, p: UpdatesParams, device: torch.device) -> Any:
        from torch.utils.data import DataLoader

        # one optimiser step per batch the loader yields; len() counts them without loading
        loader: DataLoader[int] = DataLoader(
            range(p.n_samples),  # type: ignore[arg-type]
            batch_size=p.batch_size,
            drop_last=p.drop_last,
        )
        return len(loader) * p.epochs

    def _if_different(self, p: UpdatesParams, wrong: int, said: str) -> Wrong | None:
        return None if wrong == self.solve(p, Trace()) else Wrong(wrong, said)

    @misconception("forgot_partial_batch")
    def _forgot_partial(self, p: UpdatesParams) -> Wrong | None:
        n, b = p.n_samples, p.batch_size
        if p.drop_last:
            return None
        return self._if_different(
            p,
            (n // b) * p.epochs,
            f"You dropped the last, smaller batch of {n % b} examples. Unless drop_last is set, "
            f"it is still a batch and still gives an update: ⌈{n}/{b}⌉ = {-(-n // b)} per epoch.",
        )

    @misconception("counted_partial_batch")
    def _counted_partial(self, p: UpdatesParams) -> Wrong | None:
        n, b = p.n_samples, p.batch_size
        if not p.drop_last:
            return None
        return self._if_different(
            p,
            -(-n // b) * p.epochs,
            f"With drop_last the last {n % b} examples that do not fill a batch are skipped: "
            f"⌊{n}/{b}⌋ = {n // b} batches per epoch.",
        )

    @misconception("ignored_epochs")
    def _ignored_epochs(self, p: UpdatesParams) -> Wrong | None:
        per_epoch = self.solve(p.model_copy(update={"epochs": 1}), Trace())
        return self._if_different(
            p,
            per_epoch,
            f"That is one epoch's worth of updates; multiply by the {p.epochs} epochs.",
        )

    @misconception("per_sample_updates")
    def _per_sample(self, p: UpdatesParams) -> Wrong | None:
        return self._if_different(
            p,
            p.n_samples * p.epochs,
            f"You counted one update per example, as in stochastic gradient descent with "
            f"batches of 1. With batches of {p.batch_size}, there is one update per batch.",
        )

    @misconception("one_update_per_epoch")
    def _per_epoch(self, p: UpdatesParams) -> Wrong | None:
        return self._if_different(
            p,
            p.epochs,
            "You counted one update per epoch, as in full-batch gradient descent. Mini-batch "
            "descent updates after every batch.",
        )
