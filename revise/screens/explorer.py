"""The explorer: any problem, your own numbers, the worked trace — the app's `revise solve`.

Pick a problem on the left (type to filter); its parameters appear as a form generated from the
problem's parameter model, filled with the engine's example call. Every change re-solves in a
worker after a short pause: first the engine's trace (instant), then the torch/SymPy
cross-check. A bad value is marked under its field with the engine's one-line message. The trace
can be copied to the clipboard or saved as Markdown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from revise.widgets.cursor import steady_cursors
from revise.widgets.param_form import ParamForm, fields_of
from revise.widgets.trace_view import RenderedStep, TraceView, checked_line

if TYPE_CHECKING:
    from revise.app import ReviseApp

#: seconds of quiet after an edit before solving again
DEBOUNCE = 0.3


def ranked(rows: dict[str, dict[str, Any]], query: str) -> list[str]:
    """The problems matching every word of `query`, best first: words in the id before words
    only in the topic or summary (`value` puts the value problems before activation), then
    ids that start with the query, then how often the words occur (a problem about the thing
    names it more: rl.value_iteration before gan.value), then catalogue order."""
    words = query.lower().split()
    scored = []
    for order, (pid, row) in enumerate(rows.items()):
        name = pid.lower()
        haystack = f"{name} {row['topic']} {row['summary']}".lower()
        if not all(w in haystack for w in words):
            continue
        in_name = sum(w in name for w in words)
        starts = bool(words) and name.startswith(words[0])
        mentions = sum(haystack.count(w) for w in words)
        scored.append((-in_name, not starts, -mentions, order, pid))
    return [pid for *_, pid in sorted(scored)]


def field_of(param: str | None, names: list[str]) -> str | None:
    """The form field a ProblemError's parameter path (`w1`, `x.[0]`, `layers.[1].kernel`) names."""
    if not param:
        return None
    root = param.split(".")[0].split("[")[0]
    return root if root in names else None


class ExplorerScreen(Screen[None]):
    """Problem list, generated form, live worked trace."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        # priority: a text field binds ctrl+f (delete the word to the right) for itself
        Binding("ctrl+f", "find", "Find problem", priority=True),
        Binding("ctrl+y", "copy", "Copy Markdown"),
        Binding("ctrl+s", "save", "Save Markdown"),
    ]

    class Catalog(Message):
        def __init__(self, rows: list[dict[str, Any]], examples: dict[str, Any]) -> None:
            super().__init__()
            self.rows = rows
            self.examples = examples

    class Solved(Message):
        def __init__(
            self, serial: int, steps: list[RenderedStep], answer: str, markdown: str
        ) -> None:
            super().__init__()
            self.serial = serial
            self.steps = steps
            self.answer = answer
            self.markdown = markdown

    class Checked(Message):
        def __init__(self, serial: int, line: str, markdown: str | None) -> None:
            super().__init__()
            self.serial = serial
            self.line = line
            self.markdown = markdown

    class Invalid(Message):
        """Bad values: a message per field (all the engine found), and any not about a field."""

        def __init__(self, serial: int, fields: dict[str, str], other: list[str]) -> None:
            super().__init__()
            self.serial = serial
            self.fields = fields
            self.other = other

    def __init__(self, problem: str | None = None, params: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.start_problem = problem
        self.start_params = params
        self.rows: dict[str, dict[str, Any]] = {}
        self.examples: dict[str, Any] = {}
        self.problem: str | None = None
        self.serial = 0
        self.markdown: str | None = None
        self._timer: Timer | None = None

    @property
    def revise(self) -> ReviseApp:
        return cast("ReviseApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="explorer"):
            with Vertical(id="problem-pane"):
                yield Input(placeholder="filter problems", id="problem-filter", compact=True)
                yield OptionList(id="problem-list")
            with VerticalScroll(id="work-pane"):
                yield Static(Text("Loading the problems…", style="dim"), id="problem-title")
                yield Vertical(id="form-slot")
                yield Static("", id="solve-status")
                yield TraceView(id="explorer-trace")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        steady_cursors(self)
        self.sub_title = "Explorer"
        self.load_catalog()

    @work(thread=True, exclusive=True, group="catalog")
    def load_catalog(self) -> None:
        from engine.catalog import load_catalog
        from engine.examples import EXAMPLES

        self.post_message(self.Catalog(load_catalog(), EXAMPLES))

    @on(Catalog)
    def _catalog(self, event: Catalog) -> None:
        self.rows = {row["id"]: row for row in event.rows}
        self.examples = event.examples
        self._fill_list("")
        start = self.start_problem if self.start_problem in self.rows else None
        if start is not None:
            self.choose(start, self.start_params)
        else:
            self.query_one("#problem-title", Static).update(
                Text("Choose a problem on the left (type to filter, Enter to open).", style="dim")
            )
            self.query_one("#problem-filter", Input).focus()

    def _fill_list(self, query: str) -> None:
        options = [Option(pid, id=pid) for pid in ranked(self.rows, query)]
        listing = self.query_one("#problem-list", OptionList)
        listing.clear_options()
        listing.add_options(options)
        if options:
            listing.highlighted = 0

    @on(Input.Changed, "#problem-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._fill_list(event.value)

    @on(Input.Submitted, "#problem-filter")
    def _filter_enter(self, event: Input.Submitted) -> None:
        event.stop()
        listing = self.query_one("#problem-list", OptionList)
        if listing.highlighted is not None:
            option = listing.get_option_at_index(listing.highlighted)
            if option.id:
                self.choose(option.id)

    @on(OptionList.OptionSelected, "#problem-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.choose(event.option.id)

    def choose(self, problem: str, params: dict[str, Any] | None = None) -> None:
        """Open a problem: build its form (from `params`, else the example call) and solve it."""
        self.serial += 1  # answers about the previous problem are stale from now on
        self.problem = problem
        self.markdown = None
        self.refresh_bindings()
        self._open(problem, params)

    @work(exclusive=True, group="open")
    async def _open(self, problem: str, params: dict[str, Any] | None) -> None:
        row = self.rows[problem]
        self.sub_title = f"Explorer · {problem}"
        self.query_one("#problem-title", Static).update(
            Text.assemble((problem, "bold"), "\n", (row["summary"], "italic"))
        )
        start = params if params is not None else self.examples.get(problem)
        slot = self.query_one("#form-slot", Vertical)
        await slot.remove_children()
        self.query_one(TraceView).clear()
        form = ParamForm(fields_of(row, start), id="param-form")
        await slot.mount(form)
        controls = form.query(".param-control")
        if controls:
            controls.first().focus()
        self.solve_now(form.values())

    @on(ParamForm.Changed)
    def _changed(self, event: ParamForm.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        params = event.params
        self._timer = self.set_timer(DEBOUNCE, lambda: self.solve_now(params))

    def solve_now(self, params: dict[str, Any]) -> None:
        if self.problem is None:
            return
        self.serial += 1
        self.markdown = None
        self.refresh_bindings()
        self._status(Text("solving…", style="dim"))
        self._solve(self.serial, self.problem, params, self.revise.device)

    @work(thread=True, exclusive=True, group="solve")
    def _solve(self, serial: int, problem: str, params: dict[str, Any], device: str) -> None:
        from engine.errors import ProblemError, UserError, VerificationError
        from engine.registry import get_problem
        from engine.solve import solve
        from revise.render.values import answer_expressions
        from revise.widgets.trace_view import answer_text, render_steps, solution_markdown

        names = [p["name"] for p in self.rows[problem]["parameters"]]
        summary = get_problem(problem).summary
        try:
            solution = solve(problem, params, verify=False)
        except ProblemError as exc:
            fields: dict[str, str] = {}
            other: list[str] = []
            for param, message in ((exc.param, exc.message), *exc.more):
                field = field_of(param, names)
                if field is None:
                    other.append(f"{param}: {message}" if param else message)
                else:
                    fields.setdefault(field, message)
            self.post_message(self.Invalid(serial, fields, other))
            return
        except Exception as exc:  # a bug in a problem: say so here instead of closing the app
            message = f"internal error, a bug in revise: {type(exc).__name__}: {exc}"
            self.post_message(self.Invalid(serial, {}, [message]))
            return
        self.post_message(
            self.Solved(
                serial,
                render_steps(solution),
                answer_text(solution.answer, answer_expressions(solution.problem)),
                solution_markdown(solution, summary),
            )
        )
        try:
            checked = solve(problem, params, device=device, verify=True)
        except VerificationError as exc:
            self.post_message(self.Checked(serial, f"Worked solution — ⚠ {exc}", None))
            return
        except UserError as exc:
            self.post_message(
                self.Checked(serial, f"Worked solution — not cross-checked: {exc}", None)
            )
            return
        line = checked_line(checked.verified)
        self.post_message(self.Checked(serial, line, solution_markdown(checked, summary)))

    @on(Solved)
    def _solved(self, event: Solved) -> None:
        if event.serial != self.serial:
            return
        self.query_one(ParamForm).mark({})
        self.markdown = event.markdown
        self._status(None)
        self.query_one(TraceView).show(
            event.steps, "Worked solution — cross-checking…", event.answer
        )
        self.refresh_bindings()

    @on(Checked)
    def _checked(self, event: Checked) -> None:
        if event.serial != self.serial:
            return
        if event.markdown is not None:
            self.markdown = event.markdown
            self.refresh_bindings()
        self.query_one(TraceView).set_heading(event.line)

    @on(Invalid)
    def _invalid(self, event: Invalid) -> None:
        if event.serial != self.serial:
            return
        form = self.query_one(ParamForm)
        form.mark(event.fields)
        # a bad field is marked under itself; anything else is said above the trace
        other = Text("\n").join(Text.assemble(("✗ ", "bold red"), m) for m in event.other)
        self._status(other if event.other else None)
        self.query_one(TraceView).clear()

    def _status(self, text: Text | None) -> None:
        status = self.query_one("#solve-status", Static)
        status.update(text or "")
        status.display = text is not None

    # --- actions ----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy", "save"):
            return self.markdown is not None
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_find(self) -> None:
        self.query_one("#problem-filter", Input).focus()

    def action_copy(self) -> None:
        if self.markdown is None:
            return
        self.app.copy_to_clipboard(self.markdown)
        lines = self.markdown.count("\n")
        self.notify(f"Copied the worked solution as Markdown ({lines} lines).")

    def action_save(self) -> None:
        if self.markdown is None or self.problem is None:
            return
        self._save(self.problem, self.markdown)

    @work(thread=True, group="save")
    def _save(self, problem: str, markdown: str) -> None:
        from engine.errors import UserError
        from revise.output_file import replaced_in_one_step
        from revise.paths import home_dir

        folder = home_dir(self.revise.backend.home) / "exports"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{problem}.md"
            with replaced_in_one_step(path) as scratch:  # the one safe writer, as for -o
                scratch.write_text(markdown, encoding="utf-8")
        except (OSError, UserError) as exc:
            self.app.call_from_thread(self.notify, f"Could not save: {exc}", severity="error")
            return
        self.app.call_from_thread(self.notify, f"Saved to {path}")

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        commands: list[tuple[str, str, Any]] = [
            ("Find a problem", "Filter the problem list", self.action_find)
        ]
        if self.markdown is not None:
            commands.append(("Copy trace as Markdown", "To the clipboard", self.action_copy))
            commands.append(
                ("Save trace as Markdown", "Into the home's exports folder", self.action_save)
            )
        return commands
