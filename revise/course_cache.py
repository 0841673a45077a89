"""The packaged course, validated once and then read back from the user's cache folder.

Loading checks every YAML file against the engine's problems, which takes about half a second
and imports every problem module. The result depends only on the packaged files and the code
that reads them, so it is stored under a fingerprint of both (and of the Python and pydantic
that wrote it). A cache that is missing, stale, unreadable or corrupt is rebuilt; one that cannot
be written is done without. Content a student names with `--content` is always loaded afresh.

The cache holds data only: each model's JSON (pydantic's own serialisation), read back with
`model_validate`, so a file planted in the cache folder can at worst be refused, never run code
(as a pickle could). The cross-checks against the engine are what `content.load` spends its time
on; validating the JSON back takes about 10 ms, less than unpickling did.

Beside it lies the course's index (`load_index`): its topics and schedulable items as plain
JSON, readable without importing pydantic or the course's models, so that the app's home screen
can show its numbers before the course itself has been read.

The folder is `$REVISE_CACHE`, else platformdirs' user cache folder.
"""

from __future__ import annotations

import hashlib
import json
import os
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
SUFFIX = ".json"
# the course's cache is about 400 KB: anything far larger is not one
MAX_BYTES = 32 * 1024 * 1024
_SECTIONS = ("topics", "cards", "families", "glossary")
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
    from revise.schedule.items import CourseIndex, CourseItem

    path = cache_dir() / f"{INDEX_PREFIX}{index_fingerprint()}{SUFFIX}"
    try:
        data = json.loads(_bounded_read(path))
        topics = tuple((str(t), str(title)) for t, title in data["topics"])
        items = tuple(CourseItem(**item) for item in data["items"])
    except Exception:  # missing, damaged or foreign: the course is read instead
        return None
    return CourseIndex(topics=topics, items=items)


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
        _write(folder, path, _to_json(course), PREFIX)
    index = folder / f"{INDEX_PREFIX}{index_fingerprint()}{SUFFIX}"
    if not index.exists():
        from dataclasses import asdict

        from revise.schedule.items import course_index

        built = course_index(course)
        data = {"topics": built.topics, "items": [asdict(it) for it in built.items]}
        _write(folder, index, data, INDEX_PREFIX)
    return course


def _bounded_read(path: Path) -> bytes:
    """A cache file's bytes; ValueError for one far larger than a cache (not ours)."""
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"{path} is too large to be a cache")
    return data


def _read(path: Path) -> Course | None:
    try:
        return _from_json(json.loads(_bounded_read(path)))
    except Exception:  # a damaged or foreign file is only a cache miss: it is rebuilt
        return None


def _to_json(course: Course) -> dict[str, object]:
    from content.expr import Expression

    def expression_source(value: object) -> str:
        if isinstance(value, Expression):
            return value.source
        raise TypeError(f"{type(value).__name__} in the course is not data")

    out: dict[str, object] = {
        name: [
            m.model_dump(mode="json", by_alias=True, fallback=expression_source)
            for m in getattr(course, name)
        ]
        for name in _SECTIONS
    }
    out["origins"] = dict(course.origins)
    return out


def _from_json(data: dict[str, list[object]]) -> Course:
    from content import Course
    from content.models import Card, Family, GlossaryTerm, Topic

    models = {"topics": Topic, "cards": Card, "families": Family, "glossary": GlossaryTerm}
    sections = {
        name: tuple(model.model_validate(item) for item in data[name])  # type: ignore[attr-defined]
        for name, model in models.items()
    }
    origins = data["origins"]
    if not isinstance(origins, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in origins.items()
    ):
        raise ValueError("origins must map ids to places")
    return Course(**sections, origins=origins)


def _write(folder: Path, path: Path, data: object, prefix: str) -> None:
    """Replace the cache atomically and drop stale ones; a failure just leaves no cache."""
    temporary: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".course-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
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
