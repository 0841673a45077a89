"""`revise serve`: the app in a web browser, through textual-serve.

Each browser tab that opens the page gets its own app process (textual-serve starts one per
connection), run with this home folder. There are no accounts: every tab shares the one review
history of `--home`. Binds to 127.0.0.1 unless told otherwise; docs/lms.md says what to put in
front of it to share it with a class.
"""

from __future__ import annotations

import argparse
from typing import Any

ORDER = 80


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="the app in a web browser (textual-serve), on this machine by default",
        description="Serve the app over HTTP: open the printed address in a browser and each "
        "tab runs its own copy of the app, with the review history of --home. It listens on "
        "127.0.0.1 (this machine only) unless --host says otherwise; it has no accounts, so "
        "put a login in front of it before sharing it (see docs/lms.md).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when a proxy sits in front (default http://HOST:PORT)",
    )
    p.set_defaults(run=run)


def app_command() -> str:
    """The shell command textual-serve runs for each tab: this Python, this revise."""
    import shlex
    import sys

    return shlex.join([sys.executable, "-m", "revise.cli"])


def run(args: argparse.Namespace) -> int:
    import socket

    from engine.errors import UserError
    from revise.paths import home_dir

    if not 1 <= args.port <= 65535:
        raise UserError(f"--port {args.port} must be from 1 to 65535")
    try:  # a port in use is a person's mistake: say so before textual-serve fails noisily
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as exc:
        reason = "it is in use" if exc.errno == 98 else (exc.strerror or "refused")
        raise UserError(f"cannot listen on {args.host}:{args.port}: {reason}") from None

    import os

    from textual_serve.server import Server

    home = home_dir(None)
    os.environ["REVISE_HOME"] = str(home)  # every tab's app process inherits it
    server = Server(app_command(), host=args.host, port=args.port, title="revise",
                    public_url=args.public_url)  # fmt: skip
    print(
        f"Serving revise at {server.public_url} (home {home}); each browser tab runs its own "
        "app. Ctrl+C stops.",
        flush=True,
    )
    server.serve()
    return 0
