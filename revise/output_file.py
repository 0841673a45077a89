"""Writing a file the student named with `-o`: whole or not at all, and never over a link.

The new content goes to a temporary file beside the target and replaces it in one step, so a
failure half-way never leaves half a sheet or deck where a good one was. A link is followed (the
file it points to is replaced and the link kept), and a pipe or device such as `/dev/stdout` is
written to directly: replacing those would swap the pipe or device for a plain file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.errors import UserError


@contextmanager
def replaced_in_one_step(path: Path) -> Iterator[Path]:
    """The path to write to; when the block ends without error it becomes `path`'s content.

    Any OSError, in the block or in the replacing, becomes a one-line UserError naming `path`.
    """
    if path.exists() and not path.is_file():
        target = scratch = path
    else:
        target = path.resolve() if path.is_symlink() else path
        scratch = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield scratch
        if scratch != target:
            os.replace(scratch, target)
    except OSError as exc:
        if scratch != target:
            scratch.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
