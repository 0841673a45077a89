"""The command palette (ctrl+p): every action of the app, every topic and every problem.

Commands come from three places: the app's own actions (open a screen), one quiz and one drill
per topic and one explorer entry per problem, and the current screen's `palette_commands()`
(the actions that only make sense there, such as rating or copying the trace).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from revise.app import ReviseApp

Command = tuple[str, str, Callable[[], Any]]


def app_commands(app: ReviseApp) -> list[Command]:
    """The commands that are available everywhere."""
    commands: list[Command] = [
        ("Home", "Back to the topics and today's counts", app.action_home),
        ("Review", "Today's queue: due reviews, then new items", app.action_review),
        ("Drill flashcards", "Flip and rate today's cards", app.action_drill),
        ("Explorer", "Any problem with your own numbers, worked out", app.action_explorer),
        ("Exam", "Exam date, forecast per topic, exam drill", app.action_exam),
        ("Exam drill", "Weakest-at-exam items first", app.action_exam_drill),
        (
            "Mark a paper sheet",
            "Type the answers of a printed sheet (its code)",
            app.action_mark_sheet,
        ),
        ("Stats", "Reviews per day, retention, forgetting curves, leeches", app.action_stats),
        ("Settings", "Retention, daily limits, exam date, device, theme", app.action_settings),
        ("Help", "Every key of every screen", app.action_help),
    ]
    course = app.backend.course
    if course is not None and app.backend.ready:
        for topic in course.topics:
            commands.append(
                (
                    f"Quiz: {topic.title}",
                    "Questions of this topic",
                    partial(app.action_quiz, topic.id),
                )
            )
            commands.append(
                (
                    f"Drill: {topic.title}",
                    "Flashcards of this topic",
                    partial(app.action_drill, topic.id),
                )
            )
    for row in app.catalog:  # read by a worker at start-up (empty until then)
        commands.append(
            (f"Explore: {row['id']}", row["summary"], partial(app.action_explorer, row["id"]))
        )
    return commands


def screen_commands(screen: Any) -> Iterable[Command]:
    get = getattr(screen, "palette_commands", None)
    return list(get()) if callable(get) else []


class ReviseCommands(Provider):
    """Finds the app's actions by fuzzy match on their names."""

    def _commands(self) -> list[Command]:
        app = cast("ReviseApp", self.app)
        return [*screen_commands(self.screen), *app_commands(app)]

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            if name.startswith(("Quiz: ", "Drill: ", "Explore: ")):
                continue  # listed when searched for, to keep the first view short
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
