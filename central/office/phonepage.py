"""What the resident's phone page shows beside the rotating code: today's household status, the pass's
last valid day and the campus's current rules in plain Chinese (with English beside)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from central.models.journal import EntryEvent, HouseholdDay
from central.models.registry import Campus, Gate, Household, Pass, Person
from central.office.catalogue import CODES, fill
from central.office.catalogue.printed import PHONE_RULES
from central.office.passcards import at_local_midnight, printed_from, printed_until
from central.office.registry import latest_policy
from central.office.zones import zone_of
from gatecore.masking import mask_name
from gatecore.policy import CampusPolicy
from gatecore.tokens import PassKind


def current_phone_pass(session: Session, secret: str, now: datetime) -> Pass | None:
    """The holder's newest phone pass valid at ``now`` and not revoked, or None."""
    newest = col(Pass.id).desc()
    return _phone_pass(session, secret, newest, col(Pass.valid_from) <= now, col(Pass.valid_until) > now)


def coming_phone_pass(session: Session, secret: str, now: datetime) -> Pass | None:
    """The holder's next phone pass, not revoked, whose window starts after ``now``, or None: the page
    says from when the code works, not "no valid pass, ask the security office"."""
    return _phone_pass(session, secret, col(Pass.valid_from).asc(), col(Pass.valid_from) > now)


def _phone_pass(session: Session, secret: str, order: Any, *when: Any) -> Pass | None:
    person = session.exec(select(Person).where(Person.link_secret == secret)).first()
    if person is None or not person.active:
        return None
    return session.exec(
        select(Pass)
        .where(
            Pass.person_id == person.id,
            Pass.form == "PHONE",
            col(Pass.revoked_at).is_(None),
            Pass.kind != "VEHICLE",
            *when,
        )
        .order_by(order)
    ).first()


def starts(session: Session, row: Pass) -> str:
    """When a pass's window starts, as its card prints it, in its campus's time."""
    return printed_from(row.valid_from, zone_of(session.get(Campus, row.campus_id)))


def rules(policy: CampusPolicy) -> list[tuple[str, str]]:
    """The campus's rules as sentences a resident reads: (zh, en)."""
    words = PHONE_RULES
    out = [fill(words["fever"], threshold=f"{policy.fever_threshold:.1f}")]
    if policy.household_quota:
        out.append(words["household"])
    if policy.opens and policy.closes:
        out.append(
            fill(words["hours"], hours=f"{policy.opens.strftime('%H:%M')}–{policy.closes.strftime('%H:%M')}")
        )
    else:
        out.append(words["all_day"])
    kinds = sorted(policy.allowed_kinds, key=lambda k: k.name)
    if set(kinds) != set(PassKind):  # all kinds allowed: nothing to say
        zh = "、".join(CODES["kind"][k.name][0] for k in kinds) or words["no_kinds"][0]
        en = ", ".join(CODES["kind"][k.name][1] for k in kinds) or words["no_kinds"][1]
        out.append((fill(words["allowed"], kinds=zh)[0], fill(words["allowed"], kinds=en)[1]))
    return out


def phone_status(session: Session, row: Pass, now: datetime) -> dict[str, Any]:
    """The page's facts for a valid phone pass."""
    person = session.get(Person, row.person_id)
    campus = session.get(Campus, row.campus_id)
    tz = zone_of(campus)  # the clock the pass's card prints its days in
    policy = latest_policy(session, row.campus_id)
    household = session.get(Household, row.household_id) if row.household_id else None
    today: dict[str, Any] | None = None
    if household is not None:
        claim = session.exec(
            select(HouseholdDay, Person.name, EntryEvent.gate_id, Gate.name_zh)
            .join(Person, Person.id == HouseholdDay.person_id)  # type: ignore[arg-type]
            .join(EntryEvent, EntryEvent.event_id == HouseholdDay.event_id, isouter=True)  # type: ignore[arg-type]
            .join(Gate, Gate.gate_id == EntryEvent.gate_id, isouter=True)  # type: ignore[arg-type]
            .where(
                HouseholdDay.household_id == household.id,
                HouseholdDay.local_date == now.astimezone(tz).date(),
            )
        ).first()
        if claim is not None:
            day, name, gate_id, gate_name = claim
            today = {
                "mine": day.person_id == row.person_id,
                "by": mask_name(name),
                "at": day.created_at.astimezone(tz).strftime("%H:%M"),
                "gate": gate_name or gate_id or "",
            }
    return {
        "holder": mask_name(person.name) if person else "",
        "campus": campus.name_zh if campus else "",
        "household": household.label if household else "",
        "quota": policy.household_quota and household is not None,
        "today": today,
        "last_day": printed_until(row.valid_until, tz),
        "whole_day": at_local_midnight(row.valid_until, tz),  # valid through all of the printed day
        "tz": tz.key,  # the page's script shows the code's expiry in it
        "rules": rules(policy),
    }
