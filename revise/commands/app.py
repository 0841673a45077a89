"""Opening the terminal app: `revise` with no command."""

from __future__ import annotations

import argparse


def run_app(args: argparse.Namespace) -> int:
    from revise.app import ReviseApp

    ReviseApp().run()
    return 0
