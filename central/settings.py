"""Central's one settings class, read from ``CAMPUSGATE_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class CentralSettings(BaseSettings):
    """Everything central needs to start; per-campus rules live in the database, not here."""

    model_config = SettingsConfigDict(env_prefix="CAMPUSGATE_", extra="forbid")

    database_url: str = "sqlite:///var/campusgate.db"
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    # secrets as files (Compose secrets, systemd credentials): read at start, never in the environment
    mqtt_password_file: Path | None = None
    database_password_file: Path | None = None
    mqtt_tls: bool = False
    mqtt_ca_file: str | None = None
    # several workers split the events through $share/central/gates/+/events (Mosquitto, EMQX)
    shared_subscription: bool = False
    # the share group's name: any broker user who knows it can join the group and be handed events
    # it may not read (Mosquitto drops them), so a deployment picks a name gates never see
    shared_group: str = "central"
    worker_id: str = "1"
    data_dir: Path = Path("var")
    api_host: str = "127.0.0.1"
    api_port: int = 8000  # 0: pick a free loopback port at start (the demo, the tests)
    max_clock_skew_s: float = 30.0  # a gate whose status clock is further off is flagged
    # gates' retained configs (registry facts for offline decisions) are re-published this often
    config_refresh_s: float = 300.0

    @field_validator("shared_group")
    @classmethod
    def _group_name(cls, value: str) -> str:
        if not value or any(c in value for c in "/+#"):
            raise ValueError("shared_group must be non-empty, without '/', '+' or '#'")
        return value

    @model_validator(mode="after")
    def _read_secret_files(self) -> CentralSettings:
        if self.mqtt_password_file is not None:
            self.mqtt_password = SecretStr(_read_secret(self.mqtt_password_file))
        if self.database_password_file is not None:
            url = make_url(self.database_url).set(password=_read_secret(self.database_password_file))
            self.database_url = url.render_as_string(hide_password=False)
        return self

    @property
    def keys_dir(self) -> Path:
        """Where the Ed25519 private keys live (kid-N.pem)."""
        return self.data_dir / "keys"


def _read_secret(path: Path) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read secret file {path}: {exc.strerror}") from exc
    if not value:
        raise ValueError(f"secret file {path} is empty")
    return value
