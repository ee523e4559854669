"""The core (models, sla, desk, store) never imports the terminal UI.

Both front ends, the CLI and the console, must behave the same, and every use
case must be testable without a terminal (harlequin keeps the same contract).
"""

from __future__ import annotations

import subprocess
import sys

CORE = ["deskterm.sla", "deskterm.sla.catalog", "deskterm.clock", "deskterm.settings"]


def test_importing_the_core_loads_neither_textual_nor_rich() -> None:
    probe = (
        "import sys, importlib\n"
        f"for name in {CORE!r}: importlib.import_module(name)\n"
        "import pkgutil, deskterm\n"
        "for sub in ('models', 'desk', 'store', 'mail'):\n"
        "    try:\n"
        "        package = importlib.import_module('deskterm.' + sub)\n"
        "    except ModuleNotFoundError:\n"
        "        continue\n"
        "    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
