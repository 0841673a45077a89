"""Errors the engine raises: those a person caused (one-line messages) and those that are bugs."""

from __future__ import annotations


class UserError(Exception):
    """Something a person got wrong: the message is one line and says what to fix.

    The command line prints it and exits with status 2; the app shows it inline.
    Content and storage errors in the other packages derive from it too.
    """


class ProblemError(UserError):
    """A call of a problem that cannot be solved: an unknown id, a bad or missing parameter."""

    def __init__(
        self, param: str | None, message: str, *, more: tuple[tuple[str | None, str], ...] = ()
    ) -> None:
        self.param = param
        self.message = message
        # further (param, message) problems of the same call, found in the same check, so that
        # a form can mark every bad field at once; the first is the one the message names
        self.more = more
        super().__init__(f"{param}: {message}" if param else message)

    def __reduce__(self) -> tuple[type[ProblemError], tuple[str | None, str]]:
        # rebuilt from its two fields when it comes back from a worker process
        return (type(self), (self.param, self.message))

    @classmethod
    def of_all(cls, problems: list[tuple[str | None, str]]) -> ProblemError:
        """One error for several problems found together (at least one)."""
        (param, message), *rest = problems
        return cls(param, message, more=tuple(rest))


class VerificationError(Exception):
    """The engine's own answer disagrees with PyTorch/SymPy: a bug, reported loudly, never hidden."""
