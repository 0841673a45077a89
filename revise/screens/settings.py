"""Settings: desired retention, daily limits, exam date, device and theme, saved in the home.

Each value is checked as it is typed and a bad one is marked under its field; the Study checks
them again when saving (its one-line message is shown if it refuses). The device choice appears
only where CUDA exists: that is found out in a worker (torch is imported only if an NVIDIA
driver is there at all). A theme is previewed at once and put back if you leave without saving.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static

from revise.screens.exam import date_text, parse_exam_date
from revise.widgets.cursor import steady_cursors

if TYPE_CHECKING:
    from revise.app import ReviseApp
    from revise.study import Settings

DEVICES = ("auto", "cpu", "cuda")


def read_form(values: dict[str, str], current: Settings) -> tuple[Settings | None, dict[str, str]]:
    """The settings the form's texts describe, or None and a message per bad field."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    try:
        retention = float(values["desired_retention"])
        if not 0.7 <= retention <= 0.97:
            raise ValueError
        changes["desired_retention"] = retention
    except ValueError:
        errors["desired_retention"] = "a number from 0.70 to 0.97 (0.9: forget one in ten)"
    for name, low, top in (
        ("new_per_day", 0, 1000),
        ("reviews_per_day", 0, 100_000),
        ("minutes_per_day", 5, 24 * 60),
    ):
        try:
            value = int(values[name])
            if not low <= value <= top:
                raise ValueError
            changes[name] = value
        except ValueError:
            errors[name] = f"a whole number from {low} to {top}"
    exam = values["exam_at"].strip()
    if exam:
        try:
            changes["exam_at"] = parse_exam_date(exam)
        except ValueError as exc:
            errors["exam_at"] = str(exc)
    else:
        changes["exam_at"] = None
    changes["device"] = values["device"] if values["device"] in DEVICES else "auto"
    changes["theme"] = values["theme"]
    if errors:
        return None, errors
    return replace(current, **changes), {}


def nvidia_driver_present() -> bool:
    """Whether an NVIDIA driver is installed (if not, CUDA cannot exist: no need for torch)."""
    return Path("/proc/driver/nvidia").exists() or shutil.which("nvidia-smi") is not None


class SettingsScreen(Screen[None]):
    """A form over the collection's settings."""

    BINDINGS = [
        Binding("escape", "cancel", "Back"),
        Binding("ctrl+s", "save", "Save"),
    ]

    FIELDS = (
        (
            "desired_retention",
            "Desired retention",
            "how likely you want to be to remember an item when it comes back",
        ),
        (
            "new_per_day",
            "New items per day",
            "new cards and questions introduced each day (an exam date may raise it)",
        ),
        ("reviews_per_day", "Reviews per day", "the most reviews asked in one day"),
        ("exam_at", "Exam date", "YYYY-MM-DD [HH:MM], local time; empty for no exam"),
        (
            "minutes_per_day",
            "Minutes a day",
            "with an exam date, each day's study is planned within this many minutes",
        ),
    )

    def __init__(self) -> None:
        super().__init__()
        self.current: Settings | None = None
        self.original_theme = ""

    @property
    def revise(self) -> ReviseApp:
        return cast("ReviseApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="settings"):
            for key, label, help_text in self.FIELDS:
                with Vertical(classes="setting", id=f"setting-{key}"):
                    with Horizontal(classes="setting-row"):
                        yield Label(label, classes="setting-name")
                        yield Input(id=f"set-{key}", classes="setting-control", compact=True)
                    yield Static(Text(help_text, style="dim"), classes="setting-help")
                    yield Static("", classes="setting-error")
            with Vertical(classes="setting", id="setting-device"):
                with Horizontal(classes="setting-row"):
                    yield Label("Device", classes="setting-name")
                    yield Select(
                        [(d, d) for d in DEVICES],
                        value="auto",
                        allow_blank=False,
                        id="set-device",
                        classes="setting-control",
                        compact=True,
                    )
                yield Static(
                    Text(
                        "where the torch cross-checks run (auto: CUDA when there is one)",
                        style="dim",
                    ),
                    classes="setting-help",
                )
            with Vertical(classes="setting", id="setting-theme"):
                with Horizontal(classes="setting-row"):
                    yield Label("Theme", classes="setting-name")
                    themes = sorted(self.app.available_themes)
                    yield Select(
                        [(t, t) for t in themes],
                        value=self.app.theme,
                        allow_blank=False,
                        id="set-theme",
                        classes="setting-control",
                        compact=True,
                    )
                yield Static(
                    Text("also in the command palette (ctrl+p → Theme)", style="dim"),
                    classes="setting-help",
                )
            with Horizontal(id="settings-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="settings-save", compact=True)
                yield Button("Cancel (esc)", id="settings-cancel", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        steady_cursors(self)
        self.sub_title = "Settings"
        self.original_theme = self.app.theme
        self.query_one("#setting-device").display = False
        self.query_one("#settings").loading = True
        self.load()
        self.detect_cuda()

    @work(exclusive=True, group="settings")
    async def load(self) -> None:
        if not await self.revise.wait_ready():
            return
        self.current = await self.revise.backend.call(lambda s: s.settings)
        s = self.current
        self.query_one("#set-desired_retention", Input).value = f"{s.desired_retention:g}"
        self.query_one("#set-new_per_day", Input).value = str(s.new_per_day)
        self.query_one("#set-reviews_per_day", Input).value = str(s.reviews_per_day)
        self.query_one("#set-exam_at", Input).value = date_text(s.exam_at)
        self.query_one("#set-minutes_per_day", Input).value = str(s.minutes_per_day)
        self.query_one("#set-device", Select).value = s.device if s.device in DEVICES else "auto"
        if s.device == "cuda":
            self.query_one("#setting-device").display = True
        self.query_one("#settings").loading = False
        self.query_one("#set-desired_retention", Input).focus()

    @work(thread=True, exclusive=True, group="cuda")
    def detect_cuda(self) -> None:
        if not nvidia_driver_present():
            return
        import torch

        if torch.cuda.is_available():
            self.app.call_from_thread(self._show_device)

    def _show_device(self) -> None:
        self.query_one("#setting-device").display = True

    def _values(self) -> dict[str, str]:
        values = {key: self.query_one(f"#set-{key}", Input).value for key, _, _ in self.FIELDS}
        values["device"] = str(self.query_one("#set-device", Select).value)
        values["theme"] = str(self.query_one("#set-theme", Select).value)
        return values

    def _mark(self, errors: dict[str, str]) -> None:
        for key, _, _ in self.FIELDS:
            box = self.query_one(f"#setting-{key}")
            box.set_class(key in errors, "-invalid")
            box.query_one(".setting-error", Static).update(errors.get(key, ""))

    @on(Input.Changed, ".setting-control")
    def _changed(self, event: Input.Changed) -> None:
        if self.current is not None:
            _, errors = read_form(self._values(), self.current)
            self._mark(errors)

    @on(Select.Changed, "#set-theme")
    def _theme(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value in self.app.available_themes:
            self.app.theme = event.value  # a preview: put back on cancel

    @on(Input.Submitted, ".setting-control")
    @on(Button.Pressed, "#settings-save")
    def action_save(self) -> None:
        if self.current is None:
            return
        settings, errors = read_form(self._values(), self.current)
        self._mark(errors)
        if settings is None:
            self.notify("Some values need fixing (marked in red).", severity="warning")
            return
        self._save(settings)

    @work(exclusive=True, group="settings-save")
    async def _save(self, settings: Settings) -> None:
        from engine.errors import UserError

        try:
            await self.revise.backend.call(lambda s: s.save_settings(settings))
        except UserError as exc:
            self.notify(str(exc), severity="error")
            return
        self.current = settings
        self.original_theme = settings.theme
        self.revise.device = settings.device
        self.notify("Settings saved.")

    @on(Button.Pressed, "#settings-cancel")
    def action_cancel(self) -> None:
        if self.app.theme != self.original_theme:
            self.app.theme = self.original_theme
        self.app.pop_screen()

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        return [("Save settings", "Keep these values", self.action_save)]
