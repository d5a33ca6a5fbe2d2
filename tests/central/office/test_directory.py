"""Finding households and people: exact address parts, phone, last four ID digits, name; pages."""

from __future__ import annotations

from sqlmodel import Session, select

from central.models.registry import Household, Person
from central.office.directory import address_parts, find_households, find_people
from tests.central.conftest import World


def _add(world: World) -> None:
    with Session(world.engine) as s:
        for b, u, r in (("1", "2", "302"), ("2", "3", "101"), ("2", "3", "302"), ("12", "3", "302")):
            s.add(Household(campus_id=world.campus_id, building=b, unit=u, room=r, label=f"坞城 {b}-{u}-{r}"))
        s.commit()
        target = s.exec(select(Household).where(Household.label == "坞城 2-3-302")).one()
        s.add(
            Person(
                name="梁思敏",
                category="RESIDENT",
                household_id=target.id,
                phone="13900001234",
                id_last4="123X",
                link_secret="x",
            )
        )
        s.commit()


def test_address_parts_are_exact(world: World) -> None:
    _add(world)
    assert address_parts("2-3") == ("2", "3") and address_parts("梁") is None and address_parts("2") is None
    with Session(world.engine) as s:
        labels = [h.label for h in find_households(s, q="2-3")[0]]
        assert labels == ["坞城 2-3-101", "坞城 2-3-302"]  # never 1-2-302 nor 12-3-302
        assert [h.label for h in find_households(s, q="2-3-302")[0]] == ["坞城 2-3-302"]
        for q in ("2-3-302", "123x", "13900001234", "思敏"):
            rows, count = find_people(s, q=q)
            assert count == 1 and rows[0][0].name == "梁思敏" and rows[0][1] == "坞城 2-3-302", q
        assert find_people(s, q="1-2-302")[1] == 0


def test_pages(world: World) -> None:
    with Session(world.engine) as s:
        for n in range(120):
            s.add(Household(campus_id=world.campus_id, building="9", unit="1", room=str(n), label=f"h{n}"))
        s.commit()
        first, total = find_households(s, limit=50)
        third, _ = find_households(s, limit=50, offset=100)
        assert total >= 120 and len(first) == 50 and len(third) == total - 100
        assert not {h.id for h in first} & {h.id for h in third}
