"""Who steps up to a fleet gate: the mix of scans and what central should answer to each.

A :class:`FleetPlan` is plain data (gate ids and QR texts per campus), so the fleet needs no
database; :mod:`campusgate.fleet_plan` builds one from central's seeded demo passes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from gatecore.base45 import b45decode, b45encode
from gatecore.reasons import Reason, Verdict
from gatecore.tokens import PREFIX

# the scans a fleet sends, and the one answer central must give to each
EXPECTED: dict[str, tuple[Verdict, Reason]] = {
    "resident": (Verdict.ALLOW, Reason.OK),  # the household's first member: claims or holds the day
    "second": (Verdict.DENY, Reason.HOUSEHOLD_DAY_USED),  # another member, once the first was admitted
    "staff": (Verdict.ALLOW, Reason.OK),  # approved staff
    "fever": (Verdict.DENY, Reason.FEVER),  # a first member at 37.5-39.0 °C
    "visitor": (Verdict.ALLOW, Reason.OK),  # a one-time visitor pass, first use
    "visitor_reused": (Verdict.DENY, Reason.VISITOR_PASS_USED),  # the pool ran dry: a pass used before
    "forged": (Verdict.DENY, Reason.TOKEN_BAD_SIGNATURE),  # a real pass with its person id altered
}
DEFAULT_MIX = {"resident": 60, "second": 10, "staff": 10, "fever": 5, "visitor": 8, "forged": 7}
MIX_KINDS = tuple(DEFAULT_MIX)


class MixError(ValueError):
    """A --mix text that cannot be read."""


@dataclass(frozen=True, slots=True)
class CampusCards:
    """One campus's passes: households (first member first), approved staff, fresh visitor passes."""

    households: list[list[str]]
    staff: list[str]
    visitors: list[str]


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """The gates to simulate (gate id, campus code) and the passes people show at them."""

    gates: list[tuple[str, str]]
    campuses: dict[str, CampusCards]


def parse_mix(text: str | None) -> dict[str, float]:
    """``resident=60,second=10,…`` (weights, any scale; kinds left out weigh 0) or None: the default."""
    if not text:
        return dict(DEFAULT_MIX)
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or name not in MIX_KINDS:
            raise MixError(f"{part.strip()!r}: expected KIND=WEIGHT with KIND one of {', '.join(MIX_KINDS)}")
        try:
            mix[name] = float(value)
        except ValueError:
            raise MixError(f"{part.strip()!r}: the weight is not a number") from None
        if not 0 <= mix[name] < math.inf:  # NaN too: random.choices fails on it only mid-run
            raise MixError(f"{part.strip()!r}: a weight must be a finite number, not negative")
    if sum(mix.values()) <= 0:
        raise MixError("the weights add up to nothing")
    return mix


def forge(qr: str) -> str:
    """The same pass with its person id changed and the signature kept: what a forger prints."""
    raw = bytearray(b45decode(qr[len(PREFIX) :]))
    raw[18] ^= 0x01  # the last byte of the person id (bytes 15-18, docs/pass-format.md)
    return PREFIX + b45encode(bytes(raw))


@dataclass(frozen=True, slots=True)
class Scan:
    """One person at one gate: what they show, their temperature, and what kind of scan it is."""

    kind: str
    qr: str
    celsius: float
    household: tuple[str, int] | None = None  # (campus, index) of a first member's household
    visitor: tuple[str, int] | None = None  # (campus, index) of a fresh visitor pass


@dataclass
class Picker:
    """Draws scans for the mix; remembers which households' first members were admitted."""

    plan: FleetPlan
    mix: dict[str, float]
    rng: random.Random
    admitted: dict[str, set[int]] = field(default_factory=dict)  # campus -> household indexes
    spent: dict[str, list[int]] = field(default_factory=dict)  # campus -> visitor passes answered once
    _handed: dict[str, int] = field(default_factory=dict)  # campus -> visitor passes handed out

    def pick(self, campus: str) -> Scan:
        """The next person at a gate of ``campus``."""
        cards = self.plan.campuses[campus]
        kind = self.rng.choices(list(self.mix), weights=list(self.mix.values()))[0]
        normal = round(self.rng.uniform(36.0, 37.1), 1)
        if kind == "second":
            # only households whose first member is in: then the refusal is certain, not a race
            pool = [i for i in self.admitted.get(campus, ()) if len(cards.households[i]) > 1]
            if pool:
                i = self.rng.choice(pool)
                return Scan("second", self.rng.choice(cards.households[i][1:]), normal)
            kind = "resident"
        if kind == "staff" and cards.staff:
            return Scan("staff", self.rng.choice(cards.staff), normal)
        if kind == "visitor" and cards.visitors:
            n = self._handed.get(campus, 0)
            if n < len(cards.visitors):
                self._handed[campus] = n + 1
                return Scan("visitor", cards.visitors[n], normal, visitor=(campus, n))
            if self.spent.get(campus):  # a pass whose first use is answered: the refusal is certain
                return Scan("visitor_reused", cards.visitors[self.rng.choice(self.spent[campus])], normal)
        i = self.rng.randrange(len(cards.households))
        first = cards.households[i][0]
        if kind == "fever":
            return Scan("fever", first, round(self.rng.uniform(37.5, 39.0), 1))
        if kind == "forged":
            return Scan("forged", forge(first), normal)
        return Scan("resident", first, normal, (campus, i))

    def answered(self, scan: Scan, verdict: Verdict) -> None:
        """Record an answer: an admitted first member makes their household's others refusable, and a
        visitor pass once answered may be shown again."""
        if scan.household is not None and verdict is Verdict.ALLOW:
            campus, i = scan.household
            self.admitted.setdefault(campus, set()).add(i)
        if scan.visitor is not None:
            campus, n = scan.visitor
            self.spent.setdefault(campus, []).append(n)
