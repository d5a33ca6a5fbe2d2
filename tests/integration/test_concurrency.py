"""Two household members at two gates in the same instant: exactly one is admitted, every time.

Two central workers share the events (MQTT shared subscription on Mosquitto) against one
PostgreSQL; the same race against SQLite with one worker. The database makes the claim."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from central.app import build_central
from central.demo.passes import demo_passes
from central.demo.seed import local_today, seed_demo
from central.models.journal import EntryEvent
from central.models.registry import Gate
from central.settings import CentralSettings
from gatecore import topics
from gatecore.messages import ScanEvent, Temperature
from gatecore.thermoline import SensorStatus
from transport.broker import MosquittoBroker
from transport.mqtt import LinkOptions, MqttLink

PAIRS = 1000
SHANGHAI = ZoneInfo("Asia/Shanghai")


def race(url: str, port: int, workdir: Path, workers: int) -> None:
    handles = []
    for n in range(workers):
        settings = CentralSettings(
            database_url=url,
            mqtt_port=port,
            data_dir=workdir,
            worker_id=f"race{n}",
            shared_subscription=workers > 1,
        )
        handles.append(build_central(settings, api=False))
    with Session(handles[0].engine) as s:
        today = local_today(datetime.now(UTC))
        seed_demo(s, handles[0].keyring, today)
        s.commit()
        # the race gates stand on one campus, so its households race
        passes = demo_passes(s, handles[0].keyring, roles={"resident", "tenant"}, campus_code="wucheng")
    handled: Counter[str] = Counter()
    for h in handles:
        original = h.worker.service.handle_batch

        def counting(items, _original=original, _name=h.settings.worker_id):
            handled[_name] += len(items)
            # central judges at its receive time; the trials spread over several days, so central's
            # clock is set to the trial's day (its noon, as the scan says) for each event
            return _original([(t, p, ScanEvent.from_json(p).gate_time) for t, p, _ in items])

        h.worker.commits.decide = counting
        h.start()

    households: dict[int, list] = {}
    for p in passes:
        households.setdefault(p.household_id, []).append(p)
    pairs = [(m[0], m[1]) for m in households.values() if len(m) >= 2]
    days = -(-PAIRS // len(pairs))
    trials = [(a, b, today + timedelta(days=d)) for d in range(days) for a, b in pairs][:PAIRS]

    answered = threading.Semaphore(0)
    gate_a, gate_b = "race-a", "race-b"
    link_a = MqttLink(f"race-gate-a-{uuid.uuid4().hex[:6]}", LinkOptions(port=port))
    link_b = MqttLink(f"race-gate-b-{uuid.uuid4().hex[:6]}", LinkOptions(port=port))
    for link, gate in ((link_a, gate_a), (link_b, gate_b)):
        link.subscribe(topics.gate_decisions(gate), lambda t, p: answered.release())
        link.start()

    def event(gate: str, token: str, day) -> ScanEvent:
        at = datetime.combine(day, time(12, 0), SHANGHAI)
        return ScanEvent(
            event_id=str(uuid.uuid4()),
            gate_id=gate,
            seq=0,
            gate_time=at,
            qr=token,
            temperature=Temperature(36.5, SensorStatus.OK),
        )

    try:
        with Session(handles[0].engine) as s:
            campus_id = s.exec(select(Gate.campus_id).where(Gate.gate_id == passes[0].gate_ids[0])).one()
            for gate in (gate_a, gate_b):
                s.add(Gate(gate_id=gate, campus_id=campus_id, name_zh=gate, name_en=gate, open=True))
            s.commit()
        for a, b, day in trials:
            link_a.publish(topics.gate_events(gate_a), event(gate_a, a.token, day).to_json())
            link_b.publish(topics.gate_events(gate_b), event(gate_b, b.token, day).to_json())
        for _ in range(2 * len(trials)):
            assert answered.acquire(timeout=60), "a decision never came"
    finally:
        link_a.stop()
        link_b.stop()
        for h in handles:
            h.stop()

    with Session(handles[0].engine) as s:
        rows = s.exec(select(EntryEvent).where(EntryEvent.gate_id.in_([gate_a, gate_b]))).all()
    assert len(rows) == 2 * len(trials)
    admitted: dict[tuple, set[int]] = {}
    refused: Counter[tuple] = Counter()
    for r in rows:
        key = (r.household_id, r.gate_time.astimezone(SHANGHAI).date())
        if r.verdict == "allow":
            admitted.setdefault(key, set()).add(r.person_id)
        else:
            assert r.reason == "household_day_used", r.reason
            refused[key] += 1
    assert len(admitted) == len(trials)
    assert all(len(people) == 1 for people in admitted.values())
    assert all(refused[key] == 1 for key in admitted)
    if workers > 1:
        assert len(handled) == workers and min(handled.values()) > len(trials) // 4, handled
    return len(trials)


@pytest.mark.skipif(
    not MosquittoBroker.available(), reason="shared subscriptions need Mosquitto; not installed"
)
def test_two_workers_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    broker = MosquittoBroker().start()
    try:
        assert race(pg_url, broker.port, tmp_path, workers=2) >= PAIRS
    finally:
        broker.stop()


def test_one_worker_on_sqlite(broker, tmp_path: Path) -> None:
    assert race(f"sqlite:///{tmp_path}/race.db", broker.port, tmp_path, workers=1) >= PAIRS
