"""The app's data: the course and the student's `Study`, reached through one database thread.

An SQLite connection belongs to the thread that opened it, and two threads writing at once would
have to queue anyway, so every `Study` call runs on one dedicated thread (a single-worker
executor). Screens await it from async workers, so the event loop never waits on the disk.
Loading the course (pydantic, YAML, the engine's registry) also happens there, at start-up,
which keeps those imports off the UI thread. When the course's index is cached, the Study is
opened on it first (`open_index`: the home screen's numbers need nothing more), and the course
itself is read after (`open`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from content import Course
    from revise.schedule.items import CourseIndex
    from revise.study import Settings, Study

T = TypeVar("T")


class Backend:
    """The course and the Study of one app run (built from the app's constructor arguments)."""

    def __init__(
        self,
        *,
        home: Path | None,
        course: Course | None,
        settings: Settings | None,
        clock: Callable[[], datetime] | None,
    ) -> None:
        self.home = home  # the resolved data folder once open
        self._settings = settings
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="revise-db")
        self.course: Course | None = course
        self._study: Study | None = None
        self._index_future: Future[bool] | None = None

    @property
    def ready(self) -> bool:
        """The Study is open (perhaps on the course's index only: see `course`)."""
        return self._study is not None

    @property
    def study(self) -> Study:
        """The open Study (only after `open`; screens wait for the app's Ready message)."""
        if self._study is None:
            raise RuntimeError("the study is not open yet")
        return self._study

    def prefetch_index(self) -> None:
        """Start opening the Study on the course's index now, on the database thread, while
        the app starts up (`open_index` then waits for it)."""
        if self._index_future is None:
            self._index_future = self._executor.submit(self._open_index)

    async def open_index(self) -> bool:
        """Open the Study on the cached index of the packaged course, if there is one (and no
        course was given); whether it was opened."""
        self.prefetch_index()
        assert self._index_future is not None
        return await asyncio.wrap_future(self._index_future)

    async def open(self) -> None:
        """Load the course (unless given) and open the home's database, on the database thread.

        With the Study already open on the index, the course is read on a thread of its own,
        so that the home screen's reads are not queued behind it on the database thread."""
        loop = asyncio.get_running_loop()
        if self._study is not None and self.course is None:
            from revise.course_cache import load_course

            course = await loop.run_in_executor(None, load_course)
            self.course = course
            await self.call(lambda study: study.attach(course))
            return
        await loop.run_in_executor(self._executor, self._open)

    def _open_index(self) -> bool:
        if self.course is not None:
            return False
        from revise.course_cache import load_index

        index = load_index()
        if index is None:
            return False
        self._open_study(index)
        return True

    def _open(self) -> None:
        if self.course is None:
            from revise.course_cache import load_course

            # `revise validate` and the test suite draw every family's seeds; the app only
            # needs the data, so it skips the sample draws and starts sooner.
            self.course = load_course()
        if self._study is None:
            self._open_study(self.course)
        else:
            self._study.attach(self.course)

    def _open_study(self, course: Course | CourseIndex) -> None:
        from revise.paths import home_dir
        from revise.study import Study

        home = home_dir(self.home)
        study = Study(home, course, clock=self._clock) if self._clock else Study(home, course)
        self.home = home
        if self._settings is not None:
            study.save_settings(self._settings)
        self._study = study

    async def call(self, fn: Callable[[Study], T]) -> T:
        """Run `fn(study)` on the database thread and return its result."""
        study = self.study
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, study)

    def close(self) -> None:
        """Close the database (on its own thread) and stop the thread."""
        if self._study is not None:
            study, self._study = self._study, None
            self._executor.submit(study.close).result()
        self._executor.shutdown(wait=True)
