"""The worker through the real broker: events in, decisions out, configs retained, status kept."""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from central.decisions import worker as worker_module
from central.decisions.worker import Worker
from central.models.db import session_scope
from central.models.journal import EntryEvent, GateState, RejectedMessage
from central.models.registry import Gate
from central.office.keys import KeyRing
from central.settings import CentralSettings
from gatecore import topics
from gatecore.messages import DecisionMessage, GateConfig, GateStatus, ScanEvent
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World, build_world
from transport.mqtt import LinkOptions, MqttLink

TIMEOUT = 10


def _settings(broker, tmp_path: Path, **kw: object) -> CentralSettings:
    return CentralSettings(
        mqtt_port=broker.port, data_dir=tmp_path, worker_id=kw.pop("worker_id", uuid.uuid4().hex[:8]), **kw
    )


@pytest.fixture
def gate_world(engine: Engine, keyring: KeyRing) -> World:
    """The small registry, with a gate id of its own on the shared broker."""
    return build_world(engine, keyring, gate_id=f"w-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def client(broker) -> Iterator[Callable[[str], queue.Queue]]:
    """A test client; ``listen(topic)`` returns a queue of the payloads arriving on it."""
    link = MqttLink(f"test-{uuid.uuid4().hex[:8]}", LinkOptions(port=broker.port))
    link.start()

    def listen(topic: str) -> queue.Queue:
        q: queue.Queue = queue.Queue()
        link.subscribe(topic, lambda t, p: q.put(p))
        return q

    listen.link = link  # type: ignore[attr-defined]
    yield listen
    link.stop()


def _until(check: Callable[[], object]) -> object:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_worker_decides_over_mqtt(broker, gate_world: World, client, tmp_path: Path) -> None:
    world = gate_world
    worker = Worker(_settings(broker, tmp_path), world.engine, world.keyring)
    worker.start()
    try:
        configs = client(topics.gate_config(world.gate_id))
        config = GateConfig.from_json(configs.get(timeout=TIMEOUT))  # retained, so it arrives on subscribe
        assert (config.campus_id, config.gate_open, config.policy["version"]) == (world.campus_id, True, 1)
        assert config.public_keys == world.keyring.public_keys_b64()

        decisions = client(topics.gate_decisions(world.gate_id))
        fevers = client(topics.FEVER_ALERTS)
        link = client.link  # type: ignore[attr-defined]
        link.publish(*world.scan("zhang"))
        first = DecisionMessage.from_json(decisions.get(timeout=TIMEOUT))
        assert (first.verdict, first.reason, first.holder) == (Verdict.ALLOW, Reason.OK, "张*明")
        link.publish(*world.scan("li", celsius=38.4))
        second = DecisionMessage.from_json(decisions.get(timeout=TIMEOUT))
        assert second.reason is Reason.FEVER
        assert b'"celsius":38.4' in fevers.get(timeout=TIMEOUT)

        status = GateStatus(gate_id=world.gate_id, state="online", camera="ok", thermometer="ok", at=NOW)
        link.publish(topics.gate_status(world.gate_id), status.to_json(), retain=True)
        link.publish(topics.gate_status(world.gate_id), b'{"v":1,"type":"status","state":"sideways"}')

        def state() -> GateState | None:
            with session_scope(world.engine) as s:
                return s.get(GateState, world.gate_id)

        assert _until(state).state == "online"  # type: ignore[union-attr]

        def dead() -> list[RejectedMessage]:
            with session_scope(world.engine) as s:
                return list(s.exec(select(RejectedMessage)))

        assert "state must be online or offline" in _until(dead)[0].reason  # type: ignore[index]
        link.publish(topics.gate_status(world.gate_id), b"", retain=True)  # leave the shared broker clean
    finally:
        worker.stop()


def test_events_queue_at_the_broker_while_central_is_down(
    broker, gate_world: World, client, tmp_path: Path
) -> None:
    world = gate_world
    settings = _settings(broker, tmp_path)
    worker = Worker(settings, world.engine, world.keyring)
    worker.start()
    worker.stop()
    decisions = client(topics.gate_decisions(world.gate_id))
    client.link.publish(*world.scan("zhang"))  # type: ignore[attr-defined]
    time.sleep(0.3)
    with session_scope(world.engine) as s:
        assert s.exec(select(EntryEvent)).first() is None
    again = Worker(settings, world.engine, world.keyring)  # same client id: the persistent session resumes
    again.start()
    try:
        assert DecisionMessage.from_json(decisions.get(timeout=TIMEOUT)).reason is Reason.OK
    finally:
        again.stop()


def _two_shared_workers(broker, engine: Engine, keyring: KeyRing, tmp_path: Path) -> list[Worker]:
    """Two started workers sharing the events in a share group of their own."""
    group = uuid.uuid4().hex[:6]
    workers = [
        Worker(
            _settings(
                broker, tmp_path, shared_subscription=True, shared_group=group, worker_id=f"{group}-{i}"
            ),
            engine,
            keyring,
        )
        for i in range(2)
    ]
    for w in workers:
        w.start()
    return workers


def _ten_scans(world: World, client) -> tuple[list[tuple[str, bytes]], queue.Queue]:
    """Ten staff scans published at the world's gate, and the queue its answers arrive on."""
    decisions = client(topics.gate_decisions(world.gate_id))
    scans = [world.scan("staff", at=NOW + timedelta(seconds=i)) for i in range(10)]
    for scan in scans:
        client.link.publish(*scan)
    return scans, decisions


def test_two_workers_share_the_events(
    broker, pg_engine: Engine, keyring: KeyRing, client, tmp_path: Path
) -> None:
    world = build_world(pg_engine, keyring, gate_id=f"s-{uuid.uuid4().hex[:10]}")
    workers = _two_shared_workers(broker, pg_engine, keyring, tmp_path)
    try:
        scans, decisions = _ten_scans(world, client)
        answered = [DecisionMessage.from_json(decisions.get(timeout=TIMEOUT)).event_id for _ in scans]
        time.sleep(0.3)
        assert decisions.empty(), "an event was answered twice"
        assert sorted(answered) == sorted(ScanEvent.from_json(payload).event_id for _, payload in scans)
        with session_scope(pg_engine) as s:
            assert len(s.exec(select(EntryEvent)).all()) == 10
    finally:
        for w in workers:
            w.stop()


def test_a_stopped_worker_gets_no_share_of_the_events(
    broker, pg_engine: Engine, keyring: KeyRing, client, tmp_path: Path
) -> None:
    # a worker sharing the events that stops (or dies) must not keep a session the broker deals its
    # share to: every event goes to the worker still connected, and nothing waits for the gone one
    world = build_world(pg_engine, keyring, gate_id=f"d-{uuid.uuid4().hex[:10]}")
    workers = _two_shared_workers(broker, pg_engine, keyring, tmp_path)
    workers[1].stop()
    try:
        scans, decisions = _ten_scans(world, client)
        answered = {DecisionMessage.from_json(decisions.get(timeout=TIMEOUT)).event_id for _ in scans}
        assert answered == {ScanEvent.from_json(payload).event_id for _, payload in scans}
    finally:
        workers[0].stop()


def test_shared_workers_store_each_live_status_once_and_read_the_retained_ones(
    broker, pg_engine: Engine, keyring: KeyRing, client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_module, "RETAINED_REPLAY_S", 0.5)
    tag = uuid.uuid4().hex[:8]
    # a Last Will left while no worker ran: only a retained message tells central this gate is down
    gone = f"gone-{tag}"
    will = GateStatus(gate_id=gone, state="offline", camera="unknown", thermometer="unknown")
    client.link.publish(topics.gate_status(gone), will.to_json(), retain=True)
    time.sleep(0.2)
    workers = _two_shared_workers(broker, pg_engine, keyring, tmp_path)
    try:

        def state_of(gate_id: str) -> str | None:
            with session_scope(pg_engine) as s:
                row = s.get(GateState, gate_id)
                return row.state if row else None

        assert _until(lambda: state_of(gone) == "offline")
        time.sleep(1.0)  # the replay window is over: live statuses come through the share alone
        before = sum(w.statuses.events for w in workers)
        live = [f"live-{tag}-{i}" for i in range(20)]
        for gate_id in live:
            status = GateStatus(gate_id=gate_id, state="online", camera="ok", thermometer="ok", at=NOW)
            client.link.publish(topics.gate_status(gate_id), status.to_json())
        assert _until(lambda: all(state_of(g) == "online" for g in live))
        time.sleep(0.3)
        assert sum(w.statuses.events for w in workers) - before == len(live)  # not once per worker
    finally:
        for w in workers:
            w.stop()
        client.link.publish(topics.gate_status(gone), b"", retain=True)  # leave the shared broker clean


def test_the_periodic_refresh_sends_only_configs_whose_content_changed(
    broker, gate_world: World, client, tmp_path: Path
) -> None:
    """Every few minutes the worker rebuilds every gate's config (facts that change with the date); a
    thousand unchanged configs sent again held the decisions up, so only a changed one goes out."""
    world = gate_world
    with session_scope(world.engine) as s:  # a second gate of the same campus
        s.add(Gate(gate_id=world.gate_id + "-b", campus_id=world.campus_id, name_zh="南门", name_en="South"))
    worker = Worker(_settings(broker, tmp_path), world.engine, world.keyring)
    worker.start()
    worker.scheduler.stop()  # its own refresh would race the ones this test makes
    try:
        configs = {g: client(topics.gate_config(g)) for g in (world.gate_id, world.gate_id + "-b")}
        for q in configs.values():
            GateConfig.from_json(q.get(timeout=TIMEOUT))  # the retained one from connecting
        assert worker.publish_all_configs(changed_only=True) == 0  # only the issue time would differ
        with session_scope(world.engine) as s:
            gate = s.get(Gate, world.gate_id + "-b")
            assert gate is not None
            gate.open = False
            s.add(gate)
        assert worker.publish_all_configs(changed_only=True) == 1
        closed = GateConfig.from_json(configs[world.gate_id + "-b"].get(timeout=TIMEOUT))
        assert closed.gate_open is False
        with pytest.raises(queue.Empty):
            configs[world.gate_id].get(timeout=0.5)
        # a reconnect sends them all (a broker restarted without persistence lost what it retained)
        assert worker.publish_all_configs() == 2
    finally:
        worker.stop()
