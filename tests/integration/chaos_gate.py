"""A gate agent in its own (forked) process for the chaos test, so that it can be killed with SIGKILL.

It scans the given passes in a loop (never more than IN_FLIGHT scans ahead of its screen) until a
stop file appears, and journals, one flushed JSON line each, every scan the outbox accepted and
every decision the gate acted on (shown, online or offline). The test compares the journals with
central's log.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import TextIO

from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.bootstrap import build_agent
from gate_agent.views import DisplayView
from gatecore.messages import Temperature
from gatecore.thermoline import SensorStatus
from tests.gate_agent.conftest import gate_settings

IN_FLIGHT = 4
PACE_S = 0.08  # up to about 12 scans/s per gate: the load of the field report, 24-36/s on three gates


class JournalDisplay(RecordingDisplay):
    """Records views like the simulator's display and journals each one as it is shown."""

    def __init__(self, journal: TextIO) -> None:
        super().__init__()
        self.journal = journal
        self.lock = threading.Lock()

    def write(self, record: dict[str, object]) -> None:
        with self.lock:
            self.journal.write(json.dumps(record) + "\n")
            self.journal.flush()

    def show(self, view: DisplayView) -> None:
        self.write({"shown": view.event_id, "verdict": view.verdict.value, "offline": view.offline})
        super().show(view)


def main(argv: list[str]) -> None:
    """Run one gate: argv is GATE_ID PORT DATA_DIR JOURNAL TOKENS_JSON STOP_FILE."""
    gate_id, port, data_dir, journal_path, tokens_path, stop_file = argv
    data = Path(data_dir)
    settings = gate_settings(
        data, gate_id, int(port), data_dir=data, decision_timeout_s=0.5, resend_after_s=0.5
    )
    tokens = json.loads(Path(tokens_path).read_text())
    with open(journal_path, "a", encoding="utf-8") as journal:
        display = JournalDisplay(journal)
        agent = build_agent(settings, display=display, relay=RecordingRelay())
        agent.start()
        deadline = time.monotonic() + 15
        while agent.offline.policy_version == 0 and time.monotonic() < deadline:
            time.sleep(0.05)  # a restarted gate has its stored config at once; a new one waits for it
        display.write({"ready": gate_id})
        accepted, i = 0, 0
        while not Path(stop_file).exists():
            if accepted - len(display.views) >= IN_FLIGHT:
                time.sleep(0.005)
                continue
            event_id = agent.submit_scan(tokens[i % len(tokens)], Temperature(36.5, SensorStatus.OK))
            display.write({"accepted": event_id})
            accepted, i = accepted + 1, i + 1
            time.sleep(PACE_S)
        display.write({"stopped": gate_id})
        while True:  # keep resending until the test ends this process
            time.sleep(1)
