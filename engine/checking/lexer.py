"""Characters to tokens: what a student may type, normalised onto a small alphabet, nothing else.

The alphabet is small on purpose: digits, ASCII letters, `+ - * / ^ ! ( ) [ ] , ;`, spaces and
newlines. Before that, full-width forms (`１２`, `（`, `，`), Unicode minus signs, `×`, `·`, `÷`,
`√`, `π` and superscripts (`x²`) are mapped onto it. Every other character (quotes, underscores,
dots after names, backslashes, `=`, `{`) is refused here, before any parsing happens, with a message
that names the character. Letter runs are split into the few names an answer may use
(`sinx` → sin x, `2pi` → 2 pi); an unknown name is refused.

Size limits live here too: the length of the input, the number of tokens, how deeply brackets
nest, and the digits and exponent of each literal. They are checked before any work that could
grow with them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from engine.checking.errors import AnswerError

MAX_CHARS = 10_000
MAX_TOKENS = 4_000
MAX_DEPTH = 16
MAX_DIGITS = 40
# literals stay inside double precision: a student never needs 1e400
MAX_DECIMAL_EXPONENT = 300
MAX_NAME_RUN = 24

# Functions an answer may call, by the name a student types (case does not matter).
FUNCTIONS = frozenset(
    {
        "sqrt",
        "cbrt",
        "exp",
        "ln",
        "log",
        "log2",
        "log10",
        "sin",
        "cos",
        "tan",
        "sinh",
        "cosh",
        "tanh",
        "asin",
        "acos",
        "atan",
        "arcsin",
        "arccos",
        "arctan",
        "abs",
        "factorial",
        "sigmoid",
        "softplus",
    }
)

# Symbols by what a student types -> the name the parser uses (case matters, with aliases).
SYMBOLS = {
    "x": "x",
    "X": "x",
    "y": "y",
    "Y": "y",
    "e": "e",
    "E": "e",
    "pi": "pi",
    "Pi": "pi",
    "PI": "pi",
}

_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
_SUPERSCRIPT_RUN = re.compile("[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_REPLACEMENTS = {
    "\r\n": "\n",
    "\r": "\n",
    "\t": " ",
    "−": "-",  # minus sign
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "﹣": "-",
    "·": "*",
    "⋅": "*",
    "•": "*",
    "∙": "*",
    "∗": "*",
    "✕": "×",
    "⨯": "×",
    "÷": "/",
    "√": "sqrt",
    "π": "pi",
    "、": ",",
    "【": "[",
    "】": "]",
    "〔": "(",
    "〕": ")",
}
_REPLACE_RE = re.compile(
    "|".join(re.escape(k) for k in sorted(_REPLACEMENTS, key=len, reverse=True))
)


def normalise(text: str) -> str:
    """The input mapped onto the small alphabet where a mapping exists (other characters stay).

    Superscripts become powers first (`x²` → `x^(2)`), because NFKC would turn `²` into a plain 2.
    """
    if len(text) > MAX_CHARS:
        raise AnswerError(
            f"the answer is too long ({len(text):,} characters; at most {MAX_CHARS:,})"
        )
    text = _SUPERSCRIPT_RUN.sub(
        lambda m: "^(" + m.group().translate(_SUPERSCRIPT_DIGITS) + ")", text
    )
    text = _REPLACE_RE.sub(lambda m: _REPLACEMENTS[m.group()], text)
    # full-width digits, letters and punctuation, ideographic space, no-break space
    text = unicodedata.normalize("NFKC", text)
    return text.strip()


@dataclass(frozen=True)
class Token:
    """One token: `kind` is num, sym, func, op, open, close, comma, row or bang.

    `text` is the canonical text (a symbol's parser name, a function's lower-case name, `^` for
    both `^` and `**`); `space` says whether whitespace came before it (MATLAB-style rows use it).
    """

    kind: str
    text: str
    pos: int
    space: bool


_TOKEN_RE = re.compile(
    r"""
     (?P<space>[ ]+)
    |(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    |(?P<name>[Ll][Oo][Gg](?:10|2)(?![0-9])|[A-Za-z]+)
    |(?P<op>\*\*|[-+*/^×])
    |(?P<open>[(\[])
    |(?P<close>[)\]])
    |(?P<comma>,)
    |(?P<row>[;\n])
    |(?P<bang>!)
    """,
    re.VERBOSE,
)

_PART_CHARACTERS = {
    "=": "write one value here, without a name and `=`",
    ":": "write one value here, without a name and `:`",
    "{": "write one value here, not an object in braces",
    "}": "write one value here, not an object in braces",
}


def tokenize(text: str) -> list[Token]:
    """Tokens of a normalised answer; refuses unknown characters and names, and bad brackets."""
    tokens: list[Token] = []
    pos = 0
    space = False
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise AnswerError(_unexpected(text, pos))
        kind = m.lastgroup or ""
        value = m.group()
        if kind == "space":
            space = True
        elif kind == "num":
            _check_literal(value)
            tokens.append(Token("num", value, pos, space))
        elif kind == "name":
            for name in split_name(value):
                kind_ = "func" if name in FUNCTIONS else "sym"
                tokens.append(Token(kind_, name, pos, space))
                space = False
        elif kind == "op":
            tokens.append(Token("op", "^" if value == "**" else value, pos, space))
        elif kind == "row" and value == "\n":
            tokens.append(Token("row", ";", pos, space))
        else:
            tokens.append(Token(kind, value, pos, space))
        if kind != "space":
            space = False
        if len(tokens) > MAX_TOKENS:
            raise AnswerError(f"the answer is too long (more than {MAX_TOKENS:,} symbols)")
        pos = m.end()
    _check_brackets(tokens)
    return tokens


def _unexpected(text: str, pos: int) -> str:
    ch = text[pos]
    if ch in _PART_CHARACTERS:
        return f"'{ch}' is not expected here: {_PART_CHARACTERS[ch]}"
    if ch == "." and pos > 0 and text[pos - 1].isalpha():
        return "a name cannot be followed by '.': write numbers like 0.5 and functions like sqrt(2)"
    if ch.isalpha():
        return f"'{ch}' is not a symbol an answer can use: use x, y, e, pi and functions like sqrt"
    shown = ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
    return f"'{shown}' cannot be part of an answer (at character {pos + 1})"


def _check_literal(text: str) -> None:
    """A literal's size: at most MAX_DIGITS significant digits, exponent within double range."""
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex only lets decimals through
        raise AnswerError(f"cannot read the number {text!r}") from None
    if len(value.as_tuple().digits) > MAX_DIGITS:
        raise AnswerError(f"the number {text[:20]}… has too many digits (at most {MAX_DIGITS})")
    if value != 0 and abs(value.adjusted()) > MAX_DECIMAL_EXPONENT:
        raise AnswerError(
            f"the number {text[:24]} is too large or too small "
            f"(answers stay between 1e-{MAX_DECIMAL_EXPONENT} and 1e{MAX_DECIMAL_EXPONENT})"
        )


@lru_cache(maxsize=1024)
def split_name(run: str) -> tuple[str, ...]:
    """A letter run as known names: `sinx` → (sin, x), `2pi`'s `pi`, `xy` → (x, y).

    Longer names are preferred (`exp` before e·x·p); functions match whatever the case.
    """
    if len(run) > MAX_NAME_RUN:
        raise AnswerError(f"'{run[:MAX_NAME_RUN]}…' is not a name an answer can use")
    found = _split(run, 0)
    if found is None:
        raise AnswerError(
            f"'{run}' is not a name that can be used here (known: x, y, e, pi, and functions "
            "such as sqrt, exp, ln, sin)"
        )
    return found


def _split(run: str, start: int) -> tuple[str, ...] | None:
    if start == len(run):
        return ()
    for end in range(len(run), start, -1):
        piece = run[start:end]
        name = piece.lower() if piece.lower() in FUNCTIONS else SYMBOLS.get(piece)
        if name is None:
            continue
        rest = _split(run, end)
        if rest is not None:
            return (name, *rest)
    return None


_PAIRS = {"(": ")", "[": "]"}


def _check_brackets(tokens: list[Token]) -> None:
    stack: list[Token] = []
    for tok in tokens:
        if tok.kind == "open":
            stack.append(tok)
            if len(stack) > MAX_DEPTH:
                raise AnswerError(
                    f"brackets are nested too deeply (at most {MAX_DEPTH} inside each other)"
                )
        elif tok.kind == "close":
            if not stack:
                raise AnswerError(f"'{tok.text}' closes a bracket that was never opened")
            opened = stack.pop()
            if _PAIRS[opened.text] != tok.text:
                raise AnswerError(f"'{opened.text}' is closed by '{tok.text}'")
    if stack:
        raise AnswerError(f"a '{stack[-1].text}' is never closed")
