"""The end of a session: score, time, ratings, and the topics that went worst."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from revise.widgets.rating_bar import RATINGS


@dataclass(frozen=True)
class Answered:
    """One reviewed item of a session."""

    item_id: str
    kind: str  # "card" or "family"
    topic: str
    rating: int
    seconds: float
    correct: bool | None = None  # typed answers only


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
    table.add_row("Reviewed", f"{done} item{'s' if done != 1 else ''}")
    right, asked = log.score()
    if asked:
        table.add_row("Score", f"{right} / {asked} right ({right / asked:.0%})")
    table.add_row("Time", duration(log.seconds))
    if done:
        table.add_row("Per item", duration(sum(e.seconds for e in log.entries) / done))
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
    return table


class SummaryScreen(Screen[None]):
    """Shown when a session ends; any of its keys goes back home."""

    BINDINGS = [
        Binding("enter,escape", "app.home", "Home", key_display="⏎"),
        Binding("r", "app.review", "Review more"),
    ]

    def __init__(self, log: SessionLog, titles: dict[str, str]) -> None:
        super().__init__()
        self.session = log
        self.titles = titles

    def on_mount(self) -> None:
        self.sub_title = "Summary"

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="summary"):
            yield Static(Text(f"{self.session.title}: done", style="bold"), classes="screen-title")
            yield Static(summary_renderable(self.session, self.titles), id="summary-table")
        yield Footer(compact=True)
