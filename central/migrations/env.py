"""Alembic's environment: the models' metadata, one connection handed in by central.migrations."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from central.migrations.compare import OPTIONS, load_tables


def run() -> None:
    """Online only: central.migrations always hands us a live connection."""
    load_tables()
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        **OPTIONS,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
