"""A campus's clock, read one way everywhere but the decision path: its stored zone, or ``DEFAULT_TZ``
when the stored name is unusable (``gatecore.campus.usable_timezone``, the one fallback).

Pages, cards, the phone page, a pass's window, the testing import and the dashboard read a campus's
zone here (``zone_of``, ``campus_zone``, ``campus_zones``). Deciding and counting do not fall back: a
scan there is answered ``refer`` (``CampusPolicy.zone`` refuses such a name) and kept as a dead letter,
no config goes to its gates, and a report is not made (``counting_zone``); ``warn_bad_zones`` names
those campuses in central's log at start-up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central.models.registry import Campus
from central.office.errors import Invalid
from central.office.registry import latest_policy
from gatecore.campus import DEFAULT_TZ, usable_zone, valid_timezone

logger = logging.getLogger(__name__)


def zone_of(campus: Campus | None) -> ZoneInfo:
    """The clock a campus's times are shown and read in (``DEFAULT_TZ`` for no campus)."""
    return usable_zone(campus.timezone if campus is not None else DEFAULT_TZ)


def campus_zone(session: Session, campus_id: int | None) -> ZoneInfo:
    """:func:`zone_of` the campus with this id (``DEFAULT_TZ`` for none or an unknown id)."""
    return zone_of(session.get(Campus, campus_id) if campus_id is not None else None)


def campus_zones(session: Session) -> dict[int, ZoneInfo]:
    """Every campus's :func:`zone_of`, by id, for the pages that show many campuses' times."""
    rows = session.exec(select(Campus.id, Campus.timezone))
    return {cid: usable_zone(tz) for cid, tz in rows if cid is not None}


def counting_zone(name: str) -> ZoneInfo:
    """A campus's stored zone as a report counts its days in it: never a fallback (``localtime`` would
    count the server's day), ``Invalid`` for a name that is no IANA zone, and the report is not made."""
    if not valid_timezone(name):
        raise Invalid(f"time zone {name!r} is not in the IANA database")
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class BadZone:
    """A campus whose stored zone (its row's, or its newest policy's) is no IANA zone."""

    campus_id: int
    code: str
    value: str


def bad_zones(session: Session) -> list[BadZone]:
    """The campuses stored with an unusable zone (``localtime``, a misspelling) in their row or their
    newest policy, by id."""
    out = []
    for campus in session.exec(select(Campus).order_by(col(Campus.id))):
        assert campus.id is not None
        try:
            stored = latest_policy(session, campus.id).timezone
        except ValueError:  # a policy that does not read at all fails louder elsewhere
            stored = campus.timezone
        for value in dict.fromkeys((campus.timezone, stored)):
            if not valid_timezone(value):
                out.append(BadZone(campus.id, campus.code, str(value)))
                break
    return out


def warn_bad_zones(engine: Engine) -> list[BadZone]:
    """Log, once per such campus, what an unusable stored zone stops and how to set a real one."""
    with Session(engine) as session:
        found = bad_zones(session)
    for bad in found:
        logger.warning(
            "campus %s (%s) has time zone %r, which is not in the IANA database: its scans are answered"
            " refer (decision_error) and kept as dead letters, its gates get no new config and its"
            " reports are not made; pages and cards show its times in %s meanwhile. Set its zone on the"
            " console's policy page, or PUT /api/v1/campuses/%s/policy with"
            ' {"changes": {"timezone": "%s"}} (or the zone it is really in)',
            bad.campus_id,
            bad.code,
            bad.value,
            DEFAULT_TZ,
            bad.campus_id,
            DEFAULT_TZ,
        )
    return found
