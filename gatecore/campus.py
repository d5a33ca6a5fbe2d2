"""Per-campus settings (docs/rules.md) and the one place their valid ranges are defined."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from gatecore.tokens import PassKind
from gatecore.words import policy_problem

DEFAULT_TZ = "Asia/Shanghai"  # the one default time zone of campuses, the office and the demo
FEVER_THRESHOLD_RANGE = (37.0, 38.5)  # outside it the fever rule is off in practice (33 °C) or absurd
PLAUSIBLE_BOUNDS = (30.0, 45.0)  # the plausible-reading window must lie inside these
GROUP_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")  # a pass kind ("student") or a person's group tag
MAX_NAT_HOURS = 24 * 30  # a month: longer is no testing programme


@dataclass(frozen=True, slots=True)
class CampusPolicy:
    """Per-campus settings (docs/rules.md rule 9), versioned; every decision records the version."""

    campus_id: int
    version: int = 1
    fever_threshold: float = 37.3
    plausible_min: float = 34.0
    plausible_max: float = 43.0
    household_quota: bool = True
    timezone: str = DEFAULT_TZ
    allowed_kinds: frozenset[PassKind] = frozenset(PassKind)
    opens: time | None = None  # opening hours in local time; None: always open
    closes: time | None = None
    # closed management (seed 003 封闭化管理, seed 004 封闭住宿): groups kept in, whose exit needs an
    # approval; a group is a pass kind in lower case ("student") or a person's group tag ("logistics")
    closed_groups: frozenset[str] = frozenset()
    nat_interval_hours: int = 0  # kept-in people are tested this often (seed 002); 0: no programme
    nat_max_age_hours: int | None = None  # the gate refers a kept-in person without a negative this recent

    @property
    def tests_nucleic(self) -> bool:
        """Whether a kept-in person's latest negative test counts at the gate (so it must be read)."""
        return self.nat_max_age_hours is not None and bool(self.closed_groups)

    @property
    def zone(self) -> ZoneInfo:
        """The campus's time zone: its days, and the times its gates show. A name that is no IANA zone
        (``localtime``, a misspelling an older version stored) raises ZoneInfoNotFoundError: a decision
        is never taken on a guessed day (central answers ``refer``; a gate refuses such a config)."""
        if not valid_timezone(self.timezone):
            raise ZoneInfoNotFoundError(f"time zone {self.timezone!r} is not in the IANA database")
        return ZoneInfo(self.timezone)

    def local_date(self, at: datetime) -> date:
        """The campus's calendar date at an instant (the household day follows it)."""
        return at.astimezone(self.zone).date()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the config topic and the database."""
        d = dataclasses.asdict(self)
        d["allowed_kinds"] = sorted(k.name.lower() for k in self.allowed_kinds)
        d["closed_groups"] = sorted(self.closed_groups)
        d["opens"] = self.opens.isoformat() if self.opens else None
        d["closes"] = self.closes.isoformat() if self.closes else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CampusPolicy:
        """Inverse of to_dict; unknown keys are an error, a value of the wrong shape a PolicyValueError."""
        d = dict(d)
        problems: list[tuple[str, str, str]] = []
        if "allowed_kinds" in d:
            kinds = d["allowed_kinds"]
            names = (
                [k.upper() for k in kinds if isinstance(k, str)] if isinstance(kinds, list | tuple) else []
            )
            if len(names) != len(kinds) or not set(names) <= PassKind.__members__.keys():
                every = ", ".join(k.name.lower() for k in PassKind)
                problems.append(policy_problem("allowed_kinds", "kinds_list", every=every))
            else:
                d["allowed_kinds"] = frozenset(PassKind[k] for k in names)
        if "closed_groups" in d:
            groups = d["closed_groups"]
            if not isinstance(groups, list | tuple | set | frozenset) or not all(
                isinstance(g, str) for g in groups
            ):
                problems.append(policy_problem("closed_groups", "groups_list"))
            else:
                d["closed_groups"] = frozenset(groups)
        for key in ("opens", "closes"):
            value = d.get(key)
            if value is None or value == "":
                d[key] = None  # blank: always open (policy_problems wants both or neither)
            elif (at := _local_time(value)) is None:
                problems.append(policy_problem(key, "local_time"))
            else:
                d[key] = at
        if problems:
            raise PolicyValueError(problems)
        return cls(**d)


class PolicyValueError(ValueError):
    """Policy values of the wrong shape; ``problems`` as (field, 中文, English), like policy_problems."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(en for _, _, en in problems))
        self.problems = problems


def _local_time(value: object) -> time | None:
    """``value`` as a wall-clock time without an offset ("07:00"), or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        at = time.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is None else None


@cache
def _zones() -> frozenset[str]:
    # the standard library walks the zone files on every call (tens of ms): once per process
    return frozenset(available_timezones())


def usable_timezone(name: str) -> str:
    """``name`` when it is an IANA zone, else ``DEFAULT_TZ``: the clock a page, card or report reads a
    campus's times on when a stored name is unusable (refused on write since; an older row may hold one).
    The one fallback: every reader of a campus's zone outside the decision path goes through it."""
    return name if valid_timezone(name) else DEFAULT_TZ


def usable_zone(name: str) -> ZoneInfo:
    """:func:`usable_timezone` as a ZoneInfo."""
    return ZoneInfo(usable_timezone(name))


def valid_timezone(name: str) -> bool:
    """Whether ``name`` is a zone of the IANA database (``Asia/Shangai`` is not)."""
    # a policy's JSON may carry any type (a list is unhashable); "localtime" is a link to the machine's
    # own zone, not an IANA name: each server and gate would read another day, and browsers refuse it
    if not isinstance(name, str) or name == "localtime" or name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def policy_problems(policy: CampusPolicy) -> list[tuple[str, str, str]]:
    """What is wrong with a campus policy, as (field, 中文, English); empty when it can be used."""
    out: list[tuple[str, str, str]] = []
    for name in ("fever_threshold", "plausible_min", "plausible_max", "household_quota"):
        value = getattr(policy, name)
        if name == "household_quota" and not isinstance(value, bool):
            out.append(policy_problem(name, "quota_bool"))
        elif name != "household_quota" and (isinstance(value, bool) or not isinstance(value, int | float)):
            out.append(policy_problem(name, "number"))
    if out:  # the ranges below compare numbers
        return out
    lo, hi = FEVER_THRESHOLD_RANGE
    if not lo <= policy.fever_threshold <= hi:
        out.append(
            policy_problem("fever_threshold", "fever_range", lo=lo, hi=hi, value=policy.fever_threshold)
        )
    blo, bhi = PLAUSIBLE_BOUNDS
    if not blo <= policy.plausible_min < policy.plausible_max <= bhi:
        out.append(
            policy_problem(
                "plausible_min",
                "plausible_range",
                lo=blo,
                hi=bhi,
                low=policy.plausible_min,
                high=policy.plausible_max,
            )
        )
    elif not policy.plausible_min < policy.fever_threshold <= policy.plausible_max:
        out.append(policy_problem("fever_threshold", "fever_inside"))
    if not valid_timezone(policy.timezone):
        out.append(policy_problem("timezone", "timezone", name=policy.timezone, example=DEFAULT_TZ))
    if (policy.opens is None) != (policy.closes is None):
        out.append(policy_problem("opens", "hours_both"))
    elif policy.opens is not None and policy.opens == policy.closes:
        out.append(policy_problem("opens", "hours_differ"))
    if not policy.allowed_kinds:
        out.append(policy_problem("allowed_kinds", "kinds_empty"))
    return out + _closed_problems(policy)


def _closed_problems(policy: CampusPolicy) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    bad = sorted(
        str(g) for g in policy.closed_groups if not isinstance(g, str) or not GROUP_CODE.fullmatch(g)
    )
    if bad:
        out.append(policy_problem("closed_groups", "group_codes", bad=", ".join(bad)))
    interval = policy.nat_interval_hours
    if isinstance(interval, bool) or not isinstance(interval, int) or not 0 <= interval <= MAX_NAT_HOURS:
        out.append(policy_problem("nat_interval_hours", "nat_interval", most=MAX_NAT_HOURS))
    age = policy.nat_max_age_hours
    if age is not None and (
        isinstance(age, bool) or not isinstance(age, int) or not 1 <= age <= MAX_NAT_HOURS
    ):
        out.append(policy_problem("nat_max_age_hours", "nat_age", most=MAX_NAT_HOURS))
    return out
