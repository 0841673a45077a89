"""Parsing the engine's LaTeX subset (documented in `engine.latex`) into a small tree.

Both the terminal renderer (2-D Unicode) and the PDF renderer (Typst) walk this tree, so the
engine writes each formula once. Anything outside the subset raises `LatexError`: a test renders
every step of every problem, so a formula the renderers cannot draw is caught before a student
sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class LatexError(ValueError):
    """A formula uses LaTeX outside the supported subset."""


@dataclass
class Node:
    pass


@dataclass
class Seq(Node):
    items: list[Node] = field(default_factory=list)


@dataclass
class Chars(Node):
    """Letters, digits and operators written as they are (a run of them)."""

    text: str


@dataclass
class Symbol(Node):
    """A named symbol (`\\sigma` → `sigma`), drawn by each back-end in its own way."""

    name: str


@dataclass
class Word(Node):
    """Upright text: `\\text{...}`, `\\mathrm{...}`, `\\operatorname{...}`, `\\exp`, …"""

    text: str
    function: bool = False


@dataclass
class Frac(Node):
    num: Node
    den: Node


@dataclass
class Sqrt(Node):
    body: Node


@dataclass
class Scripts(Node):
    base: Node
    sup: Node | None = None
    sub: Node | None = None


@dataclass
class Accent(Node):
    kind: str  # hat, tilde, bar, bold
    body: Node


@dataclass
class Delimited(Node):
    left: str
    body: Node
    right: str


@dataclass
class Matrix(Node):
    rows: list[list[Node]]


@dataclass
class Space(Node):
    width: int = 1


GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}

# symbol name → Unicode character; Typst math accepts these characters directly
SYMBOLS = {
    **GREEK,
    "cdot": "·",
    "ast": "∗",
    "star": "⋆",
    "times": "×",
    "odot": "⊙",
    "otimes": "⊗",
    "circ": "∘",
    "pm": "±",
    "mp": "∓",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "approx": "≈",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "in": "∈",
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "sum": "Σ",
    "prod": "Π",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "lVert": "‖",
    "rVert": "‖",
    "|": "‖",
    "ldots": "…",
    "cdots": "⋯",
    "top": "⊤",
    "mid": "|",
    "propto": "∝",
    "sim": "∼",
    "langle": "⟨",
    "rangle": "⟩",
    "forall": "∀",
    "exists": "∃",
    "equiv": "≡",
}

FUNCTIONS = {
    "exp",
    "log",
    "ln",
    "tanh",
    "sinh",
    "cosh",
    "sin",
    "cos",
    "tan",
    "max",
    "min",
    "arg",
    "argmax",
    "argmin",
    "det",
    "sgn",
    "sign",
    "softmax",
    "diag",
    "tr",
    "lim",
}

ACCENTS = {
    "hat": "hat",
    "widehat": "hat",
    "tilde": "tilde",
    "widetilde": "tilde",
    "bar": "bar",
    "overline": "bar",
    "mathbf": "bold",
    "boldsymbol": "bold",
    "vec": "hat",
    "dot": "dot",
}

WORDS = {"text", "mathrm", "operatorname", "textrm", "mathit", "textbf"}

SPACES = {",": 1, ";": 1, ":": 1, "quad": 2, "qquad": 4, " ": 1, "!": 0}

# escapes inside `\text{...}` (`engine.latex.text` writes them), read back as the character
_TEXT_ESCAPED = frozenset({"\\{", "\\}", "\\_", "\\%", "\\&", "\\#", "\\$"})
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_&]|\s+|[^\\{}^_&\s]")

DELIMS = {
    "(": "(",
    ")": ")",
    "[": "[",
    "]": "]",
    "|": "|",
    ".": "",
    "\\{": "{",
    "\\}": "}",
    "\\lfloor": "⌊",
    "\\rfloor": "⌋",
    "\\lceil": "⌈",
    "\\rceil": "⌉",
    "\\lVert": "‖",
    "\\rVert": "‖",
    "\\|": "‖",
    "\\langle": "⟨",
    "\\rangle": "⟩",
}


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = [t for t in _TOKEN.findall(source)]
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise LatexError(f"unexpected end of formula: {self.source!r}")
        self.pos += 1
        return token

    def expect(self, token: str) -> None:
        got = self.take()
        if got != token:
            raise LatexError(f"expected {token!r}, found {got!r} in {self.source!r}")

    def sequence(self, stop: set[str]) -> Seq:
        items: list[Node] = []
        while (token := self.peek()) is not None and token not in stop:
            if token in ("^", "_"):
                self.take()
                base = items.pop() if items else Chars("")
                if not isinstance(base, Scripts) or getattr(base, "sup" if token == "^" else "sub"):
                    base = Scripts(base)
                arg = self.argument()
                if token == "^":
                    base.sup = arg
                else:
                    base.sub = arg
                items.append(base)
                continue
            node = self.atom()
            if node is not None:
                items.append(node)
        return Seq(items)

    def group(self) -> Seq:
        self.expect("{")
        body = self.sequence({"}"})
        self.expect("}")
        return body

    def raw_group(self) -> str:
        """The literal text of a `{...}` group (for `\\text`), braces balanced."""
        self.expect("{")
        depth, out = 1, list[str]()
        while True:
            token = self.take()
            if token == "{":
                depth += 1
            elif token == "}":
                depth -= 1
                if depth == 0:
                    return "".join(out)
            out.append(token[1:] if token in _TEXT_ESCAPED else token)

    def argument(self) -> Node:
        token = self.peek()
        while token is not None and token.isspace():  # as TeX: `\hat y` is `\hat{y}`
            self.take()
            token = self.peek()
        if token == "{":
            return self.group()
        if token is None:
            raise LatexError(f"a script has no argument in {self.source!r}")
        node = self.atom()
        return node if node is not None else Chars("")

    def atom(self) -> Node | None:
        token = self.take()
        if token.isspace():
            return None
        if token == "{":
            self.pos -= 1
            return self.group()
        if token in ("}", "&"):
            raise LatexError(f"unexpected {token!r} in {self.source!r}")
        if not token.startswith("\\"):
            return Chars(token)
        name = token[1:]
        if name == "\\":
            raise LatexError(f"a line break outside a matrix in {self.source!r}")
        if name in SPACES:
            return Space(SPACES[name])
        if name in ("{", "}", "%", "&", "_", "#", "$"):
            return Chars(name)
        if name == "frac" or name == "dfrac" or name == "tfrac":
            return Frac(self.argument(), self.argument())
        if name == "sqrt":
            return Sqrt(self.argument())
        if name in ACCENTS:
            return Accent(ACCENTS[name], self.argument())
        if name in WORDS:
            return Word(self.raw_group(), function=name == "operatorname")
        if name in FUNCTIONS:
            return Word(name, function=True)
        if name == "left":
            return self.delimited()
        if name == "begin":
            return self.environment()
        if name in ("right", "end"):
            raise LatexError(f"unbalanced \\{name} in {self.source!r}")
        if name in SYMBOLS:
            return Symbol(name)
        raise LatexError(f"unsupported LaTeX command \\{name} in {self.source!r}")

    def delimiter(self) -> str:
        token = self.take()
        if token not in DELIMS:
            raise LatexError(f"unsupported delimiter {token!r} in {self.source!r}")
        return DELIMS[token]

    def delimited(self) -> Node:
        left = self.delimiter()
        body = self.sequence({"\\right"})
        self.expect("\\right")
        return Delimited(left, body, self.delimiter())

    def environment(self) -> Node:
        name = self.raw_group()
        if name not in ("bmatrix", "pmatrix", "matrix", "vmatrix"):
            raise LatexError(f"unsupported environment {name!r} in {self.source!r}")
        rows: list[list[Node]] = [[]]
        while True:
            cell = self.sequence({"&", "\\\\", "\\end"})
            rows[-1].append(cell)
            token = self.take()
            if token == "&":
                continue
            if token == "\\\\":
                rows.append([])
                continue
            self.raw_group()
            break
        rows = [
            r for r in rows if r and not (len(r) == 1 and isinstance(r[0], Seq) and not r[0].items)
        ]
        matrix = Matrix(rows)
        brackets = {"bmatrix": ("[", "]"), "pmatrix": ("(", ")"), "vmatrix": ("|", "|")}
        if name in brackets:
            left, right = brackets[name]
            return Delimited(left, matrix, right)
        return matrix


def parse_latex(source: str) -> Seq:
    """Parse a formula of the subset; raises LatexError naming what is not supported."""
    parser = _Parser(source)
    tree = parser.sequence(set())
    if parser.peek() is not None:
        raise LatexError(f"unexpected {parser.peek()!r} in {source!r}")
    return tree
