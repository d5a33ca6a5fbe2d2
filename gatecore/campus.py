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

DEFAULT_TZ = "Asia/Shanghai"  # the one default time zone of campuses, the office and the demo
FEVER_THRESHOLD_RANGE = (37.0, 38.5)  # outside it the fever rule is off in practice (33 °C) or absurd
PLAUSIBLE_BOUNDS = (30.0, 45.0)  # the plausible-reading window must lie inside these
GROUP_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")  # a pass kind ("student") or a person's group tag
MAX_NAT_HOURS = 24 * 30  # a month: longer is no testing programme
_ZH = {
    "fever_threshold": "发热阈值",
    "plausible_min": "合理体温下限",
    "plausible_max": "合理体温上限",
    "opens": "开放时间",
    "closes": "关闭时间",
}


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
                problems.append(
                    (
                        "allowed_kinds",
                        f"允许的人员类别须为列表，取值为：{every}",
                        f"allowed_kinds must be a list of: {every}",
                    )
                )
            else:
                d["allowed_kinds"] = frozenset(PassKind[k] for k in names)
        if "closed_groups" in d:
            groups = d["closed_groups"]
            if not isinstance(groups, list | tuple | set | frozenset) or not all(
                isinstance(g, str) for g in groups
            ):
                problems.append(
                    (
                        "closed_groups",
                        '封闭管理分组须为分组代码的列表，如 ["student"]',
                        'closed_groups must be a list of group codes, e.g. ["student"]',
                    )
                )
            else:
                d["closed_groups"] = frozenset(groups)
        for key in ("opens", "closes"):
            value = d.get(key)
            if value is None or value == "":
                d[key] = None  # blank: always open (policy_problems wants both or neither)
            elif (at := _local_time(value)) is None:
                problems.append(
                    (
                        key,
                        f"{_ZH[key]}须为当地时间 时:分（如 07:00），不带时区",
                        f"{key} must be a local time HH:MM, e.g. 07:00",
                    )
                )
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
            out.append((name, "一户一人规则须为 true 或 false", f"{name} must be true or false"))
        elif name != "household_quota" and (isinstance(value, bool) or not isinstance(value, int | float)):
            out.append((name, f"{_ZH[name]}须为数字（摄氏度）", f"{name} must be a number (°C)"))
    if out:  # the ranges below compare numbers
        return out
    lo, hi = FEVER_THRESHOLD_RANGE
    if not lo <= policy.fever_threshold <= hi:
        out.append(
            (
                "fever_threshold",
                f"发热阈值须在 {lo}–{hi} °C 之间（现为 {policy.fever_threshold}）",
                f"fever threshold must be within {lo}–{hi} °C (got {policy.fever_threshold})",
            )
        )
    blo, bhi = PLAUSIBLE_BOUNDS
    if not blo <= policy.plausible_min < policy.plausible_max <= bhi:
        out.append(
            (
                "plausible_min",
                f"合理体温范围须在 {blo}–{bhi} °C 之内且下限小于上限"
                f"（现为 {policy.plausible_min}–{policy.plausible_max}）",
                f"plausible range must lie within {blo}–{bhi} °C with min < max "
                f"(got {policy.plausible_min}–{policy.plausible_max})",
            )
        )
    elif not policy.plausible_min < policy.fever_threshold <= policy.plausible_max:
        out.append(
            (
                "fever_threshold",
                "发热阈值须在合理体温范围之内",
                "fever threshold must lie inside the plausible range",
            )
        )
    if not valid_timezone(policy.timezone):
        out.append(
            (
                "timezone",
                f"时区“{policy.timezone}”不在 IANA 时区库中（例如 {DEFAULT_TZ}）",
                f"time zone {policy.timezone!r} is not in the IANA database (e.g. {DEFAULT_TZ})",
            )
        )
    if (policy.opens is None) != (policy.closes is None):
        out.append(
            ("opens", "开放与关闭时间须同时填写或同时留空", "give both opening and closing times, or neither")
        )
    elif policy.opens is not None and policy.opens == policy.closes:
        out.append(("opens", "开放时间与关闭时间不能相同", "opening and closing times must differ"))
    if not policy.allowed_kinds:
        out.append(("allowed_kinds", "至少允许一类人员", "allow at least one category"))
    return out + _closed_problems(policy)


def _closed_problems(policy: CampusPolicy) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    bad = sorted(
        str(g) for g in policy.closed_groups if not isinstance(g, str) or not GROUP_CODE.fullmatch(g)
    )
    if bad:
        out.append(
            (
                "closed_groups",
                f"封闭管理分组须为小写字母、数字或下划线（如 student、logistics），不能用 {', '.join(bad)}",
                f"closed_groups: {', '.join(bad)} are not group codes (lower-case letters, digits, _)",
            )
        )
    interval = policy.nat_interval_hours
    if isinstance(interval, bool) or not isinstance(interval, int) or not 0 <= interval <= MAX_NAT_HOURS:
        out.append(
            (
                "nat_interval_hours",
                f"核酸检测周期须为 0（不检测）至 {MAX_NAT_HOURS} 小时",
                f"nat_interval_hours must be 0 (off) to {MAX_NAT_HOURS}",
            )
        )
    age = policy.nat_max_age_hours
    if age is not None and (
        isinstance(age, bool) or not isinstance(age, int) or not 1 <= age <= MAX_NAT_HOURS
    ):
        out.append(
            (
                "nat_max_age_hours",
                f"闸机核酸时效须留空（不查验）或为 1 至 {MAX_NAT_HOURS} 小时",
                f"nat_max_age_hours must be empty (off) or 1 to {MAX_NAT_HOURS}",
            )
        )
    return out
