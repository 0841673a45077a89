"""Text from a parameter or a content file made safe to show: no control or direction characters.

A card or a parameter can carry ESC (terminal escape sequences that move the cursor, retitle the
window or hide text), NUL, or Unicode's direction overrides (which make text read in another
order than it is stored). `printable` replaces each with a visible mark before the text reaches
a terminal or a file; every writer passes text from outside through it (the terminal's output,
Markdown's, Typst's and Anki's escapers).
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls; the bidirectional embeddings, overrides
# and isolates, and the direction marks (which reorder or hide what is around them)
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every control or direction character replaced by a visible � (U+FFFD)."""
    return _UNSAFE.sub("\ufffd", text)


def first_unsafe(text: str) -> int | None:
    """The index of the first character `printable` would replace, or None."""
    found = _UNSAFE.search(text)
    return found.start() if found else None
