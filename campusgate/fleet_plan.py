"""A fleet's plan from central's database: the one place the simulator's fleet meets central
(firmware_sim imports no server code; the command line wires the two).

It seeds the demo campuses when the database is empty, registers the fleet's gates
(``{campus}-fleet-NNNN``, spread over the campuses) and a batch of fresh one-time visitor passes,
and reads the seeded passes' QR texts, signed with central's own keys.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from central.demo.passes import DemoPass, demo_passes
from central.demo.seed import local_today, seed_demo
from central.models.db import create_all, make_engine, session_scope
from central.models.journal import EntryEvent
from central.models.registry import Campus, Gate, Pass, Person
from central.office.keys import KeyRing, open_keyring
from central.settings import CentralSettings
from firmware_sim.fleet_mix import CampusCards, FleetPlan

HOUSEHOLD_ROLES = {"resident", "tenant"}  # not commuters or key persons: their answers differ
VISIT_HOURS = 24


class FleetSetupError(Exception):
    """The database or the keys cannot give the fleet a plan."""


def fleet_gate_ids(codes: list[str], count: int) -> list[tuple[str, str]]:
    """``count`` gate ids spread round-robin over the campuses, with their campus codes."""
    return [(f"{codes[i % len(codes)]}-fleet-{i + 1:04d}", codes[i % len(codes)]) for i in range(count)]


def prepare_plan(
    engine: Engine, keyring: KeyRing, *, gates: int, visitors: int, now: datetime | None = None
) -> FleetPlan:
    """Seed if empty, register the gates and ``visitors`` fresh visitor passes; the plan to run."""
    now = now or datetime.now(UTC)
    with session_scope(engine) as session:
        seed_demo(session, keyring, local_today(now))
        campuses = {c.code: c for c in session.exec(select(Campus).order_by(col(Campus.id)))}
        passes = demo_passes(session, keyring, now=now)
        codes = [code for code in campuses if any(p.campus_code == code for p in passes)]
        plan_gates = fleet_gate_ids(codes, gates)
        _register_gates(session, campuses, plan_gates)
        fresh = _visitor_passes(session, keyring, campuses, codes, visitors, now)
    return FleetPlan(gates=plan_gates, campuses={code: _cards(code, passes, fresh) for code in codes})


def plan_from_settings(
    *,
    gates: int,
    visitors: int,
    database_url: str | None = None,
    data_dir: Path | None = None,
    say: Callable[[str], None] | None = None,
) -> FleetPlan:
    """The plan for the central whose settings come from ``CAMPUSGATE_*`` (or these overrides):
    the fleet must use central's database and data dir, whose keys sign the passes. ``say`` is
    told which data directory and database, before anything is written there."""
    overrides: dict[str, Any] = {"database_url": database_url, "data_dir": data_dir}
    settings = CentralSettings(**{k: v for k, v in overrides.items() if v is not None})
    if say is not None:
        say(settings.where())
    engine = make_engine(settings.database_url)
    try:
        create_all(engine)
        if not any(settings.keys_dir.glob("kid-*.pem")):
            with Session(engine) as session:
                if session.exec(select(Campus)).first() is not None:
                    raise FleetSetupError(
                        f"no signing keys in {settings.keys_dir}, but the database is seeded: run the "
                        "fleet with the CAMPUSGATE_DATA_DIR central uses, or its passes will not verify"
                    )
        return prepare_plan(engine, open_keyring(settings, engine), gates=gates, visitors=visitors)
    finally:
        engine.dispose()


def logged_decisions(database_url: str, since: datetime) -> tuple[int, float]:
    """Decisions central logged for fleet gates since ``since``, and the seconds from the first
    to the last: central's own throughput, whether or not the answers reached the gates in time."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            received = col(EntryEvent.received_at)
            count, first, last = session.exec(
                select(func.count(), func.min(received), func.max(received)).where(
                    col(EntryEvent.gate_id).like("%-fleet-%"), received >= since
                )
            ).one()
    finally:
        engine.dispose()
    return int(count), (last - first).total_seconds() if count > 1 else 0.0


def _register_gates(session: Session, campuses: dict[str, Campus], gates: list[tuple[str, str]]) -> None:
    known = set(session.exec(select(Gate.gate_id).where(col(Gate.gate_id).in_([g for g, _ in gates]))))
    for n, (gate_id, code) in enumerate(gates, start=1):
        campus = campuses[code]
        if gate_id not in known and campus.id is not None:
            session.add(
                Gate(
                    gate_id=gate_id,
                    campus_id=campus.id,
                    name_zh=f"{campus.name_zh}模拟闸机{n}",
                    name_en=f"{campus.name_en} simulated gate {n}",
                )
            )
    session.flush()


def _visitor_passes(
    session: Session,
    keyring: KeyRing,
    campuses: dict[str, Campus],
    codes: list[str],
    count: int,
    now: datetime,
) -> dict[str, list[str]]:
    """Fresh one-time passes for this run (a used pass would be refused, as it should be)."""
    people = [Person(name=f"访客{i + 1}", category="VISITOR") for i in range(count)]
    session.add_all(people)
    session.flush()
    made: dict[str, list[Pass]] = {code: [] for code in codes}
    for i, person in enumerate(people):
        code = codes[i % len(codes)]
        campus_id = campuses[code].id
        assert person.id is not None and campus_id is not None
        row = Pass(
            person_id=person.id,
            kind="VISITOR",
            campus_id=campus_id,
            valid_from=now - timedelta(hours=1),
            valid_until=now + timedelta(hours=VISIT_HOURS),
        )
        session.add(row)
        made[code].append(row)
    session.flush()
    return {code: [keyring.issue(p, now=now) for p in rows] for code, rows in made.items()}


def _cards(code: str, passes: list[DemoPass], visitors: dict[str, list[str]]) -> CampusCards:
    households: dict[int, list[str]] = {}
    for p in passes:
        if p.campus_code == code and p.role in HOUSEHOLD_ROLES and p.household_id is not None:
            households.setdefault(p.household_id, []).append(p.token)
    staff = [p.token for p in passes if p.campus_code == code and p.role == "staff"]
    return CampusCards(households=list(households.values()), staff=staff, visitors=visitors.get(code, []))
