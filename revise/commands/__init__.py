"""Sub-commands of `revise`: each module has `ORDER`, `add_parser(subparsers)` and sets `run`.

Modules are found automatically; keep their top-level imports light (argparse and stdlib).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_modules() -> list[ModuleType]:
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
    ]
    commands = [m for m in modules if hasattr(m, "add_parser")]
    return sorted(commands, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
