"""Campuses stored with a zone the IANA database lacks (``localtime``, a misspelling) get a real one

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

# frozen here, as they stood at this revision (gatecore.campus.DEFAULT_TZ and valid_timezone)
DEFAULT_TZ = "Asia/Shanghai"
WHO = "campusgate db upgrade 0011"


def _valid(name: object) -> bool:
    # "localtime" is the server's own zone, no IANA name: each server and gate would read another day
    if not isinstance(name, str) or name == "localtime" or name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (LookupError, ValueError):
        return False
    return True


def upgrade() -> None:
    """Apply this revision."""
    # A campus saved with such a zone before zones were checked on write: its scans were answered
    # refer, its gates refused its configs and its reports were not made, while its pages and cards
    # showed DEFAULT_TZ. It gets a real zone: the one its row or its policy holds if either is real,
    # else DEFAULT_TZ, which its pages and cards already showed. The policy moves by a new version
    # (the versions decisions recorded stay as they were); each change is logged and journalled.
    campus = sa.table("campus", sa.column("id", sa.Integer), sa.column("timezone", sa.String))
    policy = sa.table(
        "campus_policy",
        sa.column("campus_id", sa.Integer),
        sa.column("version", sa.Integer),
        sa.column("policy_json", sa.Text),
        sa.column("created_at", sa.DateTime),
    )
    journal = sa.table(
        "registry_change",
        sa.column("at", sa.DateTime),
        sa.column("user_id", sa.Integer),
        sa.column("username", sa.String),
        sa.column("action", sa.String),
        sa.column("entity", sa.String),
        sa.column("entity_id", sa.String),
        sa.column("detail", sa.Text),
    )
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as UTC without an offset
    for campus_id, stored in bind.execute(sa.select(campus.c.id, campus.c.timezone).order_by(campus.c.id)):
        newest = bind.execute(
            sa.select(policy.c.version, policy.c.policy_json)
            .where(policy.c.campus_id == campus_id)
            .order_by(policy.c.version.desc())
            .limit(1)
        ).first()
        data: dict[str, object] | None = None
        if newest is not None:
            try:
                data = json.loads(newest.policy_json)
            except ValueError:
                data = None
            if not isinstance(data, dict):
                logger.warning(
                    "campus %s: policy v%s does not read as JSON: left as it is", campus_id, newest.version
                )
                data = None
        in_policy = data.get("timezone", DEFAULT_TZ) if data is not None else stored
        if _valid(stored) and _valid(in_policy):
            continue
        zone = next((z for z in (in_policy, stored) if _valid(z)), DEFAULT_TZ)
        detail: dict[str, object] = {"timezone": zone, "was": stored}
        if stored != zone:
            bind.execute(campus.update().where(campus.c.id == campus_id).values(timezone=zone))
        if newest is not None and data is not None and not _valid(in_policy):
            version = newest.version + 1
            text = json.dumps({**data, "timezone": zone, "version": version}, ensure_ascii=False)
            bind.execute(
                policy.insert().values(campus_id=campus_id, version=version, policy_json=text, created_at=now)
            )
            detail |= {"policy_was": in_policy, "policy_version": version}
        bind.execute(
            journal.insert().values(
                at=now,
                user_id=None,
                username=WHO,
                action="update",
                entity="campus",
                entity_id=str(campus_id),
                detail=json.dumps(detail, ensure_ascii=False),
            )
        )
        logger.warning(
            "campus %s: time zone %r (policy %r) is not in the IANA database: set to %s; if the campus is"
            " elsewhere, set its zone on the console's policy page",
            campus_id,
            stored,
            in_policy,
            zone,
        )


def downgrade() -> None:
    """Undo this revision: nothing to undo (the zones are journalled in registry_change, and a policy
    version once decided with stays)."""
