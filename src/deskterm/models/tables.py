"""A table model's SQLAlchemy `Table`, typed.

SQLModel gives each table model a `__table__` when the class is made, but does not
declare it, so a type checker cannot see it: this reads it once, checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Table

if TYPE_CHECKING:
    from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The `Table` SQLModel made for `model` (a class declared with `table=True`)."""
    found = model.__table__  # type: ignore[attr-defined]  # set by SQLModel, undeclared
    if not isinstance(found, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return found


class _Row(Protocol):
    id: int | None


def stored_id(row: _Row) -> int:
    """The id of a stored row. SQLModel types `id` as `int | None` because a row
    not yet flushed has none; a foreign key must name a stored one."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} is not stored yet: it has no id")
    return row.id
