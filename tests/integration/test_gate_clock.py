"""A gate whose clock is off by more than CentralSettings.max_clock_skew_s is flagged in its
GateState row and in GET /api/v1/gates; a gate with a good clock is not, even when central
restarts and the broker replays a status published long before."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import Session, select

from central.app import build_central
from central.models.journal import GateOutage, GateState
from central.models.registry import Gate
from central.settings import CentralSettings
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.bootstrap import build_agent
from gatecore import topics
from gatecore.messages import GateStatus
from tests.api_auth import bearer
from tests.gate_agent.conftest import gate_settings, wait_until
from transport.mqtt import LinkOptions, MqttLink, Retained


def test_a_gate_with_a_wrong_clock_is_flagged(central, broker, tmp_path: Path) -> None:
    with Session(central.engine) as s:
        campus_id = s.exec(select(Gate.campus_id)).first()
        for gate in ("clock-good", "clock-fast"):
            s.add(Gate(gate_id=gate, campus_id=campus_id, name_zh=gate, name_en=gate, open=True))
        s.commit()
    agents = []
    for gate, shift in (("clock-good", 0.0), ("clock-fast", 95.0)):
        settings = gate_settings(tmp_path, gate, broker.port, data_dir=tmp_path / gate, status_interval_s=0.5)
        agent = build_agent(
            settings,
            display=RecordingDisplay(),
            relay=RecordingRelay(),
            clock=lambda shift=shift: datetime.now().astimezone() + timedelta(seconds=shift),
        )
        agent.start()
        agents.append(agent)
    try:

        def states() -> dict[str, GateState]:
            with Session(central.engine) as s:
                return {g.gate_id: g for g in s.exec(select(GateState)) if g.gate_id.startswith("clock-")}

        assert wait_until(
            lambda: all(g.clock_skew_s is not None for g in states().values()) and len(states()) == 2, 10
        )
        rows = states()
        assert rows["clock-fast"].clock_off and 90 < rows["clock-fast"].clock_skew_s < 100
        assert not rows["clock-good"].clock_off and abs(rows["clock-good"].clock_skew_s) < 5
        auth = bearer(central.app, central.engine, "guard")
        listed = httpx.get(f"{central.api_url}/api/v1/gates", headers=auth, timeout=5).json()
        gates = {g["gate_id"]: g for g in listed}
        assert gates["clock-fast"]["clock_off"] is True and gates["clock-good"]["clock_off"] is False
    finally:
        for agent in agents:
            agent.stop()


def _status_once(port: int, gate: str, shift_s: float) -> MqttLink:
    """A gate that publishes one retained online status (its clock ``shift_s`` off) and then stays quiet."""
    status = GateStatus(
        gate, "online", camera="ok", thermometer="ok", at=datetime.now(UTC) + timedelta(seconds=shift_s)
    )
    link = MqttLink(
        f"gate-{gate}",
        LinkOptions(
            port=port,
            will=Retained(topics.gate_status(gate), GateStatus(gate, "offline").to_json()),
            on_connect_publish=[Retained(topics.gate_status(gate), status.to_json())],
        ),
    )
    link.start(wait=5)
    return link


def test_a_status_replayed_after_central_restarts_is_not_clock_skew(own_broker, tmp_path: Path) -> None:
    settings = CentralSettings(
        database_url=f"sqlite:///{tmp_path}/central.models.db",
        mqtt_port=own_broker.port,
        data_dir=tmp_path,
        max_clock_skew_s=2.0,
    )
    central = build_central(settings, api=False)
    central.start()
    gates = {"replay-good": 0.0, "replay-fast": 95.0}
    links = [_status_once(own_broker.port, gate, shift) for gate, shift in gates.items()]

    def states() -> dict[str, GateState]:
        with Session(central.engine) as s:
            return {g.gate_id: g for g in s.exec(select(GateState))}

    try:
        assert wait_until(lambda: len(states()) == 2, 10)
        before = states()
        assert not before["replay-good"].clock_off and before["replay-fast"].clock_off
        central.stop()
        time.sleep(3.5)  # the retained status is now older than the 2 s allowed
        central = build_central(settings, api=False)
        central.start()  # resubscribes: the broker replays both retained statuses
        replayed = lambda: all(g.last_seen > before[g.gate_id].last_seen for g in states().values())  # noqa: E731
        assert wait_until(replayed, 10)
        after = states()
        assert not after["replay-good"].clock_off
        assert after["replay-good"].clock_skew_s == before["replay-good"].clock_skew_s
        assert after["replay-fast"].clock_off and 90 < (after["replay-fast"].clock_skew_s or 0) < 100

        links[0].stop(graceful=False)  # the socket drops: the broker publishes the Last Will
        assert wait_until(lambda: states()["replay-good"].state == "offline", 10)
        with Session(central.engine) as s:
            [outage] = s.exec(select(GateOutage)).all()
        assert (outage.gate_id, outage.back_online_at) == ("replay-good", None)
    finally:
        for link in links:
            link.stop()
        central.stop()
