"""Reading and writing message fields: strict JSON loading, typed fields with precise errors, and the
limits every field is held to (counters, times, sizes). The schemas themselves are in messages.py."""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from typing import Any

from gatecore import CoreError
from gatecore.thermoline import CELSIUS_MAX, CELSIUS_MIN
from gatecore.topics import valid_gate_id

VERSION = 1  # of every message's envelope ("v")
MAX_PAYLOAD = 8192  # a scan event is ~400 bytes; anything near this is an attack or a bug
MAX_QR = 1024
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
    if version_of(data) != VERSION:
        raise MessageError(f"unsupported message version {shown(data.get('v'))}")
    if data.get("type") != kind:
        raise MessageError(f"expected type {kind!r}, got {shown(data.get('type'))}")
    return data


def version_of(data: dict[str, Any]) -> int | None:
    """A message's ``"v"`` when it is an integer: ``true`` and ``1.0`` equal 1 in Python, not on the wire."""
    v = data.get("v")
    return v if type(v) is int else None


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


def seq_of(payload: bytes) -> int | None:
    """The gate's number of a scan payload that failed to parse, when it holds a readable one."""
    if len(payload) > MAX_PAYLOAD:
        return None
    try:
        data = _json(payload, "payload")
    except MessageError:
        return None
    raw = data.get("seq") if isinstance(data, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_COUNTER:
        return None
    return raw


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
        raise MessageError(f"field {name!r} is null" if name in data else f"missing field {name!r}")
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


def fit_qr(text: str) -> str:
    """A decoded QR text as a scan event can carry it: NUL and text that cannot be encoded become
    U+FFFD and it is cut to MAX_QR, so a camera showing any code still makes an event central logs
    (no pass is that long or holds such bytes: the rules then name it foreign or damaged)."""
    text = text.replace("\x00", "\ufffd").encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text[:MAX_QR]


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
        raise MessageError(f"field {name!r} is not an ISO 8601 time: {shown(raw)}") from None
    if value.tzinfo is None:
        raise MessageError(f"field {name!r} has no UTC offset")
    try:
        in_range = MIN_TIME <= value < MAX_TIME
    except OverflowError:  # year 1 with a positive offset has no UTC equivalent
        in_range = False
    if not in_range:
        raise MessageError(f"field {name!r} is outside the years {MIN_TIME.year} to {MAX_TIME.year - 1}")
    return value


def shown(value: Any, limit: int = 60) -> str:
    """A value as a reason quotes it: its repr, cut to ``limit`` characters (a reason is stored and
    logged; a payload's 8 KiB string must not become an 8 KiB log line)."""
    return clipped(repr(value), limit)


def clipped(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending in "…" when it was cut (so a reader knows)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _enum(data: dict[str, Any], name: str, enum_type: Any) -> Any:
    raw = _field(data, name, str)
    try:
        return enum_type(raw)
    except ValueError:
        known = ", ".join(str(m.value) for m in enum_type)
        raise MessageError(f"field {name!r} has unknown value {shown(raw)}; known: {known}") from None


def _gate_id(data: dict[str, Any]) -> str:
    gate_id = _field(data, "gate_id", str)
    if not valid_gate_id(gate_id):
        raise MessageError(f"invalid gate id {shown(gate_id)}")
    return gate_id


def _event_id(data: dict[str, Any], name: str = "event_id") -> str:
    raw = _field(data, name, str)
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise MessageError(f"{name} {shown(raw)} is not a UUID") from None


def _dump(obj: Any, kind: str) -> bytes:
    data = {"v": VERSION, "type": kind}
    data.update(_fields(obj))
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default).encode()


def _fields(obj: Any) -> dict[str, Any]:
    # what asdict gives, without its deep copy (a fifth of a decision's cost): nested dataclasses are
    # expanded by _default as the encoder meets them, so the bytes are the same
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
