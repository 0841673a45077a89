"""The packaged course, validated once and then read back from the user's cache folder.

Loading checks every YAML file against the engine's problems, which takes about half a second
and imports every problem module. The result depends only on the packaged files and the code
that reads them, so it is pickled under a fingerprint of both (and of the Python and pydantic
that wrote it). A cache that is missing, stale, unreadable or corrupt is rebuilt; one that cannot
be written is done without. Content a student names with `--content` is always loaded afresh.

The folder is `$REVISE_CACHE`, else platformdirs' user cache folder. It belongs to the user and
is trusted as the installed code is.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from content import Course

ENV_VAR = "REVISE_CACHE"
PREFIX = "course-"
SUFFIX = ".pickle"
#: what the course is read from and checked by: the packaged data and both packages' code
_SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".json")


def cache_dir() -> Path:
    """`$REVISE_CACHE`, else the user cache folder (not created here)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("revise", appauthor=False))


def fingerprint() -> str:
    """A digest of everything the loaded course depends on."""
    import pydantic

    import content
    import engine

    digest = hashlib.sha256(f"{sys.version}|{pydantic.VERSION}".encode())
    for package in (content, engine):
        root = Path(package.__path__[0]).resolve()
        for path in sorted(root.rglob("*")):
            if path.suffix in _SOURCE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root.parent).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def load_course() -> Course:
    """The packaged course, as `content.load(seeds=0)` gives it.

    The sample draws of each family are left to `revise validate` and the tests: every variant
    a command draws is solved, and so checked, when it is used.
    """
    import content

    folder = cache_dir()
    path = folder / f"{PREFIX}{fingerprint()}{SUFFIX}"
    cached = _read(path)
    if cached is not None:
        return cached
    course = content.load(seeds=0)
    _write(folder, path, course)
    return course


def _read(path: Path) -> Course | None:
    from content import Course

    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        course = pickle.loads(data)
    except Exception:  # a damaged or foreign file is only a cache miss: it is rebuilt
        return None
    return course if isinstance(course, Course) else None


def _write(folder: Path, path: Path, course: Course) -> None:
    """Replace the cache atomically and drop stale ones; a failure just leaves no cache."""
    temporary: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".course-")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(course, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        temporary = None
        for old in folder.glob(f"{PREFIX}*{SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
