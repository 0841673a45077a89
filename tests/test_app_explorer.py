"""The explorer: a form from the parameter model, bad values marked inline, the trace, Markdown."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from app_support import SIZE, make_app, ready, text_of, until, utc_zone
from textual.widgets import Input

from revise.screens.explorer import ExplorerScreen
from revise.widgets.param_form import ParamForm, fields_of, read_text
from revise.widgets.trace_view import StepView

utc = pytest.fixture(autouse=True)(utc_zone)


def test_fields_follow_the_parameter_model() -> None:
    from engine.catalog import load_catalog
    from engine.examples import EXAMPLES

    rows = {r["id"]: r for r in load_catalog()}
    fields = {f.name: f for f in fields_of(rows["gcn.layer"], EXAMPLES["gcn.layer"])}
    assert fields["normalization"].kind == "choice"
    assert "symmetric" in fields["normalization"].choices
    assert fields["self_loops"].kind == "bool"
    assert fields["adjacency"].value == EXAMPLES["gcn.layer"]["adjacency"]
    assert read_text("[[1, 2], [3, 4]]") == [[1, 2], [3, 4]]
    assert read_text("x^2 sin(3x)") == "x^2 sin(3x)"


async def open_problem(pilot, problem: str) -> ExplorerScreen:
    app = pilot.app
    await ready(pilot)
    app.action_explorer(problem)
    await until(
        pilot,
        lambda: isinstance(app.screen, ExplorerScreen) and app.screen.markdown is not None,
        "a trace",
    )
    return app.screen


def test_bad_value_marked_then_fixed(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_problem(pilot, "conv2d.output_size")
            kernel = screen.query_one("#field-kernel", Input)
            kernel.value = "-3"
            await until(
                pilot, lambda: screen.query_one("#param-kernel").has_class("-invalid"), "the mark"
            )
            assert "positive integer" in text_of(app, "#param-kernel .param-error")
            await until(pilot, lambda: not screen.query(StepView), "the old trace gone")
            kernel.value = "3"
            await until(
                pilot,
                lambda: (
                    screen.markdown is not None
                    and not screen.query_one("#param-kernel").has_class("-invalid")
                ),
                "the fix",
            )
            assert screen.query(StepView)
            assert screen.query_one(ParamForm).values()["kernel"] == 3

    asyncio.run(scenario())


def test_filter_choose_copy_and_save(tmp_path: Path) -> None:
    copied: list[str] = []

    async def scenario() -> None:
        app = make_app(tmp_path)
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("e")
            await until(
                pilot,
                lambda: isinstance(app.screen, ExplorerScreen) and app.screen.rows,
                "the problem list",
            )
            screen = app.screen
            await pilot.press(*"params.linear", "enter")
            await until(
                pilot,
                lambda: screen.problem == "params.linear" and screen.markdown is not None,
                "the trace",
            )
            await until(
                pilot,
                lambda: "checked against torch" in text_of(app, "#trace-heading"),
                "the cross-check",
            )
            await pilot.press("ctrl+y")
            assert copied and copied[0].startswith("## params.linear")
            assert "$$" in copied[0]
            await pilot.press("ctrl+s")
            saved = tmp_path / "exports" / "params.linear.md"
            await until(pilot, saved.exists, "the file")
            assert "Checked against torch" in saved.read_text(encoding="utf-8")

    asyncio.run(scenario())


def test_every_bad_value_is_marked_at_once_and_undiscounted_runs_with_iterations(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_problem(pilot, "rl.value_iteration")
            form = screen.query_one(ParamForm)
            P = form.values()["P"]
            P[0][0] = [x * 1.5 for x in P[0][0]]  # no longer sums to 1
            screen.query_one("#field-P", Input).value = json.dumps(P)
            screen.query_one("#field-gamma", Input).value = "1.5"
            await until(
                pilot,
                lambda: (
                    screen.query_one("#param-P").has_class("-invalid")
                    and screen.query_one("#param-gamma").has_class("-invalid")
                ),
                "both marks",
            )
            assert "sum to 1" in text_of(app, "#param-P .param-error")
            assert "[0, 1]" in text_of(app, "#param-gamma .param-error")
            # γ = 1 with a fixed number of backups is a legal call
            P[0][0] = [x / 1.5 for x in P[0][0]]
            screen.query_one("#field-P", Input).value = json.dumps(P)
            screen.query_one("#field-gamma", Input).value = "1"
            screen.query_one("#field-iterations", Input).value = "3"
            await until(
                pilot,
                lambda: (
                    screen.markdown is not None
                    and not screen.query_one("#param-gamma").has_class("-invalid")
                ),
                "the trace with γ = 1",
            )
            assert screen.query(StepView)

    asyncio.run(scenario())


def test_filter_and_enter_open_the_best_match(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            app.action_explorer()
            await until(
                pilot,
                lambda: isinstance(app.screen, ExplorerScreen) and app.screen.rows,
                "the problem list",
            )
            screen = app.screen
            await pilot.press(*"value", "enter")
            await until(pilot, lambda: screen.problem is not None, "a problem")
            # a problem named by the word, not the first whose summary mentions it (activation)
            assert screen.problem == "rl.value_iteration"
            await pilot.press("ctrl+f", "ctrl+u", *"value it", "enter")
            await until(pilot, lambda: screen.problem == "rl.value_iteration", "value iteration")
            # a long parameter name keeps to its column, clear of its field
            await until(pilot, lambda: screen.query(ParamForm), "the form")
            app.action_explorer("optim.step")
            await until(
                pilot,
                lambda: (
                    isinstance(app.screen, ExplorerScreen)
                    and app.screen.query("#param-initial_accumulator_value")
                ),
                "the optimiser's form",
            )
            box = app.screen.query_one("#param-initial_accumulator_value")
            label = box.query_one(".param-name")
            field = box.query_one("#field-initial_accumulator_value")
            await pilot.pause(0.2)
            assert label.region.right <= field.region.x
            assert label.region.width >= len("initial_accumulator_value")

    asyncio.run(scenario())
