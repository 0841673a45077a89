"""`revise serve`: the app over HTTP through textual-serve, and in a real (headless) browser."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(home: Path) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "REVISE_HOME": str(home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "revise.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if server.poll() is not None:
                    output = server.stdout.read().decode() if server.stdout else ""
                    raise AssertionError(output) from None
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_answers_http_on_localhost(tmp_path: Path) -> None:
    with serving(tmp_path / "home") as port:
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read().decode()
    assert "textual.js" in page and f"127.0.0.1:{port}" in page


def test_a_port_in_use_is_one_line(cli, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = cli("--home", str(tmp_path), "serve", "--port", str(port))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "in use" in r.stderr and "Traceback" not in r.stderr


def _settled(page, timeout: float = 90.0) -> bytes:
    """The screen once it has stopped changing for a second (the app draws in the background)."""
    deadline = time.monotonic() + timeout
    last = page.screenshot()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = page.screenshot()
        if now == last:
            return now
        last = now
    return last


def _changed(page, before: bytes, timeout: float = 90.0) -> None:
    """Wait until the screen differs from `before` and has settled."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and page.screenshot() == before:
        time.sleep(0.3)
    _settled(page, max(5.0, deadline - time.monotonic()))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_a_quiz_answered_in_a_browser(tmp_path: Path) -> None:
    """Headless Chromium opens the page, the home screen draws, a quiz question is answered and
    rated, and the review is in the history."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    home = tmp_path / "home"
    shots = Path(os.environ.get("REVISE_SCREENSHOTS", tmp_path))
    with serving(home) as port, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("canvas.xterm-text-layer", timeout=90_000)
        page.locator(".xterm-helper-textarea").focus()
        # the app opens the collection once the course has loaded in its background
        deadline = time.monotonic() + 120
        while not (home / "revise.db").exists() and time.monotonic() < deadline:
            time.sleep(0.3)
        home_screen = _settled(page)
        page.screenshot(path=str(shots / "serve-home.png"))
        page.keyboard.press("ArrowDown")  # Activation functions: a topic with questions
        page.keyboard.press("Enter")
        _changed(page, home_screen)
        question = page.screenshot()
        page.keyboard.type("0.5")
        page.keyboard.press("Enter")
        _changed(page, question)
        page.screenshot(path=str(shots / "serve-quiz.png"))
        page.keyboard.press("Enter")  # take the suggested rating
        deadline = time.monotonic() + 60
        reviews = 0
        while time.monotonic() < deadline and reviews == 0:
            r = subprocess.run(
                [sys.executable, "-m", "revise.cli", "--home", str(home), "stats", "--json"],
                capture_output=True,
                text=True,
            )
            reviews = json.loads(r.stdout)["reviews_total"] if r.returncode == 0 else 0
        browser.close()
    assert reviews == 1
    assert (shots / "serve-home.png").stat().st_size > 20_000  # a drawn screen, not a blank one
