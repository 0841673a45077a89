"""The end of a session: score, time, ratings, the topics that went worst and the missed items.

The missed items (rated Again, or answered wrong) are listed by name; `a` asks them again in a
new session, questions with new numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from revise.widgets.rating_bar import RATINGS

if TYPE_CHECKING:
    from revise.screens.session import Source
    from revise.study import Forecast


@dataclass(frozen=True)
class Answered:
    """One reviewed item of a session."""

    item_id: str
    kind: str  # "card" or "family"
    topic: str
    rating: int
    seconds: float
    correct: bool | None = None  # typed answers only
    title: str = ""  # the question family's title or the card's front

    @property
    def missed(self) -> bool:
        return self.rating == 1 or self.correct is False


@dataclass
class SessionLog:
    """What a session did, in order (undo removes the last entry)."""

    title: str
    entries: list[Answered] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, entry: Answered) -> None:
        self.entries.append(entry)

    def pop(self) -> Answered | None:
        return self.entries.pop() if self.entries else None

    @property
    def questions(self) -> list[Answered]:
        return [e for e in self.entries if e.correct is not None]

    def score(self) -> tuple[int, int]:
        """(right, asked) over the typed answers."""
        asked = self.questions
        return sum(1 for e in asked if e.correct), len(asked)

    def missed(self) -> list[Answered]:
        """The items missed in this session (rated Again or answered wrong at least once),
        once each, in the order they were first met."""
        first: dict[str, Answered] = {}
        for e in self.entries:
            if e.missed:
                first.setdefault(e.item_id, e)
        return list(first.values())

    def weakest_topics(self, titles: dict[str, str], limit: int = 3) -> list[tuple[str, float]]:
        """Topics by how badly they went: the share of Again/Hard ratings and wrong answers."""
        bad: dict[str, int] = defaultdict(int)
        seen: dict[str, int] = defaultdict(int)
        for e in self.entries:
            seen[e.topic] += 1
            if e.rating <= 2 or e.correct is False:
                bad[e.topic] += 1
        ranked = sorted(
            ((t, bad[t] / seen[t]) for t in seen if bad[t]), key=lambda p: (-p[1], p[0])
        )
        return [(titles.get(t, t), share) for t, share in ranked[:limit]]


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def summary_renderable(log: SessionLog, titles: dict[str, str]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", justify="right")
    table.add_column()
    done = len(log.entries)
    items = len({e.item_id for e in log.entries})
    reviewed = f"{items} item{'s' if items != 1 else ''}"
    if done != items:
        reviewed += f" ({done} reviews: missed items came back)"
    table.add_row("Reviewed", reviewed)
    right, asked = log.score()
    if asked:
        table.add_row(
            "Accuracy",
            Text.assemble(
                f"{right} / {asked} answers right ({right / asked:.0%})",
                ("  in this session", "dim"),
            ),
        )
    table.add_row("Time", duration(log.seconds))
    if done:
        # the session's time shared out: what a student plans with
        label = "Per item" if done == items else "Per review"
        table.add_row(label, duration(log.seconds / done))
        counts = {r: sum(1 for e in log.entries if e.rating == r) for r in RATINGS}
        table.add_row("Ratings", "  ".join(f"{RATINGS[r]} {n}" for r, n in counts.items()))
    weakest = log.weakest_topics(titles)
    if weakest:
        lines = Text("\n").join(
            Text.assemble(title, (f"  {share:.0%} missed or hard", "dim"))
            for title, share in weakest
        )
        table.add_row("Weakest topics", lines)
    elif done:
        table.add_row("Weakest topics", Text("none: everything went well", style="dim"))
    missed = log.missed()
    if missed:
        lines = Text("\n").join(
            Text.assemble(e.title or e.item_id, (f"  {titles.get(e.topic, e.topic)}", "dim"))
            for e in missed
        )
        fresh = ", questions with new numbers" if any(e.kind == "family" for e in missed) else ""
        lines.append(f"\na: ask these again{fresh}", style="dim")
        table.add_row("Missed", lines)
    return table


def recall_renderable(forecast: Forecast, topics: list[str]) -> Group:
    """The session's topics after it: recall now and on exam day, with what the numbers mean."""
    table = Table(box=None, padding=(0, 2), title_justify="left", title="After this session")
    table.add_column("Topic", style="bold")
    table.add_column("Recall now", justify="right")
    table.add_column("Seen", justify="right")
    if forecast.exam_at is not None:
        table.add_column("On exam day", justify="right")
    for t in forecast.topics:
        if t.topic not in topics:
            continue
        row = [t.title, f"{t.mastery:.0%}", f"{t.seen}/{t.cards}"]
        if forecast.exam_at is not None:
            row.append("–" if t.exam_recall is None else f"{t.exam_recall:.0%}")
        table.add_row(*row)
    meaning = (
        "Recall now: the chance of recalling the topic's items today, by the schedule's "
        "memory model; items never seen count as 0, so it grows as items are met. "
        "Accuracy above is this session's answers alone."
    )
    if forecast.exam_at is not None:
        meaning += " On exam day: recall predicted for the exam day if nothing more is revised."
    return Group(table, Text(meaning, style="dim"))


class SummaryScreen(Screen[None]):
    """Shown when a session ends: home, more review, or the missed items again."""

    BINDINGS = [
        Binding("enter,escape", "app.home", "Home", key_display="⏎"),
        Binding("r", "app.review", "Review more"),
        Binding("a", "again", "Missed again"),
        Binding("p", "more", "More of this topic"),
    ]

    def __init__(
        self, log: SessionLog, titles: dict[str, str], source: Source | None = None
    ) -> None:
        super().__init__()
        self.session = log
        self.titles = titles
        self.source = source

    def on_mount(self) -> None:
        self.sub_title = "Summary"
        if self.session.entries:
            self.load_recall()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="summary"):
            yield Static(Text(f"{self.session.title}: done", style="bold"), classes="screen-title")
            yield Static(summary_renderable(self.session, self.titles), id="summary-table")
            yield Static("", id="summary-recall")
        yield Footer(compact=True)

    @work(exclusive=True, group="summary")
    async def load_recall(self) -> None:
        backend = getattr(self.app, "backend", None)
        if backend is None or not backend.ready:
            return
        forecast = await backend.call(lambda s: s.forecast())
        topics = list(dict.fromkeys(e.topic for e in self.session.entries))
        self.query_one("#summary-recall", Static).update(recall_renderable(forecast, topics))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "again":
            return bool(self.session.missed())
        if action == "more":
            return self.source is not None and self.source.topic is not None
        return True

    def action_more(self) -> None:
        """Another session on the same topic: what is due, else practice past the allowance."""
        from revise.screens.drill import DrillScreen
        from revise.screens.quiz import QuizScreen

        source = self.source
        if source is None or source.topic is None:
            return
        if source.kind == "card":
            self.app.switch_screen(DrillScreen(source.topic))
        else:
            self.app.switch_screen(QuizScreen(source))

    def action_again(self) -> None:
        """A new session over the missed items: questions with new numbers, cards again."""
        from revise.screens.drill import DrillScreen
        from revise.screens.quiz import QuizScreen
        from revise.screens.session import Source

        missed = tuple(e.item_id for e in self.session.missed())
        if not missed:
            return
        app = self.app
        kinds = {e.kind for e in self.session.missed()}
        if kinds == {"card"} and self.source is not None and self.source.kind == "card":
            app.switch_screen(DrillScreen(items=missed))
        else:
            app.switch_screen(QuizScreen(Source(items=missed)))

    def palette_commands(self) -> list[tuple[str, str, object]]:
        commands: list[tuple[str, str, object]] = []
        if self.session.missed():
            commands.append(
                ("Missed items again", "With new numbers, in a new session", self.action_again)
            )
        return commands
