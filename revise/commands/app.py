"""Opening the terminal app: `revise` with no command."""

from __future__ import annotations

import argparse


def run_app(args: argparse.Namespace) -> int:
    from revise.app import ReviseApp

    # the home (from --home, which the command line has put in $REVISE_HOME) is found when the
    # database opens, in the background, so that the first screen is not kept waiting
    ReviseApp().run()
    return 0
