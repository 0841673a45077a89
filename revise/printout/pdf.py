"""Compiling a sheet's Typst source to PDF with the `typst` package: offline, no TeX, no network.

The document's date is fixed by the sheet, so the same sheet gives the same bytes. A Typst error
is a bug of revise (the source is generated, text goes in as strings), so it is raised as
`TypstFailure` with Typst's own message and location.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from revise.printout.fonts import FontSetup


class TypstFailure(RuntimeError):
    """Typst refused the generated source: a bug in revise, reported with Typst's message."""


@dataclass(frozen=True)
class Compiled:
    pdf: bytes
    warnings: tuple[str, ...]

    @property
    def pages(self) -> int:
        return page_count(self.pdf)


def page_count(pdf: bytes) -> int:
    """The number of pages of a PDF (its page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def compile_pdf(source: str, fonts: FontSetup) -> Compiled:
    import typst

    collection = fonts.collection or typst.Fonts(
        include_system_fonts=fonts.system_fonts, font_paths=list(fonts.font_paths)
    )
    try:
        pdf, warnings = typst.compile_with_warnings(
            source.encode("utf-8"), format="pdf", font_paths=collection
        )
    except typst.TypstError as exc:
        where = str(getattr(exc, "diagnostic", "")).strip().splitlines()[:3]
        detail = " | ".join(line.strip() for line in where) or str(exc)
        raise TypstFailure(
            f"Typst could not compile the sheet (a bug in revise): {detail}"
        ) from None
    if not isinstance(pdf, bytes):
        raise TypstFailure("Typst returned no PDF")
    return Compiled(pdf, tuple(str(w) for w in warnings))
