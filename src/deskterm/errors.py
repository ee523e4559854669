"""The two roots of every error deskterm means to raise.

`UserError`: what the person at the keyboard (or a config file they wrote) got
wrong, or a change the desk refused. It is said in one line (exit code 2 on the
command line, a notice in the console) and nothing was changed.

`SystemFailure`: what deskterm could not do although the request was right (the
disk is full, the database server went away, a file could not be written). The
user can do nothing about the request; someone may have to fix the system.

Anything else escaping is a bug and must be seen. Each module keeps its own
classes (`DeskError`, `PolicyError`, `SettingError` ...) under these roots.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused change: one clear line, nothing changed."""


class SystemFailure(Exception):
    """The system could not do what was rightly asked: nothing changed either."""
