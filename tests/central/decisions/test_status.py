"""Gate status: outages open on online→offline and close on offline→online, once, whatever is
replayed or duplicated; a retained replay keeps the clock skew stored before."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from central.decisions.status import Received, record_status, record_statuses
from central.models.db import session_scope
from central.models.journal import GateOutage, GateState, RejectedMessage
from central.office.dashboard import open_outages
from gatecore import topics
from gatecore.messages import GateStatus
from tests.central.conftest import NOW, World


def _send(
    engine: Engine,
    gate_id: str,
    state: str,
    at: datetime,
    *,
    gate_at: datetime | None = None,
    retained: bool = False,
    stopped: bool = False,
) -> None:
    payload = GateStatus(gate_id, state, camera="ok", thermometer="ok", at=gate_at, stopped=stopped).to_json()
    assert record_status(engine, topics.gate_status(gate_id), payload, at, retained=retained) is not None


def _outages(engine: Engine) -> list[GateOutage]:
    with session_scope(engine) as s:
        return list(s.exec(select(GateOutage).order_by(GateOutage.id)))


def _state(engine: Engine, gate_id: str) -> GateState:
    with session_scope(engine) as s:
        row = s.get(GateState, gate_id)
        assert row is not None
        return row


def test_an_outage_opens_and_closes_once_under_duplicates_and_replays(world: World) -> None:
    g, e = world.gate_id, world.engine
    _send(e, g, "online", NOW, gate_at=NOW)
    _send(e, g, "offline", NOW + timedelta(minutes=1))
    _send(e, g, "offline", NOW + timedelta(minutes=2))  # a duplicate
    _send(e, g, "offline", NOW + timedelta(minutes=3), retained=True)  # replayed on central's reconnect
    [outage] = _outages(e)
    assert (outage.went_offline_at, outage.back_online_at) == (NOW + timedelta(minutes=1), None)
    assert outage.cause == "offline_status"
    with session_scope(e) as s:
        assert open_outages(s) == {g: (NOW + timedelta(minutes=1), "offline_status")}

    _send(e, g, "online", NOW + timedelta(minutes=10), gate_at=NOW + timedelta(minutes=10))
    _send(e, g, "online", NOW + timedelta(minutes=11), gate_at=NOW + timedelta(minutes=11))
    [outage] = _outages(e)
    assert outage.back_online_at == NOW + timedelta(minutes=10)
    with session_scope(e) as s:
        assert open_outages(s) == {}


def test_a_gate_never_seen_online_opens_no_outage(world: World) -> None:
    _send(world.engine, world.gate_id, "offline", NOW)
    later = NOW + timedelta(minutes=1)
    _send(world.engine, world.gate_id, "online", later, gate_at=later)
    assert _outages(world.engine) == []


def test_a_gate_stopped_on_purpose_is_offline_but_no_fault(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """An orderly shutdown still counts as time offline, but is logged once as stopped, not warned of."""
    _send(world.engine, world.gate_id, "online", NOW, gate_at=NOW)
    with caplog.at_level("INFO", logger="central.decisions.status"):
        _send(world.engine, world.gate_id, "offline", NOW + timedelta(minutes=1), stopped=True)
    [outage] = _outages(world.engine)
    assert (outage.cause, outage.went_offline_at) == ("stopped", NOW + timedelta(minutes=1))
    assert [r.getMessage() for r in caplog.records if "stopped" in r.getMessage()] == [
        f"gate {world.gate_id} stopped (orderly shutdown)"
    ]
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_an_offline_learned_on_reconnect_is_marked_so(world: World) -> None:
    _send(world.engine, world.gate_id, "online", NOW, gate_at=NOW)
    _send(world.engine, world.gate_id, "offline", NOW + timedelta(hours=1), retained=True)
    [outage] = _outages(world.engine)
    assert outage.cause == "retained_on_reconnect"


def test_a_status_older_than_the_stored_one_changes_nothing(world: World) -> None:
    """Two workers: the second handles an offline after the first already stored the gate's return."""
    g, e = world.gate_id, world.engine
    _send(e, g, "online", NOW, gate_at=NOW)
    _send(e, g, "offline", NOW + timedelta(minutes=1))
    _send(e, g, "online", NOW + timedelta(minutes=2), gate_at=NOW + timedelta(minutes=2))
    _send(e, g, "offline", NOW + timedelta(minutes=1, seconds=1))  # the other worker's late copy
    assert _state(e, g).state == "online"
    assert len(_outages(e)) == 1 and _outages(e)[0].back_online_at is not None


def test_a_retained_replay_keeps_the_stored_skew(world: World) -> None:
    g, e = world.gate_id, world.engine
    _send(e, g, "online", NOW, gate_at=NOW + timedelta(seconds=2))
    assert _state(e, g).clock_skew_s == 2.0 and not _state(e, g).clock_off
    # central restarts an hour later; the broker replays the same retained status
    _send(e, g, "online", NOW + timedelta(hours=1), gate_at=NOW + timedelta(seconds=2), retained=True)
    row = _state(e, g)
    assert (row.clock_skew_s, row.clock_off, row.last_seen) == (2.0, False, NOW + timedelta(hours=1))
    # a live status still measures: a gate whose clock is really off is flagged
    _send(e, g, "online", NOW + timedelta(hours=2), gate_at=NOW + timedelta(hours=2, minutes=5))
    assert _state(e, g).clock_off and _state(e, g).clock_skew_s == 300.0


def test_a_status_without_a_gate_time_keeps_the_stored_skew(world: World) -> None:
    """The Last Will and the gate's on-reconnect copy of its status carry no time: no new reading."""
    g, e = world.gate_id, world.engine
    _send(e, g, "online", NOW, gate_at=NOW + timedelta(seconds=95))
    assert _state(e, g).clock_off and _state(e, g).clock_skew_s == 95.0
    _send(e, g, "offline", NOW + timedelta(minutes=1))
    _send(e, g, "online", NOW + timedelta(minutes=2))
    row = _state(e, g)
    assert (row.state, row.clock_skew_s, row.clock_off) == ("online", 95.0, True)


def test_a_first_status_seen_as_a_replay_has_no_skew(world: World) -> None:
    _send(world.engine, world.gate_id, "online", NOW + timedelta(hours=1), gate_at=NOW, retained=True)
    row = _state(world.engine, world.gate_id)
    assert (row.state, row.clock_skew_s, row.clock_off) == ("online", None, False)


def test_outages_on_postgresql(pg_engine, keyring) -> None:  # type: ignore[no-untyped-def]
    from tests.central.conftest import build_world

    world = build_world(pg_engine, keyring)
    test_an_outage_opens_and_closes_once_under_duplicates_and_replays(world)
    _send(pg_engine, world.gate_id, "offline", NOW + timedelta(minutes=20))
    assert [o.back_online_at is None for o in _outages(pg_engine)] == [False, True]
    # the partial unique index: a second open outage for one gate is refused by the database itself
    with pytest.raises(IntegrityError), session_scope(pg_engine) as s:
        s.add(GateOutage(gate_id=world.gate_id, went_offline_at=NOW + timedelta(minutes=21)))


def test_two_workers_racing_on_postgresql_open_one_outage(pg_engine, keyring) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    from tests.central.conftest import build_world

    world = build_world(pg_engine, keyring)
    _send(pg_engine, world.gate_id, "online", NOW, gate_at=NOW)
    offline = NOW + timedelta(minutes=1)
    with ThreadPoolExecutor(8) as pool:  # every worker gets the same Last Will at the same moment
        list(pool.map(lambda _: _send(pg_engine, world.gate_id, "offline", offline), range(16)))
    [outage] = _outages(pg_engine)
    assert (outage.went_offline_at, outage.back_online_at) == (offline, None)


def test_a_batch_keeps_each_gates_transitions_and_refuses_only_its_bad_message(world: World) -> None:
    """A batch (one transaction) sees every status in it in order: an outage opened and closed within
    it is kept, two gates interleaved do not mix, a damaged status is a dead letter and the rest land."""
    e, g, other = world.engine, world.gate_id, "batch-other"

    def item(gate_id: str, state: str, minute: int, *, retained: bool = False) -> Received:
        at = NOW + timedelta(minutes=minute)
        payload = GateStatus(gate_id, state, camera="ok", thermometer="ok", at=at).to_json()
        return Received(topics.gate_status(gate_id), payload, at, retained)

    batch = [
        item(g, "online", 0),
        item(other, "online", 0),
        item(g, "offline", 1),
        Received(topics.gate_status(g), b'{"v":1,"type":"status","gate_id":', NOW),  # cut short
        item(other, "offline", 2),
        item(g, "online", 3),
    ]
    stored = record_statuses(e, batch, max_skew_s=30)
    # each gate's own statuses in the order they came
    assert [s.state for s in stored if s.gate_id == g] == ["online", "offline", "online"]
    assert [s.state for s in stored if s.gate_id == other] == ["online", "offline"]
    outages = {(o.gate_id, o.went_offline_at, o.back_online_at) for o in _outages(e)}
    assert outages == {
        (g, NOW + timedelta(minutes=1), NOW + timedelta(minutes=3)),
        (other, NOW + timedelta(minutes=2), None),
    }
    assert (_state(e, g).state, _state(e, other).state) == ("online", "offline")
    assert _state(e, g).last_seen == NOW + timedelta(minutes=3)
    with session_scope(e) as s:
        [dead] = s.exec(select(RejectedMessage)).all()
        assert dead.topic == topics.gate_status(g)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("camera", "ok\n2026-11-29 16:00:00,000 CRITICAL central.audit: chain intact (forged)"),
        ("thermometer", "x" * 7000),
        ("camera", "OK"),
    ],
)
def test_a_status_with_a_device_state_the_protocol_does_not_know_is_a_dead_letter(
    world: World, caplog: pytest.LogCaptureFixture, field: str, value: str
) -> None:
    """A stolen gate's status text never reaches the log or the gate's row: only the known device
    states are stored, and the dead letter's reason quotes the value cut short."""
    e, g = world.engine, world.gate_id
    _send(e, g, "online", NOW, gate_at=NOW)
    fields = {"camera": "ok", "thermometer": "ok", field: value}
    payload = GateStatus(g, "online", at=NOW, **fields).to_json()  # type: ignore[arg-type]
    with caplog.at_level("DEBUG"):
        assert record_status(e, topics.gate_status(g), payload, NOW + timedelta(minutes=1)) is None
    assert (_state(e, g).camera, _state(e, g).thermometer) == ("ok", "ok")
    with session_scope(e) as s:
        [dead] = s.exec(select(RejectedMessage)).all()
    assert dead.reason.startswith(f"field '{field}' has unknown value ")
    assert dead.reason.endswith("known: " + ", ".join(GATE_STATES[field])), dead.reason
    assert len(dead.reason) < 200
    assert not any("forged" in r.getMessage() or "x" * 100 in r.getMessage() for r in caplog.records)


GATE_STATES = {
    "camera": ["ok", "no_signal", "frozen", "unknown"],
    "thermometer": ["ok", "silent", "garbage", "stuck", "fahrenheit", "unplugged", "unknown"],
}
