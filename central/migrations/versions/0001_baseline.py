"""baseline: the schema as it stood when migrations began

Revision ID: 0001
Revises:
Create Date: 2026-11-29 (main at 48525a6)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("roles", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "campus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", name=op.f("uq_campus_code")),
    )
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "daily_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.DateTime(), nullable=False),
        sa.Column("period_end", sa.DateTime(), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("zero", sa.Boolean(), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("signed_by", sa.String(), nullable=True),
        sa.Column("signed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campus_id", "day", "kind", "version", name="uq_daily_report"),
    )
    with op.batch_alter_table("daily_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_daily_report_campus_id"), ["campus_id"], unique=False)

    op.create_table(
        "entry_event",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("of_event", sa.String(), nullable=True),
        sa.Column("gate_id", sa.String(length=63), nullable=False),
        sa.Column("gate_seq", sa.Integer(), nullable=True),
        sa.Column("campus_id", sa.Integer(), nullable=True),
        sa.Column("pass_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("gate_time", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("celsius", sa.Float(), nullable=True),
        sa.Column("sensor_status", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("reasons", sa.String(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("offline_verdict", sa.String(), nullable=True),
        sa.Column("offline_reason", sa.String(), nullable=True),
        sa.Column("offline_policy_version", sa.Integer(), nullable=True),
        sa.Column("conflict", sa.Text(), nullable=True),
        sa.Column("override_of", sa.String(), nullable=True),
        sa.Column("override_guard", sa.String(), nullable=True),
        sa.Column("override_verdict", sa.String(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("decision_json", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id", name=op.f("uq_entry_event_event_id")),
    )
    with op.batch_alter_table("entry_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_event_campus_id"), ["campus_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entry_event_gate_id"), ["gate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entry_event_reason"), ["reason"], unique=False)
        batch_op.create_index(batch_op.f("ix_entry_event_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_entry_event_verdict"), ["verdict"], unique=False)

    op.create_table(
        "fever_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("gate_id", sa.String(), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=True),
        sa.Column("celsius", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", name=op.f("uq_fever_alert_event_id")),
    )
    with op.batch_alter_table("fever_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fever_alert_created_at"), ["created_at"], unique=False)

    op.create_table(
        "fever_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("gate_id", sa.String(length=63), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("readings", sa.String(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.Column("reported_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", name=op.f("uq_fever_incident_event_id")),
    )
    with op.batch_alter_table("fever_incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fever_incident_campus_id"), ["campus_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fever_incident_opened_at"), ["opened_at"], unique=False)

    op.create_table(
        "gate_outage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gate_id", sa.String(length=63), nullable=False),
        sa.Column("went_offline_at", sa.DateTime(), nullable=False),
        sa.Column("back_online_at", sa.DateTime(), nullable=True),
        sa.Column("cause", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gate_outage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_outage_gate_id"), ["gate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gate_outage_went_offline_at"), ["went_offline_at"], unique=False)
        batch_op.create_index(
            "uq_gate_outage_open",
            ["gate_id"],
            unique=True,
            sqlite_where=sa.text("back_online_at IS NULL"),
            postgresql_where=sa.text("back_online_at IS NULL"),
        )

    op.create_table(
        "gate_state",
        sa.Column("gate_id", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("camera", sa.String(), nullable=False),
        sa.Column("thermometer", sa.String(), nullable=False),
        sa.Column("outbox", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("clock_skew_s", sa.Float(), nullable=True),
        sa.Column("clock_off", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("gate_id"),
    )
    op.create_table(
        "registry_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("registry_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_change_at"), ["at"], unique=False)

    op.create_table(
        "rejected_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_size", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rejected_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejected_message_received_at"), ["received_at"], unique=False)

    op.create_table(
        "report_setting",
        sa.Column("campus_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("office_at", sa.String(), nullable=False),
        sa.Column("unit_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("campus_id"),
    )
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("public_key", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kid"),
    )
    op.create_table(
        "campus_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("policy_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campus_id"], ["campus.id"], name=op.f("fk_campus_policy_campus_id_campus")),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campus_id", "version", name=op.f("uq_campus_policy_campus_id")),
    )
    with op.batch_alter_table("campus_policy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campus_policy_campus_id"), ["campus_id"], unique=False)

    op.create_table(
        "fever_incident_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("by", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("celsius", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["fever_incident.id"],
            name=op.f("fk_fever_incident_step_incident_id_fever_incident"),
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fever_incident_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fever_incident_step_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "gate",
        sa.Column("gate_id", sa.String(length=63), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["campus_id"], ["campus.id"], name=op.f("fk_gate_campus_id_campus")),
        sa.PrimaryKeyConstraint("gate_id"),
    )
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_campus_id"), ["campus_id"], unique=False)

    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=False),
        sa.Column("building", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("room", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["campus_id"], ["campus.id"], name=op.f("fk_household_campus_id_campus")),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_campus_id"), ["campus_id"], unique=False)

    op.create_table(
        "access_pass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("form", sa.String(), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("valid_until", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["campus_id"], ["campus.id"], name=op.f("fk_access_pass_campus_id_campus")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_access_pass_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("access_pass", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_pass_campus_id"), ["campus_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_pass_person_id"), ["person_id"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("key_person_until", sa.Date(), nullable=True),
        sa.Column("commuter", sa.Boolean(), nullable=False),
        sa.Column("commuter_recorded_by", sa.String(), nullable=True),
        sa.Column("id_hash", sa.String(), nullable=True),
        sa.Column("id_last4", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("link_secret", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_person_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("link_secret", name=op.f("uq_person_link_secret")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_id_hash"), ["id_hash"], unique=False)

    op.create_table(
        "approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_approval_person_id_person")),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_person_id"), ["person_id"], unique=False)

    op.create_table(
        "household_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_household_day_household_id_household")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_household_day_person_id_person")),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("household_id", "local_date", name="uq_household_day"),
    )
    op.create_table(
        "return_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_return_batch_person_id_person")),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("return_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_batch_person_id"), ["person_id"], unique=False)

    op.create_table(
        "vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(), nullable=False),
        sa.Column("owner_person_id", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_person_id"], ["person.id"], name=op.f("fk_vehicle_owner_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plate", name=op.f("uq_vehicle_plate")),
    )
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicle_owner_person_id"), ["owner_person_id"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_owner_person_id"))

    op.drop_table("vehicle")
    with op.batch_alter_table("return_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_batch_person_id"))

    op.drop_table("return_batch")
    op.drop_table("household_day")
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_person_id"))

    op.drop_table("approval")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_id_hash"))
        batch_op.drop_index(batch_op.f("ix_person_household_id"))

    op.drop_table("person")
    with op.batch_alter_table("access_pass", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_pass_person_id"))
        batch_op.drop_index(batch_op.f("ix_access_pass_campus_id"))

    op.drop_table("access_pass")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_campus_id"))

    op.drop_table("household")
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_campus_id"))

    op.drop_table("gate")
    with op.batch_alter_table("fever_incident_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fever_incident_step_incident_id"))

    op.drop_table("fever_incident_step")
    with op.batch_alter_table("campus_policy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campus_policy_campus_id"))

    op.drop_table("campus_policy")
    op.drop_table("signing_key")
    op.drop_table("report_setting")
    with op.batch_alter_table("rejected_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_message_received_at"))

    op.drop_table("rejected_message")
    with op.batch_alter_table("registry_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_change_at"))

    op.drop_table("registry_change")
    op.drop_table("gate_state")
    with op.batch_alter_table("gate_outage", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_gate_outage_open",
            sqlite_where=sa.text("back_online_at IS NULL"),
            postgresql_where=sa.text("back_online_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_gate_outage_went_offline_at"))
        batch_op.drop_index(batch_op.f("ix_gate_outage_gate_id"))

    op.drop_table("gate_outage")
    with op.batch_alter_table("fever_incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fever_incident_opened_at"))
        batch_op.drop_index(batch_op.f("ix_fever_incident_campus_id"))

    op.drop_table("fever_incident")
    with op.batch_alter_table("fever_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fever_alert_created_at"))

    op.drop_table("fever_alert")
    with op.batch_alter_table("entry_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_event_verdict"))
        batch_op.drop_index(batch_op.f("ix_entry_event_received_at"))
        batch_op.drop_index(batch_op.f("ix_entry_event_reason"))
        batch_op.drop_index(batch_op.f("ix_entry_event_gate_id"))
        batch_op.drop_index(batch_op.f("ix_entry_event_campus_id"))

    op.drop_table("entry_event")
    with op.batch_alter_table("daily_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_daily_report_campus_id"))

    op.drop_table("daily_report")
    op.drop_table("chain_head")
    op.drop_table("campus")
    op.drop_table("app_user")
