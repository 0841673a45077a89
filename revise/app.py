"""The terminal app: `revise` with no command.

`ReviseApp` takes its home, course, settings and clock as constructor arguments, so tests build
it with sample data on a temporary home. Importing this module loads Textual and the home
screen only: the course, the database, the engine, torch and SymPy are loaded after the first
screen is drawn, off the UI thread (see `revise.backend`), and the other screens are imported
when first opened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from revise.backend import Backend
from revise.palette import ReviseCommands
from revise.screens.home import HomeScreen
from revise.widgets import key_order

# bound keys (backspace, arrows) typed in a burst run in typing order in every text field
key_order.install()

if TYPE_CHECKING:
    from content import Course
    from revise.study import Settings


#: seconds the course waits for the home screen to draw its numbers before it is read anyway
HOME_DRAWN_WAIT = 1.0


class ReviseApp(App[None]):
    """Home, quiz, drill, explorer, exam, stats and settings screens over one Study."""

    CSS_PATH = "app.tcss"
    TITLE = "revise"
    SUB_TITLE = "deep-learning revision"
    COMMANDS = App.COMMANDS | {ReviseCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        *,
        home: Path | None = None,
        course: Course | None = None,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
        ticks: Callable[[], float] = time.monotonic,
        seeds: Callable[[str], int] | None = None,
        steady: bool = False,
    ) -> None:
        """`home`: the data folder (default: `--home`, `$REVISE_HOME`, the user data folder);
        `course`: the loaded course (default: the packaged one, loaded in the background);
        `settings`: saved into the home at start (tests use it to fix an exam date);
        `clock`: the Study's clock; `ticks`: seconds for timing answers; `seeds`: a family's
        variant seed (default: the Study's fresh seeds) — fixed in tests for stable screens;
        `steady`: no animations and no blinking cursors (for snapshots).
        """
        super().__init__()
        self.backend = Backend(home=home, course=course, settings=settings, clock=clock)
        if course is None:
            # the home screen's numbers are read while Textual starts and draws the first frame
            self.backend.prefetch_index()
        self.ticks = ticks
        self.fixed_seeds = seeds
        self.load_error: str | None = None
        self.device = "auto"  # where torch cross-checks run (the settings' device)
        self.catalog: list[dict[str, Any]] = []  # every problem, for the palette (from a worker)
        self._backend_ready = asyncio.Event()
        self._home_ready = asyncio.Event()  # the Study is open, perhaps without the course yet
        self._home_drawn = asyncio.Event()  # the home screen has shown its numbers
        self._warming = False
        self._clock = clock
        self.steady = steady
        if steady:
            self.animation_level = "none"

    # --- start-up ---------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return HomeScreen()

    def on_mount(self) -> None:
        self.open_backend()

    @work(exclusive=True, group="backend")
    async def open_backend(self) -> None:
        from engine.errors import UserError

        try:
            # the home screen's numbers come from the index; the course is read after
            if await self.backend.open_index():
                self._home_ready.set()
                # read the course once the home screen's numbers are drawn: importing it
                # meanwhile would hold the interpreter that draws them
                try:
                    await asyncio.wait_for(self._home_drawn.wait(), HOME_DRAWN_WAIT)
                except TimeoutError:
                    pass
            await self.backend.open()
        except UserError as exc:
            lines = str(exc).splitlines() or ["cannot open the course"]
            more = (
                f" (and {len(lines) - 1} more problems: run `revise validate`)"
                if len(lines) > 1
                else ""
            )
            self.load_error = lines[0] + more
            self._home_ready.set()
            self._backend_ready.set()
            return
        settings = await self.backend.call(lambda s: s.settings)
        self.device = settings.device
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        self.theme_changed_signal.subscribe(self, self._save_theme)
        self._home_ready.set()
        self._backend_ready.set()
        # the engine is warmed once the home screen has its numbers (`warm_once`): importing it
        # meanwhile would hold the interpreter while the home screen's numbers are read

    def now(self) -> datetime:
        """The current time (the injected clock's, in tests)."""
        from datetime import UTC

        return self._clock() if self._clock is not None else datetime.now(UTC)

    async def wait_study(self) -> bool:
        """Wait until the Study is open (the course may still be loading); False if it could
        not be. Enough for the home screen's numbers."""
        await self._home_ready.wait()
        return self.backend.ready

    async def wait_ready(self) -> bool:
        """Wait until the course and the Study are open; False if they could not be."""
        await self._backend_ready.wait()
        return self.backend.ready

    def home_drawn(self) -> None:
        """The home screen has drawn its numbers: the course can be read now."""
        self._home_drawn.set()

    def warm_once(self) -> None:
        """Start warming the engine (once), when the home screen has been filled in."""
        if not self._warming:
            self._warming = True
            self.warm_engine()

    @work(thread=True, group="warm")
    def warm_engine(self) -> None:
        """Import the checker and every problem now, so that the first answer is graded at once;
        read the problem catalogue for the command palette."""
        import engine.checking  # noqa: F401
        from engine.catalog import load_catalog
        from engine.registry import all_problems

        self.catalog = load_catalog()  # a plain attribute, read by the palette: no widget touched
        all_problems()

    def _save_theme(self, theme: Any) -> None:
        name = getattr(theme, "name", str(theme))
        self.save_theme(name)

    @work(group="settings")
    async def save_theme(self, name: str) -> None:
        from dataclasses import replace

        await self.backend.call(lambda s: s.save_settings(replace(s.settings, theme=name)))

    def on_unmount(self) -> None:
        # the database thread closes the connection it opened before the process ends
        self.backend.close()

    # --- quitting ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quit":
            # while an answer is typed or judged, q is a letter of it: Quit is not offered
            typing = getattr(self.screen, "typing", None)
            return not (callable(typing) and typing())
        return True

    async def action_quit(self) -> None:
        """Quit — after asking, when a session has an answered item not rated yet."""
        leave = getattr(self.screen, "leave", None)
        if callable(leave):
            leave(self.exit)
        else:
            self.exit()

    # --- navigation -------------------------------------------------------------------------
    def go(self, screen: Screen[Any]) -> None:
        """Open a screen from the home screen (the stack never grows deeper than home + one)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)

    def action_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_review(self) -> None:
        from revise.screens.quiz import QuizScreen
        from revise.screens.session import Source

        self.go(QuizScreen(Source()))

    def action_quiz(self, topic: str) -> None:
        from revise.screens.quiz import QuizScreen
        from revise.screens.session import Source

        # a topic's questions (due first, then new ones); a topic without questions: its cards
        course = self.backend.course
        has_questions = course is None or bool(course.families_for(topic))
        self.go(QuizScreen(Source(topic=topic, kind="family" if has_questions else None)))

    def action_drill(self, topic: str = "") -> None:
        from revise.screens.drill import DrillScreen

        self.go(DrillScreen(topic or None))

    def action_exam_drill(self) -> None:
        from revise.screens.quiz import QuizScreen
        from revise.screens.session import Source

        self.go(QuizScreen(Source(exam_drill=True)))

    @work(exclusive=True, group="sheet")
    async def action_mark_sheet(self) -> None:
        from revise.screens.quiz import QuizScreen
        from revise.screens.session import Source
        from revise.screens.sheet_prompt import SheetPrompt

        code = await self.push_screen_wait(SheetPrompt())
        if code is not None:
            self.go(QuizScreen(Source(sheet=code)))

    def action_explorer(self, problem: str = "") -> None:
        from revise.screens.explorer import ExplorerScreen

        self.go(ExplorerScreen(problem or None))

    def action_exam(self) -> None:
        from revise.screens.exam import ExamScreen

        self.go(ExamScreen())

    def action_stats(self) -> None:
        from revise.screens.stats import StatsScreen

        self.go(StatsScreen())

    def action_settings(self) -> None:
        from revise.screens.settings import SettingsScreen

        self.go(SettingsScreen())

    def action_help(self) -> None:
        from revise.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())
