"""The one error answer reading raises: a message that tells a student how to write the answer."""

from __future__ import annotations


class AnswerError(ValueError):
    """An answer that cannot be read (or is refused as too large or too deep).

    It is not a wrong answer: checking turns it into feedback that says how to write the answer,
    with no score lost. The message is one line, in words a student understands.
    """
