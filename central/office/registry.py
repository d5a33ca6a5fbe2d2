"""Campuses, their policies and gates: queries and writes shared by the seed, the worker, the API and the console."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from central.models.registry import Campus, CampusPolicyRow, Gate, Pass
from central.models.users import User
from central.office.changes import record_change
from central.office.errors import Conflict, Invalid, must_get
from central.office.schemas import CampusCreate, GateCreate, GateUpdate
from gatecore.messages import GateConfig
from gatecore.policy import CampusPolicy


def add_campus(
    session: Session,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    timezone: str = "Asia/Shanghai",
    at: datetime | None = None,
) -> Campus:
    """A campus with its default policy (version 1)."""
    campus = Campus(code=code, name_zh=name_zh, name_en=name_en, timezone=timezone)
    session.add(campus)
    session.flush()
    assert campus.id is not None
    save_policy(session, CampusPolicy(campus_id=campus.id, version=1, timezone=timezone), at=at)
    return campus


def save_policy(session: Session, policy: CampusPolicy, *, at: datetime | None = None) -> CampusPolicy:
    """Store ``policy`` as the campus's next version (the version field of the argument is ignored)."""
    current = session.exec(
        select(CampusPolicyRow.version)
        .where(CampusPolicyRow.campus_id == policy.campus_id)
        .order_by(col(CampusPolicyRow.version).desc())
    ).first()
    version = (current or 0) + 1
    saved = CampusPolicy.from_dict({**policy.to_dict(), "version": version})
    session.add(
        CampusPolicyRow(
            campus_id=policy.campus_id,
            version=version,
            policy_json=json.dumps(saved.to_dict(), ensure_ascii=False),
            created_at=at or datetime.now(UTC),
        )
    )
    session.flush()
    return saved


def latest_policy(session: Session, campus_id: int) -> CampusPolicy:
    """The campus's newest policy; the built-in defaults (version 0) if it has none."""
    row = session.exec(
        select(CampusPolicyRow)
        .where(CampusPolicyRow.campus_id == campus_id)
        .order_by(col(CampusPolicyRow.version).desc())
    ).first()
    if row is None:
        campus = session.get(Campus, campus_id)
        return CampusPolicy(
            campus_id=campus_id, version=0, timezone=campus.timezone if campus else "Asia/Shanghai"
        )
    data = json.loads(row.policy_json)
    # the row's own columns are the truth, whatever the JSON says
    return CampusPolicy.from_dict({**data, "campus_id": row.campus_id, "version": row.version})


def revoked_pass_ids(session: Session, campus_id: int, now: datetime) -> list[int]:
    """Revoked passes of a campus that would otherwise still be valid (expired ones refuse themselves)."""
    rows = session.exec(
        select(Pass.id)
        .where(Pass.campus_id == campus_id, col(Pass.revoked_at).is_not(None), col(Pass.valid_until) > now)
        .order_by(col(Pass.id))
    )
    return [pass_id for pass_id in rows if pass_id is not None]


def gate_config(
    session: Session, gate_id: str, public_keys: dict[str, str], now: datetime
) -> GateConfig | None:
    """What a gate needs to decide offline, or None for a gate the registry does not know."""
    gate = session.get(Gate, gate_id)
    if gate is None:
        return None
    return GateConfig(
        gate_id=gate.gate_id,
        campus_id=gate.campus_id,
        gate_open=gate.open,
        policy=latest_policy(session, gate.campus_id).to_dict(),
        public_keys=public_keys,
        revoked=revoked_pass_ids(session, gate.campus_id, now),
        issued_at=now,
    )


def id_hash(id_number: str) -> str:
    """The stored form of an ID-card number: a SHA-256 of the normalised number."""
    return hashlib.sha256(id_number.strip().upper().encode()).hexdigest()


def create_campus(session: Session, *, actor: User, body: CampusCreate) -> Campus:
    """A new campus with the default policy (Conflict if the code is taken)."""
    if session.exec(select(Campus).where(Campus.code == body.code)).first():
        raise Conflict(f"campus code {body.code!r} exists")
    campus = add_campus(session, **body.model_dump())
    record_change(session, actor, "create", "campus", campus.id, code=campus.code)
    return campus


def change_policy(session: Session, *, actor: User, campus_id: int, changes: dict[str, Any]) -> CampusPolicy:
    """Save the changed fields as the campus's next policy version (Invalid for unknown fields or values)."""
    must_get(session, Campus, campus_id, "campus")
    current = latest_policy(session, campus_id).to_dict()
    unknown = set(changes) - set(current) | ({"campus_id", "version"} & set(changes))
    if unknown:
        raise Invalid(f"cannot change policy fields: {', '.join(sorted(unknown))}")
    try:
        policy = CampusPolicy.from_dict({**current, **changes})
    except (TypeError, ValueError) as exc:
        raise Invalid(f"invalid policy: {exc}") from None
    saved = save_policy(session, policy)
    record_change(
        session, actor, "update", "campus_policy", campus_id, version=saved.version, changes=changes
    )
    return saved


def create_gate(session: Session, *, actor: User, body: GateCreate) -> Gate:
    """Register a gate (NotFound for an unknown campus, Conflict if the id is taken)."""
    must_get(session, Campus, body.campus_id, "campus")
    if session.get(Gate, body.gate_id):
        raise Conflict(f"gate {body.gate_id!r} exists")
    gate = Gate(**body.model_dump())
    session.add(gate)
    record_change(session, actor, "create", "gate", body.gate_id)
    session.flush()
    return gate


def change_gate(session: Session, *, actor: User, gate_id: str, body: GateUpdate) -> Gate:
    """Open, close or rename a gate (the caller publishes its retained config again after commit)."""
    gate = must_get(session, Gate, gate_id, "gate")
    changes = body.model_dump(exclude_none=True)
    for key, value in changes.items():
        setattr(gate, key, value)
    session.add(gate)
    record_change(session, actor, "update", "gate", gate_id, **changes)
    return gate
