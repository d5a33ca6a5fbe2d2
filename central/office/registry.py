"""Registry queries and small writes shared by the seed, the service, the worker and the API."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from central.models.registry import Campus, CampusPolicyRow, Gate, Pass
from gatecore.campus import DEFAULT_TZ
from gatecore.messages import GateConfig
from gatecore.policy import CampusPolicy


def add_campus(
    session: Session,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    timezone: str = DEFAULT_TZ,
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
            campus_id=campus_id, version=0, timezone=campus.timezone if campus else DEFAULT_TZ
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
