"""Errors a user can act on: each message says what is wrong and what would be right."""

from __future__ import annotations


class DeskError(Exception):
    """Bad input or a refused change; nothing was written."""


class NotFound(DeskError):
    pass


class InvalidMove(DeskError):
    pass


class Conflict(DeskError):
    """The case changed since the caller loaded it; the message names who and what."""


class StorageError(DeskError):
    """The database could not take the change (disk full, read-only, I/O error, lost
    server); the transaction was rolled back, so nothing was written."""
