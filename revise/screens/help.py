"""The help screen: every key of every screen, read from the screens' own bindings."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

ANSWERS = (
    "Numbers: 12, 0.25, 3/14, sqrt(2)/2, e^-1, 4.2e-3 · lists: [0.5, 0.25] or 0.5, 0.25 · "
    "matrices: [[1, 2], [3, 4]] or 1 2; 3 4 · sizes: 16, 16x16 · expressions: 3x^2 + 2 sin(x). "
    "The line under the answer box shows how your answer is read before it is checked; Enter "
    "on an empty answer shows the worked solution."
)

KEY_NAMES = {
    "question_mark": "?",
    "comma": ",",
    "space": "space",
    "escape": "esc",
    "enter": "⏎",
}


def key_text(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    keys = [KEY_NAMES.get(k, k) for k in binding.key.split(",")]
    return " / ".join(keys)


def bindings_of(bindings: list[BindingType]) -> list[Binding]:
    return [b for b in bindings if isinstance(b, Binding)]


def sections() -> list[tuple[str, list[Binding]]]:
    """(screen name, its bindings) for every screen, in the order a student meets them."""
    from revise.app import ReviseApp
    from revise.screens.drill import DrillScreen
    from revise.screens.exam import ExamScreen
    from revise.screens.explorer import ExplorerScreen
    from revise.screens.home import HomeScreen
    from revise.screens.quiz import QuizScreen
    from revise.screens.settings import SettingsScreen
    from revise.screens.stats import StatsScreen
    from revise.screens.summary import SummaryScreen

    return [
        (
            "Everywhere",
            bindings_of(ReviseApp.BINDINGS)
            + [Binding("ctrl+p", "", "Command palette: every action")],
        ),
        ("Home", bindings_of(HomeScreen.BINDINGS)),
        ("Quiz / review", bindings_of(QuizScreen.BINDINGS)),
        ("Drill", bindings_of(DrillScreen.BINDINGS)),
        ("Summary", bindings_of(SummaryScreen.BINDINGS)),
        ("Explorer", bindings_of(ExplorerScreen.BINDINGS)),
        ("Exam", bindings_of(ExamScreen.BINDINGS)),
        ("Stats", bindings_of(StatsScreen.BINDINGS)),
        ("Settings", bindings_of(SettingsScreen.BINDINGS)),
    ]


def keys_table() -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1))
    table.add_column(style="bold", justify="right", no_wrap=True)
    table.add_column()
    for title, bindings in sections():
        table.add_row(Text(title, style="bold underline"), "")
        for b in bindings:
            table.add_row(key_text(b), b.description)
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    """Keys of every screen, and how to write answers."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield Static(Text("Keys", style="bold"), classes="screen-title")
            yield Static(keys_table())
            yield Static(Text("Writing answers", style="bold"), classes="screen-title")
            yield Static(ANSWERS)
            yield Static(Text("esc closes this help · the mouse works everywhere too", style="dim"))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
