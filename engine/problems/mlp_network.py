"""Backpropagation through a fully connected network of any depth: `mlp.network`.

Layer l computes z_l = W_l a_{l−1} + b_l and a_l = f_l(z_l), with a₀ = x. The backward pass is
the chain rule layer by layer: δ_L = ∂L/∂a_L ⊙ f_L′(z_L) at the output (a − y directly for
softmax with cross-entropy and sigmoid with binary cross-entropy, where f′ cancels),
δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ f_l′(z_l) below it, ∂L/∂W_l = δ_l a_{l−1}ᵀ and ∂L/∂b_l = δ_l. With a
learning rate, one gradient-descent step gives the updated weights (every gradient computed with
the weights before the step, as in the classic 2-2-2 sigmoid example).

The numerical work is in `network_pass`, whose keyword arguments switch on the wrong rules the
misconceptions name; `mlp_network_trace` writes the worked solution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.problem import Problem, Wrong, misconception
from engine.problems.common import fmt, fmt_list
from engine.problems.mlp_network_params import NetworkParams
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch

# --- the computation ------------------------------------------------------------------------


def activate(name: str, z: np.ndarray, slope: float) -> np.ndarray:
    import numpy as np

    if name == "sigmoid":
        e = np.exp(-np.abs(z))  # no overflow on either side
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, slope * z)
    if name == "softmax":
        e = np.exp(z - z.max())
        return e / e.sum()
    return z.copy()


def derivative(name: str, z: np.ndarray, a: np.ndarray, slope: float) -> np.ndarray:
    """f′(z) element-wise (softmax has a Jacobian instead: see `network_pass`)."""
    import numpy as np

    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":  # PyTorch passes no gradient at exactly 0
        return np.where(z > 0, 1.0, 0.0)
    if name == "leaky_relu":  # and the slope at exactly 0
        return np.where(z > 0, 1.0, slope)
    return np.ones_like(z)


def _softplus(v: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.maximum(v, 0.0) + np.log1p(np.exp(-np.abs(v)))


@dataclass
class NetworkPass:
    """Every intermediate value of one forward and backward pass (layers counted from 0)."""

    z: list[np.ndarray]
    a: list[np.ndarray]
    loss: float
    dloss: np.ndarray  # ∂L/∂a_L (unused when the output derivative cancels)
    primes: list[np.ndarray]  # f_l′(z_l) (ones for a softmax output)
    upstream: list[np.ndarray]  # ∂L/∂a_l = W_{l+1}ᵀ δ_{l+1} for the hidden layers, then ∂L/∂a_L
    deltas: list[np.ndarray]
    dw: list[np.ndarray]
    db: list[np.ndarray]
    new_w: list[np.ndarray] | None
    new_b: list[np.ndarray] | None

    def answer(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "loss": self.loss,
            "z": self.z,
            "a": self.a,
            "deltas": self.deltas,
            "grads": {"weights": self.dw, "biases": self.db},
        }
        if self.new_w is not None:
            out["updated"] = {"weights": self.new_w, "biases": self.new_b}
        return out


def network_pass(
    p: NetworkParams,
    *,
    output_prime: bool = True,
    extra_output_prime: bool = False,
    hidden_prime: bool = True,
    loss_scale: float = 1.0,
    backprop_updated: bool = False,
    ascend: bool = False,
) -> NetworkPass:
    """The whole computation; the keyword arguments apply a known wrong rule (misconceptions)."""
    import numpy as np

    ws = [np.array(w, dtype=np.float64) for w in p.weights]
    bs = [np.array(p.bias(i), dtype=np.float64) for i in range(len(ws))]
    acts = p.activations
    a_prev = np.array(p.x, dtype=np.float64)
    zs, as_ = [], []
    for w, b, name in zip(ws, bs, acts):
        z = w @ a_prev + b
        a_prev = activate(name, z, p.slope)
        zs.append(z)
        as_.append(a_prev)
    z_out, a_out = zs[-1], as_[-1]
    n_out = len(a_out)

    # the loss and its gradient with respect to the output activations
    if p.loss == "ce":
        k = p.class_index()
        m = z_out.max()  # log-softmax from z keeps tiny probabilities exact
        loss = float(-(z_out[k] - m - math.log(np.exp(z_out - m).sum())))
        dloss = np.zeros(n_out)
        dloss[k] = -1.0 / a_out[k]
    elif p.loss == "bce":
        y = np.array(p.targets())
        # log σ(z) = −softplus(−z), log(1 − σ(z)) = −softplus(z)
        loss = float(np.sum(y * _softplus(-z_out) + (1.0 - y) * _softplus(z_out)))
        dloss = (a_out - y) / (a_out * (1.0 - a_out))
    else:
        diff = a_out - np.array(p.targets())
        if p.loss == "squared":
            loss, dloss = 0.5 * float(np.sum(diff * diff)), diff
        else:
            loss, dloss = float(np.sum(diff * diff)) / n_out, 2.0 * diff / n_out
    loss *= loss_scale
    dloss = dloss * loss_scale

    last = acts[-1]
    if p.matched_output:
        residual = a_out - (np.eye(n_out)[p.class_index()] if p.loss == "ce" else p.targets())
        delta = loss_scale * residual
        prime = derivative(last, z_out, a_out, p.slope)
        if extra_output_prime:
            delta = delta * (a_out * (1.0 - a_out))
    elif last == "softmax":
        # δ = Jᵀ g with J = diag(a) − a aᵀ: δ_i = a_i (g_i − Σ_j a_j g_j)
        prime = np.ones(n_out)
        delta = a_out * (dloss - float(a_out @ dloss)) if output_prime else dloss.copy()
    else:
        prime = derivative(last, z_out, a_out, p.slope)
        delta = dloss * prime if output_prime else dloss.copy()

    deltas = [delta]
    primes = [prime]
    upstream = [dloss]
    dws = [np.outer(delta, as_[-2] if len(ws) > 1 else np.array(p.x))]
    lr = p.lr or 0.0
    for layer in range(len(ws) - 2, -1, -1):
        w_above = ws[layer + 1]
        if backprop_updated:
            w_above = w_above - lr * dws[0]
        up = w_above.T @ deltas[0]
        prime = derivative(acts[layer], zs[layer], as_[layer], p.slope)
        delta = up * prime if hidden_prime else up.copy()
        a_below = as_[layer - 1] if layer > 0 else np.array(p.x)
        deltas.insert(0, delta)
        primes.insert(0, prime)
        upstream.insert(0, up)
        dws.insert(0, np.outer(delta, a_below))
    dbs = [d.copy() for d in deltas]
    new_w = new_b = None
    if p.lr is not None:
        sign = 1.0 if ascend else -1.0
        new_w = [w + sign * p.lr * g for w, g in zip(ws, dws)]
        new_b = [b + sign * p.lr * g for b, g in zip(bs, dbs)]
    return NetworkPass(zs, as_, loss, dloss, primes, upstream, deltas, dws, dbs, new_w, new_b)


class MlpNetwork(Problem[NetworkParams]):
    id = "mlp.network"
    summary = (
        "Forward and backward pass through a fully connected network of any depth: every z, a "
        "and δ layer by layer, the gradients of every weight and bias, and (with lr) the weights "
        "after one gradient-descent step."
    )
    topic = "fc"
    Params = NetworkParams

    def solve(self, p: NetworkParams, trace: Trace) -> Any:
        from engine.problems.mlp_network_trace import write_trace

        r = network_pass(p)
        write_trace(p, r, trace)
        return r.answer()

    def reference(self, p: NetworkParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        def t(v: Any, grad: bool = False) -> torch.Tensor:
            return torch.tensor(v, dtype=torch.float64, device=device, requires_grad=grad)

        ws = [t(w, True) for w in p.weights]
        bs = [t(p.bias(i), True) for i in range(len(ws))]
        a = t(p.x)
        zs, as_ = [], []
        for w, b, name in zip(ws, bs, p.activations):
            z = F.linear(a, w, b)
            if name == "sigmoid":
                a = torch.sigmoid(z)
            elif name == "tanh":
                a = torch.tanh(z)
            elif name == "relu":
                a = F.relu(z)
            elif name == "leaky_relu":
                a = F.leaky_relu(z, p.slope)
            elif name == "softmax":
                a = torch.softmax(z, dim=0)
            else:
                a = z
            zs.append(z)
            as_.append(a)
        if p.loss == "ce":
            target = torch.tensor([p.class_index()], device=device)
            loss = F.cross_entropy(zs[-1].unsqueeze(0), target)
        elif p.loss == "bce":
            loss = F.binary_cross_entropy_with_logits(zs[-1], t(p.targets()), reduction="sum")
        elif p.loss == "squared":
            loss = 0.5 * F.mse_loss(a, t(p.targets()), reduction="sum")
        else:
            loss = F.mse_loss(a, t(p.targets()))
        # δ_l = ∂L/∂z_l straight from autograd, with the weight and bias gradients
        layers = len(ws)
        grads = torch.autograd.grad(loss, [*zs, *ws, *bs])
        dzs, dws, dbs = grads[:layers], grads[layers : 2 * layers], grads[2 * layers :]

        def out(v: torch.Tensor) -> Any:
            return v.detach().cpu().tolist()

        answer: dict[str, Any] = {
            "loss": loss.item(),
            "z": [out(z) for z in zs],
            "a": [out(a) for a in as_],
            "deltas": [out(d) for d in dzs],
            "grads": {"weights": [out(g) for g in dws], "biases": [out(g) for g in dbs]},
        }
        if p.lr is not None:
            lr = p.lr
            answer["updated"] = {
                "weights": [out(w - lr * g) for w, g in zip(ws, dws)],
                "biases": [out(b - lr * g) for b, g in zip(bs, dbs)],
            }
        return answer

    # --- misconceptions ----------------------------------------------------------------------
    def _if_different(self, p: NetworkParams, wrong: NetworkPass) -> dict[str, Any] | None:
        from engine.values import max_abs_diff, to_json

        answer = to_json(wrong.answer())
        # a rule that only moves the answer by rounding error is not a different answer
        return None if max_abs_diff(answer, to_json(network_pass(p).answer())) < 1e-12 else answer

    @misconception("forgot_output_derivative")
    def _forgot_output_derivative(self, p: NetworkParams) -> Wrong | None:
        last = p.activations[-1]
        if p.matched_output or last == "linear":
            return None
        wrong = self._if_different(p, network_pass(p, output_prime=False))
        if wrong is None:
            return None
        r = network_pass(p)
        return Wrong(
            wrong,
            f"You took δ_L = ∂L/∂a_L = {fmt_list(r.dloss)} and forgot the derivative of the "
            f"output {last}: δ_L = ∂L/∂a_L ⊙ {last}′(z_L) = {fmt_list(r.deltas[-1])}.",
        )

    @misconception("extra_output_derivative")
    def _extra_output_derivative(self, p: NetworkParams) -> Wrong | None:
        if p.loss != "bce":
            return None
        wrong = self._if_different(p, network_pass(p, extra_output_prime=True))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You multiplied a − y by σ′(z_L) once more. With binary cross-entropy after a "
            "sigmoid the derivative already cancels: δ_L = ∂L/∂z_L = a_L − y.",
        )

    @misconception("forgot_activation_derivative")
    def _forgot_activation_derivative(self, p: NetworkParams) -> Wrong | None:
        if len(p.weights) < 2 or all(a == "linear" for a in p.activations[:-1]):
            return None
        wrong = self._if_different(p, network_pass(p, hidden_prime=False))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You passed W_{l+1}ᵀ δ_{l+1} straight down as δ_l. Going through a hidden layer, "
            "multiply by its activation's derivative: δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ f_l′(z_l).",
        )

    @misconception("forgot_half")
    def _forgot_half(self, p: NetworkParams) -> Wrong | None:
        if p.loss != "squared":
            return None
        wrong = self._if_different(p, network_pass(p, loss_scale=2.0))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You dropped the ½ of the squared loss, which doubles the loss and every gradient. "
            "Here L = ½·Σ(a_L − y)², so ∂L/∂a_L = a_L − y.",
        )

    @misconception("used_updated_weights")
    def _used_updated_weights(self, p: NetworkParams) -> Wrong | None:
        if p.lr is None or len(p.weights) < 2:
            return None
        wrong = self._if_different(p, network_pass(p, backprop_updated=True))
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You backpropagated through weights you had already updated. Every gradient of one "
            "step is computed with the weights before the step; update them all at the end.",
        )

    @misconception("gradient_ascent", part="updated")
    def _gradient_ascent(self, p: NetworkParams) -> Wrong | None:
        if p.lr is None:
            return None
        wrong = self._if_different(p, network_pass(p, ascend=True))
        if wrong is None:
            return None
        return Wrong(
            wrong["updated"],
            f"You added the gradient. Gradient descent subtracts it: W ← W − {fmt(p.lr)}·∂L/∂W.",
        )
