"""The journal tables: household days, the append-only entry log, fever alerts, dead letters, gate state
and gate outages.

None of these carry foreign keys to the registry: the log must accept a scan of a pass or gate the
registry does not know (that is exactly what it has to record).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint, func, select, text
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel, col

from central.models.base import UTCDateTime, dialect_insert
from gatecore.reasons import Reason

logger = logging.getLogger(__name__)

DAY_KEY = "uq_household_day"  # the unique key a household day's claim stands on
RECONCILE = "offline_reconcile"  # the kind of an entry-log row completing an event decided before


class HouseholdDay(SQLModel, table=True):
    """Household H is used on local date D by person P: the unique key makes the claim atomic."""

    __tablename__ = "household_day"
    __table_args__ = (UniqueConstraint("household_id", "local_date", name=DAY_KEY),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    local_date: date
    person_id: int = Field(foreign_key="person.id")
    event_id: str
    created_at: datetime = Field(sa_type=UTCDateTime)


class EntryEvent(SQLModel, table=True):
    """One row of the entry log: append-only, each row hashing the one before (see auditlog)."""

    __tablename__ = "entry_event"
    # a semester of log (10^6 rows): a campus's day for the reports (gate time, and receive time for
    # reconciliations), a gate's, a verdict's or a reason's day for the search. The one-column indexes
    # stay: on SQLite they hand a whole semester's matches over in seq order, the search's page order
    __table_args__ = (
        Index("ix_entry_event_campus_gate_time", "campus_id", "gate_time"),
        Index("ix_entry_event_campus_received", "campus_id", "received_at"),
        Index("ix_entry_event_gate_received", "gate_id", "received_at"),
        Index("ix_entry_event_verdict_received", "verdict", "received_at"),
        Index("ix_entry_event_reason_received", "reason", "received_at"),
    )

    seq: int | None = Field(default=None, primary_key=True)
    kind: str = "decision"  # decision | offline_reconcile
    event_id: str = Field(unique=True, max_length=36)
    of_event: str | None = Field(default=None, index=True)  # a reconciliation row: the event it completes
    gate_id: str = Field(index=True, max_length=63)
    gate_seq: int | None = None
    campus_id: int | None = Field(default=None, index=True)
    pass_id: int | None = None
    person_id: int | None = Field(default=None, index=True)
    household_id: int | None = Field(default=None, index=True)
    direction: str = "in"
    gate_time: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)
    celsius: float | None = None
    sensor_status: str = ""
    verdict: str = Field(index=True)
    reason: str = Field(index=True)
    reasons: str = ""  # every code that applied, comma-separated
    policy_version: int = 0
    offline_verdict: str | None = None
    offline_reason: str | None = None
    offline_policy_version: int | None = None
    conflict: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    override_of: str | None = None
    override_guard: str | None = None
    override_verdict: str | None = None
    override_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # the exact DecisionMessage bytes published, so a duplicate is answered byte for byte
    decision_json: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(default="", max_length=64)  # set by central.audit.chain.append_entries
    row_hash: str = Field(default="", max_length=64)


def gate_verdict() -> Any:
    """SQL for what the gate did, on a decision row: the gate's offline decision (carried by the event,
    or by the reconciliation row a late copy appended beside it), else central's verdict. Where they
    differ central's view stays in ``verdict`` and a row carries the conflict. Its twin for rows not
    in the log yet is :func:`gate_verdict_of` (tests/central/models/test_gate_verdict.py holds them
    to one answer)."""
    return func.coalesce(EntryEvent.offline_verdict, _reconciled("offline_verdict"), EntryEvent.verdict)


def gate_verdict_of(row: Any, beside: Iterable[Any]) -> str:
    """What the gate did on decision ``row``, given the rows ``beside`` it that may reconcile it: the
    rule of :func:`gate_verdict`, for rows the SQL cannot see (a batch's, before they are inserted)."""
    if row.offline_verdict is not None:
        return str(row.offline_verdict)
    # the first reconciliation's verdict, as the SQL's lookup takes one (an event has at most one)
    mine = (r.offline_verdict for r in beside if r.kind == RECONCILE and r.of_event == row.event_id)
    reconciled = next(mine, None)
    return str(reconciled if reconciled is not None else row.verdict)


def gate_reason() -> Any:
    """SQL for the reason the gate showed (see :func:`gate_verdict`)."""
    return func.coalesce(EntryEvent.offline_reason, _reconciled("offline_reason"), EntryEvent.reason)


def decided_offline() -> Any:
    """SQL: the gate decided the scan of a decision row on its own (see :func:`gate_verdict`); not one
    it never acted on before a restart (``gate_restarted``: nothing shown, the gate was not offline).
    An offline decision is logged with its verdict and its reason, never one alone: its reason (the
    event's, else its reconciliation's) says both, in one lookup. A row without one reads as
    ``gate_restarted``: false, never NULL."""
    restarted = Reason.GATE_RESTARTED.value
    return func.coalesce(EntryEvent.offline_reason, _reconciled("offline_reason"), restarted) != restarted


def _reconciled(name: str) -> Any:
    # a copy carrying the gate's offline decision that came after central had decided the event (its
    # answer was late, or central was down while the broker kept the first copy): the log is
    # append-only, so the decision row stays as central made it and the gate's is in this row. A
    # correlated lookup by ``of_event`` (indexed); only rows without an offline decision of their own
    # ask (COALESCE stops at the first value)
    r = aliased(EntryEvent, name="reconciled")
    found = select(getattr(r, name)).where(col(r.of_event) == EntryEvent.event_id, col(r.kind) == RECONCILE)
    return found.limit(1).scalar_subquery()


class ChainHead(SQLModel, table=True):
    """The single row every append locks: it serialises the chain across workers and marks its end."""

    __tablename__ = "chain_head"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_seq: int = 0
    last_hash: str = Field(max_length=64)
    # set when the head was found missing under a log with rows and rebuilt from its last row (see
    # ensure_head): when, and the seq it was rebuilt on
    rebuilt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rebuilt_seq: int | None = None


class FeverAlert(SQLModel, table=True):
    """A fever or symptoms at a gate, to be acknowledged by the security office."""

    __tablename__ = "fever_alert"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=36)
    gate_id: str
    campus_id: int | None = None
    celsius: float | None = None  # None: symptoms marked without a usable reading
    # what the guard marked (cough, other), comma-separated; "" for a fever alone
    symptoms: str = Field(default="", sa_column_kwargs={"server_default": text("''")})
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = None  # the user who acknowledged it first


class RejectedMessage(SQLModel, table=True):
    """A dead letter: a payload central refused, kept (first 8 KiB) with the precise reason."""

    __tablename__ = "rejected_message"
    # a gate's refused numbers, found without reading payloads (central.decisions.sequence)
    __table_args__ = (Index("ix_rejected_message_topic_seq", "topic", "gate_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    topic: str
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    payload_size: int  # before truncation
    reason: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)
    gate_seq: int | None = None  # a scan event's number, when the refused payload holds a readable one


class GateState(SQLModel, table=True):
    """The last status a gate published (retained ``gates/{id}/status``)."""

    __tablename__ = "gate_state"

    gate_id: str = Field(primary_key=True, max_length=63)
    state: str
    camera: str = "unknown"
    thermometer: str = "unknown"
    outbox: int = 0
    policy_version: int = 0
    at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seen: datetime = Field(sa_type=UTCDateTime)
    clock_skew_s: float | None = None  # the gate's clock minus central's, at receipt
    clock_off: bool = False  # |clock_skew_s| above CentralSettings.max_clock_skew_s


class GateOutage(SQLModel, table=True):
    """One period a gate was offline: opened when an online gate says offline, closed when it is back.

    At most one open outage per gate (a partial unique index), so a status replayed on reconnect or
    seen by two workers at once cannot open a second one.
    """

    __tablename__ = "gate_outage"
    __table_args__ = (
        Index(
            "uq_gate_outage_open",
            "gate_id",
            unique=True,
            sqlite_where=text("back_online_at IS NULL"),
            postgresql_where=text("back_online_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    gate_id: str = Field(index=True, max_length=63)
    went_offline_at: datetime = Field(sa_type=UTCDateTime, index=True)
    back_online_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # offline_status: central heard the offline status (or Last Will) live, so the time is exact;
    # stopped: likewise, and the gate said it was stopped on purpose (an orderly shutdown);
    # retained_on_reconnect: central learned it from the retained status when it (re)subscribed,
    # so the gate went offline at some time before went_offline_at
    cause: str = "offline_status"


class GateSequence(SQLModel, table=True):
    """The highest event number central has seen from a gate in its current run of numbers.

    Its row is locked while an event is checked against it, so two workers never judge one gate's
    numbers from the same stale high mark.
    """

    __tablename__ = "gate_sequence"

    gate_id: str = Field(primary_key=True, max_length=63)
    high_seq: int = 0
    run: int = 1  # raised by every regression: the gate numbers again from an old value
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SequenceGap(SQLModel, table=True):
    """Gate events central never received, or a gate numbering backwards: something to explain.

    ``gap``: seqs first_seq..last_seq of one run have not arrived (narrowed as late copies come in,
    deleted once all have). ``regression``: the gate sent first_seq after reaching last_seq (its
    outbox was lost, its SD card replaced, its data restored from a backup).
    """

    __tablename__ = "sequence_gap"

    id: int | None = Field(default=None, primary_key=True)
    gate_id: str = Field(index=True, max_length=63)
    campus_id: int | None = Field(default=None, index=True)
    kind: str  # gap | regression
    run: int = 1
    first_seq: int
    last_seq: int
    event_id: str = Field(max_length=36)  # the event that revealed it
    detected_at: datetime = Field(sa_type=UTCDateTime, index=True)


GENESIS = "0" * 64  # the hash before the first row of the entry log


def ensure_head(session: Session) -> None:
    """Create the chain head row if it is missing (safe to run from several workers at once).

    An empty log's head starts at the genesis hash. A log with rows whose head is gone (deleted by
    hand, left out of a restore) gets it back from its last row, logged as an error and kept on the
    head (``rebuilt_at``, ``rebuilt_seq``): the chain goes on from that row and the verify names what
    else is wrong, where a head at genesis would blame the first row for ever and make every later
    row link to genesis. Rows removed from the end with the head leave no trace in the database: a
    kept checkpoint names them."""
    if session.execute(select(col(ChainHead.id)).where(col(ChainHead.id) == 1)).first() is not None:
        return
    last = session.execute(
        select(col(EntryEvent.seq), col(EntryEvent.row_hash)).order_by(col(EntryEvent.seq).desc()).limit(1)
    ).first()
    values: dict[str, Any] = {"id": 1, "last_seq": 0, "last_hash": GENESIS}
    if last is not None:
        seq, digest = last
        values |= {"last_seq": seq, "last_hash": digest, "rebuilt_at": datetime.now(UTC), "rebuilt_seq": seq}
    stmt = dialect_insert(session, ChainHead).values(**values).on_conflict_do_nothing(index_elements=["id"])
    if session.execute(stmt).rowcount and last is not None:  # type: ignore[attr-defined]
        logger.error(
            "the entry log's chain head was missing: rebuilt from seq %s, the log's last row; rows removed "
            "from the end with it show only against a kept checkpoint (campusgate audit verify --checkpoints)",
            values["last_seq"],
        )
