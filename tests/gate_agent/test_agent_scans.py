"""The agent with the in-memory link (unit tier): every scan is in the outbox before anything is
shown or queued, and a busy pipeline makes the camera skip frames, counted in the status, never
scans. Real OpenCV frames, the real decoder and the real SQLite outbox."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gate_agent.intake import SCAN_BACKLOG
from gate_agent.memory_link import MemoryLink
from gate_agent.ports import CameraHealth
from gatecore.messages import DecisionMessage, ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from gatecore.wire import MAX_QR
from tests.gate_agent.conftest import gate_id, gate_settings, qr_frame, wait_until

NORMAL = Temperature(36.5, SensorStatus.OK)


class FrameCamera:
    """A camera showing the given frames in turn, about 100 a second."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = frames
        self.shown = 0

    def read(self) -> np.ndarray | None:
        time.sleep(0.01)
        frame = self.frames[self.shown % len(self.frames)]
        self.shown += 1
        return frame

    def health(self) -> CameraHealth:
        return CameraHealth.OK

    def close(self) -> None:
        pass


class NoCamera(FrameCamera):
    def __init__(self) -> None:
        super().__init__([])

    def read(self) -> np.ndarray | None:
        time.sleep(0.05)
        return None


def allow(event: ScanEvent) -> DecisionMessage:
    """Central's answer to every event: allow."""
    return DecisionMessage(
        event_id=event.event_id,
        gate_id=event.gate_id,
        verdict=Verdict.ALLOW,
        reason=Reason.OK,
        reasons=[Reason.OK.value],
        text_zh="",
        text_en="",
        action_zh="",
        action_en="",
        holder="张*明",
        household="坞城校区 7",
        celsius=36.5,
        open=True,
        policy_version=1,
        decided_at=datetime.now(UTC),
        offline_recorded=event.offline is not None,  # as central answers a copy carrying a verdict
    )


@pytest.fixture
def make_gate(tmp_path: Path) -> Iterator:
    made: list[GateAgent] = []

    def make(link_answer=None, camera=None, **settings: object) -> tuple[GateAgent, MemoryLink]:
        gate = gate_id()
        link = MemoryLink(gate, answer=link_answer)
        agent = build_agent(
            gate_settings(tmp_path / gate, gate, None, **settings),  # type: ignore[arg-type]
            display=RecordingDisplay(),
            relay=RecordingRelay(),
            camera=camera or NoCamera(),
            link=link,
        )
        agent.start()
        made.append(agent)
        return agent, link

    yield make
    for agent in made:
        agent.stop()


def test_a_central_answer_over_the_memory_link_opens_the_gate(make_gate) -> None:
    agent, link = make_gate(allow)
    event_id = agent.submit_scan("CG1:anything", NORMAL)
    view = agent.display.wait_for(lambda v: v.event_id == event_id)  # type: ignore[attr-defined]
    assert (view.verdict, view.offline) == (Verdict.ALLOW, False)
    assert agent.relay.count == 1  # type: ignore[attr-defined]
    assert [e.event_id for e in link.events] == [event_id]
    assert wait_until(lambda: agent.outbox.depth() == 0)
    assert link.statuses[0].state == "online"


def test_every_scan_is_stored_before_submit_returns_and_none_is_dropped(
    make_gate, caplog: pytest.LogCaptureFixture
) -> None:
    # central's broker is up but central never answers: each scan holds the pipeline for the timeout
    agent, link = make_gate(decision_timeout_s=0.05)
    caplog.set_level(logging.ERROR)
    made = []
    for i in range(45):  # more than the old in-memory queue held
        event_id = agent.submit_scan(f"CG1:person-{i}", NORMAL)
        assert event_id in {e.event_id for e in agent.outbox.pending()}, f"scan {i} not stored yet"
        made.append(event_id)
    display: RecordingDisplay = agent.display  # type: ignore[assignment]
    assert wait_until(lambda: len(display.views) == len(made), timeout=20)
    assert [v.event_id for v in display.views] == made  # each shown once, in order
    assert {e.event_id for e in link.events} == set(made)
    assert sorted(e.seq for e in agent.outbox.pending()) == list(range(1, len(made) + 1))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_decision_that_comes_while_the_scan_waits_in_line_is_used(make_gate) -> None:
    agent, link = make_gate(decision_timeout_s=2.0)
    first = agent.submit_scan("CG1:first", NORMAL)  # holds the pipeline for the timeout
    second = agent.submit_scan("CG1:second", NORMAL)
    assert link.wait_for_events(1) and link.events[0].event_id == first
    second_event = next(e for e in agent.outbox.pending() if e.event_id == second)
    assert link.deliver_decision(allow(second_event))  # central answered a resend from before a restart
    view = agent.display.wait_for(lambda v: v.event_id == second)  # type: ignore[attr-defined]
    assert (view.verdict, view.offline) == (Verdict.ALLOW, False)
    assert second not in {e.event_id for e in link.events}  # answered: not published again


def test_a_busy_pipeline_skips_frames_not_scans(make_gate, caplog: pytest.LogCaptureFixture) -> None:
    texts = [f"CG1:holder-{i}" for i in range(12)]
    camera = FrameCamera([qr_frame(t, seed=i) for i, t in enumerate(texts)])
    caplog.set_level(logging.ERROR)
    agent, link = make_gate(
        camera=camera, decision_timeout_s=1.0, repeat_suppress_s=600, status_interval_s=0.2
    )
    biggest = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            biggest[0] = max(biggest[0], agent.intake.backlog())
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert wait_until(lambda: any(s.frames_skipped > 0 for s in link.statuses), timeout=15)
    finally:
        stop.set()
        watcher.join()
    assert agent.intake.skipped > 0
    assert biggest[0] <= SCAN_BACKLOG  # the camera waited, the line did not grow
    stored = agent.outbox.pending()
    assert len({e.qr for e in stored}) == len(stored) >= SCAN_BACKLOG  # each code once, none lost
    shown = {v.event_id for v in agent.display.views}  # type: ignore[attr-defined]
    assert shown <= {e.event_id for e in stored}  # nothing shown that the outbox lacks
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_scans_decided_offline_drain_once_central_answers(make_gate) -> None:
    agent, link = make_gate(decision_timeout_s=0.05, resend_after_s=0.2)
    made = [agent.submit_scan(f"CG1:person-{i}", NORMAL) for i in range(20)]
    display: RecordingDisplay = agent.display  # type: ignore[assignment]
    assert wait_until(lambda: len(display.views) == len(made), timeout=20)
    assert all(v.offline for v in display.views)
    assert all(e.offline is not None for e in agent.outbox.pending())  # kept for the resend
    link.answer = allow  # central is back
    link.set_up(False)
    link.set_up(True)  # the reconnect makes every pending event due at once
    assert wait_until(lambda: agent.outbox.depth() == 0, timeout=20)
    published = [e.event_id for e in link.events]
    assert set(published) == set(made) and all(published.count(e) >= 2 for e in made)
    assert len(display.views) == len(made)  # the late answers are not shown again


def test_a_huge_qr_or_one_holding_nul_is_one_scan_shown_and_logged_by_central(make_gate) -> None:
    # real symbols: a 1,500-character URL and a code with a NUL byte, each held up for a while
    huge = "https://example.com/?q=" + "x" * 1500
    frames = [qr_frame(huge, size=(1280, 1280), module_px=3), qr_frame("CG1:ab\x00cd", seed=2)]
    camera = FrameCamera([f for f in frames for _ in range(20)])
    agent, link = make_gate(allow, camera=camera, repeat_suppress_s=600)
    display: RecordingDisplay = agent.display  # type: ignore[assignment]
    assert wait_until(lambda: len(display.views) == 2 and camera.shown > 120, timeout=20)
    sent = link.events  # as central parsed them off the wire
    assert len(sent) == 2 and [len(e.qr) for e in sent] == [MAX_QR, 9]
    assert sent[0].qr == huge[:MAX_QR] and sent[1].qr == "CG1:ab\ufffdcd"
    assert [v.event_id for v in display.views] == [e.event_id for e in sent]
    assert wait_until(lambda: agent.outbox.depth() == 0)


def test_a_scan_the_gate_cannot_decide_is_referred_to_the_guard_and_kept(
    make_gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault in the gate's own deciding (here injected into the offline rules) still answers the
    person — refer, check by hand — and the event stays in the outbox, carrying that refer, for central."""
    agent, link = make_gate(decision_timeout_s=0.05)

    def broken(event: ScanEvent) -> None:
        raise RuntimeError("a bug in the offline rules")

    monkeypatch.setattr(agent.offline, "decide", broken)
    event_id = agent.submit_scan("CG1:anything", NORMAL)
    view = agent.display.wait_for(lambda v: v.event_id == event_id)  # type: ignore[attr-defined]
    assert (view.verdict, view.reason) == (Verdict.REFER, Reason.DECISION_ERROR)
    assert "人工核验" in view.text_zh and "check by hand" in view.text_en
    assert agent.relay.count == 0  # type: ignore[attr-defined]
    # kept with what the gate showed, so that central logs the refer beside its own verdict, not
    # its verdict as if the gate had shown it
    [kept] = agent.outbox.pending()
    assert kept.event_id == event_id and kept.offline is not None
    assert (kept.offline.verdict, kept.offline.reason) == (Verdict.REFER, Reason.DECISION_ERROR)
    # and the gate goes on: the next scan is decided as usual once the rules work again
    monkeypatch.undo()
    next_id = agent.submit_scan("CG1:other", NORMAL)
    assert agent.display.wait_for(lambda v: v.event_id == next_id).offline  # type: ignore[attr-defined]
