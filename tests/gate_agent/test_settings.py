"""GateSettings from the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gate_agent.settings import GateSettings


def test_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("CAMPUSGATE_GATE_GATE_ID", "wucheng-north")
    monkeypatch.setenv("CAMPUSGATE_GATE_CAMERA", "http://127.0.0.1:8081/video.mjpg")
    monkeypatch.setenv("CAMPUSGATE_GATE_DECODER", "zxing")
    monkeypatch.setenv("CAMPUSGATE_GATE_MQTT_PASSWORD", "s3cret")
    monkeypatch.setenv("CAMPUSGATE_GATE_DATA_DIR", str(tmp_path))
    s = GateSettings()  # type: ignore[call-arg]
    assert (s.gate_id, s.decoder, s.baud, s.pair_window_s, s.direction) == (
        "wucheng-north",
        "zxing",
        9600,
        3.0,
        "in",
    )
    assert s.mqtt_password is not None and "s3cret" not in repr(s)
    assert s.database_path == tmp_path / "gate.sqlite"


def test_the_cascade_is_the_default_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAMPUSGATE_GATE_DECODER", raising=False)
    assert GateSettings(gate_id="g1").decoder == "cascade"  # type: ignore[call-arg]


def test_unknown_keys_and_bad_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        GateSettings(gate_id="g1", colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        GateSettings(gate_id="gates/+/#")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        GateSettings(gate_id="g1", decoder="opencv")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        GateSettings(gate_id="g1", direction="sideways")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        "baud",
        "pair_window_s",
        "repeat_suppress_s",
        "decision_timeout_s",
        "status_interval_s",
        "outbox_warn_depth",
        "resend_after_s",
        "screen_verdict_s",
        "screen_port",
        "mqtt_port",
    ],
)
@pytest.mark.parametrize("value", ["nan", "inf", "1e30", "-1"])
def test_every_number_is_bounded_both_ways(name: str, value: str) -> None:
    # an infinite decision timeout left a person waiting for ever; 1e30 overflowed a wait
    with pytest.raises(ValidationError) as refused:
        GateSettings(gate_id="g1", **{name: value})  # type: ignore[call-arg]
    assert [e["loc"] for e in refused.value.errors()] == [(name,)]


def test_a_nan_is_named_as_not_finite() -> None:
    with pytest.raises(ValidationError, match="finite number"):
        GateSettings(gate_id="g1", decision_timeout_s="nan")  # type: ignore[call-arg]
