"""Alembic environment: runs against the engine deskterm hands over, never an ini file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from deskterm.models import load_all

load_all()  # registers every table on SQLModel.metadata
engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
