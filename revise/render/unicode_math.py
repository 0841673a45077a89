"""LaTeX (the engine's subset, see `engine.latex`) drawn as Unicode text for the terminal."""

from __future__ import annotations

import re

_SYMBOLS = {
    r"\cdot": "·",
    r"\times": "×",
    r"\odot": "⊙",
    r"\le": "≤",
    r"\ge": "≥",
    r"\ne": "≠",
    r"\approx": "≈",
    r"\to": "→",
    r"\sum": "Σ",
    r"\lfloor": "⌊",
    r"\rfloor": "⌋",
    r"\lceil": "⌈",
    r"\rceil": "⌉",
    r"\sigma": "σ",
    r"\left": "",
    r"\right": "",
    r"\,": " ",
}


def latex_to_unicode(latex: str) -> str:
    text = latex
    text = re.sub(r"\\text\{([^}]*)\}", r"\1", text)
    text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", text)
    for key in sorted(_SYMBOLS, key=len, reverse=True):
        text = text.replace(key, _SYMBOLS[key])
    text = re.sub(r"_\{([^{}]*)\}", r"_\1", text)
    return re.sub(r"\s+", " ", text).strip()
