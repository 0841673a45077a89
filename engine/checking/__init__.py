"""Answer checking: read what a student typed, safely, and grade it against a live solution.

`parse_answer(text, kind)` reads numbers, exact forms, vectors, matrices, shapes and expressions
without ever evaluating the input as code; `check(problem_id, params, text, part)` grades an
answer against `engine.solve` with the contract's tolerances, names a misconception when the
answer is what a known wrong rule gives, and says how the input was read.

Importing this package loads neither SymPy nor torch: SymPy is imported when an answer needs it.
"""

from engine.checking.errors import AnswerError
from engine.checking.grade import CheckResult, check, preview
from engine.checking.parse import Parsed, parse_answer

__all__ = ["AnswerError", "CheckResult", "Parsed", "check", "parse_answer", "preview"]
