"""The topic table of the home and exam screens: progress bars, due and new counts, exam recall."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

BAR_WIDTH = 12
#: columns the other cells take, padding included: titles get what is left
FIXED_COLUMNS = 47
MIN_TITLE = 14


def bar(fraction: float, width: int = BAR_WIDTH) -> Text:
    """A progress bar as text: filled eighths, so that small progress still shows."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part and full < width else ""
    filled = "█" * full + partial
    return Text.assemble((filled, "bold green"), ("·" * (width - len(filled)), "dim"))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@dataclass(frozen=True)
class TopicRow:
    """What one topic row shows."""

    id: str
    title: str
    seen: int
    total: int
    due: int
    new: int
    exam_recall: float | None


class TopicTable(DataTable[Text | str]):
    """One row per topic; the row key is the topic id, so screens can ask which is selected."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._rows: list[TopicRow] = []
        self._title_width = 0

    def _fit(self, title: str) -> str:
        width = max(MIN_TITLE, self._title_width)
        return title if len(title) <= width else title[: width - 1] + "…"

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width - FIXED_COLUMNS
        if width != self._title_width:
            self._title_width = width
            if self._rows:
                self.show(self._rows)

    def on_mount(self) -> None:
        self.add_column("Topic", key="topic")
        self.add_column("Progress", key="progress")
        self.add_column("Seen", key="seen")
        self.add_column("Due", key="due")
        self.add_column("New", key="new")
        self.add_column("Exam day", key="exam")

    def show(self, rows: list[TopicRow]) -> None:
        """Replace the rows, keeping the cursor on the same topic where it still exists."""
        keep = self.selected_topic
        self._rows = list(rows)
        self.clear()
        for r in rows:
            fraction = r.seen / r.total if r.total else 0.0
            self.add_row(
                self._fit(r.title),
                bar(fraction),
                Text(f"{r.seen}/{r.total}", justify="right"),
                Text(str(r.due), justify="right", style="bold" if r.due else "dim"),
                Text(str(r.new), justify="right", style="" if r.new else "dim"),
                Text(percent(r.exam_recall), justify="right"),
                key=r.id,
            )
        if keep is not None:
            ids = [r.id for r in rows]
            if keep in ids:
                self.move_cursor(row=ids.index(keep), animate=False)

    @property
    def selected_topic(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return str(key.value) if key.value is not None else None
