"""Fixtures for central: a real SQLite file (or PostgreSQL), a key ring, a small registry, scans."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from central.decisions.service import DecisionService
from central.models.db import create_all, make_engine, session_scope
from central.models.registry import Approval, Campus, Gate, Household, Pass, Person
from central.office import registry
from central.office.keys import KeyRing
from gatecore import topics
from gatecore.ids import uuid7
from gatecore.messages import OfflineDecision, Override, ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
_counter = itertools.count(1)


def event_id(at: datetime = NOW) -> str:
    """A fresh UUIDv7, unique within the test run."""
    return uuid7(int(at.timestamp() * 1000), os.urandom(10))


@dataclass
class World:
    """A campus with one gate, a household of three, a staff member, and their pass tokens."""

    engine: Engine
    keyring: KeyRing
    campus_id: int
    gate_id: str
    household_id: int
    people: dict[str, int] = field(default_factory=dict)  # role -> person id
    passes: dict[str, int] = field(default_factory=dict)  # role -> pass id
    tokens: dict[str, str] = field(default_factory=dict)  # role -> QR text

    @property
    def service(self) -> DecisionService:
        """A decision service on this world's database."""
        return DecisionService(self.engine, self.keyring)

    def set_zone(self, zone: str) -> None:
        """Move the campus to another time zone (stored as given: a test may store a bad one)."""
        with session_scope(self.engine) as s:
            campus = s.get(Campus, self.campus_id)
            assert campus is not None
            campus.timezone = zone
            s.add(campus)

    def scan(
        self,
        role_or_qr: str,
        *,
        celsius: float | None = 36.6,
        at: datetime = NOW,
        gate_id: str | None = None,
        direction: str = "in",
        eid: str | None = None,
        offline: OfflineDecision | None = None,
        override: Override | None = None,
        status: SensorStatus = SensorStatus.OK,
        symptoms: tuple[str, ...] = (),
        seq: int | None = None,
    ) -> tuple[str, bytes]:
        """(topic, payload) of a scan event for a role's pass (or a raw QR text)."""
        gate = gate_id or self.gate_id
        event = ScanEvent(
            event_id=eid or event_id(at),
            gate_id=gate,
            seq=next(_counter) if seq is None else seq,
            gate_time=at,
            qr=self.tokens.get(role_or_qr, role_or_qr),
            temperature=Temperature(celsius, status),
            direction=direction,
            offline=offline,
            override=override,
            symptoms=symptoms,
        )
        return topics.gate_events(gate), event.to_json()


def build_world(engine: Engine, keyring: KeyRing, gate_id: str = "test-north") -> World:
    """Register the small campus of the central tests."""
    valid_from, valid_until = NOW - timedelta(days=1), NOW + timedelta(days=30)
    with session_scope(engine) as s:
        keyring.register(s)
        campus = registry.add_campus(s, code=f"c-{gate_id}", name_zh="坞城校区", name_en="Wucheng")
        assert campus.id is not None
        s.add(Gate(gate_id=gate_id, campus_id=campus.id, name_zh="北门", name_en="North gate"))
        hh = Household(campus_id=campus.id, building="3", unit="2", room="501", label="坞城校区 3-2-501")
        s.add(hh)
        s.flush()
        assert hh.id is not None
        world = World(engine, keyring, campus.id, gate_id, hh.id)
        people = {
            "zhang": Person(household_id=hh.id, name="张三明", category="RESIDENT"),
            "li": Person(household_id=hh.id, name="李四华", category="RESIDENT"),
            "wang": Person(household_id=hh.id, name="王五", category="RESIDENT", commuter=True),
            "staff": Person(name="赵老师", category="STAFF"),
        }
        s.add_all(people.values())
        s.flush()
        s.add(
            Approval(
                person_id=people["staff"].id,
                valid_from=date(2026, 11, 1),
                valid_until=date(2026, 12, 31),
                approved_by="院长",
            )
        )
        for role, person in people.items():
            assert person.id is not None
            world.people[role] = person.id
            p = Pass(
                person_id=person.id,
                kind=person.category,
                campus_id=campus.id,
                household_id=person.household_id,
                valid_from=valid_from,
                valid_until=valid_until,
            )
            s.add(p)
            s.flush()
            assert p.id is not None
            world.passes[role] = p.id
            world.tokens[role] = keyring.issue(p)
    return world


def visitor_pass(
    world: World, valid_from: datetime, valid_until: datetime, revoked_at: datetime | None = None
) -> tuple[str, int]:
    """A new visitor's one-time pass on the world's campus: its QR text and its id."""
    with session_scope(world.engine) as s:
        person = Person(name="孙访客", category="VISITOR")
        s.add(person)
        s.flush()
        assert person.id is not None
        row = Pass(
            person_id=person.id,
            kind="VISITOR",
            campus_id=world.campus_id,
            valid_from=valid_from,
            valid_until=valid_until,
            revoked_at=revoked_at,
        )
        s.add(row)
        s.flush()
        assert row.id is not None
        return world.keyring.issue(row), row.id


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database file with every table."""
    e = make_engine(f"sqlite:///{tmp_path}/central.models.db")
    create_all(e)
    yield e
    e.dispose()


@pytest.fixture
def keyring(tmp_path: Path) -> KeyRing:
    """Signing keys in a temporary data directory."""
    return KeyRing.open(tmp_path / "keys")


@pytest.fixture
def world(engine: Engine, keyring: KeyRing) -> World:
    """The small registry on SQLite."""
    return build_world(engine, keyring)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """The same tests on SQLite and PostgreSQL."""
    return request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """A fresh PostgreSQL database with every table."""
    e = make_engine(pg_url)
    create_all(e)
    yield e
    e.dispose()


def log_morning(world: World, extra: int = 0) -> None:
    """Five decided scans of one morning: ok, household day used, fever, an offline admission, an
    override; then ``extra`` refusals a second apart (zhang holds the household's day)."""
    scans = [
        world.scan("zhang", at=NOW),
        world.scan("li", at=NOW + timedelta(minutes=1)),  # household day used
        world.scan("staff", celsius=38.2, at=NOW + timedelta(minutes=2)),  # fever
        world.scan(
            "wang", at=NOW + timedelta(minutes=3), offline=OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
        ),
        world.scan(
            "li",
            at=NOW + timedelta(minutes=4),
            override=Override(event_id(), "guard-7", Verdict.ALLOW, "医生证明"),
        ),
    ]
    for i, scan in enumerate(scans):
        assert world.service.handle(*scan, NOW + timedelta(minutes=i))
    for i in range(extra):
        at = NOW + timedelta(minutes=10, seconds=i)
        assert world.service.handle(*world.scan("li", at=at), at)
