"""Response models of the REST API, kept apart from the tables so no column leaks by accident."""

from __future__ import annotations

import base64
from datetime import datetime

from pydantic import BaseModel

from central.models.journal import EntryEvent, FeverAlert, GateState, RejectedMessage
from central.models.registry import Gate


class HealthPublic(BaseModel):
    """Liveness and whether the database answers."""

    status: str
    database: bool
    time: datetime


class GatePublic(BaseModel):
    """A gate with the last status it published."""

    gate_id: str
    campus_id: int
    name_zh: str
    name_en: str
    open: bool
    state: str | None = None
    camera: str | None = None
    thermometer: str | None = None
    outbox: int | None = None
    policy_version: int | None = None
    last_seen: datetime | None = None
    clock_skew_s: float | None = None
    clock_off: bool = False

    @classmethod
    def of(cls, gate: Gate, state: GateState | None) -> GatePublic:
        """Join a gate and its state."""
        return cls(
            gate_id=gate.gate_id,
            campus_id=gate.campus_id,
            name_zh=gate.name_zh,
            name_en=gate.name_en,
            open=gate.open,
            state=state.state if state else None,
            camera=state.camera if state else None,
            thermometer=state.thermometer if state else None,
            outbox=state.outbox if state else None,
            policy_version=state.policy_version if state else None,
            last_seen=state.last_seen if state else None,
            clock_skew_s=state.clock_skew_s if state else None,
            clock_off=state.clock_off if state else False,
        )


class EntryPublic(BaseModel):
    """One entry-log row as the console shows it."""

    seq: int
    kind: str
    event_id: str
    of_event: str | None
    gate_id: str
    campus_id: int | None
    pass_id: int | None
    person_id: int | None
    household_id: int | None
    direction: str
    gate_time: datetime
    received_at: datetime
    celsius: float | None
    sensor_status: str
    verdict: str
    reason: str
    reasons: list[str]
    policy_version: int
    offline_verdict: str | None
    offline_reason: str | None
    conflict: str | None
    override_guard: str | None
    override_verdict: str | None
    override_reason: str | None
    row_hash: str

    @classmethod
    def of(cls, row: EntryEvent) -> EntryPublic:
        """From a log row."""
        data = row.model_dump(exclude={"reasons", "decision_json", "prev_hash"})
        return cls(**data, reasons=[r for r in row.reasons.split(",") if r])


class EntriesPublic(BaseModel):
    """A page of the entry log, newest first, with the number of matching rows."""

    data: list[EntryPublic]
    count: int


class FeverAlertPublic(BaseModel):
    """A fever alert."""

    id: int
    event_id: str
    gate_id: str
    campus_id: int | None
    celsius: float | None  # null: symptoms marked without a usable reading
    symptoms: list[str] = []  # what the guard marked (cough, other)
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None  # the user who acknowledged it (null before this was recorded)

    @classmethod
    def of(cls, row: FeverAlert) -> FeverAlertPublic:
        """From a table row."""
        data = row.model_dump(exclude={"symptoms"})
        return cls(**data, symptoms=[s for s in row.symptoms.split(",") if s])


class RejectedPublic(BaseModel):
    """A dead letter; the payload in base64 (it may not be text at all)."""

    id: int
    topic: str
    payload_b64: str
    payload_size: int
    reason: str
    received_at: datetime

    @classmethod
    def of(cls, row: RejectedMessage) -> RejectedPublic:
        """From a table row."""
        return cls(
            id=row.id or 0,
            topic=row.topic,
            payload_b64=base64.b64encode(row.payload).decode(),
            payload_size=row.payload_size,
            reason=row.reason,
            received_at=row.received_at,
        )
