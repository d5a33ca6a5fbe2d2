"""Campuses, their policies and gates: queries and writes shared by the seed, the worker, the API and the
console, and the registry facts a gate's retained config carries."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from central.models.base import utc
from central.models.health import NEGATIVE, NucleicTest
from central.models.registry import (
    Approval,
    Campus,
    CampusPolicyRow,
    Gate,
    Pass,
    Person,
    ReturnBatch,
    Vehicle,
)
from central.models.users import User
from central.office.catalogue import message_pair
from central.office.changes import record_change
from central.office.errors import Conflict, Invalid, must_get
from central.office.schemas import CampusCreate, GateCreate, GateUpdate
from gatecore.campus import DEFAULT_TZ, PolicyValueError, policy_problems, valid_timezone
from gatecore.gatefacts import GateRegistry
from gatecore.messages import GateConfig
from gatecore.policy import CampusPolicy, Window
from gatecore.tokens import PassKind

logger = logging.getLogger(__name__)


class PolicyError(Invalid):
    """A campus policy that cannot be used; ``problems`` lists (field, 中文, English)."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("；".join(f"{zh}（{en}）" for _, zh, en in problems))
        self.problems = problems

    @property
    def text(self) -> str:
        """Chinese first, English beside it, one problem per clause."""
        return self.message

    @property
    def detail(self) -> object:
        """The API's 422 detail: one entry per bad field, Chinese first and English beside it."""
        return [
            {"loc": ["body", field], "msg": f"{zh} / {en}", "msg_zh": zh, "msg_en": en, "type": "policy"}
            for field, zh, en in self.problems
        ]


def add_campus(
    session: Session,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    timezone: str = DEFAULT_TZ,
    at: datetime | None = None,
) -> Campus:
    """A campus with its default policy (version 1); PolicyError for a time zone not in the IANA database."""
    if not valid_timezone(timezone):
        raise PolicyError(
            [p for p in policy_problems(CampusPolicy(0, timezone=timezone)) if p[0] == "timezone"]
        )
    campus = Campus(code=code, name_zh=name_zh, name_en=name_en, timezone=timezone)
    session.add(campus)
    session.flush()
    assert campus.id is not None
    save_policy(session, CampusPolicy(campus_id=campus.id, version=1, timezone=timezone), at=at)
    return campus


def save_policy(session: Session, policy: CampusPolicy, *, at: datetime | None = None) -> CampusPolicy:
    """Store ``policy`` as the campus's next version (the version field of the argument is ignored);
    raise PolicyError, storing nothing, when a value is out of range (gatecore.campus.policy_problems)."""
    problems = policy_problems(policy)
    if problems:
        raise PolicyError(problems)
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
    campus = session.get(Campus, policy.campus_id)
    if campus is not None and campus.timezone != saved.timezone:
        # one zone per campus: reports, cards, the phone page and the dashboard read the campus's
        campus.timezone = saved.timezone
        session.add(campus)
    session.flush()
    return saved


def changed_policy(session: Session, campus_id: int, changes: dict[str, Any]) -> CampusPolicy:
    """The campus's current policy with ``changes`` applied (not saved); PolicyError naming what is wrong."""
    current = latest_policy(session, campus_id).to_dict()
    unknown = set(changes) - set(current) | ({"campus_id", "version"} & set(changes))
    if unknown:
        names = ", ".join(sorted(unknown))
        raise PolicyError([("changes", *message_pair(f"cannot change policy fields: {names}"))])
    try:
        return CampusPolicy.from_dict({**current, **changes})
    except PolicyValueError as exc:
        raise PolicyError(exc.problems) from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise PolicyError([("changes", *message_pair(f"invalid policy: {exc}"))]) from None


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
    found = gate_configs(session, [gate_id], public_keys, now)
    return found[0] if found else None


def gate_configs(
    session: Session, gate_ids: Iterable[str], public_keys: dict[str, str], now: datetime
) -> list[GateConfig]:
    """The configs of many gates (unknown ones left out). What a campus's gates share (policy,
    revocations, registry facts) is read once per campus: a thousand gates' configs on every
    connect would otherwise read the campus a thousand times."""
    shared: dict[int, tuple[dict[str, Any], list[int], dict[str, Any]] | None] = {}
    out = []
    for gate_id in gate_ids:
        gate = session.get(Gate, gate_id)
        if gate is None:
            continue
        if gate.campus_id not in shared:
            policy = latest_policy(session, gate.campus_id)
            # a value stored before it was checked on write: its gates would refuse the config (its day
            # cannot be read), and the other campuses' gates get theirs all the same
            if problems := "; ".join(en for _, _, en in policy_problems(policy)):
                logger.error("campus %s: policy v%s not sent: %s", gate.campus_id, policy.version, problems)
                shared[gate.campus_id] = None
            else:
                day = policy.local_date(now)
                registry = gate_registry(session, gate.campus_id, day, now).to_dict()
                revoked = revoked_pass_ids(session, gate.campus_id, now)
                shared[gate.campus_id] = (policy.to_dict(), revoked, registry)
        if (campus := shared[gate.campus_id]) is None:
            continue
        policy_dict, revoked, registry = campus
        out.append(
            GateConfig(
                gate_id=gate.gate_id,
                campus_id=gate.campus_id,
                gate_open=gate.open,
                policy=policy_dict,
                public_keys=public_keys,
                revoked=revoked,
                issued_at=now,
                registry=registry,
            )
        )
    return out


def gate_registry(session: Session, campus_id: int, today: date, now: datetime) -> GateRegistry:
    """The registry facts a gate of the campus needs offline: for everyone holding a live pass
    of the campus, only what is still in force on ``today`` (the campus-local date)."""
    live = list(
        session.exec(
            select(Pass.person_id, Pass.kind).where(
                Pass.campus_id == campus_id, col(Pass.revoked_at).is_(None), col(Pass.valid_until) > now
            )
        )
    )
    vehicle_ids = {pid for pid, kind in live if kind == PassKind.VEHICLE.name}
    vehicles = {
        v.id: (v.valid_until, v.owner_person_id)
        for v in session.exec(select(Vehicle).where(col(Vehicle.id).in_(vehicle_ids)))
        if v.id is not None
    }
    person_ids = {pid for pid, kind in live if kind != PassKind.VEHICLE.name} | {
        o for _, o in vehicles.values()
    }
    people = list(session.exec(select(Person).where(col(Person.id).in_(person_ids))))
    windows: dict[str, dict[int, list[Window]]] = {"staff": {}, "contractor": {}, "batch": {}}
    approvals = select(Approval).where(
        col(Approval.person_id).in_(person_ids), Approval.status == "approved", Approval.valid_until >= today
    )
    for a in session.exec(approvals):
        windows.setdefault(a.kind, {}).setdefault(a.person_id, []).append(Window(a.valid_from, a.valid_until))
    batches = select(ReturnBatch).where(col(ReturnBatch.person_id).in_(person_ids), ReturnBatch.end >= today)
    for b in session.exec(batches):
        windows["batch"].setdefault(b.person_id, []).append(Window(b.start, b.end))
    policy = latest_policy(session, campus_id)
    # test results only where the gate rule asks for them, and only of the people it applies to
    kept_in = [
        p.id
        for p in people
        if p.id is not None
        and policy.nat_max_age_hours is not None
        and (p.category.lower() in policy.closed_groups or p.group in policy.closed_groups)
    ]
    return GateRegistry(
        as_of=today,
        key_persons={
            p.id: p.key_person_until
            for p in people
            if p.id is not None and p.key_person_until is not None and p.key_person_until >= today
        },
        inactive=frozenset(p.id for p in people if p.id is not None and not p.active),
        commuters=frozenset(p.id for p in people if p.id is not None and p.commuter_on(today)),
        commuter_until={
            p.id: p.commuter_until
            for p in people
            if p.id is not None and p.commuter_on(today) and p.commuter_until is not None
        },
        groups={p.id: p.group for p in people if p.id is not None and p.group},
        exit_approvals=_sorted(windows.get("exit", {})),
        last_negative=_last_negatives(session, kept_in),
        staff_approvals=_sorted(windows["staff"]),
        contractor_approvals=_sorted(windows["contractor"]),
        return_batches=_sorted(windows["batch"]),
        vehicles=vehicles,
    )


def _last_negatives(session: Session, person_ids: list[int]) -> dict[int, datetime]:
    # a person's latest result, when negative (a later positive cancels an earlier negative)
    latest: dict[int, NucleicTest] = {}
    for t in session.exec(
        select(NucleicTest)
        .where(col(NucleicTest.person_id).in_(person_ids))
        .order_by(col(NucleicTest.sampled_at))
    ):
        latest[t.person_id] = t
    return {pid: utc(t.sampled_at) for pid, t in latest.items() if t.result == NEGATIVE}


def _sorted(m: dict[int, list[Window]]) -> dict[int, tuple[Window, ...]]:
    return {k: tuple(sorted(v, key=lambda w: (w.start, w.end))) for k, v in m.items()}


def create_campus(session: Session, *, actor: User, body: CampusCreate) -> Campus:
    """A new campus with the default policy (Conflict if the code is taken, PolicyError for its time zone)."""
    if session.exec(select(Campus).where(Campus.code == body.code)).first():
        raise Conflict(f"campus code {body.code!r} exists")
    campus = add_campus(session, **body.model_dump())
    record_change(session, actor, "create", "campus", campus.id, code=campus.code)
    return campus


def change_policy(session: Session, *, actor: User, campus_id: int, changes: dict[str, Any]) -> CampusPolicy:
    """Save the changed fields as the campus's next policy version (PolicyError naming what is wrong);
    a change that changes nothing keeps the current version (no new version for the gates to load)."""
    must_get(session, Campus, campus_id, "campus")
    current, wanted = latest_policy(session, campus_id), changed_policy(session, campus_id, changes)
    if current.version > 0 and wanted.to_dict() == current.to_dict():
        return current
    saved = save_policy(session, wanted)
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
