"""The guard's console on a real pseudo-terminal: a hand-typed temperature and code, then a deny
override with a reason from the list; central logs the override against the first event."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session, col
from sqlmodel import select as sql_select

from central.models.journal import EntryEvent
from central.models.registry import Gate
from tests.gate_agent.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
GATE = "console-gate"


class Screen:
    """The master side of the pty: what the console printed, and keys to send."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.text = ""

    def pump(self) -> None:
        while select.select([self.master], [], [], 0.05)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.text += data.decode("utf-8", "replace")

    def wait_for(self, needle: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if needle in self.text:
                return True
        return False

    def type(self, keys: str) -> None:
        for ch in keys:  # one key at a time, as a guard types
            os.write(self.master, ch.encode())
            time.sleep(0.01)


@contextmanager
def gate_on_terminal(
    central, broker, resident, tmp_path: Path, gate_id: str, **env_extra: str
) -> Iterator[tuple[subprocess.Popen[bytes], Screen]]:
    """A gate registered on the resident's campus and the gate program running on a real pty (no
    camera, no thermometer); stopped and its terminal closed afterwards."""
    with Session(central.engine) as s:
        campus_id = s.get(Gate, resident.gate_ids[0]).campus_id  # type: ignore[union-attr]
        s.add(Gate(gate_id=gate_id, campus_id=campus_id, name_zh=gate_id, name_en=gate_id, open=True))
        s.commit()
    env = dict(
        os.environ,
        CAMPUSGATE_GATE_GATE_ID=gate_id,
        CAMPUSGATE_GATE_MQTT_PORT=str(broker.port),
        CAMPUSGATE_GATE_CAMERA=str(tmp_path / "none.avi"),
        CAMPUSGATE_GATE_SERIAL_PORT=str(tmp_path / "ttyNONE"),
        CAMPUSGATE_GATE_DATA_DIR=str(tmp_path / "gate"),
        PYTHONPATH=str(ROOT),
        **env_extra,
    )
    master, slave = os.openpty()
    log = open(tmp_path / "gate.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from gate_agent.main import main; raise SystemExit(main([]))"],
        env=env,
        cwd=ROOT,
        stdin=slave,
        stdout=slave,
        stderr=log,
        start_new_session=True,
    )
    os.close(slave)
    try:
        yield proc, Screen(master)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        log.close()


def test_guard_overrides_the_last_decision_from_the_keyboard(central, broker, passes, tmp_path: Path) -> None:
    resident = next(p for p in passes if p.role == "resident" and p.campus_code == "wucheng")
    with gate_on_terminal(
        central, broker, resident, tmp_path, GATE, CAMPUSGATE_GATE_GUARD_ID="north-post-1"
    ) as (proc, screen):
        assert screen.wait_for("guard console"), screen.text[-2000:]
        assert screen.wait_for("测温仪故障"), "the unplugged thermometer is not shown"
        screen.type("t36.6\r")
        assert screen.wait_for("36.6 °C / next scan uses 36.6 °C")
        screen.type("s" + resident.token + "\r")
        assert screen.wait_for("通行 ALLOW"), screen.text[-2000:]
        with Session(central.engine) as s:
            [first] = s.exec(sql_select(EntryEvent).where(EntryEvent.gate_id == GATE)).all()
        assert first.verdict == "allow" and first.celsius == 36.6

        screen.type("d")
        assert screen.wait_for("2. 经保卫处电话确认")
        screen.type("2")
        assert screen.wait_for("值守人员禁止通行"), screen.text[-2000:]  # central's answer to the override

        def override() -> list[EntryEvent]:
            with Session(central.engine) as s:
                q = sql_select(EntryEvent).where(
                    EntryEvent.gate_id == GATE, col(EntryEvent.override_of).is_not(None)
                )
                return list(s.exec(q))

        assert wait_until(lambda: len(override()) == 1, 5)
        [row] = override()
        assert (row.override_of, row.override_verdict, row.override_guard) == (
            first.event_id,
            "deny",
            "north-post-1",
        )
        assert row.verdict == "deny" and row.reason == "override_deny"
        assert row.override_reason.startswith("经保卫处电话确认")
        screen.type("q")
        assert proc.wait(15) == 0
