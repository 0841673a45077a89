"""Formulas drawn in the terminal: the LaTeX tree laid out as 2-D Unicode text.

Fractions stack over a rule, matrices line up in tall brackets, scripts use Unicode super- and
subscript characters where every character has one and otherwise sit a row above or below the
baseline (never `x_(i,j)`), and sums, max and min carry their limits above and below.
The layout unit is a `Box`: lines of equal width and the index of the baseline row.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from revise.render.latex_tree import (
    SYMBOLS,
    Accent,
    Chars,
    Delimited,
    Frac,
    Matrix,
    Node,
    Scripts,
    Seq,
    Space,
    Sqrt,
    Symbol,
    Word,
    parse_latex,
)

SUPERSCRIPT = dict(zip("0123456789+-−=()nixT⊤", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱˣᵀᵀ", strict=True)) | {
    # modifier letters: e⁻ᶻ, aᵘ; letters without one (q) make the script go 2-D
    **dict(zip("abcdefghjklmoprstuvwyzβγδθφχ", "ᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷʸᶻᵝᵞᵟᶿᵠᵡ", strict=True)),
    "∗": "∗",  # D∗ (the optimal discriminator): the asterisk operator, never a raised row
    "′": "′",
    "'": "′",
}
SUBSCRIPT = dict(
    zip("0123456789+-−=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
) | {
    **dict(zip("βγρφχ", "ᵦᵧᵨᵩᵪ", strict=True)),
    ",": ",",  # y_{i,j} reads yᵢ,ⱼ: there is no subscript comma, the baseline one is clear
}
COMBINING = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "dot": "\u0307"}
BOLD = {c: chr(0x1D400 + i) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {
    c: chr(0x1D41A + i) for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")
}
# functions whose subscript sits under them, as max over a′ is written on paper
LIMIT_FUNCTIONS = {"max", "min", "argmax", "argmin", "lim"}
# tall delimiters: (top, middle, bottom) pieces
TALL = {
    "(": ("⎛", "⎜", "⎝"),
    ")": ("⎞", "⎟", "⎠"),
    "[": ("⎡", "⎢", "⎣"),
    "]": ("⎤", "⎥", "⎦"),
    "⌊": ("⎢", "⎢", "⎣"),
    "⌋": ("⎥", "⎥", "⎦"),
    "⌈": ("⎡", "⎢", "⎢"),
    "⌉": ("⎤", "⎥", "⎥"),
    "|": ("│", "│", "│"),
    "‖": ("‖", "‖", "‖"),
    "{": ("⎧", "⎨", "⎩"),
    "}": ("⎫", "⎬", "⎭"),
}
BINARY = set("+−=<>≤≥≠≈→←⇒∈·×⊙⊗±∓∝≡")
# after these (or at the start) a + or − is a sign, not an operation
OPENERS = set("([{,=<>≤≥≠≈→←⇒∈·×⊙⊗±∓∝≡+−")


def width(s: str) -> int:
    """Columns a string takes in a terminal: combining accents take none."""
    return sum(0 if unicodedata.combining(c) else 1 for c in s)


def pad(s: str, columns: int) -> str:
    return s + " " * (columns - width(s))


@dataclass(frozen=True)
class Box:
    lines: tuple[str, ...]
    baseline: int

    @property
    def width(self) -> int:
        return max((width(line) for line in self.lines), default=0)

    @property
    def height(self) -> int:
        return len(self.lines)

    @staticmethod
    def text(s: str) -> Box:
        return Box((s,), 0)

    def flat(self) -> str | None:
        return self.lines[0] if self.height == 1 else None


def hcat(boxes: list[Box]) -> Box:
    boxes = [b for b in boxes if b.width]
    if not boxes:
        return Box.text("")
    above = max(b.baseline for b in boxes)
    below = max(b.height - b.baseline - 1 for b in boxes)
    rows = []
    for r in range(above + below + 1):
        row = []
        for b in boxes:
            i = r - (above - b.baseline)
            row.append(pad(b.lines[i], b.width) if 0 <= i < b.height else " " * b.width)
        rows.append("".join(row))
    return Box(tuple(rows), above)


def center(s: str, columns: int) -> str:
    left = (columns - width(s)) // 2
    return pad(" " * left + s, columns)


def vstack(top: Box | None, middle: Box, bottom: Box | None) -> Box:
    """Stack boxes centred; the baseline is the middle box's."""
    parts = [b for b in (top, middle, bottom) if b is not None]
    width = max(b.width for b in parts)
    lines: list[str] = []
    baseline = 0
    for b in parts:
        if b is middle:
            baseline = len(lines) + b.baseline
        lines.extend(center(line, width) for line in b.lines)
    return Box(tuple(lines), baseline)


def _script_chars(box: Box, table: dict[str, str]) -> str | None:
    text = box.flat()
    if text is None or not text or any(c not in table for c in text):
        return None
    return "".join(table[c] for c in text)


def _tall(left: str, right: str, body: Box) -> Box:
    if body.height == 1:
        return hcat([Box.text(left), body, Box.text(right)])

    def column(ch: str) -> Box:
        if not ch:
            return Box(tuple("" for _ in body.lines), body.baseline)
        top, mid, bottom = TALL.get(ch, (ch, ch, ch))
        pieces = [top] + [mid] * (body.height - 2) + [bottom]
        return Box(tuple(pieces), body.baseline)

    return hcat([column(left), body, column(right)])


class UnicodeRenderer:
    def __init__(self) -> None:
        self.inline = 0  # > 0 inside scripts: fractions go on one line there

    def render(self, node: Node) -> Box:
        method = getattr(self, f"_{type(node).__name__.lower()}")
        return method(node)

    def _seq(self, node: Seq) -> Box:
        boxes: list[Box] = []
        previous = ""
        before: Node | None = None
        for item in node.items:
            if (
                isinstance(item, Chars)
                and item.text in "+-"
                and (not previous or previous in OPENERS)
            ):
                box = Box.text(item.text.replace("-", "−"))
            else:
                box = self.render(item)
            if before is not None and (
                (_is_function(before) and _starts_operand(item))
                or (_is_function(item) and _ends_operand(before))
            ):
                boxes.append(Box.text(" "))  # `max z`, `0.5 log(2)`: not `maxz`, `0.5log(2)`
            boxes.append(box)
            before = item
            if not isinstance(item, Space):
                flat = (box.flat() or "x").strip()
                previous = flat[-1] if flat else previous
        return hcat(boxes)

    def _chars(self, node: Chars) -> Box:
        text = node.text.replace("-", "−").replace("*", "·")
        if text in BINARY:
            return Box.text(text if self.inline else f" {text} ")
        if text == ",":
            return Box.text("," if self.inline else ", ")
        return Box.text(text)

    def _symbol(self, node: Symbol) -> Box:
        ch = SYMBOLS[node.name]
        return Box.text(f" {ch} " if ch in BINARY else ch)

    def _word(self, node: Word) -> Box:
        return Box.text(node.text)

    def _space(self, node: Space) -> Box:
        return Box.text(" " * node.width)

    def _frac(self, node: Frac) -> Box:
        num, den = self.render(node.num), self.render(node.den)
        if self.inline and num.height == den.height == 1:
            a, b = num.lines[0], den.lines[0]
            a = a if a.replace(".", "").isalnum() else f"({a})"
            b = b if b.replace(".", "").isalnum() else f"({b})"
            return Box.text(f"{a}/{b}")
        width = max(num.width, den.width) + 2
        lines = [center(line, width) for line in num.lines]
        bar = len(lines)
        lines.append("─" * width)
        lines.extend(center(line, width) for line in den.lines)
        # a column of space each side keeps the rule off its neighbours
        return Box(tuple(f" {line} " for line in lines), bar)

    def _sqrt(self, node: Sqrt) -> Box:
        body = self.render(node.body)
        if body.height == 1:
            text = body.lines[0]
            simple = text.replace(".", "").isalnum()
            return Box.text(f"√{text}" if simple else f"√({text})")
        top = " " + "_" * body.width
        lines = [top] + ["│" + line for line in body.lines]
        lines[-1] = "√" + body.lines[-1]
        return Box(tuple(lines), body.baseline + 1)

    def _accent(self, node: Accent) -> Box:
        body = self.render(node.body)
        text = body.flat()
        if text is None:
            return body
        if node.kind == "bold":
            return Box.text("".join(BOLD.get(c, c) for c in text))
        mark = COMBINING[node.kind]
        if len(text) == 1:
            return Box.text(text + mark)
        return Box.text(f"{node.kind}({text})")

    def _delimited(self, node: Delimited) -> Box:
        return _tall(node.left, node.right, self.render(node.body))

    def _matrix(self, node: Matrix) -> Box:
        cells = [[self.render(c) for c in row] for row in node.rows]
        columns = max(len(r) for r in cells)
        widths = [max((r[j].width for r in cells if j < len(r)), default=0) for j in range(columns)]
        rows: list[Box] = []
        for row in cells:
            padded = []
            for j, cell in enumerate(row):
                gap = widths[j] - cell.width
                padded.append(hcat([Box.text(" " * gap), cell]) if gap else cell)
                if j < len(row) - 1:
                    padded.append(Box.text("  "))
            rows.append(hcat(padded))
        columns = max(r.width for r in rows)
        lines = [pad(line, columns) for r in rows for line in r.lines]
        return Box(tuple(lines), (len(lines) - 1) // 2)

    def _scripts(self, node: Scripts) -> Box:
        base = self.render(node.base)
        self.inline += 1
        sup = self.render(node.sup) if node.sup is not None else None
        sub = self.render(node.sub) if node.sub is not None else None
        self.inline -= 1
        big = isinstance(node.base, Symbol) and node.base.name in ("sum", "prod")
        limits = isinstance(node.base, Word) and node.base.text in LIMIT_FUNCTIONS
        if big or (limits and sup is None):
            return vstack(sup, Box.text(base.flat() or "Σ"), sub)
        out = [base]
        raised: Box | None = None
        lowered: Box | None = None
        for box, table, mark in ((sub, SUBSCRIPT, "_"), (sup, SUPERSCRIPT, "^")):
            if box is None:
                continue
            if box.height == 1:
                line = box.lines[0]
                chars = _script_chars(Box.text(line.replace(" ", "")), table)
                box = Box.text(" ".join(line.split()))
            else:
                chars = None
            if chars is not None:
                out.append(Box.text(chars))
            elif mark == "^":
                raised = box
            else:
                lowered = box
        if raised is not None or lowered is not None:
            # no Unicode script characters for this script: draw it 2-D, a row above (or below)
            # the base's baseline, as written on paper, never as `x_(i,j)`
            out.append(_script_column(raised, lowered))
        return hcat(out)


def _is_function(node: Node) -> bool:
    """`\\max`, `\\exp`… (alone or with a script): a name that needs a space before a letter."""
    if isinstance(node, Scripts):
        node = node.base
    return isinstance(node, Word) and node.function


def _starts_operand(node: Node) -> bool:
    if isinstance(node, Scripts):
        node = node.base
    if isinstance(node, Chars):
        return node.text[:1].isalnum()
    return isinstance(node, Symbol | Accent | Word) and not (
        isinstance(node, Symbol) and SYMBOLS[node.name] in BINARY
    )


def _ends_operand(node: Node) -> bool:
    if isinstance(node, Chars):
        return node.text[-1:].isalnum() or node.text[-1:] in ")]"
    return isinstance(node, Scripts | Delimited | Frac | Sqrt | Accent)


def _script_column(raised: Box | None, lowered: Box | None) -> Box:
    """A superscript above and a subscript below an empty baseline row, left-aligned."""
    above = raised.lines if raised is not None else ()
    below = lowered.lines if lowered is not None else ()
    columns = max((width(line) for line in (*above, *below)), default=0)
    lines = tuple(pad(line, columns) for line in (*above, "", *below))
    return Box(lines, len(above))


def latex_box(latex: str) -> Box:
    """Lay out a formula; raises LatexError if it leaves the supported subset."""
    return UnicodeRenderer().render(parse_latex(latex))


def latex_to_unicode(latex: str) -> str:
    """A formula as (possibly several) lines of Unicode text."""
    box = latex_box(latex)
    return "\n".join(line.rstrip() for line in _squeeze(box).lines)


def _squeeze(box: Box) -> Box:
    """Collapse runs of spaces that operator padding doubled up (one-line formulas only)."""
    if box.height != 1:
        return box
    text = " ".join(box.lines[0].split())
    return Box.text(text)
