"""The durable outbox, the local household-day ledger and the stored config, on temporary SQLite."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gate_agent.ledger import KEEP_DAYS, ConfigStore, LocalLedger
from gate_agent.outbox import SqliteOutbox
from gate_agent.store import Store
from gatecore.messages import OfflineDecision, ScanEvent, Temperature
from gatecore.policy import DayClaim
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from tests.gate_agent.conftest import make_config


def event(outbox: SqliteOutbox, qr: str = "CG1:XYZ") -> ScanEvent:
    return ScanEvent(
        event_id=str(uuid.uuid4()),
        gate_id="g1",
        seq=outbox.next_seq(),
        gate_time=datetime.now(UTC),
        qr=qr,
        temperature=Temperature(36.5, SensorStatus.OK),
    )


def test_put_pending_ack(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "gate.sqlite")
    a, b, c = event(box), event(box), event(box)
    for e in (b, a, c):  # stored out of order: pending() is in seq order
        box.put(e)
    assert [e.event_id for e in box.pending()] == [a.event_id, b.event_id, c.event_id]
    assert box.pending()[0] == a
    assert box.depth() == 3
    assert box.ack(b.event_id) is True
    assert box.ack(b.event_id) is False  # a duplicate decision
    assert [e.event_id for e in box.pending()] == [a.event_id, c.event_id]
    assert len(box.pending(limit=1)) == 1
    box.put(a)  # put twice: still once
    assert box.depth() == 2
    box.close()


def test_survives_reopening_and_seq_keeps_counting(tmp_path: Path) -> None:
    path = tmp_path / "gate.sqlite"
    box = SqliteOutbox(path)
    first = [event(box) for _ in range(3)]
    for e in first:
        box.put(e)
    box.ack(first[0].event_id)
    box.close()
    box = SqliteOutbox(path)
    assert [e.event_id for e in box.pending()] == [e.event_id for e in first[1:]]
    assert box.next_seq() == 4
    box.close()


def test_offline_decision_is_attached_for_the_resend(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "gate.sqlite")
    e = event(box)
    box.put(e)
    off = OfflineDecision(Verdict.ALLOW, Reason.OK, 3)
    box.attach_offline(e.event_id, off)
    assert box.pending()[0].offline == off
    # an answer to the copy sent before the gate decided does not cover what the gate did
    assert box.ack(e.event_id) is False
    assert box.pending()[0].offline == off
    assert box.ack(e.event_id, offline_recorded=True) is True
    box.attach_offline(e.event_id, off)  # already acknowledged: nothing to do, no error
    assert box.depth() == 0


def test_settle_unacted_marks_only_events_the_gate_never_decided(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "gate.sqlite")
    acted, waiting = event(box), event(box)
    box.put(acted)
    box.put(waiting)
    off = OfflineDecision(Verdict.ALLOW, Reason.OK, 3)
    box.attach_offline(acted.event_id, off)
    assert box.settle_unacted(4) == 1
    by_id = {e.event_id: e.offline for e in box.pending()}
    assert by_id[acted.event_id] == off  # what the gate did stays as it did it
    assert by_id[waiting.event_id] == OfflineDecision(Verdict.REFER, Reason.GATE_RESTARTED, 4)
    assert box.settle_unacted(4) == 0  # a second start finds nothing left to settle


def test_depth_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    box = SqliteOutbox(tmp_path / "gate.sqlite", warn_depth=2)
    with caplog.at_level(logging.WARNING, logger="gate_agent.outbox"):
        for _ in range(4):
            box.put(event(box))
    assert sum("unacknowledged" in r.message for r in caplog.records) == 1  # once per crossing


def test_ledger_claims_once_per_household_and_day(tmp_path: Path) -> None:
    store = Store(tmp_path / "gate.sqlite")
    ledger = LocalLedger(store)
    day = date(2026, 11, 23)
    assert ledger.holder(7, day) is None
    assert ledger.claim(DayClaim(7, day, 71)).person_id == 71
    assert ledger.claim(DayClaim(7, day, 72)).person_id == 71  # the day is taken
    assert ledger.claim(DayClaim(7, date(2026, 11, 24), 72)).person_id == 72  # a new day
    assert ledger.claim(DayClaim(8, day, 81)).person_id == 81  # another household
    assert ledger.holder(7, day).person_id == 71  # type: ignore[union-attr]
    store.close()
    assert LocalLedger(tmp_path / "gate.sqlite").holder(7, day).person_id == 71  # type: ignore[union-attr]


def test_ledger_forgets_claims_older_than_a_week(tmp_path: Path) -> None:
    # a row per household per day, for ever, on a gate's card: only the last week matters
    ledger = LocalLedger(Store(tmp_path / "gate.sqlite"))
    today = date(2026, 11, 29)

    def held(back: int) -> bool:
        return ledger.holder(back, today - timedelta(days=back)) is not None

    for back in (30, 8, KEEP_DAYS, 1):  # day by day, as a gate claims them
        ledger.claim(DayClaim(back, today - timedelta(days=back), 100 + back))
    assert not held(30) and held(8)  # 30 days back went when 8 days back was claimed
    ledger.claim(DayClaim(1, today, 11))
    assert not held(8)
    assert held(KEEP_DAYS) and held(1)  # the week stays
    assert ledger.claim(DayClaim(1, today, 12)).person_id == 11  # today's claim holds


def test_config_store_keeps_the_last_payload(tmp_path: Path, signing_key: Ed25519PrivateKey) -> None:
    path = tmp_path / "gate.sqlite"
    configs = ConfigStore(path)
    assert configs.load() is None
    configs.save(make_config(signing_key, "g1").to_json())
    newer = make_config(signing_key, "g1", revoked=[5])
    configs.save(newer.to_json())
    assert ConfigStore(path).load() == newer


def test_a_number_is_taken_only_with_its_event(tmp_path: Path, monkeypatch) -> None:
    """put_next numbers and stores an event in one transaction: a gate that dies between the two (here
    the insert fails) has used no number, so central sees no gap for an event that never existed."""
    box = SqliteOutbox(tmp_path / "gate.sqlite")
    draft = dataclasses.replace(event(box), seq=0)
    stored = [box.put_next(dataclasses.replace(draft, event_id=str(uuid.uuid4()))) for _ in range(2)]
    assert [e.seq for e in stored] == [e.seq for e in box.pending()] == [2, 3]  # event() took 1

    def dies(c, e):  # noqa: ANN001, ARG001  the process killed after the number was taken
        raise OSError("killed")

    monkeypatch.setattr(SqliteOutbox, "_insert", staticmethod(dies))
    with pytest.raises(OSError):
        box.put_next(dataclasses.replace(draft, event_id=str(uuid.uuid4())))
    monkeypatch.undo()
    assert box.put_next(dataclasses.replace(draft, event_id=str(uuid.uuid4()))).seq == 4
    box.close()
