"""The worked solution of `mlp.network`, layer by layer: forward, loss, chain rule, update.

It defines no problem (`mlp_network` does); it only writes the trace of a computed pass, so the
arithmetic lives in one place. Layers are numbered from 1 in the maths (z₁ … z_L, as the
contract writes them), units too; the answer's lists start at 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.latex import column, matrix, num, paren
from engine.problems.common import sum_of
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np

    from engine.problems.mlp_network import NetworkPass
    from engine.problems.mlp_network_params import NetworkParams

SYMBOL = {
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "relu": r"\operatorname{ReLU}",
    "leaky_relu": r"\operatorname{LeakyReLU}",
    "softmax": r"\operatorname{softmax}",
    "linear": "",
}
LOSS_WORDS = {
    "squared": "half the sum of squared errors, ½·Σ(output − target)²",
    "mse": "mean squared error over the outputs",
    "ce": "cross-entropy, −ln of the softmax output at the true class",
    "bce": "binary cross-entropy, summed over the outputs",
}
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(n: int) -> str:
    """A layer number as a subscript in a title (W₂)."""
    return str(n).translate(SUBSCRIPT)


def _a(layer: int) -> str:
    """a_l in formulas, with a₀ written as x."""
    return "x" if layer == 0 else f"a_{{{layer}}}"


def write_trace(p: NetworkParams, r: NetworkPass, trace: Trace) -> None:
    import numpy as np

    layers = len(p.weights)
    sizes = [len(p.x), *(len(w) for w in p.weights)]
    trace.note(
        "Network",
        f"{layers} layer{'s' if layers > 1 else ''} of sizes "
        + " → ".join(str(n) for n in sizes)
        + "; activations "
        + ", ".join(p.activations)
        + f"; loss: {LOSS_WORDS[p.loss]}. Layer l computes zₗ = Wₗaₗ₋₁ + bₗ and "
        "aₗ = fₗ(zₗ), with a₀ = x.",
    )
    # --- forward -------------------------------------------------------------------------------
    for i in range(layers):
        k = i + 1
        below = np.array(p.x) if i == 0 else r.a[i - 1]
        trace.step(
            f"Layer {k}: pre-activation",
            rf"z_{{{k}}} = W_{{{k}}} {_a(i)} + b_{{{k}}}",
            rf"{matrix(p.weights[i])} {column(below)} + {column(p.bias(i))}",
            r.z[i],
        )
        _activation_step(p.activations[i], k, r.z[i], r.a[i], p.slope, trace)
    _loss_step(p, r, trace)
    # --- backward ------------------------------------------------------------------------------
    _chain_rule_step(p, r, trace)
    _output_error_steps(p, r, trace)
    for i in range(layers - 1, -1, -1):
        k = i + 1
        below = np.array(p.x) if i == 0 else r.a[i - 1]
        trace.step(
            f"Gradient of W{_sub(k)}",
            rf"\frac{{\partial L}}{{\partial W_{{{k}}}}} = \delta_{{{k}}} {_a(i)}^{{T}}",
            rf"{column(r.deltas[i])} {matrix([list(below)])}",
            r.dw[i],
        )
        trace.step(
            f"Gradient of b{_sub(k)}",
            rf"\frac{{\partial L}}{{\partial b_{{{k}}}}} = \delta_{{{k}}}",
            column(r.deltas[i]),
            r.db[i],
        )
        if i > 0:
            _hidden_error_steps(p, r, i - 1, trace)
    # --- update --------------------------------------------------------------------------------
    if p.lr is not None and r.new_w is not None and r.new_b is not None:
        lr = num(p.lr)
        for i in range(layers):
            k = i + 1
            trace.step(
                f"Updated W{_sub(k)}",
                rf"W_{{{k}}} \leftarrow W_{{{k}}} - \eta \frac{{\partial L}}{{\partial W_{{{k}}}}}"
                rf", \quad \eta = {lr}",
                rf"{matrix(p.weights[i])} - {lr} \cdot {matrix(r.dw[i])}",
                r.new_w[i],
            )
            trace.step(
                f"Updated b{_sub(k)}",
                rf"b_{{{k}}} \leftarrow b_{{{k}}} - \eta \frac{{\partial L}}{{\partial b_{{{k}}}}}",
                rf"{column(p.bias(i))} - {lr} \cdot {column(r.db[i])}",
                r.new_b[i],
            )


def _activation_step(
    name: str, k: int, z: np.ndarray, a: np.ndarray, slope: float, trace: Trace
) -> None:
    title = f"Layer {k}: activation ({name.replace('_', ' ')})"
    if name == "linear":
        trace.step(title, rf"a_{{{k}}} = z_{{{k}}}", column(z), a)
    elif name == "softmax":
        exps = [rf"e^{{{num(v)}}}" for v in z]
        trace.step(
            title,
            rf"a_{{{k},i}} = \frac{{e^{{z_{{{k},i}}}}}}{{\sum_{{j}} e^{{z_{{{k},j}}}}}}",
            rf"\frac{{1}}{{{sum_of(exps)}}} \left[{', '.join(exps)}\right]",
            a,
        )
    elif name == "leaky_relu":
        trace.step(
            title,
            rf"a_{{{k}}} = \max(z_{{{k}}}, {num(slope)} z_{{{k}}})",
            rf"\operatorname{{LeakyReLU}}\left({column(z)}\right)",
            a,
        )
    else:
        symbol = SYMBOL[name]
        trace.step(
            title, rf"a_{{{k}}} = {symbol}(z_{{{k}}})", rf"{symbol}\left({column(z)}\right)", a
        )


def _loss_step(p: NetworkParams, r: NetworkPass, trace: Trace) -> None:
    top = len(p.weights)
    out = r.a[-1]
    if p.loss == "ce":
        c = p.class_index()
        trace.step(
            "Loss (cross-entropy)",
            rf"L = -\ln a_{{{top},c}}",
            rf"-\ln \left({num(out[c])}\right) \quad (c = {c})",
            r.loss,
        )
        return
    y = p.targets()
    if p.loss == "bce":
        terms = [
            rf"{paren(t)} \ln \left({num(a)}\right) + (1 - {paren(t)}) \ln (1 - {num(a)})"
            for a, t in zip(out, y)
        ]
        trace.step(
            "Loss (binary cross-entropy)",
            rf"L = -\sum_{{i}} \left[y_{{i}} \ln a_{{{top},i}} + (1 - y_{{i}}) \ln (1 - a_{{{top},i}})\right]",
            rf"-\left[{sum_of(terms)}\right]",
            r.loss,
        )
        return
    squares = sum_of([rf"({num(a)} - {paren(t)})^{{2}}" for a, t in zip(out, y)])
    if p.loss == "squared":
        trace.step(
            "Loss (squared error)",
            rf"L = \frac{{1}}{{2}} \sum_{{i}} (a_{{{top},i}} - y_{{i}})^{{2}}",
            rf"\frac{{1}}{{2}} \left({squares}\right)",
            r.loss,
        )
    else:
        trace.step(
            "Loss (mean squared error)",
            rf"L = \frac{{1}}{{n}} \sum_{{i}} (a_{{{top},i}} - y_{{i}})^{{2}}",
            rf"\frac{{1}}{{{len(out)}}} \left({squares}\right)",
            r.loss,
        )


def _chain_rule_step(p: NetworkParams, r: NetworkPass, trace: Trace) -> None:
    """The chain rule written out once for the first weight of the output layer."""
    top = len(p.weights)
    below = p.x[0] if top == 1 else float(r.a[-2][0])
    w = rf"w^{{({top})}}_{{11}}"
    name = "x_{1}" if top == 1 else f"a_{{{top - 1},1}}"
    if p.matched_output:
        trace.step(
            f"Chain rule for one weight, W{_sub(top)}[1, 1]",
            rf"\frac{{\partial L}}{{\partial {w}}} = \frac{{\partial L}}{{\partial z_{{{top},1}}}}"
            rf" \cdot \frac{{\partial z_{{{top},1}}}}{{\partial {w}}} = \delta_{{{top},1}} \cdot {name}",
            rf"{paren(r.deltas[-1][0])} \cdot {paren(below)}",
            float(r.dw[-1][0][0]),
        )
        return
    if p.activations[-1] == "softmax":
        # the softmax couples the outputs: ∂a/∂z is a matrix, shown in the output error step
        return
    trace.step(
        f"Chain rule for one weight, W{_sub(top)}[1, 1]",
        rf"\frac{{\partial L}}{{\partial {w}}} = \frac{{\partial L}}{{\partial a_{{{top},1}}}} "
        rf"\cdot \frac{{\partial a_{{{top},1}}}}{{\partial z_{{{top},1}}}} "
        rf"\cdot \frac{{\partial z_{{{top},1}}}}{{\partial {w}}}",
        rf"{paren(r.dloss[0])} \cdot {paren(r.primes[-1][0])} \cdot {paren(below)}",
        float(r.dw[-1][0][0]),
    )


def _derivative_step(
    name: str, k: int, z: np.ndarray, a: np.ndarray, slope: float, trace: Trace, value: np.ndarray
) -> None:
    """f_l′(z_l) element-wise (not called for linear layers, where it is 1)."""
    title = f"Derivative of the layer-{k} activation"
    if name == "sigmoid":
        formula = rf"\sigma'(z_{{{k}}}) = a_{{{k}}} \odot (1 - a_{{{k}}})"
        subst = rf"{column(a)} \odot \left(1 - {column(a)}\right)"
    elif name == "tanh":
        formula = rf"\tanh'(z_{{{k}}}) = 1 - a_{{{k}}} \odot a_{{{k}}}"
        subst = rf"1 - {column(a)} \odot {column(a)}"
    elif name == "relu":
        formula = rf"\operatorname{{ReLU}}'(z_{{{k}}}) = [z_{{{k}}} > 0]"
        subst = rf"\left[{column(z)} > 0\right]"
    else:
        formula = (
            rf"\operatorname{{LeakyReLU}}'(z_{{{k}}}) = 1 \text{{ where }} z_{{{k}}} > 0"
            rf"\text{{, else }} {num(slope)}"
        )
        subst = rf"z_{{{k}}} = {column(z)}"
    trace.step(title, formula, subst, value)


def _output_error_steps(p: NetworkParams, r: NetworkPass, trace: Trace) -> None:
    top = len(p.weights)
    last = p.activations[-1]
    out = r.a[-1]
    delta = rf"\delta_{{{top}}} = \frac{{\partial L}}{{\partial z_{{{top}}}}}"
    if p.loss == "ce":
        onehot = [1.0 if i == p.class_index() else 0.0 for i in range(len(out))]
        trace.step(
            "Output error (softmax with cross-entropy: the softmax derivative cancels)",
            rf"{delta} = a_{{{top}}} - \operatorname{{onehot}}(c)",
            rf"{column(out)} - {column(onehot)}",
            r.deltas[-1],
        )
        return
    if p.loss == "bce":
        trace.step(
            "Output error (sigmoid with binary cross-entropy: σ′ cancels)",
            rf"{delta} = a_{{{top}}} - y",
            rf"{column(out)} - {column(p.targets())}",
            r.deltas[-1],
        )
        return
    da = rf"\frac{{\partial L}}{{\partial a_{{{top}}}}}"
    if p.loss == "squared":
        trace.step(
            "Gradient of the loss with respect to the output",
            rf"{da} = a_{{{top}}} - y",
            rf"{column(out)} - {column(p.targets())}",
            r.dloss,
        )
    else:
        trace.step(
            "Gradient of the loss with respect to the output",
            rf"{da} = \frac{{2}}{{n}} (a_{{{top}}} - y)",
            rf"\frac{{2}}{{{len(out)}}} \left({column(out)} - {column(p.targets())}\right)",
            r.dloss,
        )
    if last == "linear":
        trace.step(
            "Output error (linear output: f′ = 1, so δ is ∂L/∂a itself)",
            rf"\delta_{{{top}}} = {da}",
            column(r.dloss),
            r.deltas[-1],
        )
    elif last == "softmax":
        trace.step(
            "Output error through the softmax (its Jacobian is diag(a) − a aᵀ)",
            rf"{delta} = a_{{{top}}} \odot \left({da} - a_{{{top}}}^{{T}} {da}\right)",
            rf"{column(out)} \odot \left({column(r.dloss)} - "
            rf"{num(float(out @ r.dloss))}\right)",
            r.deltas[-1],
        )
    else:
        _derivative_step(last, top, r.z[-1], out, p.slope, trace, r.primes[-1])
        trace.step(
            "Output error",
            rf"{delta} = {da} \odot f_{{{top}}}'(z_{{{top}}})",
            rf"{column(r.dloss)} \odot {column(r.primes[-1])}",
            r.deltas[-1],
        )


def _hidden_error_steps(p: NetworkParams, r: NetworkPass, i: int, trace: Trace) -> None:
    """∂L/∂a_l = W_{l+1}ᵀ δ_{l+1}, f_l′(z_l), δ_l for hidden layer l = i + 1."""
    k = i + 1
    w_above = [list(c) for c in zip(*p.weights[i + 1])]
    trace.step(
        f"Back to layer {k}",
        rf"\frac{{\partial L}}{{\partial a_{{{k}}}}} = W_{{{k + 1}}}^{{T}} \delta_{{{k + 1}}}",
        rf"{matrix(w_above)} {column(r.deltas[i + 1])}",
        r.upstream[i],
    )
    name = p.activations[i]
    if name == "linear":
        trace.step(
            f"Error of layer {k} (linear: f′ = 1)",
            rf"\delta_{{{k}}} = \frac{{\partial L}}{{\partial a_{{{k}}}}}",
            column(r.upstream[i]),
            r.deltas[i],
        )
        return
    _derivative_step(name, k, r.z[i], r.a[i], p.slope, trace, r.primes[i])
    trace.step(
        f"Error of layer {k}",
        rf"\delta_{{{k}}} = \frac{{\partial L}}{{\partial a_{{{k}}}}} \odot f_{{{k}}}'(z_{{{k}}})",
        rf"{column(r.upstream[i])} \odot {column(r.primes[i])}",
        r.deltas[i],
    )
