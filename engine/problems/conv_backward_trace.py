"""The worked solution of `conv2d.backward`: db as a sum, dw as a correlation, dx as a full
convolution with the flipped kernel, each with its first entries written out.

It defines no problem (`conv_backward` does); indices start at 0 as in PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.latex import matrix, num
from engine.params import pair
from engine.problems.common import sum_of
from engine.problems.conv_backward import (
    ConvBackwardParams,
    correlate,
    pad,
    rot180,
    spread,
    written_sum,
)
from engine.problems.sliding_window import SHOW_MATRICES, shown, zero_padding_step
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np


def count(n: int, noun: str) -> str:
    """ "1 row", "2 rows"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _label(o: int | None, c: int | None, outs: int, ins: int) -> str:
    parts = []
    if o is not None and outs > 1:
        parts.append(f"output channel {o}")
    if c is not None and ins > 1:
        parts.append(f"input channel {c}")
    return f" ({', '.join(parts)})" if parts else ""


def write_trace(p: ConvBackwardParams, answer: dict[str, Any], trace: Trace) -> None:
    x, w, g = p.arrays()
    outs, ins, kh, kw = w.shape
    s, (ph, pw) = pair(p.stride), pair(p.padding)
    trace.note(
        "Forward pass and notation",
        "The layer computed y[o, i, j] = Σ_c Σ_u Σ_v w[o, c, u, v]·x_p[c, s·i + u, s·j + v] + b[o] "
        "(cross-correlation, as PyTorch), with x_p the input padded by p. Below, g = ∂L/∂y is "
        "the upstream gradient; indices start at 0.",
    )
    _bias_steps(g, trace)
    xp = pad(x, (ph, pw))
    if ph or pw:
        for c in range(min(ins, SHOW_MATRICES)):
            zero_padding_step(trace, f"Padded input{_label(None, c, 1, ins)}", ph, pw, xp[c])
    gs = spread(g, s)
    if s != (1, 1):
        for o in range(min(outs, SHOW_MATRICES)):
            trace.step(
                f"Upstream gradient spread by the stride{_label(o, None, outs, 1)}",
                rf"g \text{{ with {count(s[0] - 1, 'zero row')} and "
                rf"{count(s[1] - 1, 'zero column')} between entries}}",
                "",
                gs[o],
            )
    _weight_steps(p, xp, g, answer, trace)
    _input_steps(p, xp, g, answer, trace)


def _bias_steps(g: np.ndarray, trace: Trace) -> None:
    outs = len(g)
    for o in range(outs):
        index = "o," if outs > 1 else ""
        trace.step(
            f"Gradient of the bias{_label(o, None, outs, 1)}",
            rf"\frac{{\partial L}}{{\partial b{'_{o}' if outs > 1 else ''}}} = "
            rf"\sum_{{i}} \sum_{{j}} g_{{{index}i,j}}",
            sum_of([num(v) for v in g[o].ravel().tolist()]),
            float(g[o].sum()),
        )


def _weight_steps(
    p: ConvBackwardParams, xp: np.ndarray, g: np.ndarray, answer: dict[str, Any], trace: Trace
) -> None:
    import numpy as np

    _, w, _ = p.arrays()
    outs, ins, kh, kw = w.shape
    sh, sw = pair(p.stride)
    dw = np.asarray(answer["dw"], dtype=np.float64).reshape(w.shape)
    many = outs > 1 or ins > 1
    formula = (
        r"\frac{\partial L}{\partial w_{o,c,u,v}} = \sum_{i} \sum_{j} g_{o,i,j}\, "
        r"x_{p;\, c,\, s i + u,\, s j + v}"
        if many
        else r"\frac{\partial L}{\partial w_{u,v}} = \sum_{i} \sum_{j} g_{i,j}\, "
        r"x_{p;\, s i + u,\, s j + v}"
    )
    trace.note(
        "Gradient of the kernel: a correlation of the input with g",
        "w[u, v] multiplied x_p[s·i + u, s·j + v] in output (i, j), so its gradient adds up "
        "those inputs weighted by g[i, j]: slide g (spread by the stride) over the padded "
        "input as if it were the kernel.",
    )
    gh, gw = g.shape[-2:]
    positions = [(0, 0, u, v) for u in range(kh) for v in range(kw)]
    for o, c, u, v in positions[: shown(len(positions))]:
        # the inputs this weight met: every s-th one from (u, v), one per output position
        window = xp[c, u : u + (gh - 1) * sh + 1 : sh, v : v + (gw - 1) * sw + 1 : sw]
        index = f"{o}, {c}, {u}, {v}" if many else f"{u}, {v}"
        trace.step(
            f"∂L/∂w[{index}]",
            formula,
            written_sum(g[o].ravel().tolist(), window.ravel().tolist()),
            float(dw[o, c, u, v]),
        )
    pairs = [(o, c) for o in range(outs) for c in range(ins)]
    for o, c in pairs[:SHOW_MATRICES]:
        name = f"w_{{{o},{c}}}" if many else "w"
        trace.step(
            f"Gradient of the kernel{_label(o, c, outs, ins)}",
            rf"\frac{{\partial L}}{{\partial {name}}}",
            "",
            dw[o, c],
        )


def _input_steps(
    p: ConvBackwardParams, xp: np.ndarray, g: np.ndarray, answer: dict[str, Any], trace: Trace
) -> None:
    import numpy as np

    x, w, _ = p.arrays()
    outs, ins, kh, kw = w.shape
    s, (ph, pw) = pair(p.stride), pair(p.padding)
    gs = spread(g, s)
    extra = (xp.shape[-2] - (gs.shape[-2] + kh - 1), xp.shape[-1] - (gs.shape[-1] + kw - 1))
    gp = pad(gs, (kh - 1, kw - 1), (kh - 1 + extra[0], kw - 1 + extra[1]))
    flipped = rot180(w)
    trace.note(
        "Gradient of the input: a full convolution of g with the kernel",
        "Each input element reached the outputs of every window that covered it, through a "
        "different kernel weight each time. Collected per input element, that is g padded with "
        "k − 1 zeros on every side (a full convolution) with the kernel rotated by 180° slid "
        "over it.",
    )
    more = (
        f" (and {extra[0]} more at the bottom, {extra[1]} on the right, where the last "
        "windows left inputs unused)"
        if any(extra)
        else ""
    )
    for o in range(min(outs, SHOW_MATRICES)):
        trace.step(
            f"g padded with k − 1 zeros{_label(o, None, outs, 1)}{more}",
            rf"\tilde{{g}} = g \text{{ with {count(kh - 1, 'row')} and {count(kw - 1, 'column')} "
            r"of zeros on each side}",
            "",
            gp[o],
        )
    pairs = [(o, c) for o in range(outs) for c in range(ins)]
    for o, c in pairs[:SHOW_MATRICES]:
        trace.step(
            f"Kernel rotated by 180°{_label(o, c, outs, ins)}",
            r"\tilde{w}_{u,v} = w_{k_h - 1 - u,\, k_w - 1 - v}",
            rf"\operatorname{{rot180}}\left({matrix(w[o, c])}\right)",
            flipped[o, c],
        )
    dxp = correlate(gp, flipped.transpose(1, 0, 2, 3))
    many = outs > 1
    x_name = "x_{p;\\, " if ph or pw else "x_{"
    formula = (
        rf"\frac{{\partial L}}{{\partial {x_name}c,a,b}}}} = \sum_{{o}} \sum_{{u}} \sum_{{v}} "
        r"\tilde{w}_{o,c,u,v}\, \tilde{g}_{o,\, a + u,\, b + v}"
        if many
        else rf"\frac{{\partial L}}{{\partial {x_name}a,b}}}} = \sum_{{u}} \sum_{{v}} "
        r"\tilde{w}_{u,v}\, \tilde{g}_{a + u,\, b + v}"
    )
    hp, wp = xp.shape[-2:]
    positions = [(0, a, b) for a in range(hp) for b in range(wp)]
    for c, a, b in positions[: shown(len(positions))]:
        weights = flipped[:, c].ravel().tolist()
        values = gp[:, a : a + kh, b : b + kw].ravel().tolist()
        index = f"{c}, {a}, {b}" if ins > 1 else f"{a}, {b}"
        where = "x_p" if ph or pw else "x"
        trace.step(f"∂L/∂{where}[{index}]", formula, written_sum(weights, values), dxp[c, a, b])
    if len(positions) > shown(len(positions)):
        trace.note(
            "The other elements", "Every other element is the same sum with the window moved."
        )
    dx = np.asarray(answer["dx"], dtype=np.float64).reshape(x.shape)
    for c in range(min(ins, SHOW_MATRICES)):
        if ph or pw:
            trace.step(
                f"Gradient of the padded input{_label(None, c, 1, ins)}",
                r"\frac{\partial L}{\partial x_{p}}",
                "",
                dxp[c],
            )
        trace.step(
            f"Gradient of the input{_label(None, c, 1, ins)}"
            + (": the padding cut off" if ph or pw else ""),
            r"\frac{\partial L}{\partial x}",
            (
                rf"\frac{{\partial L}}{{\partial x_{{p}}}} \text{{ without its outer "
                rf"{count(ph, 'row')} and {count(pw, 'column')}}}"
                if ph or pw
                else ""
            ),
            dx[c],
        )
