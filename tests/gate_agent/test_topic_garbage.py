"""What arrives on a gate's own topics is not trusted: a malformed or absurd config, a malformed
decision or one for an event the gate never sent is ignored with a logged reason, never shown, and
the gate keeps deciding with the config it had. Real broker, real agent."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.bootstrap import build_agent
from gate_agent.errors import ConfigError
from gate_agent.offline import load_config
from gatecore import topics
from gatecore.policy import CampusPolicy
from tests.gate_agent.conftest import gate_id, gate_settings, make_config, wait_until
from transport.broker import EmbeddedBroker, MosquittoBroker
from transport.mqtt import LinkOptions, MqttLink

Broker = MosquittoBroker | EmbeddedBroker


def _absurd(signing_key: Ed25519PrivateKey, gate: str, version: int, **policy: object) -> bytes:
    config = make_config(signing_key, gate, policy=CampusPolicy(1, version=version))
    return dataclasses.replace(config, policy=config.policy | policy).to_json()


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("fever_threshold", 73.0, "fever threshold must be within"),
        ("fever_threshold", 33.0, "fever threshold must be within"),
        ("timezone", "Mars/Olympus_Mons", "is not in the IANA database"),
        ("plausible_min", 44.0, "plausible range"),
        ("allowed_kinds", [], "allow at least one category"),
    ],
)
def test_an_absurd_policy_is_refused_with_its_reason(
    signing_key: Ed25519PrivateKey, field: str, value: object, says: str
) -> None:
    config = make_config(signing_key, "g-1")
    bad = dataclasses.replace(config, policy=config.policy | {field: value})
    with pytest.raises(ConfigError, match=says):
        load_config(bad)
    load_config(config)  # the same config with a sane policy is fine


@pytest.fixture
def gate_on_broker(tmp_path: Path, broker: Broker, signing_key: Ed25519PrivateKey) -> Iterator[tuple]:
    gate = gate_id()
    pub = MqttLink(f"office-{gate}", LinkOptions(port=broker.port))
    pub.start(wait=10)
    pub.publish(
        topics.gate_config(gate),
        make_config(signing_key, gate, policy=CampusPolicy(1, version=3)).to_json(),
        retain=True,
    )
    display = RecordingDisplay()
    agent = build_agent(gate_settings(tmp_path, gate, broker.port), display=display, relay=RecordingRelay())
    agent.start()
    assert wait_until(lambda: agent.link.up and agent.offline.policy_version == 3, 10)
    yield gate, agent, display, pub
    agent.stop()
    pub.publish(topics.gate_config(gate), b"", retain=True)
    pub.stop()


def test_garbage_on_the_config_and_decision_topics_is_logged_and_never_shown(
    gate_on_broker: tuple, signing_key: Ed25519PrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    gate, agent, display, pub = gate_on_broker
    caplog.set_level(logging.INFO)
    cfg, dec = topics.gate_config(gate), topics.gate_decisions(gate)
    pub.publish(cfg, _absurd(signing_key, gate, 4, fever_threshold=73.0), retain=True)
    assert wait_until(lambda: "fever threshold must be within" in caplog.text)
    pub.publish(cfg, _absurd(signing_key, gate, 5, timezone="Mars/Olympus_Mons"), retain=True)
    assert wait_until(lambda: "'Mars/Olympus_Mons' is not in the IANA database" in caplog.text)
    pub.publish(cfg, b"\x00\xff{not json", retain=True)
    assert wait_until(lambda: caplog.text.count("malformed config") == 1)
    pub.publish(dec, b'{"event_id": "nope"}')
    assert wait_until(lambda: "malformed decision" in caplog.text)
    assert agent.offline.policy_version == 3  # what it had, not what it was sent
    assert display.views == []
    # a sane config after all that is still adopted
    pub.publish(cfg, make_config(signing_key, gate, policy=CampusPolicy(1, version=6)).to_json(), retain=True)
    assert wait_until(lambda: agent.offline.policy_version == 6)
