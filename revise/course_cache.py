"""The packaged course, validated once and then read back from the user's cache folder.

Loading checks every YAML file against the engine's problems, which takes about half a second
and imports every problem module. The result depends only on the packaged files and the code
that reads them, so it is pickled under a fingerprint of both (and of the Python and pydantic
that wrote it). A cache that is missing, stale, unreadable or corrupt is rebuilt; one that cannot
be written is done without. Content a student names with `--content` is always loaded afresh.

Beside it lies the course's index (`load_index`): its topics and schedulable items as plain
dataclasses, readable without importing pydantic or the course's models, so that the app's home
screen can show its numbers before the course itself has been read.

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
    from revise.schedule.items import CourseIndex

ENV_VAR = "REVISE_CACHE"
PREFIX = "course-"
INDEX_PREFIX = "index-"
SUFFIX = ".pickle"
#: what the course is read from and checked by: the packaged data and both packages' code
_SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".json")


def cache_dir() -> Path:
    """`$REVISE_CACHE`, else the user cache folder (not created here)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("revise", appauthor=False))


def _sources_digest(head: str) -> str:
    """A digest of `head` and of the content and engine packages' files, found without
    importing either package."""
    from importlib.util import find_spec

    digest = hashlib.sha256(head.encode())
    for package in ("content", "engine"):
        spec = find_spec(package)
        assert spec is not None and spec.submodule_search_locations is not None
        root = Path(list(spec.submodule_search_locations)[0]).resolve()
        for path in sorted(root.rglob("*")):
            if path.suffix in _SOURCE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root.parent).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def fingerprint() -> str:
    """A digest of everything the loaded course depends on."""
    import pydantic

    return _sources_digest(f"{sys.version}|{pydantic.VERSION}")


def index_fingerprint() -> str:
    """A digest of everything the course's index depends on (no pydantic in it)."""
    return _sources_digest(f"{sys.version}|index")


def load_index() -> CourseIndex | None:
    """The packaged course's index as the last `load_course` wrote it, or None (not yet, or
    the packaged files have changed since)."""
    from revise.schedule.items import CourseIndex

    path = cache_dir() / f"{INDEX_PREFIX}{index_fingerprint()}{SUFFIX}"
    try:
        index = pickle.loads(path.read_bytes())
    except Exception:  # missing, damaged or foreign: the course is read instead
        return None
    return index if isinstance(index, CourseIndex) else None


def load_course() -> Course:
    """The packaged course, as `content.load(seeds=0)` gives it.

    The sample draws of each family are left to `revise validate` and the tests: every variant
    a command draws is solved, and so checked, when it is used.
    """
    import content

    folder = cache_dir()
    path = folder / f"{PREFIX}{fingerprint()}{SUFFIX}"
    cached = _read(path)
    course = cached if cached is not None else content.load(seeds=0)
    if cached is None:
        _write(folder, path, course, PREFIX)
    index = folder / f"{INDEX_PREFIX}{index_fingerprint()}{SUFFIX}"
    if not index.exists():
        from revise.schedule.items import course_index

        _write(folder, index, course_index(course), INDEX_PREFIX)
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


def _write(folder: Path, path: Path, course: object, prefix: str) -> None:
    """Replace the cache atomically and drop stale ones; a failure just leaves no cache."""
    temporary: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".course-")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(course, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        temporary = None
        for old in folder.glob(f"{prefix}*{SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
