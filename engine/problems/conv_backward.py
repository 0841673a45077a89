"""The backward pass of a convolution layer on small numbers: `conv2d.backward`.

The forward pass is PyTorch's cross-correlation, y[o,i,j] = Σ_c Σ_u Σ_v w[o,c,u,v]·x_p[c, s·i + u,
s·j + v] + b[o] over the zero-padded input x_p. Given g = ∂L/∂y:

- ∂L/∂b[o] is the sum of g[o];
- ∂L/∂w is a cross-correlation of the padded input with g (g spread out by the stride);
- ∂L/∂x is a *full convolution* of g with the kernel: insert s − 1 zeros between the entries of
  g, pad it with k − 1 zeros on each side, slide the kernel rotated by 180° over it, then cut the
  padding p off again.

The grid helpers (`spread`, `pad`, `correlate`) are shared with `convtranspose2d.forward`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.errors import ProblemError
from engine.latex import paren
from engine.params import (
    NonNegativeIntOrPair,
    ParamModel,
    PositiveIntOrPair,
    Tensor,
    pair,
    shape_of,
)
from engine.problem import Problem, Wrong, misconception
from engine.problems.conv_forward import Bias
from engine.problems.sliding_window import sliding_output
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch


# --- grids ------------------------------------------------------------------------------------


def spread(g: np.ndarray, s: tuple[int, int]) -> np.ndarray:
    """Insert s − 1 zeros between neighbouring entries of the last two axes."""
    import numpy as np

    *lead, h, w = g.shape
    out = np.zeros((*lead, (h - 1) * s[0] + 1, (w - 1) * s[1] + 1))
    out[..., :: s[0], :: s[1]] = g
    return out


def pad(a: np.ndarray, before: tuple[int, int], after: tuple[int, int] | None = None) -> np.ndarray:
    """Zeros around the last two axes (a negative amount cuts rows or columns off instead)."""
    import numpy as np

    after = before if after is None else after
    grow = [(0, 0)] * (a.ndim - 2) + [(max(before[0], 0), max(after[0], 0))]
    grow.append((max(before[1], 0), max(after[1], 0)))
    a = np.pad(a, grow)
    top, left = max(-before[0], 0), max(-before[1], 0)
    bottom, right = a.shape[-2] - max(-after[0], 0), a.shape[-1] - max(-after[1], 0)
    return a[..., top:bottom, left:right]


def correlate(a: np.ndarray, k: np.ndarray, s: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Cross-correlation of C×H×W with O×C×kh×kw (stride s): O×H′×W′, no padding."""
    import numpy as np

    _, h, w = a.shape
    o, _, kh, kw = k.shape
    oh, ow = (h - kh) // s[0] + 1, (w - kw) // s[1] + 1
    out = np.empty((o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = a[:, i * s[0] : i * s[0] + kh, j * s[1] : j * s[1] + kw]
            out[:, i, j] = np.tensordot(k, window, axes=([1, 2, 3], [0, 1, 2]))
    return out


def rot180(w: np.ndarray) -> np.ndarray:
    return w[..., ::-1, ::-1]


def written_sum(weights: list[float], values: list[float]) -> str:
    """w₁·x₁ + w₂·x₂ + … with negative numbers in parentheses."""
    return " + ".join(rf"{paren(a)} \cdot {paren(b)}" for a, b in zip(weights, values))


# --- parameters -------------------------------------------------------------------------------


class ConvBackwardParams(ParamModel):
    x: Tensor = Field(description="input: H×W, or C×H×W")
    w: Tensor = Field(description="kernel: kh×kw, C×kh×kw, or C_out×C×kh×kw (as conv2d.forward)")
    bias: Bias = Field(0, validate_default=True, description="number, or one per output channel")
    stride: PositiveIntOrPair = 1
    padding: NonNegativeIntOrPair = 0
    upstream: Tensor = Field(description="∂L/∂y: the output's shape (C_out×H′×W′, or H′×W′)")

    @model_validator(mode="after")
    def _shapes_agree(self) -> ConvBackwardParams:
        xs, ws = shape_of(self.x), shape_of(self.w)
        if len(xs) not in (2, 3):
            raise ProblemError("x", "must be a matrix (H×W) or one matrix per channel (C×H×W)")
        if len(ws) not in (2, 3, 4):
            raise ProblemError("w", "must be a kernel kh×kw, C×kh×kw or C_out×C×kh×kw")
        channels = xs[0] if len(xs) == 3 else 1
        seen = ws[-3] if len(ws) >= 3 else 1
        if seen != channels:
            raise ProblemError("w", f"expected {channels} input channel(s) to match x, got {seen}")
        if isinstance(self.bias, list) and len(self.bias) != self.out_channels:
            raise ProblemError(
                "bias", f"expected {self.out_channels} value(s), one per output channel"
            )
        for axis, n, k, p in zip(("height", "width"), xs[-2:], ws[-2:], pair(self.padding)):
            if k > n + 2 * p:
                raise ProblemError(
                    "w",
                    f"the kernel is {k} along the {axis} but the padded input is only {n + 2 * p}",
                )
        want = self.output_shape
        got = shape_of(self.upstream)
        ok = got == want or (self.out_channels == 1 and got == want[1:])
        if not ok:
            shape = "×".join(str(n) for n in (want if self.out_channels > 1 else want[1:]))
            raise ProblemError("upstream", f"∂L/∂y must have the output's shape, {shape}")
        return self

    @property
    def out_channels(self) -> int:
        ws = shape_of(self.w)
        return ws[0] if len(ws) == 4 else 1

    @property
    def output_shape(self) -> tuple[int, int, int]:
        xs, ws = shape_of(self.x), shape_of(self.w)
        (sh, sw), (ph, pw) = pair(self.stride), pair(self.padding)
        oh = sliding_output(xs[-2], ws[-2], sh, ph, 1)
        ow = sliding_output(xs[-1], ws[-1], sw, pw, 1)
        return (self.out_channels, oh, ow)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x as C×H×W, w as O×C×kh×kw, upstream as O×H′×W′."""
        import numpy as np

        x = np.asarray(self.x, dtype=np.float64)
        x = x[None] if x.ndim == 2 else x
        w = np.asarray(self.w, dtype=np.float64)
        w = {2: w[None, None], 3: w[None], 4: w}[w.ndim]
        g = np.asarray(self.upstream, dtype=np.float64).reshape(self.output_shape)
        return x, w, g

    def shaped(self, dx: np.ndarray, dw: np.ndarray, db: np.ndarray) -> dict[str, Any]:
        """The gradients in the shapes of x, w and the bias."""
        xs, ws = shape_of(self.x), shape_of(self.w)
        return {
            "dx": dx.reshape(xs),
            "dw": dw.reshape(ws),
            "db": float(db[0]) if self.out_channels == 1 else db,
        }


def gradients(
    p: ConvBackwardParams, *, flip_for_dx: bool = True, flip_dw: bool = False, db_mean: bool = False
) -> dict[str, Any]:
    """dx, dw, db; the keyword arguments switch on known wrong rules (misconceptions)."""
    import numpy as np

    x, w, g = p.arrays()
    (sh, sw), (ph, pw) = pair(p.stride), pair(p.padding)
    xp = pad(x, (ph, pw))
    kh, kw = w.shape[-2:]
    db = g.mean(axis=(1, 2)) if db_mean else g.sum(axis=(1, 2))
    # dw[o, c] = x_p[c] ⋆ (g[o] spread by the stride)
    gs = spread(g, (sh, sw))
    # (rows or columns of x_p that no window reached give extra entries: cut them off)
    dw = np.array(
        [
            [correlate(xp[c][None], gs[o][None, None])[0, :kh, :kw] for c in range(len(x))]
            for o in range(len(g))
        ]
    )
    if flip_dw:
        dw = rot180(dw)
    dx_full = full_convolution(xp.shape[-2:], g, w, (sh, sw), flip=flip_for_dx)
    dx = dx_full[:, ph : ph + x.shape[1], pw : pw + x.shape[2]]
    return p.shaped(dx, dw, db)


def full_convolution(
    padded: tuple[int, int], g: np.ndarray, w: np.ndarray, s: tuple[int, int], flip: bool = True
) -> np.ndarray:
    """∂L/∂x_p: g spread by the stride, padded by k − 1 (more at the bottom and right when the
    last windows left rows or columns of x_p unused), correlated with the flipped kernel."""
    kh, kw = w.shape[-2:]
    gs = spread(g, s)
    extra = (padded[0] - (gs.shape[-2] + kh - 1), padded[1] - (gs.shape[-1] + kw - 1))
    gp = pad(gs, (kh - 1, kw - 1), (kh - 1 + extra[0], kw - 1 + extra[1]))
    kernel = rot180(w) if flip else w
    # dx_p[c] = Σ_o g_p[o] ⋆ kernel[o, c]: the kernel's axes swapped to C×O×kh×kw
    return correlate(gp, kernel.transpose(1, 0, 2, 3))


class Conv2dBackward(Problem[ConvBackwardParams]):
    id = "conv2d.backward"
    summary = (
        "The gradients of a convolution layer (cross-correlation, as PyTorch) from ∂L/∂y: dx as "
        "a full convolution of ∂L/∂y with the flipped kernel, dw as a correlation of the input "
        "with ∂L/∂y, db as a sum."
    )
    topic = "cnn"
    Params = ConvBackwardParams

    def solve(self, p: ConvBackwardParams, trace: Trace) -> Any:
        from engine.problems.conv_backward_trace import write_trace

        answer = gradients(p)
        write_trace(p, answer, trace)
        return answer

    def reference(self, p: ConvBackwardParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        x0, w0, g0 = p.arrays()
        x = torch.tensor(x0, dtype=torch.float64, device=device, requires_grad=True)
        w = torch.tensor(w0.copy(), dtype=torch.float64, device=device, requires_grad=True)
        b = torch.zeros(len(w0), dtype=torch.float64, device=device, requires_grad=True)
        y = F.conv2d(x[None], w, b, stride=pair(p.stride), padding=pair(p.padding))[0]
        g = torch.tensor(g0, dtype=torch.float64, device=device)
        dx, dw, db = torch.autograd.grad(y, [x, w, b], grad_outputs=g)
        return p.shaped(dx.cpu().numpy(), dw.cpu().numpy(), db.cpu().numpy())

    # --- misconceptions ----------------------------------------------------------------------
    def _if_different(self, p: ConvBackwardParams, part: str, **rule: Any) -> Any:
        from engine.values import to_json

        wrong, right = to_json(gradients(p, **rule)), to_json(gradients(p))
        return None if wrong[part] == right[part] else wrong[part]

    @misconception("unflipped_kernel", part="dx")
    def _unflipped_kernel(self, p: ConvBackwardParams) -> Wrong | None:
        wrong = self._if_different(p, "dx", flip_for_dx=False)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You slid the kernel over the padded ∂L/∂y as it is. Each input element was "
            "multiplied by w[u, v] in the windows that covered it, which in ∂L/∂x lines up as "
            "a full convolution: rotate the kernel by 180° first.",
        )

    @misconception("flipped_dw", part="dw")
    def _flipped_dw(self, p: ConvBackwardParams) -> Wrong | None:
        wrong = self._if_different(p, "dw", flip_dw=True)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "Your ∂L/∂w is rotated by 180°. The weight w[u, v] met x[s·i + u, s·j + v] in output "
            "(i, j), so ∂L/∂w[u, v] = Σ_i Σ_j ∂L/∂y[i, j]·x[s·i + u, s·j + v]: a correlation, "
            "no flip.",
        )

    @misconception("db_mean", part="db")
    def _db_mean(self, p: ConvBackwardParams) -> Wrong | None:
        wrong = self._if_different(p, "db", db_mean=True)
        if wrong is None:
            return None
        return Wrong(
            wrong,
            "You averaged ∂L/∂y. The bias is added to every output element, so its gradient is "
            "the sum of ∂L/∂y over all positions.",
        )
