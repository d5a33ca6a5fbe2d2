"""The gate as a process: started from the environment, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from gate_agent.outbox import SqliteOutbox
from gatecore import topics
from gatecore.messages import GateStatus, ScanEvent, Temperature
from gatecore.thermoline import SensorStatus
from tests.gate_agent.conftest import gate_id, wait_until
from transport.broker import EmbeddedBroker, MosquittoBroker, free_port
from transport.mqtt import LinkOptions, MqttLink

ROOT = Path(__file__).resolve().parents[2]


def test_runs_until_sigterm_and_says_offline(
    tmp_path: Path, broker: MosquittoBroker | EmbeddedBroker
) -> None:
    gate = gate_id()
    env = dict(
        os.environ,
        CAMPUSGATE_GATE_GATE_ID=gate,
        CAMPUSGATE_GATE_MQTT_PORT=str(broker.port),
        CAMPUSGATE_GATE_CAMERA=str(tmp_path / "none.avi"),
        CAMPUSGATE_GATE_SERIAL_PORT=str(tmp_path / "ttyNONE"),
        CAMPUSGATE_GATE_DATA_DIR=str(tmp_path / "data"),
        CAMPUSGATE_GATE_STATUS_INTERVAL_S="0.5",
        PYTHONPATH=str(ROOT),
    )
    seen: list[GateStatus] = []
    watcher = MqttLink(f"watch-{uuid.uuid4().hex[:6]}", LinkOptions(port=broker.port))
    watcher.subscribe(topics.gate_status(gate), lambda t, p: seen.append(GateStatus.from_json(p)))
    watcher.start()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from gate_agent.main import main; raise SystemExit(main([]))"],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_until(lambda: any(s.state == "online" for s in seen), 15)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert wait_until(lambda: seen[-1].state == "offline", 5)
        assert b"CG1:" not in err  # no token in any log line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        watcher.stop()


def test_the_line_console_reads_a_pipe(tmp_path: Path) -> None:
    """Commands piped into the gate: a bad line is refused, a typed temperature pairs with the typed
    code (both stored in the outbox, no broker needed), and 'quit' stops the gate cleanly."""
    env = dict(
        os.environ,
        CAMPUSGATE_GATE_GATE_ID=gate_id(),
        CAMPUSGATE_GATE_MQTT_PORT=str(free_port()),  # nobody listens: the gate works offline
        CAMPUSGATE_GATE_CAMERA=str(tmp_path / "none.avi"),
        CAMPUSGATE_GATE_SERIAL_PORT=str(tmp_path / "ttyNONE"),
        CAMPUSGATE_GATE_DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=str(ROOT),
    )
    proc = subprocess.run(
        [sys.executable, "-c", "from gate_agent.main import main; raise SystemExit(main([]))"],
        input="bogus\n99.9\n" + "x" * 1_000_000 + "\n36.8\nscan CG1:TYPED-BY-HAND\nquit\n",
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "refused: 'bogus' 既不是体温（30-45 °C）也不是命令 / 'bogus' is neither" in proc.stdout
    assert "refused: '99.9' 既不是体温" in proc.stdout
    assert len(proc.stdout) < 5_000  # a megabyte of garbage is quoted cut short, not echoed back
    # the guard reads Chinese first, English beside, as everywhere else at the gate
    assert "值守命令：体温（如 36.8）用于下一次扫码；scan <码> 手动输码；quit 退出 / console:" in proc.stdout
    assert "ok: 下一次扫码使用体温 36.8 °C / next scan uses 36.8 °C" in proc.stdout
    assert "ok: 已提交，事件 " in proc.stdout and "/ scan stored as event" in proc.stdout
    [event] = SqliteOutbox(tmp_path / "data" / "gate.sqlite").pending()
    assert event.qr == "CG1:TYPED-BY-HAND"
    assert (event.temperature.celsius, event.temperature.status) == (36.8, SensorStatus.MANUAL)


def _damaged_store(data: Path) -> Path:
    """A gate store with queued events whose middle page was overwritten (a bad sector, a cut write)."""
    db = data / "gate.sqlite"
    box = SqliteOutbox(db)
    for i in range(400):
        box.put_next(
            ScanEvent(
                str(uuid.uuid4()),
                "g1",
                0,
                datetime.now(UTC),
                f"CG1:{i:0100d}",
                Temperature(36.5, SensorStatus.OK),
            )
        )
    box.close()
    size = db.stat().st_size
    with open(db, "r+b") as f:  # the page in the middle of the file, past the header
        f.seek((size // 4096 // 2) * 4096)
        f.write(os.urandom(4096))
    return db


def test_a_damaged_store_is_refused_in_one_line_saying_what_to_do(tmp_path: Path) -> None:
    db = _damaged_store(tmp_path / "data")
    env = dict(
        os.environ,
        CAMPUSGATE_GATE_GATE_ID="g1",
        CAMPUSGATE_GATE_MQTT_PORT=str(free_port()),
        CAMPUSGATE_GATE_CAMERA=str(tmp_path / "none.avi"),
        CAMPUSGATE_GATE_SERIAL_PORT=str(tmp_path / "ttyNONE"),
        CAMPUSGATE_GATE_DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=str(ROOT),
    )
    for argv in (["-m", "campusgate.cli", "gate"], ["-m", "gate_agent.main"]):
        done = subprocess.run(
            [sys.executable, *argv],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
        )
        err = done.stderr.decode()
        assert done.returncode == 2, err[-2000:]
        assert "Traceback" not in err
        [line] = [x for x in err.splitlines() if "gate not started" in x]
        # found at start (PRAGMA quick_check), not when the resend first reads the queue
        assert f"{db}: database disk image is malformed" in line or f"{db} is damaged" in line
        assert ".recover" in line and "sequence gap" in line
