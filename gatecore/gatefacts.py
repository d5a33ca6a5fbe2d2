"""The registry facts a gate holds for deciding offline (config v2), compact and keyed by id.

Central cuts them from the registry for one campus on one local date (``as_of``); the gate turns
them into the same :class:`gatecore.facts.Facts` central builds from its tables, so that both run
the rules on the same facts. What is not here the gate cannot know: whether a one-time visitor
pass was used at another gate (visitors entering are referred offline), a household day taken at
another gate while the network was down, and any change after ``as_of``/``issued_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gatecore.facts import Facts, Holder, Window
from gatecore.policy import STAFF_KINDS, STUDENT_KINDS
from gatecore.tokens import PassClaims, PassKind

OFFLINE_UNCHECKED = frozenset({PassKind.VISITOR})  # the one-time use is known only to central


@dataclass(frozen=True, slots=True)
class GateRegistry:
    """Per person (or vehicle) id: what the rules ask of the registry, cut on ``as_of``."""

    as_of: date
    key_persons: Mapping[int, date] = field(default_factory=dict)  # monitored through (inclusive)
    inactive: frozenset[int] = frozenset()
    commuters: frozenset[int] = frozenset()
    staff_approvals: Mapping[int, tuple[Window, ...]] = field(default_factory=dict)
    contractor_approvals: Mapping[int, tuple[Window, ...]] = field(default_factory=dict)
    return_batches: Mapping[int, tuple[Window, ...]] = field(default_factory=dict)
    vehicles: Mapping[int, tuple[date, int]] = field(default_factory=dict)  # id -> (until, owner)

    def facts(
        self, claims: PassClaims, *, revoked: bool, gate_open: bool, day: date, day_holder: Holder | None
    ) -> Facts:
        """The facts of a verified pass, as central's registry would give them on ``day``."""
        person_id = claims.person_id
        vehicle_registered = False
        known_person = True
        if claims.kind is PassKind.VEHICLE:
            vehicle = self.vehicles.get(claims.person_id)
            vehicle_registered = vehicle is not None and vehicle[0] >= day
            person_id = vehicle[1] if vehicle else 0
            known_person = vehicle is not None  # central finds no owner for an unknown vehicle
        approvals: tuple[Window, ...] = ()
        if claims.kind in STAFF_KINDS:
            approvals = self.staff_approvals.get(person_id, ())
        elif claims.kind is PassKind.CONTRACTOR:
            approvals = self.contractor_approvals.get(person_id, ())
        return Facts(
            revoked=revoked,
            person_active=known_person and person_id not in self.inactive,
            gate_open=gate_open,
            key_person_until=self.key_persons.get(person_id),
            commuter=person_id in self.commuters,
            approvals=approvals,
            return_batches=self.return_batches.get(person_id, ()) if claims.kind in STUDENT_KINDS else (),
            vehicle_registered=vehicle_registered,
            day_holder=day_holder,
            offline=True,
            unchecked=OFFLINE_UNCHECKED,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ids as strings (JSON object keys), dates ISO, windows as [start, end]."""

        def windows(m: Mapping[int, tuple[Window, ...]]) -> dict[str, list[list[str]]]:
            return {
                str(k): [[w.start.isoformat(), w.end.isoformat()] for w in v] for k, v in sorted(m.items())
            }

        return {
            "as_of": self.as_of.isoformat(),
            "key_persons": {str(k): v.isoformat() for k, v in sorted(self.key_persons.items())},
            "inactive": sorted(self.inactive),
            "commuters": sorted(self.commuters),
            "staff_approvals": windows(self.staff_approvals),
            "contractor_approvals": windows(self.contractor_approvals),
            "return_batches": windows(self.return_batches),
            "vehicles": {str(k): [u.isoformat(), o] for k, (u, o) in sorted(self.vehicles.items())},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GateRegistry:
        """Inverse of to_dict; raise ValueError naming the part that is wrong."""
        try:
            return cls(
                as_of=date.fromisoformat(d["as_of"]),
                key_persons={int(k): date.fromisoformat(v) for k, v in d.get("key_persons", {}).items()},
                inactive=frozenset(_ids(d.get("inactive", []))),
                commuters=frozenset(_ids(d.get("commuters", []))),
                staff_approvals=_windows(d.get("staff_approvals", {})),
                contractor_approvals=_windows(d.get("contractor_approvals", {})),
                return_batches=_windows(d.get("return_batches", {})),
                vehicles={
                    int(k): (date.fromisoformat(u), int(o)) for k, (u, o) in d.get("vehicles", {}).items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"registry facts cannot be read: {type(exc).__name__}: {exc}") from exc


def _ids(values: Any) -> list[int]:
    if not isinstance(values, list) or not all(
        isinstance(x, int) and not isinstance(x, bool) for x in values
    ):
        raise ValueError("expected a list of ids")
    return values


def _windows(m: Mapping[str, Any]) -> dict[int, tuple[Window, ...]]:
    return {
        int(k): tuple(Window(date.fromisoformat(a), date.fromisoformat(b)) for a, b in v)
        for k, v in m.items()
    }
