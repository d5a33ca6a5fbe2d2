"""The test Mosquitto persists across a restart, also when the tests run as root, and keeps its log."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.mqtt_probe import Probe
from transport.broker import MosquittoBroker

pytestmark = pytest.mark.skipif(not MosquittoBroker.available(), reason="needs the mosquitto binary")


def test_retained_and_queued_messages_survive_a_restart(tmp_path: Path) -> None:
    broker = MosquittoBroker(workdir=tmp_path / "mosq").start()
    session = f"sub-{uuid.uuid4().hex[:6]}"
    try:
        with Probe(broker.port, session, clean_session=False) as sub:
            assert sub.connect() == 0
            assert sub.subscribe("t/queued", qos=1) == 1
        with Probe(broker.port, "pub") as pub:
            assert pub.connect() == 0
            pub.publish("t/retained", b"kept", retain=True)
            pub.publish("t/queued", b"waiting", qos=1)  # the subscriber is away: queued in its session
        broker.stop()  # SIGTERM: the broker saves before it exits
        assert broker.persistence_file.exists(), broker.log_tail()
        broker.start()

        with Probe(broker.port, session, clean_session=False) as sub:
            assert sub.connect() == 0
            queued = sub.next_message(5)
            assert queued is not None and (queued.topic, queued.payload) == ("t/queued", b"waiting")
        with Probe(broker.port, "reader") as reader:
            assert reader.connect() == 0
            reader.subscribe("t/retained")
            kept = reader.next_message(5)
            assert kept is not None and (kept.payload, kept.retain) == (b"kept", True)
    finally:
        broker.stop()


def test_autosave_writes_the_persistence_file_while_running(tmp_path: Path) -> None:
    broker = MosquittoBroker(workdir=tmp_path / "mosq").start()
    try:
        with Probe(broker.port, "pub") as pub:
            assert pub.connect() == 0
            pub.publish("t/retained", b"kept", retain=True)
        # a crash (kill -9) keeps only what an autosave wrote: the file must appear without a stop
        assert broker.wait_persisted(5) == broker.persistence_file
    finally:
        broker.kill()


def test_the_log_is_kept_in_the_work_folder(tmp_path: Path) -> None:
    broker = MosquittoBroker(workdir=tmp_path / "mosq").start()
    try:
        with Probe(broker.port, "visitor-1") as probe:
            assert probe.connect() == 0
    finally:
        broker.stop()
    assert "visitor-1" in broker.log_file.read_text()
    assert "visitor-1" in broker.log_tail()
