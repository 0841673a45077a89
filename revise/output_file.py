"""Writing a file the student named with `-o`: whole or not at all, never through a planted link.

Every command that writes a file (`print`, `export anki`) goes through `replaced_in_one_step`:

- the new content goes to a scratch file made by `tempfile` in the target's folder (a fresh
  random name, created with O_EXCL, so nothing planted there in advance can be opened), and
  replaces the target in one rename: a failure half-way never leaves half a sheet or deck;
- the rename replaces the name itself: a symbolic link named as the output is replaced by the
  new file, and the file it pointed to is left alone (a link planted under an expected name
  must not aim revise's output at another file);
- a pipe or a device, named directly or through a link (`/dev/stdout`), is written to directly:
  replacing it would swap the pipe or device for a plain file;
- a read-only folder, a path under a file, a name too long, a folder named as the output: one
  line (a `UserError`, exit 2), and the scratch file is removed without raising again.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.errors import UserError

# the scratch name keeps this much of the target's name (a long name must still fit)
_SCRATCH_NAME_CHARS = 40


@contextmanager
def replaced_in_one_step(path: Path) -> Iterator[Path]:
    """The path to write to; when the block ends without error it becomes `path`'s content.

    Any OSError, in the block or in the replacing, becomes a one-line UserError naming `path`.
    """
    if _is_stream(path):
        try:
            yield path
        except OSError as exc:
            raise _cannot(path, exc) from None
        return
    handle, scratch = _scratch_beside(path)
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # as an ordinary new file, not mkstemp's 0600
        made = os.fstat(handle)
        os.close(handle)
        yield scratch
        now = os.lstat(scratch)
        if (now.st_dev, now.st_ino) != (made.st_dev, made.st_ino):
            raise UserError(f"cannot write {path}: its scratch file was replaced while writing")
        os.replace(scratch, path)
    except OSError as exc:
        _remove_quietly(scratch)
        raise _cannot(path, exc) from None
    except BaseException:
        _remove_quietly(scratch)
        raise


def check_writable(path: Path) -> None:
    """Refuse, before any work, a target `replaced_in_one_step` could not write (one line):
    a scratch file is made and removed in its folder, as the real write will."""
    if _is_stream(path):
        return
    handle, scratch = _scratch_beside(path)
    os.close(handle)
    _remove_quietly(scratch)


def _scratch_beside(path: Path) -> tuple[int, Path]:
    """A new scratch file in the target's folder (O_EXCL, unpredictable name): its open handle
    and path; a one-line error when the target is a folder or its folder takes no file."""
    if _is_folder(path):
        raise UserError(f"cannot write {path}: it is a folder; name a file")
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{path.name[:_SCRATCH_NAME_CHARS]}.", suffix=".tmp", dir=path.parent or "."
        )
    except OSError as exc:
        raise _cannot(path, exc) from None
    return handle, Path(name)


def _is_stream(path: Path) -> bool:
    """Whether `path` (followed through links) is a pipe, socket or device: written in place."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def _is_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_quietly(scratch: Path) -> None:
    try:
        scratch.unlink(missing_ok=True)
    except OSError:  # the folder went away or became read-only: nothing more to do
        pass


def _cannot(path: Path, exc: OSError) -> UserError:
    return UserError(f"cannot write {path}: {exc.strerror or exc}")
