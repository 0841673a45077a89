"""The home screen: today's counts, the exam countdown, and every topic with its progress.

It is the first thing drawn: its frame appears at once, and the numbers fill in when the course
and the database are open (a worker waits for the app's backend; nothing here blocks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from revise.widgets.topic_list import TopicRow, TopicTable, percent

#: from this width on, the highlighted topic's description is shown beside the table
WIDE = 110

if TYPE_CHECKING:
    from content import Course
    from revise.app import ReviseApp
    from revise.study import Forecast, Study


@dataclass(frozen=True)
class HomeData:
    """Everything the home screen shows, read from the Study in one go."""

    due: int
    new_today: int
    rows: list[TopicRow]
    forecast: Forecast


def read_home(study: Study) -> HomeData:
    """Gather the home screen's numbers (runs on the database thread)."""
    queue = study.queue()
    counts = study.counts()
    forecast = study.forecast()
    recall = {t.topic: t.exam_recall for t in forecast.topics}
    rows = []
    for topic_id, title in study.topic_titles.items():
        c = counts.get(topic_id, {})
        rows.append(
            TopicRow(
                id=topic_id,
                title=title,
                seen=c.get("seen", 0),
                total=c.get("total", 0),
                due=c.get("due", 0),
                new=c.get("new", 0),
                exam_recall=recall.get(topic_id),
            )
        )
    due = sum(1 for i in queue if not i.is_new)
    return HomeData(due=due, new_today=len(queue) - due, rows=rows, forecast=forecast)


def exam_text(forecast: Forecast, set_hint: str = "x: set one") -> Text:
    """The exam panel: the date and countdown, and the predicted recall on the day."""
    if forecast.exam_at is None:
        return Text.assemble(("Exam\n", "bold"), (f"no date set — {set_hint}", "dim"))
    when = forecast.exam_at.astimezone().strftime("%a %d %b %Y, %H:%M")
    if forecast.passed:
        return Text.assemble(
            ("Exam\n", "bold"),
            f"{when}\n",
            ("the exam day has come: clear the date in Exam (x)", "yellow"),
        )
    days = forecast.days_left or 0.0
    left = f"in {days:.0f} days" if days >= 1.5 else "tomorrow" if days >= 0.5 else "today"
    return Text.assemble(
        ("Exam ", "bold"),
        (left, "bold"),
        f"\n{when}\nrecall on the day if you stop now: ",
        (percent(forecast.overall), "bold"),
    )


def topic_detail(course: Course, topic_id: str) -> Text:
    """The highlighted topic: its names, what it covers, what there is to revise."""
    try:
        topic = course.topic(topic_id)
    except KeyError:
        return Text("")
    cards = len(course.cards_for(topic_id))
    families = len(course.families_for(topic_id))
    text = Text.assemble((topic.title, "bold"))
    if topic.title_zh:
        text.append(f"  {topic.title_zh}", style="dim")
    text.append(f"\n\n{topic.summary}\n\n")
    text.append(f"{cards} flashcards · {families} question families\n", style="dim")
    text.append("⏎ quiz · c cards", style="dim")
    return text


class HomeScreen(Screen[None]):
    """Topics with progress, today's counts, the exam; keys start every kind of session."""

    BINDINGS = [
        Binding("r", "app.review", "Review"),
        Binding("enter,t", "quiz", "Quiz topic", key_display="⏎"),
        Binding("d", "app.drill", "Drill"),
        Binding("c", "drill_topic", "Topic cards", show=False),
        Binding("e", "app.explorer", "Explorer"),
        Binding("x", "app.exam", "Exam"),
        Binding("m", "app.mark_sheet", "Mark sheet"),
        Binding("s", "app.stats", "Stats"),
        Binding("comma", "app.settings", "Settings", key_display=","),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home-summary"):
            yield Static(Text("Loading the course…", style="dim"), id="home-today", classes="panel")
            yield Static("", id="home-exam", classes="panel")
        with Horizontal(id="home-main"):
            yield TopicTable(id="topics")
            yield Static("", id="topic-detail", classes="panel")
        yield Static(
            Text(
                "⏎ quiz on the highlighted topic · c its cards · ctrl+p every action", style="dim"
            ),
            id="home-hint",
        )
        yield Footer(compact=True, show_command_palette=False)  # the hint line names ctrl+p

    def on_resize(self, event: events.Resize) -> None:
        # the topic's description sits beside the table when there is room for both
        self.set_class(event.size.width >= WIDE, "-wide")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        course = self.revise.backend.course
        if course is None or event.row_key.value is None:
            return
        self.query_one("#topic-detail", Static).update(
            topic_detail(course, str(event.row_key.value))
        )

    @property
    def revise(self) -> ReviseApp:
        return cast("ReviseApp", self.app)

    def on_mount(self) -> None:
        self.query_one(TopicTable).loading = True
        self.load()

    def on_screen_resume(self) -> None:
        if self.revise.backend.ready:
            self.load()

    @work(exclusive=True, group="home")
    async def load(self) -> None:
        if not await self.revise.wait_study():
            self.query_one(TopicTable).loading = False
            message = self.revise.load_error or "the course could not be loaded"
            self.query_one("#home-today", Static).update(Text(message, style="bold red"))
            return
        data = await self.revise.backend.call(read_home)
        self.show(data)
        self.call_after_refresh(self.revise.home_drawn)
        # the topic's description needs the course itself, which may still be loading
        if await self.revise.wait_ready():
            self._show_detail()
            self.revise.warm_once()

    def _show_detail(self) -> None:
        course = self.revise.backend.course
        topic = self.query_one(TopicTable).selected_topic
        if course is not None and topic is not None:
            self.query_one("#topic-detail", Static).update(topic_detail(course, topic))

    def show(self, data: HomeData) -> None:
        table = self.query_one(TopicTable)
        table.loading = False
        table.show(data.rows)
        seen = sum(r.seen for r in data.rows)
        total = sum(r.total for r in data.rows)
        today = Text.assemble(
            ("Today ", "bold"),
            (f"{data.due} due", "bold" if data.due else "dim"),
            " · ",
            (f"{data.new_today} new", "bold" if data.new_today else "dim"),
            f"\n{seen} of {total} items seen",
            (
                "\npress r to start" if data.due or data.new_today else "\nnothing left for today",
                "dim",
            ),
        )
        self.query_one("#home-today", Static).update(today)
        self.query_one("#home-exam", Static).update(exam_text(data.forecast))
        if self.focused is None:
            table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # a click or Enter on a topic starts a quiz on it
        if event.row_key.value is not None:
            self.revise.action_quiz(str(event.row_key.value))

    def action_quiz(self) -> None:
        topic = self.query_one(TopicTable).selected_topic
        if topic is not None:
            self.revise.action_quiz(topic)

    def action_drill_topic(self) -> None:
        topic = self.query_one(TopicTable).selected_topic
        if topic is not None:
            self.revise.action_drill(topic)

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        return [
            ("Quiz on the selected topic", "Questions of the highlighted topic", self.action_quiz),
            (
                "Cards of the selected topic",
                "Flashcards of the highlighted topic",
                self.action_drill_topic,
            ),
        ]
