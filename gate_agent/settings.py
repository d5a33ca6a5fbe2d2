"""GateSettings: the gate agent's one settings object, from CAMPUSGATE_GATE_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gatecore.topics import valid_gate_id


class GateSettings(BaseSettings):
    """Everything a gate needs; built in main(), never at import."""

    model_config = SettingsConfigDict(env_prefix="CAMPUSGATE_GATE_", extra="forbid", allow_inf_nan=False)
    # every number has an upper bound too: an infinite wait never decides, a huge one overflows the clock

    gate_id: str
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(1883, ge=1, le=65535)
    mqtt_username: str | None = None  # production: the gate id, so the ACL pattern gates/%u/# applies
    mqtt_password: SecretStr | None = None
    mqtt_tls: bool = False
    mqtt_ca_file: Path | None = None
    camera: str = "0"  # device index ("0"), http(s) MJPEG URL, rtsp URL or a video file path
    decoder: Literal["cascade", "zxing", "pyzbar"] = "cascade"  # see gate_agent.devices.decoder
    serial_port: Path = Path("/dev/ttyUSB0")
    baud: int = Field(9600, ge=300, le=4_000_000)
    pair_window_s: float = Field(3.0, gt=0, le=60)
    repeat_suppress_s: float = Field(4.0, ge=0, le=3600)
    decision_timeout_s: float = Field(0.8, gt=0, le=600)
    direction: Literal["in", "out"] = "in"
    data_dir: Path = Path("/var/lib/campusgate-gate")
    status_interval_s: float = Field(5.0, gt=0, le=3600)
    outbox_warn_depth: int = Field(1000, ge=1, le=10**9)
    relay_port: Path | None = None  # serial relay board (devices.relay.SerialRelay); None: no relay
    screen_port: int = Field(0, ge=0, le=65535)  # the gate screen web page on 127.0.0.1; 0: off
    screen_verdict_s: float = Field(5.0, gt=0, le=3600)  # a verdict stays on the gate screen this long
    guard_id: str = "guard"  # who overrides at this gate's console (a duty post, not a name)
    resend_after_s: float = Field(3.0, gt=0, le=3600)  # an unacknowledged event is published again after this

    @field_validator("gate_id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not valid_gate_id(value):
            raise ValueError("gate_id must be a lower-case slug: [a-z0-9][a-z0-9_-]*")
        return value

    @property
    def database_path(self) -> Path:
        """The SQLite file holding outbox, ledger and last config."""
        return self.data_dir / "gate.sqlite"
