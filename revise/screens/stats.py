"""Statistics: reviews per day, retention and forgetting curves as terminal plots, items by state,
per-topic mastery and leeches.

The figures come from `Study.stats()` on the database thread; the plots are textual-plotext
widgets drawn from them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, cast

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from revise.widgets.topic_list import bar, percent

if TYPE_CHECKING:
    from content import Course
    from revise.app import ReviseApp
    from revise.study import Stats

#: days of history in the reviews-per-day plot
DAYS = 30


def daily_series(
    per_day: dict[str, int], today: date, days: int = DAYS
) -> tuple[list[int], list[int]]:
    """(days ago as negative numbers, reviews) for the last `days` days, zeros included."""
    xs = list(range(-days + 1, 1))
    ys = [per_day.get((today + timedelta(days=x)).isoformat(), 0) for x in xs]
    return xs, ys


def overview(stats: Stats) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", justify="right")
    grid.add_column()
    grid.add_row(
        "Reviews", f"{stats.reviews_total} in all, {stats.cram_reviews} before they were due (cram)"
    )
    grid.add_row(
        "True retention", f"{percent(stats.true_retention)} of reviews of learnt items passed"
    )
    grid.add_row("Due", f"{stats.due_today} today, {stats.due_tomorrow} tomorrow")
    if stats.forecast.exam_at is not None:
        grid.add_row("Exam day recall", percent(stats.forecast.overall))
    return grid


def states_table(stats: Stats) -> Table:
    table = Table(title="Items by state", title_justify="left", expand=False, box=None)
    table.add_column("State")
    table.add_column("Items", justify="right")
    for name, count in stats.by_state.items():
        table.add_row(name, str(count))
    return table


def mastery_table(stats: Stats) -> Table:
    table = Table(
        title="Recall per topic",
        title_justify="left",
        box=None,
        caption="Recall now: the chance of recalling a topic's items today (never seen: 0); "
        "exam day: the same, predicted for the exam day if nothing more is revised.",
        caption_justify="left",
        caption_style="dim",
    )
    table.add_column("Topic", overflow="ellipsis", no_wrap=True, max_width=36)
    table.add_column("Recall now")
    table.add_column("Seen", justify="right")
    table.add_column("Exam day", justify="right")
    for t in stats.topics:
        table.add_row(
            t.title,
            Text.assemble(bar(t.mastery, 10), f" {percent(t.mastery):>4}"),
            f"{t.seen}/{t.cards}",
            percent(t.exam_recall),
        )
    return table


def leech_text(stats: Stats, course: Course) -> Text:
    if not stats.leeches and not stats.retired:
        return Text("No leeches: no item has been forgotten 8 times or more.", style="dim")
    text = Text()
    if stats.leeches:
        text.append(
            "Leeches — items forgotten 8 times or more; rewrite them in your own words:\n",
            style="bold",
        )
        for item_id in stats.leeches:
            text.append(f"  • {_title(course, item_id)}  ", style="")
            text.append(f"{item_id}\n", style="dim")
    if stats.retired:
        text.append(
            f"\n{len(stats.retired)} retired items (no longer in the course) keep their history.\n",
            style="dim",
        )
    return text


def _title(course: Course, item_id: str) -> str:
    try:
        return course.family(item_id).title
    except KeyError:
        pass
    try:
        return course.card(item_id).front
    except KeyError:
        return item_id


class StatsScreen(Screen[None]):
    """Plots and tables of the review history."""

    BINDINGS = [
        Binding("escape", "app.home", "Back"),
        Binding("r", "reload", "Refresh"),
    ]

    @property
    def revise(self) -> ReviseApp:
        return cast("ReviseApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="stats-tabs"):
            with TabPane("Activity", id="tab-activity"):
                yield Static("", id="stats-overview")
                yield PlotextPlot(id="plot-daily")
            with TabPane("Retention", id="tab-retention"):
                yield PlotextPlot(id="plot-curves")
            with TabPane("Items", id="tab-items"), VerticalScroll():
                yield Static("", id="stats-states")
                yield Static("", id="stats-mastery")
            with TabPane("Leeches", id="tab-leeches"), VerticalScroll():
                yield Static("", id="stats-leeches")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Stats"
        self.query_one("#stats-tabs").loading = True
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(exclusive=True, group="stats")
    async def load(self) -> None:
        if not await self.revise.wait_ready():
            return
        stats = await self.revise.backend.call(lambda s: s.stats())
        self.show(stats)

    def show(self, stats: Stats) -> None:
        course = self.revise.backend.course
        assert course is not None
        self.query_one("#stats-tabs").loading = False
        self.query_one("#stats-overview", Static).update(overview(stats))
        self.query_one("#stats-states", Static).update(states_table(stats))
        self.query_one("#stats-mastery", Static).update(mastery_table(stats))
        self.query_one("#stats-leeches", Static).update(leech_text(stats, course))

        today = stats.generated_at.astimezone().date()
        xs, ys = daily_series(stats.reviews_per_day, today)
        daily = self.query_one("#plot-daily", PlotextPlot)
        plt = daily.plt
        plt.clear_data()
        plt.clear_figure()
        plt.bar(xs, ys, marker="hd")
        plt.title(f"Reviews per day, last {DAYS} days")
        plt.xlabel("days ago")
        # explicit ticks: plotext's own choice changes with the size it was last drawn at
        plt.xticks([x for x in xs if x % 5 == 0])
        top = max([*ys, 4])
        step = max(1, -(-top // 4))
        plt.ylim(0, top)
        plt.yticks(list(range(0, top + 1, step)))
        daily.refresh()

        curves = self.query_one("#plot-curves", PlotextPlot)
        plt = curves.plt
        plt.clear_data()
        plt.clear_figure()
        observed = stats.forgetting_curves.get("observed", [])
        predicted = stats.forgetting_curves.get("predicted", [])
        if predicted:
            plt.plot(
                [d for d, _ in predicted],
                [100 * r for _, r in predicted],
                label="predicted from today",
                marker="braille",
            )
        if observed:
            plt.scatter(
                [d for d, _ in observed],
                [100 * r for _, r in observed],
                label="observed by interval",
                marker="dot",
            )
        plt.title("Retention over time: recall (%) against days since the last review")
        plt.xlabel("days")
        plt.ylim(0, 100)
        if not predicted and not observed:
            plt.title("Retention over time: no reviews yet")
        curves.refresh()
