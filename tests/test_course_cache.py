"""The cached course: the same course as a fresh load, rebuilt when stale or damaged, never fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

import content
from revise import course_cache
from revise.course_cache import load_course


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("REVISE_CACHE", str(folder))
    return folder


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the real loads of the packaged course."""
    calls: list[int] = []
    real = content.load

    def counting(*args: object, **kwargs: int) -> content.Course:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(content, "load", counting)
    return calls


def cached_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("course-*.json"))


def test_second_load_is_read_from_the_cache_and_equals_a_fresh_load(
    cache: Path, loads: list[int]
) -> None:
    first = load_course()
    assert len(loads) == 1 and len(cached_files(cache)) == 1
    second = load_course()
    assert len(loads) == 1  # served from the file
    fresh = content.load(seeds=0)
    assert second == fresh == first
    assert second.origins == fresh.origins
    family = fresh.families[0]
    assert second.family(family.id).variant(3) == family.variant(3)


def test_a_change_to_the_code_or_data_makes_a_new_cache_and_drops_the_old(
    cache: Path, loads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_course()
    old = cached_files(cache)
    monkeypatch.setattr(course_cache, "fingerprint", lambda: "0" * 32)
    load_course()
    assert len(loads) == 2
    assert cached_files(cache) == [cache / f"course-{'0' * 32}.json"] != old


@pytest.mark.parametrize(
    "damage", [b"", b"not json", b"7", b'{"topics": [{"id": 1}]}', b"\x80\x05K\x07."]
)
def test_a_damaged_cache_is_rebuilt(cache: Path, loads: list[int], damage: bytes) -> None:
    load_course()
    (path,) = cached_files(cache)
    path.write_bytes(damage)
    assert load_course() == content.load(seeds=0)
    assert len(loads) == 3  # the two above, and the rebuild
    assert path.read_bytes() != damage


def test_an_unusable_cache_folder_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[int]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    monkeypatch.setenv("REVISE_CACHE", str(blocker / "cache"))
    assert load_course() == load_course()
    assert len(loads) == 2
    assert blocker.read_text() == "in the way"


def test_the_fingerprint_follows_the_packaged_files(monkeypatch: pytest.MonkeyPatch) -> None:
    before = course_cache.fingerprint()
    assert course_cache.fingerprint() == before
    real = Path.read_bytes
    target = content.loader.DATA_DIR / "topics.yaml"

    def edited(path: Path) -> bytes:
        data = real(path)
        return data + b"\n# edited\n" if path == target else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert course_cache.fingerprint() != before


def test_a_planted_pickle_in_the_cache_folder_runs_nothing(
    cache: Path, loads: list[int], tmp_path: Path
) -> None:
    import pickle

    load_course()
    (path,) = cached_files(cache)
    canary = tmp_path / "ran"

    class Planted:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (canary.write_text, ("code ran",))

    path.write_bytes(pickle.dumps(Planted()))
    assert load_course() == content.load(seeds=0)
    assert not canary.exists()


def test_the_cache_holds_only_json_data(cache: Path) -> None:
    import json

    load_course()
    (path,) = cached_files(cache)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"topics", "cards", "families", "glossary", "origins"}


def test_the_index_is_written_beside_the_course_and_read_without_pydantic(cache: Path) -> None:
    import subprocess
    import sys

    from revise.course_cache import load_index
    from revise.schedule.items import course_items

    assert load_index() is None  # nothing written yet
    course = load_course()
    index = load_index()
    assert index is not None
    assert list(index.items) == course_items(course)
    assert index.topics == tuple((t.id, t.title) for t in course.topics)
    # the app opens its home screen on it: no pydantic, no course models, no YAML
    probe = (
        "import sys\n"
        "import revise.study\n"  # the Study the home screen opens on the index, too
        "from revise.course_cache import load_index\n"
        "assert load_index() is not None\n"
        "print(sorted(m for m in ('pydantic', 'content', 'yaml') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_home_screen_numbers_come_from_the_index_then_the_course_follows(
    cache: Path, tmp_path: Path
) -> None:
    import asyncio

    from revise.app import ReviseApp
    from revise.course_cache import load_index

    load_course()  # as a previous run would have left it
    assert load_index() is not None

    async def scenario() -> None:
        app = ReviseApp(home=tmp_path / "home")
        async with app.run_test(size=(100, 36)) as pilot:
            assert await app.wait_study()
            assert await app.wait_ready()
            await pilot.pause(0.2)
            assert app.backend.course is not None
            assert app.backend.study.course is app.backend.course
            await app.backend.call(lambda s: s.practice(topic=s.course.topics[0].id))

    asyncio.run(scenario())
