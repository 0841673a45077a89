"""Opening the student's collection for a command: the course plus the Study in the home folder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from revise.study import Study


def open_study(
    content_path: str | Path | None = None,
    home: str | Path | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Study:
    """The Study for the home (`--home`, `$REVISE_HOME` or the user data folder).

    The course is the packaged one unless `content_path` names a folder or file of content;
    `clock` replaces the real time (`--now`).
    """
    import content
    from revise.course_cache import load_course
    from revise.paths import db_path, home_dir
    from revise.store.store import check_file
    from revise.study import Study

    folder = home_dir(home)
    check_file(db_path(folder))  # a damaged or read-only database is reported before the slow load
    course = content.load(content_path) if content_path else load_course()
    return Study(folder, course) if clock is None else Study(folder, course, clock)
