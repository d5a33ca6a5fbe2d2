"""ID numbers' last four characters in the form the searches compare (full-width as ASCII, upper case)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import logging
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")


def _form(value: str) -> str:
    # frozen here, as it stood at this revision (central.models.base.code_form)
    return unicodedata.normalize("NFKC", value).strip().upper()


def upgrade() -> None:
    """Apply this revision."""
    # The import kept the last four as typed: "１２３ｘ" from a Chinese keyboard, which no search by
    # the last four ("123x", read as "123X") and no results import found. The hash was always taken
    # of the normalised number, so only these four characters change.
    person = sa.table("person", sa.column("id", sa.Integer), sa.column("id_last4", sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(person.c.id, person.c.id_last4).where(person.c.id_last4.is_not(None)))
    changed = [{"pid": pid, "last4": _form(last4)} for pid, last4 in rows if _form(last4) != last4]
    if changed:
        conn.execute(
            person.update().where(person.c.id == sa.bindparam("pid")).values(id_last4=sa.bindparam("last4")),
            changed,
        )
        logger.info("%d ID numbers' last four characters written in their code form", len(changed))


def downgrade() -> None:
    """Nothing to undo: the typed forms are not kept."""
