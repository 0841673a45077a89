"""Finding a font for the Chinese terms of the notes, so a PDF never shows empty boxes silently.

Typst ships Latin and maths fonts but none with Chinese characters. We look, in order, in the
folders named by `--font-path` and `$REVISE_FONT_PATH` (separated like `$PATH`) and among the
system fonts for a family we know covers Chinese; then take the first family of those folders;
then any family that fontconfig (`fc-list :lang=zh`) says covers Chinese. When none is found the caller warns and leaves the Chinese out,
saying so on the sheet.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: families known to cover simplified Chinese, best first (serif faces suit a printed sheet)
KNOWN_CJK = (
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Serif SC",
    "Noto Sans SC",
    "Songti SC",
    "STSong",
    "SimSun",
    "AR PL UMing CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "PingFang SC",
    "Heiti SC",
    "Microsoft YaHei",
    "SimHei",
    "Droid Sans Fallback",
)
FONT_PATH_ENV = "REVISE_FONT_PATH"
INSTALL_HINT = (
    "install one (Debian/Ubuntu: apt-get install fonts-noto-cjk; macOS and Windows have one) "
    f"or name a folder holding one with --font-path or ${FONT_PATH_ENV}"
)


@dataclass(frozen=True)
class FontSetup:
    """What to give Typst: the fonts it may use, and the family for Chinese (None: none found)."""

    font_paths: tuple[str, ...]
    cjk_family: str | None
    system_fonts: bool = True
    #: the `typst.Fonts` collection found (system, embedded and `font_paths`), reused to compile
    collection: Any = field(default=None, compare=False, repr=False)


def has_cjk(text: str) -> bool:
    """True if the text holds a CJK ideograph or CJK punctuation."""
    return any(
        "\u4e00" <= ch <= "\u9fff"
        or "\u3400" <= ch <= "\u4dbf"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        for ch in text
    )


_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef"
_CJK_RUN = re.compile(rf"\s*[(（]?[{_CJK_CLASS}]+(?:[\s·/、，,]*[{_CJK_CLASS}]+)*[)）]?")


def strip_cjk(text: str) -> str:
    """The text without its Chinese (a parenthesised Chinese term goes with its brackets)."""
    return _CJK_RUN.sub("", text)


def font_folders(extra: Sequence[str] = ()) -> tuple[str, ...]:
    env = os.environ.get(FONT_PATH_ENV, "")
    folders = [*extra, *(p for p in env.split(os.pathsep) if p)]
    return tuple(dict.fromkeys(os.path.abspath(p) for p in folders))


def _fontconfig_chinese() -> list[str]:
    """Families fontconfig says cover Chinese; empty where fontconfig is absent."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return []
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split(",")[0].strip() for line in out.splitlines() if line.strip()]


def find_fonts(extra: Sequence[str] = (), system_fonts: bool = True) -> FontSetup:
    """The font setup for a PDF: the first family covering Chinese that Typst can see."""
    import typst

    folders = font_folders(extra)
    collection = typst.Fonts(
        include_system_fonts=system_fonts, include_embedded_fonts=True, font_paths=list(folders)
    )
    by_lower = {f.lower(): f for f in collection.families()}

    def setup(family: str | None) -> FontSetup:
        return FontSetup(folders, family, system_fonts, collection)

    for name in KNOWN_CJK:
        if name.lower() in by_lower:
            return setup(by_lower[name.lower()])
    if folders:
        # a folder named for fonts is meant for the Chinese: take its first family
        own = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=list(folders)
        ).families()
        if own:
            return setup(own[0])
    if system_fonts:
        for name in _fontconfig_chinese():
            if name.lower() in by_lower:
                return setup(by_lower[name.lower()])
    return setup(None)
