"""Demo data: Shanxi Vocational and Technical College's three campuses and their family residential areas.

Household counts are those of the college's notice (seed 000): 坞城校区 179, 南中环校区 93,
长风校区 118. Names are synthetic, drawn from a seeded random generator so every run is the same.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from central.demo.passes import DemoPass, demo_passes, pass_tokens
from central.models.registry import Approval, Campus, Gate, Household, Pass, Person, ReturnBatch
from central.office import registry
from central.office.keys import KeyRing
from central.office.windows import day_start
from gatecore.campus import DEFAULT_TZ
from gatecore.topics import valid_gate_id

__all__ = ["CAMPUSES", "DemoPass", "SeedSummary", "demo_passes", "local_today", "pass_tokens", "seed_demo"]

logger = logging.getLogger(__name__)

TIMEZONE = DEFAULT_TZ
CARD_DAYS = 30


@dataclass(frozen=True, slots=True)
class CampusSpec:
    """A campus to seed."""

    code: str
    name_zh: str
    name_en: str
    households: int


CAMPUSES = (
    CampusSpec("wucheng", "坞城校区", "Wucheng Campus", 179),
    CampusSpec("nanzhonghuan", "南中环校区", "Nanzhonghuan Campus", 93),
    CampusSpec("changfeng", "长风校区", "Changfeng Campus", 118),
)
GATES = (("north", "北门", "North gate"), ("east", "东门", "East gate"))
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰春梅海燕晓东文博宇浩然子涵欣怡"


@dataclass(frozen=True, slots=True)
class SeedSummary:
    """What seed_demo created (or found, when the database was already seeded)."""

    created: bool
    campuses: dict[str, int]  # code -> campus id
    gates: list[str]
    households: int
    people: int
    passes: int


def local_today(now: datetime) -> date:
    """The seeded campuses' calendar date at ``now`` (what seed_demo's ``today`` should be)."""
    return now.astimezone(ZoneInfo(TIMEZONE)).date()


def _name(rng: random.Random, surname: str | None = None) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return (surname or rng.choice(SURNAMES)) + given


def seed_demo(session: Session, keyring: KeyRing, today: date, *, seed: int = 2020) -> SeedSummary:
    """Create the demo registry (skipped, and summarised, when campuses already exist)."""
    keyring.register(session)
    if session.exec(select(Campus)).first() is not None:
        return _summary(session, created=False)
    rng = random.Random(seed)
    zone = ZoneInfo(TIMEZONE)
    valid_from, valid_until = day_start(today, zone), day_start(today + timedelta(days=CARD_DAYS), zone)
    for spec in CAMPUSES:
        campus = registry.add_campus(
            session, code=spec.code, name_zh=spec.name_zh, name_en=spec.name_en, timezone=TIMEZONE
        )
        assert campus.id is not None
        for slug, zh, en in GATES:
            gate_id = f"{spec.code}-{slug}"
            assert valid_gate_id(gate_id)
            session.add(
                Gate(
                    gate_id=gate_id,
                    campus_id=campus.id,
                    name_zh=f"{spec.name_zh}{zh}",
                    name_en=f"{spec.name_en} {en}",
                )
            )
        people = _households(session, rng, campus, spec) + _others(session, rng, campus, spec, today)
        session.flush()
        session.add_all(
            Pass(
                person_id=p.id,
                kind=p.category,
                campus_id=campus.id,
                household_id=p.household_id,
                valid_from=valid_from,
                valid_until=valid_until,
            )
            for p in people
            if p.id is not None
        )
        session.flush()
    _specials(session, rng, today, valid_from)
    summary = _summary(session, created=True)
    logger.info(
        "seeded %d campuses, %d households, %d people, %d passes",
        len(summary.campuses),
        summary.households,
        summary.people,
        summary.passes,
    )
    return summary


def _households(session: Session, rng: random.Random, campus: Campus, spec: CampusSpec) -> list[Person]:
    assert campus.id is not None
    households = []
    for i in range(spec.households):
        building, unit, floor, room = i // 36 + 1, (i % 36) // 12 + 1, (i % 12) // 2 + 1, i % 2 + 1
        households.append(
            Household(
                campus_id=campus.id,
                building=str(building),
                unit=str(unit),
                room=f"{floor}{room:02d}",
                label=f"{spec.name_zh} {building}-{unit}-{floor}{room:02d}",
            )
        )
    session.add_all(households)
    session.flush()
    people = []
    for hh in households:
        category = "TENANT" if rng.random() < 0.1 else "RESIDENT"
        family = rng.choice(SURNAMES)
        for m in range(rng.choice((1, 2, 2, 3, 3, 3, 4))):
            people.append(
                Person(household_id=hh.id, name=_name(rng, family if m != 1 else None), category=category)
            )
    session.add_all(people)
    return people


def _others(
    session: Session, rng: random.Random, campus: Campus, spec: CampusSpec, today: date
) -> list[Person]:
    staff = [Person(name=_name(rng), category="STAFF") for _ in range(4)]
    students = [Person(name=_name(rng), category="STUDENT") for _ in range(2)]
    session.add_all(staff + students)
    session.flush()
    for person, approver in zip(staff[:3], ("院长", "书记", "院长"), strict=True):
        assert person.id is not None
        session.add(
            Approval(
                person_id=person.id,
                kind="staff",
                valid_from=today,
                valid_until=today + timedelta(days=CARD_DAYS),
                approved_by=approver,
            )
        )
    if spec.code == CAMPUSES[0].code:  # one student in an approved return batch, on the main campus
        assert students[0].id is not None
        session.add(ReturnBatch(person_id=students[0].id, start=today, end=today + timedelta(days=6)))
    return staff + students


def _specials(session: Session, rng: random.Random, today: date, valid_from: datetime) -> None:
    """One key person, one commuter, one visitor, one revoked card: on the first campus."""
    campus_id = session.exec(select(Campus.id).where(Campus.code == CAMPUSES[0].code)).one()
    assert campus_id is not None
    residents = list(
        session.exec(
            select(Person)
            .join(Household, col(Household.id) == Person.household_id)
            .where(Household.campus_id == campus_id)
            .order_by(col(Person.id))
        )
    )
    key_person, commuter, lost_card = residents[3], residents[7], residents[11]
    key_person.key_person_until = today + timedelta(days=13)
    commuter.commuter = True
    session.add_all([key_person, commuter])
    old = session.exec(select(Pass).where(Pass.person_id == lost_card.id)).one()
    session.add(
        Pass(
            person_id=old.person_id,
            kind=old.kind,
            campus_id=old.campus_id,
            household_id=old.household_id,
            valid_from=old.valid_from,
            valid_until=old.valid_until,
        )
    )
    old.revoked_at = valid_from  # the card was reported lost and replaced
    session.add(old)
    visitor = Person(name=_name(rng), category="VISITOR")
    session.add(visitor)
    session.flush()
    assert visitor.id is not None
    session.add(
        Pass(
            person_id=visitor.id,
            kind="VISITOR",
            campus_id=campus_id,
            valid_from=valid_from,
            valid_until=valid_from + timedelta(days=1),
        )
    )
    session.flush()


def _summary(session: Session, *, created: bool) -> SeedSummary:
    def count(table: type) -> int:
        return int(session.exec(select(func.count()).select_from(table)).one())

    return SeedSummary(
        created=created,
        campuses={
            c.code: c.id for c in session.exec(select(Campus).order_by(col(Campus.id))) if c.id is not None
        },
        gates=list(session.exec(select(Gate.gate_id).order_by(col(Gate.gate_id)))),
        households=count(Household),
        people=count(Person),
        passes=count(Pass),
    )
