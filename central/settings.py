"""Central's one settings class, read from ``CAMPUSGATE_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class CentralSettings(BaseSettings):
    """Everything central needs to start; per-campus rules live in the database, not here."""

    model_config = SettingsConfigDict(env_prefix="CAMPUSGATE_", extra="forbid")

    database_url: str = "sqlite:///var/campusgate.db"
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_tls: bool = False
    mqtt_ca_file: str | None = None
    # several workers split the events through $share/central/gates/+/events (Mosquitto, EMQX)
    shared_subscription: bool = False
    worker_id: str = "1"
    data_dir: Path = Path("var")
    api_host: str = "127.0.0.1"
    api_port: int = 8000  # 0: pick a free loopback port at start (the demo, the tests)
    # group commit: a batch of decisions is up to this many events, or what arrived this long after its first
    batch_max_events: int = 64
    batch_max_wait_ms: float = 2.0
    max_clock_skew_s: float = 30.0  # a gate whose status clock is further off is flagged
    # gates' retained configs (registry facts for offline decisions) are re-published this often
    config_refresh_s: float = 300.0
    # console cookies carry Secure: True always, False never, None when the request came over HTTPS
    # (directly, or through a proxy that says X-Forwarded-Proto: https)
    cookie_secure: bool | None = None

    @property
    def keys_dir(self) -> Path:
        """Where the Ed25519 private keys live (kid-N.pem)."""
        return self.data_dir / "keys"
