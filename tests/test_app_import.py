"""The first screen must not wait for torch: `import revise.app` loads neither torch nor SymPy."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "sympy", "numpy", "fsrs", "content", "pydantic", "yaml")


def test_import_app_loads_no_heavy_library() -> None:
    code = (
        "import json, sys\n"
        "import revise.app\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_cli_reaches_the_app_without_heavy_imports() -> None:
    # `revise` with no command builds the parser and imports the app module; nothing heavy yet
    code = (
        "import json, sys\n"
        "from revise.cli import build_parser\n"
        "build_parser()\n"
        "import revise.commands.app, revise.app\n"
        "print(json.dumps([m for m in ('torch', 'sympy', 'numpy') if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
