"""Pictures for worked solutions, computed as plain geometry that each writer draws.

- `ActivationPlot`: an activation and its derivative over an interval, the asked points marked,
  in two panels. The curves are evaluated by the engine's own `activation` problem, so the
  picture and the worked numbers cannot disagree.
- `ConvWindow`: for one output element of `conv2d.forward`, the (padded) input with the kernel's
  window over it, and the output grid with that element picked out.

Coordinates are in points, origin at the top left, y growing downwards (as in Typst and SVG).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.trace import Step

PANEL_WIDTH = 200.0
PANEL_HEIGHT = 128.0
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 26.0, 8.0, 16.0, 16.0
SAMPLES = 200
# a jump of more than this share of the panel height between samples is a discontinuity
JUMP = 0.35

ACTIVATION_LABELS = {
    "sigmoid": "σ",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "gelu": "GELU",
    "gelu_tanh": "GELU (tanh form)",
    "silu": "SiLU",
    "softplus": "softplus",
}


def plain_number(x: Any, digits: int = 4) -> str:
    """A number for a label: integers plain, others to `digits` significant figures, minus as −."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e12):
        text = str(int(x))
    elif isinstance(x, float):
        text = f"{x:.{digits}g}"
    else:
        return str(x)
    return "0" if text == "-0" else text.replace("-", "−")


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Panel:
    """One chart: axes with ticks, the curve (split at jumps) and the marked points."""

    title: str
    width: float
    height: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    x_axis: float
    y_axis: float
    lines: tuple[tuple[tuple[float, float], ...], ...]
    marks: tuple[Mark, ...]
    plot_box: tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True)
class ActivationPlot:
    name: str
    label: str
    panels: tuple[Panel, Panel]
    caption: str


@dataclass(frozen=True)
class ConvWindow:
    """The input (padded, per channel) with the window of one output element highlighted."""

    channels: tuple[tuple[tuple[str, ...], ...], ...]
    padding: tuple[int, int]
    rows: tuple[int, int]  # [start, stop) in padded coordinates
    cols: tuple[int, int]
    out_shape: tuple[int, int]
    out_index: tuple[int, int]
    out_value: str
    caption: str

    def in_window(self, r: int, c: int) -> bool:
        return self.rows[0] <= r < self.rows[1] and self.cols[0] <= c < self.cols[1]

    def is_padding(self, r: int, c: int) -> bool:
        ph, pw = self.padding
        height, width = len(self.channels[0]), len(self.channels[0][0])
        return r < ph or r >= height - ph or c < pw or c >= width - pw


Picture = ActivationPlot | ConvWindow


# --- activation curves -----------------------------------------------------------------------


def nice_step(span: float, ticks: int = 4) -> float:
    """A tick spacing of 1, 2, 2.5 or 5 times a power of ten giving about `ticks` intervals."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _ticks(lo: float, hi: float, to_pos: Any, ticks: int = 4) -> tuple[Tick, ...]:
    step = nice_step(hi - lo, ticks)
    first = math.ceil(lo / step - 1e-9)
    out = []
    k = first
    while k * step <= hi + 1e-9:
        v = round(k * step, 10)
        out.append(Tick(to_pos(v), plain_number(v, 3)))
        k += 1
    return tuple(out)


def panel(
    title: str,
    xs: Sequence[float],
    ys: Sequence[float],
    marks: Sequence[tuple[float, float]],
    label_marks: bool = True,
) -> Panel:
    """A chart of the points (xs, ys) with the marked points, axes through zero."""
    x_lo, x_hi = xs[0], xs[-1]
    y_lo = min(min(ys), 0.0, *(y for _, y in marks))
    y_hi = max(max(ys), 0.0, *(y for _, y in marks))
    if y_hi - y_lo < 1e-9:
        y_lo, y_hi = y_lo - 1.0, y_hi + 1.0
    pad = 0.08 * (y_hi - y_lo)
    y_lo, y_hi = y_lo - pad, y_hi + pad
    left, top = MARGIN_LEFT, MARGIN_TOP
    right, bottom = PANEL_WIDTH - MARGIN_RIGHT, PANEL_HEIGHT - MARGIN_BOTTOM

    def px(x: float) -> float:
        return round(left + (x - x_lo) / (x_hi - x_lo) * (right - left), 1)

    def py(y: float) -> float:
        return round(top + (y_hi - y) / (y_hi - y_lo) * (bottom - top), 1)

    lines: list[list[tuple[float, float]]] = [[]]
    previous: float | None = None
    for x, y in zip(xs, ys):
        point = (px(x), py(y))
        if previous is not None and abs(point[1] - previous) > JUMP * (bottom - top):
            lines.append([])
        lines[-1].append(point)
        previous = point[1]
    shown = [
        Mark(
            px(x),
            py(y),
            f"({plain_number(x, 3)}, {plain_number(y, 3)})" if label_marks else "",
        )
        for x, y in marks
    ]
    return Panel(
        title=title,
        width=PANEL_WIDTH,
        height=PANEL_HEIGHT,
        x_ticks=_ticks(x_lo, x_hi, px, 6),
        y_ticks=_ticks(y_lo, y_hi, py, 4),
        x_axis=py(0.0),
        y_axis=px(0.0) if x_lo <= 0 <= x_hi else left,
        lines=tuple(simplify(line) for line in lines if len(line) > 1),
        marks=tuple(shown),
        plot_box=(left, top, right, bottom),
    )


def simplify(
    line: Sequence[tuple[float, float]], tolerance: float = 0.05
) -> tuple[tuple[float, float], ...]:
    """The polyline without points that lie on the straight line through their neighbours."""
    if len(line) < 3:
        return tuple(line)
    out = [line[0]]
    for here, after in zip(line[1:-1], line[2:]):
        (x0, y0), (x1, y1), (x2, y2) = out[-1], here, after
        # distance of `here` from the chord out[-1] → after, times the chord's length
        cross = abs((x2 - x0) * (y1 - y0) - (y2 - y0) * (x1 - x0))
        if cross > tolerance * math.hypot(x2 - x0, y2 - y0):
            out.append(here)
    out.append(line[-1])
    return tuple(out)


def activation_plot(params: dict[str, Any]) -> ActivationPlot:
    """The activation of an `activation` call and its derivative, with its x value(s) marked."""
    from engine.solve import solve

    name = str(params["name"])
    at = params["x"] if isinstance(params["x"], list) else [params["x"]]
    lo = max(-8.0, min(-4.0, math.floor(min(at)) - 1.0))
    hi = min(8.0, max(4.0, math.ceil(max(at)) + 1.0))
    xs = sorted({round(lo + (hi - lo) * k / SAMPLES, 9) for k in range(SAMPLES + 1)} | {0.0})
    extra: dict[str, Any] = {k: params[k] for k in ("slope", "alpha", "beta") if k in params}
    curve = solve("activation", {**extra, "name": name, "x": xs}, verify=False).answer
    points = solve("activation", {**extra, "name": name, "x": list(at)}, verify=False).answer
    label = ACTIVATION_LABELS.get(name, name)
    few = len(at) <= 2
    value_marks = list(zip(at, points["value"]))
    slope_marks = list(zip(at, points["derivative"]))
    where = ", ".join(plain_number(x, 3) for x in at)
    return ActivationPlot(
        name=name,
        label=label,
        panels=(
            panel(f"{label}(x)", xs, curve["value"], value_marks, few),
            panel(f"{label}′(x)", xs, curve["derivative"], slope_marks, few),
        ),
        caption=f"{label} and its derivative; the dots mark x = {where}.",
    )


# --- convolution windows ---------------------------------------------------------------------

_OUTPUT_STEP = re.compile(r"^y\[(?:(\d+), )?(\d+), (\d+)\]")


def _depth(v: Any) -> int:
    d = 0
    while isinstance(v, list) and v:
        d, v = d + 1, v[0]
    return d


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, list | tuple):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def conv_windows(params: dict[str, Any], steps: Sequence[Step]) -> dict[int, ConvWindow]:
    """For each step of a `conv2d.forward` trace that works out one output element, its window.

    Steps are recognised by their title (`y[i, j]: ...` or `y[o, i, j]: ...`); anything else
    gets no picture.
    """
    x = params["x"]
    channels = x if _depth(x) == 3 else [x]
    w = params["w"]
    kh, kw = len(_innermost_matrix(w)), len(_innermost_matrix(w)[0])
    sh, sw = _pair(params.get("stride", 1))
    ph, pw = _pair(params.get("padding", 0))
    height, width = len(channels[0]) + 2 * ph, len(channels[0][0]) + 2 * pw
    padded = tuple(
        tuple(
            tuple(
                plain_number(ch[r - ph][c - pw])
                if ph <= r < height - ph and pw <= c < width - pw
                else "0"
                for c in range(width)
            )
            for r in range(height)
        )
        for ch in channels
    )
    out_shape = ((height - kh) // sh + 1, (width - kw) // sw + 1)
    pictures: dict[int, ConvWindow] = {}
    for index, step in enumerate(steps):
        m = _OUTPUT_STEP.match(step.title)
        if not m:
            continue
        i, j = int(m.group(2)), int(m.group(3))
        pictures[index] = ConvWindow(
            channels=padded,
            padding=(ph, pw),
            rows=(i * sh, i * sh + kh),
            cols=(j * sw, j * sw + kw),
            out_shape=out_shape,
            out_index=(i, j),
            out_value=plain_number(step.value) if isinstance(step.value, int | float) else "",
            caption=step.title.split(":", 1)[0],
        )
    return pictures


_SPAN = re.compile(r"rows? (\d+)(?:–(\d+))?, columns? (\d+)(?:–(\d+))?")


def pool_windows(
    params: dict[str, Any], steps: Sequence[Step], answer: Any
) -> dict[int, ConvWindow]:
    """For each step of a `pool2d.forward` trace that works out one output, its window.

    The window is read from the step's title (`y[i, j]: window over input rows 0–1, columns
    2–3`), in the input's own coordinates: padding is not drawn.
    """
    x = params["x"]
    cells = (tuple(tuple(plain_number(v) for v in row) for row in x),)
    titles = [(k, _OUTPUT_STEP.match(s.title), _SPAN.search(s.title)) for k, s in enumerate(steps)]
    found = [(k, m, span) for k, m, span in titles if m and span]
    if not found:
        return {}
    out_shape = (len(answer), len(answer[0]))
    pictures = {}
    for k, m, span in found:
        r0, c0 = int(span.group(1)), int(span.group(3))
        r1 = int(span.group(2) or r0)
        c1 = int(span.group(4) or c0)
        step = steps[k]
        pictures[k] = ConvWindow(
            channels=cells,
            padding=(0, 0),
            rows=(r0, r1 + 1),
            cols=(c0, c1 + 1),
            out_shape=out_shape,
            out_index=(int(m.group(2)), int(m.group(3))),
            out_value=plain_number(step.value) if isinstance(step.value, int | float) else "",
            caption=step.title.split(":", 1)[0],
        )
    return pictures


def _innermost_matrix(v: Any) -> list[list[Any]]:
    while _depth(v) > 2:
        v = v[0]
    matrix: list[list[Any]] = v
    return matrix
