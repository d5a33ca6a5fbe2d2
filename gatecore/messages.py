"""Versioned MQTT message schemas (JSON, ``"v": 1``): the one place they are defined.

Each message is a frozen dataclass with ``to_json()`` and a strict ``from_json()`` that raises
:class:`MessageError` naming the field at fault. Golden files in tests/gatecore/golden pin the format.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from gatecore import CoreError
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import CELSIUS_MAX, CELSIUS_MIN, SensorStatus
from gatecore.topics import valid_gate_id

VERSION = 1
CONFIG_VERSION = 2  # the retained gate config gained the registry facts (see GateConfig)
MAX_PAYLOAD = 8192  # a scan event is ~400 bytes; anything near this is an attack or a bug
MAX_QR = 1024
SYMPTOMS = ("cough", "other")  # what a guard can mark at the gate (seed 003: 发烧咳嗽者)
# counters are stored in 32-bit integer columns (PostgreSQL INTEGER): larger ones are refused here,
# at the schema, rather than failing inside the database transaction
MAX_COUNTER = 2**31 - 1
# times outside these years are a broken clock or an attack; refusing them keeps the date arithmetic
# of the rules (local days, validity windows, UTC offsets) far from datetime's limits
MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2200, 1, 1, tzinfo=UTC)


class MessageError(CoreError):
    """A payload is not a valid message of the expected type."""


def _load(payload: bytes, kind: str) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD:
        raise MessageError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    data = _json(payload, "payload")
    if not isinstance(data, dict):
        raise MessageError("payload is not a JSON object")
    if data.get("v") != VERSION:
        raise MessageError(f"unsupported message version {data.get('v')!r}")
    if data.get("type") != kind:
        raise MessageError(f"expected type {kind!r}, got {data.get('type')!r}")
    return data


def _json(payload: bytes, what: str) -> Any:
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MessageError(f"{what} is not JSON: {exc}") from None
    except RecursionError:
        raise MessageError(f"{what} nests JSON too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise MessageError(f"{what} holds an unreadable number: {str(exc)[:80]}") from None


_EVENT_ID_TEXT = re.compile(rb'"event_id"\s*:\s*"([0-9a-fA-F-]{32,36})"')


def event_id_of(payload: bytes) -> str | None:
    """The event id of a scan payload that failed to parse, when it holds a readable one (else None)."""
    if len(payload) > MAX_PAYLOAD:
        return None
    try:
        data = _json(payload, "payload")
        raw = data.get("event_id") if isinstance(data, dict) else None
    except MessageError:
        # JSON too deep or damaged elsewhere: the id is still plain to see, once and only once
        found = _EVENT_ID_TEXT.findall(payload)
        raw = found[0].decode() if len(found) == 1 else None
    try:
        return str(uuid.UUID(raw)) if isinstance(raw, str) else None
    except ValueError:
        return None


def _field(data: dict[str, Any], name: str, types: type | tuple[type, ...], *, optional: bool = False) -> Any:
    if name not in data or data[name] is None:
        if optional:
            return None
        raise MessageError(f"missing field {name!r}")
    value = data[name]
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise MessageError(f"field {name!r} must not be a boolean")
    if not isinstance(value, types):
        raise MessageError(f"field {name!r} has type {type(value).__name__}")
    if isinstance(value, str):
        # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded for any database
        if "\x00" in value:
            raise MessageError(f"field {name!r} contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise MessageError(f"field {name!r} is not valid Unicode text") from None
    return value


def _counter(data: dict[str, Any], name: str) -> int:
    value = _field(data, name, int)
    if not 0 <= value <= MAX_COUNTER:
        raise MessageError(f"field {name!r} must be between 0 and {MAX_COUNTER}")
    return value


def _celsius(data: dict[str, Any]) -> float | None:
    """A finite reading within the thermometer's range, -0.0 read as 0.0 (it must hash as stored)."""
    value = _field(data, "celsius", (int, float), optional=True)
    if value is None:
        return None
    # compare before float(): a 400-digit integer overflows a float
    if isinstance(value, float) and not math.isfinite(value):
        raise MessageError(f"celsius {value!r} is not a finite number")
    if not CELSIUS_MIN <= value <= CELSIUS_MAX:
        raise MessageError(f"celsius out of the range {CELSIUS_MIN} to {CELSIUS_MAX}")
    return float(value) + 0.0


def _time(data: dict[str, Any], name: str, *, optional: bool = False) -> datetime | None:
    raw = _field(data, name, str, optional=optional)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise MessageError(f"field {name!r} is not an ISO 8601 time: {raw!r}") from None
    if value.tzinfo is None:
        raise MessageError(f"field {name!r} has no UTC offset")
    try:
        in_range = MIN_TIME <= value < MAX_TIME
    except OverflowError:  # year 1 with a positive offset has no UTC equivalent
        in_range = False
    if not in_range:
        raise MessageError(f"field {name!r} is outside the years {MIN_TIME.year} to {MAX_TIME.year - 1}")
    return value


def _enum(data: dict[str, Any], name: str, enum_type: Any) -> Any:
    raw = _field(data, name, str)
    try:
        return enum_type(raw)
    except ValueError:
        raise MessageError(f"field {name!r} has unknown value {raw!r}") from None


def _gate_id(data: dict[str, Any]) -> str:
    gate_id = _field(data, "gate_id", str)
    if not valid_gate_id(gate_id):
        raise MessageError(f"invalid gate id {gate_id!r}")
    return gate_id


def _event_id(data: dict[str, Any]) -> str:
    raw = _field(data, "event_id", str)
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise MessageError(f"event_id {raw!r} is not a UUID") from None


def _dump(obj: Any, kind: str) -> bytes:
    data = {"v": VERSION, "type": kind}
    data.update(asdict(obj))
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default).encode()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


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
            raise MessageError(f"direction must be 'in' or 'out', not {direction!r}")
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
            override = Override(
                of_event=_field(ov, "of_event", str),
                guard=_field(ov, "guard", str),
                verdict=_enum(ov, "verdict", Verdict),
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
        raise MessageError(f"symptoms has unknown value(s) {unknown!r}; known: {', '.join(SYMPTOMS)}")
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
    camera: str = "unknown"  # ok | no_signal | frozen | unknown
    thermometer: str = "unknown"  # ok | silent | garbage | stuck | unplugged | unknown
    outbox: int = 0
    at: datetime | None = None
    policy_version: int = 0
    frames_skipped: int = 0  # since the agent started: camera frames not decoded under back-pressure

    def to_json(self) -> bytes:
        """Serialise for the wire."""
        return _dump(self, "status")

    @classmethod
    def from_json(cls, payload: bytes) -> GateStatus:
        """Parse and validate; raise MessageError naming what is wrong."""
        d = _load(payload, "status")
        state = _field(d, "state", str)
        if state not in ("online", "offline"):
            raise MessageError(f"state must be online or offline, not {state!r}")
        return cls(
            gate_id=_gate_id(d),
            state=state,
            camera=_field(d, "camera", str),
            thermometer=_field(d, "thermometer", str),
            outbox=_counter(d, "outbox"),
            at=_time(d, "at", optional=True),
            policy_version=_counter(d, "policy_version"),
            # added later in version 1: a gate that predates it sends none
            frames_skipped=_counter(d, "frames_skipped") if d.get("frames_skipped") is not None else 0,
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
        if not isinstance(d, dict) or d.get("v") not in (1, CONFIG_VERSION) or d.get("type") != "config":
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
