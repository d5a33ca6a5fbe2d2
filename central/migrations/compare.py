"""How autogenerate compares the models with a database and writes revisions (env.py and the tests)."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import DateTime, String
from sqlmodel.sql.sqltypes import AutoString

from central.models.base import UTCDateTime

TABLE_MODULES = "central.models"  # every table is there; the package imports each of its modules


def load_tables() -> None:
    """Import every table module, so SQLModel.metadata holds the whole schema."""
    importlib.import_module(TABLE_MODULES)


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our column types as plain SQLAlchemy ones, so a revision never imports the models."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def compare_type(ctx: Any, inspected: Any, metadata_col: Any, inspected_type: Any, metadata_type: Any) -> Any:
    """UTCDateTime is a DATETIME and AutoString a VARCHAR; the rest is Alembic's own comparison."""
    if isinstance(metadata_type, UTCDateTime):
        return not isinstance(inspected_type, DateTime)
    if isinstance(metadata_type, AutoString) and isinstance(inspected_type, String):
        return metadata_type.length != inspected_type.length
    return None


OPTIONS: dict[str, Any] = {
    "render_item": render_item,
    "compare_type": compare_type,
    "compare_server_default": True,
    # revisions are written in batch mode: SQLite cannot ALTER most things, so a batch copies the
    # table there; on PostgreSQL the same revision is a plain ALTER
    "render_as_batch": True,
    "user_module_prefix": "sa.",
}
