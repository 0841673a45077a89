"""The course as data: topics, flashcards, glossary terms and question families.

`content.load()` reads the packaged YAML under `content/data/` (or a folder or file you name),
validates it, and returns a `Course`; any problem raises `ContentError` listing every problem as
`file:line key: message`. Importing this package loads pydantic and PyYAML only.
"""

from content.loader import ContentError, ContentProblem, Course, check, load
from content.models import Card, Family, GlossaryTerm, Topic, Variant, answer_part

__all__ = [
    "Card",
    "ContentError",
    "ContentProblem",
    "Course",
    "Family",
    "GlossaryTerm",
    "Topic",
    "Variant",
    "answer_part",
    "check",
    "load",
]
