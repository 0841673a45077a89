"""Printouts and export: problem sheets (PDF via Typst, Markdown) and Anki decks.

- `select`: which questions a sheet holds, drawn deterministically from its seed;
- `model`: the sheet as data (questions, worked solutions, pictures), built once;
- `pictures`: activation curves and convolution windows, computed as geometry;
- `typst_writer`, `markdown_writer`, `svg`: the same sheet in each format;
- `fonts` and `pdf`: finding a font for Chinese and compiling Typst offline;
- `anki`: the flashcards and worked variants as an `.apkg`.

Nothing here is imported by `revise --help`; the commands import it when they run.
"""
