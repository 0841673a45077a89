"""Where revise keeps a student's data: `--home`, else `$REVISE_HOME`, else the user data folder."""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import UserError

ENV_VAR = "REVISE_HOME"
DB_NAME = "revise.db"


def home_dir(override: str | Path | None = None) -> Path:
    """The data folder (created on demand): the override, `$REVISE_HOME`, or platformdirs'."""
    if override:
        path = Path(override)
    elif os.environ.get(ENV_VAR):
        path = Path(os.environ[ENV_VAR])
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("revise", appauthor=False))
    path = path.expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot use {path} as the revise home: {exc.strerror or exc}") from None
    if not path.is_dir():
        raise UserError(f"the revise home {path} is not a folder")
    return path


def db_path(home: Path) -> Path:
    """The database file inside a home."""
    return home / DB_NAME
