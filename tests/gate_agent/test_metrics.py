"""The gate's /metrics on its local port: frames and decode times from a real video file and
decoder, the thermometer fault of an unplugged device, the outbox filling while no broker answers."""

from __future__ import annotations

from pathlib import Path

import cv2
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client.parser import text_string_to_metric_families

from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.bootstrap import build_agent
from gate_agent.metrics import PORT_ENV
from tests.gate_agent.conftest import gate_id, gate_settings, make_pass, qr_frame, wait_until
from transport.broker import free_port


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_gate_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signing_key: Ed25519PrivateKey
) -> None:
    clip = tmp_path / "gate.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    for i in range(20):
        writer.write(qr_frame(make_pass(signing_key, pass_id=72, household=8), seed=i))
    writer.release()
    port = free_port()
    monkeypatch.setenv(PORT_ENV, str(port))
    gate = gate_id()
    # no broker listens on the settings' port and no thermometer is plugged in
    agent = build_agent(
        gate_settings(tmp_path, gate, camera=str(clip)), display=RecordingDisplay(), relay=RecordingRelay()
    )
    agent.start()
    try:
        g = (("gate", gate),)

        def seen() -> dict:
            return _scrape(port)

        assert wait_until(lambda: seen().get(("campusgate_gate_frames_total", g), 0) >= 5, 10)
        assert wait_until(
            lambda: seen().get(("campusgate_gate_outbox_depth", g), 0) >= 1, 10
        )  # the scans wait
        assert wait_until(
            lambda: (
                seen().get(("campusgate_gate_faults_total", (("fault", "thermometer_unplugged"), *g)), 0) == 1
            ),
            10,
        )
        samples = seen()
        assert samples[("campusgate_gate_decode_seconds_count", g)] >= 1
        assert samples[("campusgate_gate_fault_active", (("fault", "thermometer_unplugged"), *g))] == 1
        assert samples[("campusgate_gate_link_up", g)] == 0
    finally:
        agent.stop()
