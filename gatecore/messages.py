"""Versioned MQTT message schemas (JSON, ``"v": 1``): the one place they are defined.

Each message is a frozen dataclass with ``to_json()`` and a strict ``from_json()`` that raises
:class:`MessageError` naming the field at fault. Golden files in tests/gatecore/golden pin the format.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from gatecore.health import CameraHealth, ThermometerHealth
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from gatecore.wire import (  # noqa: F401  (MessageError, event_id_of and the limits are part of this module's API)
    MAX_COUNTER,
    MAX_PAYLOAD,
    MAX_QR,
    MAX_TIME,
    MIN_TIME,
    VERSION,
    MessageError,
    _celsius,
    _counter,
    _default,
    _dump,
    _enum,
    _event_id,
    _field,
    _gate_id,
    _json,
    _load,
    _time,
    event_id_of,
    seq_of,
    shown,
    version_of,
)

CONFIG_VERSION = 2  # the retained gate config gained the registry facts (see GateConfig)
OVERRIDE_VERDICTS = (Verdict.ALLOW, Verdict.DENY)  # what a guard's override can say
SYMPTOMS = ("cough", "other")  # what a guard can mark at the gate (seed 003: 发烧咳嗽者)


@dataclass(frozen=True, slots=True)
class Temperature:
    """The reading paired with a scan."""

    celsius: float | None
    status: SensorStatus


@dataclass(frozen=True, slots=True)
class OfflineDecision:
    """What a gate decided on its own while central was out of reach."""

    verdict: Verdict
    reason: Reason
    policy_version: int


@dataclass(frozen=True, slots=True)
class Override:
    """A guard's override of an earlier decision, with the mandatory reason."""

    of_event: str
    guard: str
    verdict: Verdict
    reason: str


@dataclass(frozen=True, slots=True)
class ScanEvent:
    """Gate to central: one person at the gate. Central handles each event_id exactly once."""

    event_id: str
    gate_id: str
    seq: int
    gate_time: datetime
    qr: str
    temperature: Temperature
    direction: str = "in"
    offline: OfflineDecision | None = None
    override: Override | None = None
    symptoms: tuple[str, ...] = ()  # marked by the guard; absent on the wire when none (older gates)

    def to_json(self) -> bytes:
        """Serialise for the wire; without symptoms the bytes are those of a version-1 scan before them."""
        data = json.loads(_dump(self, "scan"))
        if not self.symptoms:
            del data["symptoms"]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, payload: bytes) -> ScanEvent:
        """Parse and validate; raise MessageError naming what is wrong."""
        d = _load(payload, "scan")
        qr = _field(d, "qr", str)
        if len(qr) > MAX_QR:
            raise MessageError(f"qr text of {len(qr)} characters exceeds {MAX_QR}")
        seq = _counter(d, "seq")
        direction = _field(d, "direction", str)
        if direction not in ("in", "out"):
            raise MessageError(f"direction must be 'in' or 'out', not {shown(direction)}")
        t = _field(d, "temperature", dict)
        temperature = Temperature(celsius=_celsius(t), status=_enum(t, "status", SensorStatus))
        off = _field(d, "offline", dict, optional=True)
        offline = None
        if off is not None:
            offline = OfflineDecision(
                verdict=_enum(off, "verdict", Verdict),
                reason=_enum(off, "reason", Reason),
                policy_version=_counter(off, "policy_version"),
            )
        ov = _field(d, "override", dict, optional=True)
        override = None
        if ov is not None:
            reason = _field(ov, "reason", str).strip()
            if not reason:
                raise MessageError("an override needs a reason")
            raw_verdict = _field(ov, "verdict", str)
            if raw_verdict not in {v.value for v in OVERRIDE_VERDICTS}:
                # a guard lets the person through or turns them away: nothing else is an override
                raise MessageError(f"an override's verdict must be allow or deny, not {shown(raw_verdict)}")
            verdict = Verdict(raw_verdict)
            override = Override(
                of_event=_event_id(ov, "of_event"),
                guard=_field(ov, "guard", str),
                verdict=verdict,
                reason=reason,
            )
        return cls(
            event_id=_event_id(d),
            gate_id=_gate_id(d),
            seq=seq,
            gate_time=_time(d, "gate_time"),  # type: ignore[arg-type]
            qr=qr,
            temperature=temperature,
            direction=direction,
            offline=offline,
            override=override,
            symptoms=_symptoms(d),
        )


def _symptoms(data: dict[str, Any]) -> tuple[str, ...]:
    raw = _field(data, "symptoms", list, optional=True) or []
    unknown = [x for x in raw if x not in SYMPTOMS]
    if unknown:
        raise MessageError(f"symptoms has unknown value(s) {shown(unknown)}; known: {', '.join(SYMPTOMS)}")
    if len(set(raw)) != len(raw):
        raise MessageError("symptoms lists a value twice")
    return tuple(raw)


@dataclass(frozen=True, slots=True)
class DecisionMessage:
    """Central to gate: the verdict, its words, and the acknowledgement of ``event_id``."""

    event_id: str
    gate_id: str
    verdict: Verdict
    reason: Reason
    reasons: list[str]
    text_zh: str
    text_en: str
    action_zh: str
    action_en: str
    holder: str  # masked name, e.g. 张*明
    household: str  # label, e.g. 坞城校区 3-2-501
    celsius: float | None
    open: bool
    policy_version: int
    decided_at: datetime
    offline: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
    # central's log holds the gate's offline decision on this event: only such an answer lets a gate
    # drop an outbox row that carries one (absent in older messages: read as false)
    offline_recorded: bool = False

    def to_json(self) -> bytes:
        """Serialise for the wire."""
        return _dump(self, "decision")

    @classmethod
    def from_json(cls, payload: bytes) -> DecisionMessage:
        """Parse and validate; raise MessageError naming what is wrong."""
        d = _load(payload, "decision")
        return cls(
            event_id=_event_id(d),
            gate_id=_gate_id(d),
            verdict=_enum(d, "verdict", Verdict),
            reason=_enum(d, "reason", Reason),
            reasons=list(_field(d, "reasons", list)),
            text_zh=_field(d, "text_zh", str),
            text_en=_field(d, "text_en", str),
            action_zh=_field(d, "action_zh", str),
            action_en=_field(d, "action_en", str),
            holder=_field(d, "holder", str),
            household=_field(d, "household", str),
            celsius=_celsius(d),
            open=_field(d, "open", bool),
            policy_version=_counter(d, "policy_version"),
            decided_at=_time(d, "decided_at"),  # type: ignore[arg-type]
            offline=bool(_field(d, "offline", bool, optional=True)),
            detail=_field(d, "detail", dict, optional=True) or {},
            offline_recorded=bool(_field(d, "offline_recorded", bool, optional=True)),
        )


@dataclass(frozen=True, slots=True)
class GateStatus:
    """Retained availability and device health; the Last Will publishes state=offline."""

    gate_id: str
    state: str  # online | offline
    camera: str = CameraHealth.UNKNOWN.value  # a CameraHealth value
    thermometer: str = ThermometerHealth.UNKNOWN.value  # a ThermometerHealth value
    outbox: int = 0
    at: datetime | None = None
    policy_version: int = 0
    frames_skipped: int = 0  # since the agent started: camera frames not decoded under back-pressure
    stopped: bool = False  # offline because the gate was stopped on purpose; the Last Will says False

    def to_json(self) -> bytes:
        """Serialise for the wire."""
        return _dump(self, "status")

    @classmethod
    def from_json(cls, payload: bytes) -> GateStatus:
        """Parse and validate; raise MessageError naming what is wrong."""
        d = _load(payload, "status")
        state = _field(d, "state", str)
        if state not in ("online", "offline"):
            raise MessageError(f"state must be online or offline, not {shown(state)}")
        return cls(
            gate_id=_gate_id(d),
            state=state,
            # one of the known values: the text is stored, shown and logged as it comes
            camera=_enum(d, "camera", CameraHealth).value,
            thermometer=_enum(d, "thermometer", ThermometerHealth).value,
            outbox=_counter(d, "outbox"),
            at=_time(d, "at", optional=True),
            policy_version=_counter(d, "policy_version"),
            # added later in version 1: a gate that predates it sends none
            frames_skipped=_counter(d, "frames_skipped") if d.get("frames_skipped") is not None else 0,
            stopped=bool(_field(d, "stopped", bool, optional=True)),  # added later in version 1 too
        )


@dataclass(frozen=True, slots=True)
class GateConfig:
    """Retained, central to gate: what the gate needs to decide offline.

    Version 2 adds ``registry`` (:class:`gatecore.gatefacts.GateRegistry` as a dict: key persons,
    deactivated people, commuters, approvals, return batches, vehicles). A config without it is
    written as version 1, and both versions are read: a gate given a version 1 config refers the
    kinds whose records it lacks, as before.
    """

    gate_id: str
    campus_id: int
    gate_open: bool
    policy: dict[str, Any]  # CampusPolicy.to_dict()
    public_keys: dict[str, str]  # key id -> base64 raw Ed25519 public key
    revoked: list[int]
    issued_at: datetime
    registry: dict[str, Any] | None = None  # GateRegistry.to_dict(); version 2

    def to_json(self) -> bytes:
        """Serialise for the wire (not size-limited like events: revocation lists grow)."""
        data = {"v": CONFIG_VERSION if self.registry is not None else 1, "type": "config"}
        data.update(asdict(self))
        if self.registry is None:
            del data["registry"]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default).encode()

    @classmethod
    def from_json(cls, payload: bytes) -> GateConfig:
        """Parse and validate; raise MessageError naming what is wrong."""
        d = _json(payload, "config")
        if not isinstance(d, dict) or version_of(d) not in (1, CONFIG_VERSION) or d.get("type") != "config":
            raise MessageError(f"not a version 1 or {CONFIG_VERSION} config message")
        revoked = _field(d, "revoked", list)
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in revoked):
            raise MessageError("revoked must be a list of pass ids")
        return cls(
            gate_id=_gate_id(d),
            campus_id=_field(d, "campus_id", int),
            gate_open=_field(d, "gate_open", bool),
            policy=_field(d, "policy", dict),
            public_keys=_field(d, "public_keys", dict),
            revoked=revoked,
            issued_at=_time(d, "issued_at"),  # type: ignore[arg-type]
            registry=_field(d, "registry", dict) if d["v"] == CONFIG_VERSION else None,
        )


@dataclass(frozen=True, slots=True)
class FeverAlert:
    """Central to the offices: a fever or marked symptoms at a gate, at once."""

    event_id: str
    gate_id: str
    campus_id: int
    celsius: float | None
    holder: str
    household: str
    at: datetime
    symptoms: tuple[str, ...] = ()  # marked by the guard; absent on the wire for a fever alone

    def to_json(self) -> bytes:
        """Serialise for the wire."""
        data = json.loads(_dump(self, "fever"))
        if not self.symptoms:
            del data["symptoms"]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
