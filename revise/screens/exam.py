"""The exam screen: set or change the date, the forecast per topic, and the exam drill.

With a date set, the Study predicts each item's recall on the exam day; the table lists topics
weakest-first, and the exam drill asks the items that would be forgotten soonest first.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Static

from revise.screens.home import exam_text
from revise.widgets.cursor import steady_cursors
from revise.widgets.topic_list import bar, percent

if TYPE_CHECKING:
    from revise.app import ReviseApp
    from revise.study import Forecast

_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?$")


def parse_exam_date(text: str, now: datetime | None = None) -> datetime:
    """`2027-01-15` or `2027-01-15 14:00` (local time; 09:00 when no time is given), as UTC.

    Raises ValueError with a message that says what to write.
    """
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError("write the date as YYYY-MM-DD, optionally with a time: 2027-01-15 14:00")
    year, month, day, hour, minute = match.groups()
    try:
        local = datetime(int(year), int(month), int(day), int(hour or 9), int(minute or 0))
    except ValueError as exc:
        raise ValueError(f"not a date: {exc}") from None
    when = local.astimezone(UTC)
    if now is not None and when <= now:
        raise ValueError("that is in the past: the exam date must be ahead")
    return when


def date_text(when: datetime | None) -> str:
    return "" if when is None else when.astimezone().strftime("%Y-%m-%d %H:%M")


class DatePrompt(ModalScreen[datetime | None]):
    """Asks for the exam date; returns it, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: datetime | None, now: datetime) -> None:
        super().__init__()
        self.current = current
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical(id="date-dialog", classes="dialog"):
            yield Static(Text("Exam date", style="bold"))
            yield Static(
                Text("YYYY-MM-DD, optionally HH:MM (local time; 09:00 if left out)", style="dim")
            )
            yield Input(date_text(self.current), placeholder="2027-01-15 09:00", id="date-input")
            yield Static("", id="date-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="date-save")
                yield Button("Cancel", id="date-cancel")

    def on_mount(self) -> None:
        steady_cursors(self)
        self.query_one(Input).focus()

    @on(Input.Submitted, "#date-input")
    @on(Button.Pressed, "#date-save")
    def _save(self) -> None:
        try:
            when = parse_exam_date(self.query_one(Input).value, self.now)
        except ValueError as exc:
            self.query_one("#date-error", Static).update(str(exc))
            return
        self.dismiss(when)

    @on(Button.Pressed, "#date-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def pace_text(forecast: Forecast) -> Text:
    """The pace the exam asks for, and what the table's two numbers mean."""
    from revise.schedule.exam import RESERVE_DAYS

    text = Text()
    days = math.floor(forecast.days_left or 0.0)
    if forecast.exam_at is not None and not forecast.passed and days >= 1:
        unseen = forecast.unseen
        if unseen:
            # every item met a few days before the exam, so that it is reviewed at least once
            reserve = min(RESERVE_DAYS, days // 2)
            needed = math.ceil(unseen / max(1, days - reserve))
            text.append("\npace needed: ")
            text.append(f"{needed} new item{'s' if needed != 1 else ''} a day", style="bold")
            text.append(
                f" ({unseen} not seen yet, all met {reserve} day{'s' if reserve != 1 else ''} "
                "before the exam)"
            )
            if forecast.new_per_day is not None:
                text.append(f"; today's new items: {forecast.new_per_day}", style="dim")
        else:
            text.append("\nevery item has been seen: keep up the due reviews")
    text.append(
        "\nRecall now: the chance of recalling a topic's items today (never seen: 0). "
        "On exam day: the same, predicted for the exam day if nothing more is revised.",
        style="dim",
    )
    return text


class ExamScreen(Screen[None]):
    """The exam countdown and the per-topic forecast."""

    BINDINGS = [
        Binding("escape", "app.home", "Back"),
        Binding("d", "set_date", "Set date"),
        Binding("c", "clear_date", "Clear date"),
        Binding("enter", "drill", "Exam drill", key_display="⏎"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.forecast: Forecast | None = None

    @property
    def revise(self) -> ReviseApp:
        return cast("ReviseApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="exam"):
            yield Static("", id="exam-summary", classes="panel")
            with Horizontal(id="exam-actions"):
                yield Button("Set date (d)", id="exam-set", compact=True)
                yield Button("Clear (c)", id="exam-clear", compact=True)
                yield Button("Exam drill (⏎)", id="exam-drill", variant="primary", compact=True)
            yield DataTable(id="exam-topics", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Exam"
        table = self.query_one(DataTable)
        for label, key in (
            ("Topic", "topic"),
            ("Seen", "seen"),
            ("Due", "due"),
            ("Recall now", "mastery"),
            ("On exam day", "recall"),
        ):
            table.add_column(label, key=key)
        table.loading = True
        self.load()

    @work(exclusive=True, group="exam")
    async def load(self) -> None:
        if not await self.revise.wait_ready():
            self.query_one("#exam-summary", Static).update(self.revise.load_error or "")
            return
        self.forecast = await self.revise.backend.call(lambda s: s.forecast())
        self.show(self.forecast)
        outlook = await self.revise.backend.call(lambda s: s.exam_outlook())
        if outlook is not None and self.forecast is not None:
            from revise.study_text import outlook_line

            summary = exam_text(self.forecast, "d: set the date")
            self.query_one("#exam-summary", Static).update(
                Text.assemble(summary, "\n", outlook_line(outlook), " following the plan.")
            )

    def show(self, forecast: Forecast) -> None:
        summary = exam_text(forecast, "d: set the date")
        summary.append_text(pace_text(forecast))
        self.query_one("#exam-summary", Static).update(summary)
        table = self.query_one(DataTable)
        table.loading = False
        table.clear()
        # weakest on the exam day first; without a date, least mastered first
        rows = sorted(
            forecast.topics,
            key=lambda t: (t.exam_recall if t.exam_recall is not None else t.mastery, t.title),
        )
        # the numbers keep their columns; the title gets what is left of the width
        width = max(14, self.size.width - 52)
        for t in rows:
            table.add_row(
                t.title if len(t.title) <= width else t.title[: width - 1] + "…",
                Text(f"{t.seen}/{t.cards}", justify="right"),
                Text(str(t.due), justify="right"),
                Text.assemble(bar(t.mastery, 10), f" {percent(t.mastery):>4}"),
                Text(percent(t.exam_recall), justify="right"),
                key=t.topic,
            )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_date":
            return self.forecast is not None and self.forecast.exam_at is not None
        return True

    @on(Button.Pressed, "#exam-set")
    def action_set_date(self) -> None:
        current = self.forecast.exam_at if self.forecast else None
        self._ask_date(current)

    @work(exclusive=True, group="exam-date")
    async def _ask_date(self, current: datetime | None) -> None:
        now = self.revise.now()
        when = await self.app.push_screen_wait(DatePrompt(current, now))
        if when is None:
            return
        await self.revise.backend.call(lambda s: s.save_settings(replace(s.settings, exam_at=when)))
        self.notify(f"Exam set for {date_text(when)}.")
        self.load()

    @on(Button.Pressed, "#exam-clear")
    def action_clear_date(self) -> None:
        self._clear()

    @work(exclusive=True, group="exam-date")
    async def _clear(self) -> None:
        await self.revise.backend.call(lambda s: s.save_settings(replace(s.settings, exam_at=None)))
        self.notify("Exam date cleared.")
        self.load()

    @on(Button.Pressed, "#exam-drill")
    def action_drill(self) -> None:
        self.revise.action_exam_drill()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.revise.action_exam_drill()

    def palette_commands(self) -> list[tuple[str, str, object]]:
        return [
            ("Set the exam date", "Pick the day the schedule works towards", self.action_set_date),
            ("Clear the exam date", "Back to ordinary spaced repetition", self.action_clear_date),
            ("Start the exam drill", "Weakest at the exam first", self.action_drill),
        ]
