"""The agent deciding on its own: no broker reachable, the last config from its store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gate_agent.ledger import ConfigStore
from gate_agent.outbox import SqliteOutbox
from gate_agent.ports import Fault
from gate_agent.settings import GateSettings
from gatecore.messages import Temperature
from gatecore.policy import CampusPolicy
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from gatecore.tokens import PassKind
from tests.gate_agent.conftest import gate_id, gate_settings, make_config, make_pass

NORMAL = Temperature(36.5, SensorStatus.OK)


class Gate:
    """An agent with a recording display and relay."""

    def __init__(self, settings: GateSettings) -> None:
        self.settings = settings
        self.display = RecordingDisplay()
        self.relay = RecordingRelay()
        self.agent: GateAgent = build_agent(settings, display=self.display, relay=self.relay)

    def scan(self, qr: str, temperature: Temperature | None = NORMAL):
        eid = self.agent.submit_scan(qr, temperature)
        return self.display.wait_for(lambda v: v.event_id == eid, timeout=5)


@pytest.fixture
def offline_gate(tmp_path: Path, signing_key: Ed25519PrivateKey) -> Iterator[Gate]:
    settings = gate_settings(tmp_path, gate_id())  # a port where no broker listens
    ConfigStore(settings.database_path).save(
        make_config(signing_key, settings.gate_id, revoked=[99], policy=CampusPolicy(1, version=4)).to_json()
    )
    gate = Gate(settings)
    gate.agent.start()
    yield gate
    gate.agent.stop()


def test_first_household_member_allowed_second_refused(
    offline_gate: Gate, signing_key: Ed25519PrivateKey
) -> None:
    first = offline_gate.scan(make_pass(signing_key, pass_id=71, household=7))
    assert (first.verdict, first.reason, first.offline) == (Verdict.ALLOW, Reason.OK, True)
    assert first.household == "#7" and first.holder == ""
    assert offline_gate.relay.count == 1

    second = offline_gate.scan(make_pass(signing_key, pass_id=72, household=7))
    assert (second.verdict, second.reason) == (Verdict.DENY, Reason.HOUSEHOLD_DAY_USED)
    assert second.detail["day_holder"] == "#71"

    back = offline_gate.scan(make_pass(signing_key, pass_id=71, household=7))  # the same member returns
    assert back.verdict is Verdict.ALLOW
    assert offline_gate.relay.count == 2


def test_a_guard_override_offline_takes_the_household_day(
    offline_gate: Gate, signing_key: Ed25519PrivateKey
) -> None:
    qr = make_pass(signing_key, pass_id=81, household=8)
    refused = offline_gate.scan(qr, Temperature(None, SensorStatus.MISSING))
    assert refused.reason is Reason.TEMP_MISSING
    agent = offline_gate.agent
    assert agent.last_event is not None
    eid = agent.submit_override(agent.last_event, allow=True, reason="手测正常", guard="guard-3")
    admitted = offline_gate.display.wait_for(lambda v: v.event_id == eid, timeout=5)
    assert (admitted.verdict, admitted.reason) == (Verdict.ALLOW, Reason.OK_OVERRIDE)
    # the admitted person holds the day, as central would record it online
    other = offline_gate.scan(make_pass(signing_key, pass_id=82, household=8))
    assert (other.reason, other.detail["day_holder"]) == (Reason.HOUSEHOLD_DAY_USED, "#81")


def test_revoked_pass_refused(offline_gate: Gate, signing_key: Ed25519PrivateKey) -> None:
    view = offline_gate.scan(make_pass(signing_key, pass_id=99, household=9))
    assert (view.verdict, view.reason) == (Verdict.DENY, Reason.PASS_REVOKED)
    assert offline_gate.relay.count == 0


def test_same_rules_as_central(offline_gate: Gate, signing_key: Ed25519PrivateKey) -> None:
    assert (
        offline_gate.scan(
            make_pass(signing_key, pass_id=1, household=1), Temperature(38.2, SensorStatus.OK)
        ).reason
        is Reason.FEVER
    )
    assert offline_gate.scan("https://weixin.qq.com/r/x").reason is Reason.QR_FOREIGN
    assert (
        offline_gate.scan(make_pass(signing_key, pass_id=2, household=2), None).reason is Reason.TEMP_MISSING
    )
    assert (
        offline_gate.scan(make_pass(Ed25519PrivateKey.generate(), pass_id=3)).reason
        is Reason.TOKEN_BAD_SIGNATURE
    )
    staff = offline_gate.scan(make_pass(signing_key, pass_id=4, household=0, kind=PassKind.STAFF))
    assert (staff.verdict, staff.reason) == (Verdict.REFER, Reason.OFFLINE_UNVERIFIED)


def test_events_wait_in_the_outbox_with_their_offline_decision(
    offline_gate: Gate, signing_key: Ed25519PrivateKey
) -> None:
    offline_gate.scan(make_pass(signing_key, pass_id=71, household=7))
    offline_gate.scan(make_pass(signing_key, pass_id=99, household=9))
    events = SqliteOutbox(offline_gate.settings.database_path).pending()
    assert [e.seq for e in events] == [1, 2]
    assert [(e.offline.verdict, e.offline.reason, e.offline.policy_version) for e in events if e.offline] == [
        (Verdict.ALLOW, Reason.OK, 4),
        (Verdict.DENY, Reason.PASS_REVOKED, 4),
    ]
    assert all(e.gate_time.tzinfo is not None and e.direction == "in" for e in events)


def test_faults_are_shown(offline_gate: Gate) -> None:
    d = offline_gate.display
    d.wait_for_fault(Fault.THERMOMETER_UNPLUGGED, timeout=3)
    d.wait_for_fault(Fault.CAMERA_NO_SIGNAL, timeout=3)
    d.wait_for_fault(Fault.LINK_DOWN, timeout=6)


def test_no_config_refers_to_the_guard(tmp_path: Path, signing_key: Ed25519PrivateKey) -> None:
    gate = Gate(gate_settings(tmp_path, gate_id()))
    gate.agent.start()
    try:
        view = gate.scan(make_pass(signing_key, pass_id=71, household=7))
        assert (view.verdict, view.reason, view.offline) == (Verdict.REFER, Reason.OFFLINE_NO_CONFIG, True)
        assert view.celsius == 36.5
        assert gate.relay.count == 0
    finally:
        gate.agent.stop()


def test_offline_ledger_survives_a_restart(tmp_path: Path, signing_key: Ed25519PrivateKey) -> None:
    settings = gate_settings(tmp_path, gate_id())
    ConfigStore(settings.database_path).save(make_config(signing_key, settings.gate_id).to_json())
    gate = Gate(settings)
    gate.agent.start()
    gate.scan(make_pass(signing_key, pass_id=71, household=7))
    gate.agent.stop(graceful=False)
    gate = Gate(settings)
    gate.agent.start()
    try:
        assert gate.scan(make_pass(signing_key, pass_id=72, household=7)).reason is Reason.HOUSEHOLD_DAY_USED
    finally:
        gate.agent.stop()


def test_the_same_config_again_is_no_news(
    tmp_path: Path, signing_key: Ed25519PrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    """The retained config comes again on every reconnect: adopted (and logged) once; a changed one is
    adopted again."""
    settings = gate_settings(tmp_path, gate_id())
    decider = Gate(settings).agent.offline
    config = make_config(signing_key, settings.gate_id, policy=CampusPolicy(1, version=4))
    newer = make_config(signing_key, settings.gate_id, policy=CampusPolicy(1, version=5))
    with caplog.at_level("INFO", logger="gate_agent.offline"):
        for c in (config, config, config, newer, newer):
            decider.update(c, c.to_json())
    adopted = [r.getMessage() for r in caplog.records if "adopted" in r.getMessage()]
    assert [m.split(",")[0] for m in adopted] == [
        "gate config adopted: policy version 4",
        "gate config adopted: policy version 5",
    ]
    assert decider.policy_version == 5
