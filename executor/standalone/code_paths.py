"""Where the author's code runs: its folder first on ``sys.path``, its own working directory."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


# --- code ---
@contextmanager
def code_on_path(folder: Path) -> Iterator[None]:
    """``folder`` first on ``sys.path``; afterwards, its modules are forgotten again."""
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        root = str(folder.resolve())
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", None) or "").startswith(root):
                del sys.modules[name]


@contextmanager
def working_directory(folder: Path) -> Iterator[None]:
    """Run the author's code in ``folder``, so relative paths it writes land there."""
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
