"""A gate whose clock is off by more than CentralSettings.max_clock_skew_s is flagged in its
GateState row and in GET /api/v1/gates; a gate with a good clock is not."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import Session, select

from central.models import Gate
from central.models_log import GateState
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.bootstrap import build_agent
from gate_agent.settings import GateSettings
from tests.api_auth import bearer
from tests.gate_agent.conftest import wait_until


def test_a_gate_with_a_wrong_clock_is_flagged(central, broker, tmp_path: Path) -> None:
    with Session(central.engine) as s:
        campus_id = s.exec(select(Gate.campus_id)).first()
        for gate in ("clock-good", "clock-fast"):
            s.add(Gate(gate_id=gate, campus_id=campus_id, name_zh=gate, name_en=gate, open=True))
        s.commit()
    agents = []
    for gate, shift in (("clock-good", 0.0), ("clock-fast", 95.0)):
        settings = GateSettings(
            gate_id=gate, mqtt_port=broker.port, camera=str(tmp_path / "none.avi"),
            serial_port=tmp_path / "none", data_dir=tmp_path / gate, status_interval_s=0.5,
        )  # type: ignore[call-arg]
        agent = build_agent(
            settings, display=RecordingDisplay(), relay=RecordingRelay(),
            clock=lambda shift=shift: datetime.now().astimezone() + timedelta(seconds=shift),
        )
        agent.start()
        agents.append(agent)
    try:
        def states() -> dict[str, GateState]:
            with Session(central.engine) as s:
                return {g.gate_id: g for g in s.exec(select(GateState)) if g.gate_id.startswith("clock-")}

        assert wait_until(lambda: all(g.clock_skew_s is not None for g in states().values()) and len(states()) == 2, 10)
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
