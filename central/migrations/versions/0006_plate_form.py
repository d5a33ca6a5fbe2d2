"""Vehicle plates in their plate form (full-width as ASCII, upper case, no marks between the parts)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:15:00
"""

from __future__ import annotations

import logging
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

# a frozen copy of central.models.base.plate_form: a change of it must not change this upgrade
_PLATE_MARKS = re.compile(r"[\s·•・\-.]")


def plate_form(value: str) -> str:
    """A plate in its code form (full-width as ASCII, no surrounding spaces, upper case) without the
    marks written between its parts."""
    return _PLATE_MARKS.sub("", unicodedata.normalize("NFKC", value).strip().upper())


def upgrade() -> None:
    """Apply this revision."""
    # plates registered before the form was enforced (晋A·12345 beside 晋A12345): written in it now, so
    # the plate search finds them; two that are one car are left for the office to merge, and said
    vehicle = sa.table("vehicle", sa.column("id", sa.Integer), sa.column("plate", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(vehicle.c.id, vehicle.c.plate).order_by(vehicle.c.id)).all()
    taken = {plate for _, plate in rows}
    for vehicle_id, plate in rows:
        form = plate_form(plate)
        if form == plate:
            continue
        if form in taken:
            logger.warning(
                "vehicle %s: plate %r is %r, already registered: merge them by hand", vehicle_id, plate, form
            )
            continue
        bind.execute(vehicle.update().where(vehicle.c.id == vehicle_id).values(plate=form))
        taken.add(form)


def downgrade() -> None:
    """Undo this revision: nothing to undo (the plates' old spellings are not kept)."""
