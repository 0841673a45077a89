"""Formulas for PDF: the LaTeX tree written as Typst math (the body of `$ ... $`)."""

from __future__ import annotations

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
from revise.render.safe_text import printable

# characters with a meaning in Typst markup or math, written escaped
ESCAPE = set('[]*#$_^&@"\\;,`~<')
TYPST_ACCENT = {"hat": "hat", "tilde": "tilde", "bar": "overline", "bold": "bold", "dot": "dot"}


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def typst_string(text: str) -> str:
    """A Typst string literal of `text` exactly as it is, its spaces included."""
    out = []
    for ch in printable(text):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class TypstWriter:
    def __init__(self, literal_slash: bool = False) -> None:
        # Typst reads `a/b` as a stacked fraction; LaTeX means a slash. The sheets' worked
        # solutions keep their stacked look (`P^{-1/N}`); card text asks for the slash.
        self.literal_slash = literal_slash

    def write(self, node: Node) -> str:
        method = getattr(self, f"_{type(node).__name__.lower()}")
        return method(node)

    def _seq(self, node: Seq) -> str:
        out = ""
        previous = ""
        for item in node.items:
            piece = self.write(item)
            if not piece:
                continue
            # letters side by side would read as one identifier in Typst: keep them apart
            if (
                out
                and (previous.isalnum() or previous in "\"')")
                and (piece[0].isalpha() or piece[0] == '"')
            ):
                out += " "
            elif out and previous.isalpha() and piece[0].isdigit():
                out += " "
            out += piece
            previous = piece[-1]
        return out

    def _chars(self, node: Chars) -> str:
        text = node.text
        if text == ",":
            return ","
        if text in ESCAPE:
            return "\\" + text
        if self.literal_slash:
            return text.replace("/", "\\/")
        return text

    def _symbol(self, node: Symbol) -> str:
        # big operators by name, so Typst sets their limits above and below
        big = {"sum": "sum", "prod": "product"}
        return f" {big.get(node.name) or SYMBOLS[node.name]} "

    def _word(self, node: Word) -> str:
        if node.function:
            return f"op({typst_string(node.text)})"
        return typst_string(node.text)

    def _space(self, node: Space) -> str:
        return {0: "", 1: " thin ", 2: " quad "}.get(node.width, " wide ")

    def _frac(self, node: Frac) -> str:
        return f"({self.write(node.num)})/({self.write(node.den)})"

    def _sqrt(self, node: Sqrt) -> str:
        return f"sqrt({self.write(node.body)})"

    def _accent(self, node: Accent) -> str:
        return f"{TYPST_ACCENT[node.kind]}({self.write(node.body)})"

    def _scripts(self, node: Scripts) -> str:
        base = self.write(node.base) or '""'
        if isinstance(node.base, Seq | Frac) and len(base) > 1:
            base = f"({base})"
        out = base
        if node.sub is not None:
            out += f"_({self.write(node.sub)})"
        if node.sup is not None:
            out += f"^({self.write(node.sup)})"
        return out

    def _delimited(self, node: Delimited) -> str:
        if isinstance(node.body, Matrix):
            delim = {"[": '"["', "(": '"("', "|": '"|"', "": "#none"}.get(node.left, '"["')
            return self._matrix(node.body, delim)
        left = "\\" + node.left if node.left in "[(" else node.left
        right = "\\" + node.right if node.right in "])" else node.right
        return f"lr({left} {self.write(node.body)} {right})"

    def _matrix(self, node: Matrix, delim: str = "#none") -> str:
        rows = "; ".join(", ".join(self.write(c) or "" for c in row) for row in node.rows)
        return f"mat(delim: {delim}, {rows})"


def latex_to_typst(latex: str, literal_slash: bool = False) -> str:
    """Typst math source for a formula of the engine's subset (without the `$` signs); with
    `literal_slash`, a `/` is a slash as in LaTeX rather than a Typst fraction."""
    return " ".join(TypstWriter(literal_slash).write(parse_latex(latex)).split())
