"""Central's one settings class, read from ``CAMPUSGATE_*`` environment variables.

One data directory holds what central keeps outside the database (signing keys, the console's
secret, audit checkpoints) and, unless CAMPUSGATE_DATABASE_URL says otherwise, the SQLite database
itself: CAMPUSGATE_DATA_DIR, or the user's data directory. Every command prints where it is.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATABASE_FILE = "campusgate.db"


def default_data_dir() -> Path:
    """$XDG_DATA_HOME/campusgate, else ~/.local/share/campusgate: the same wherever a command runs."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "campusgate"


class CentralSettings(BaseSettings):
    """Everything central needs to start; per-campus rules live in the database, not here."""

    model_config = SettingsConfigDict(env_prefix="CAMPUSGATE_", extra="forbid")

    database_url: str = ""  # empty: SQLite in the data directory
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_tls: bool = False
    mqtt_ca_file: str | None = None
    # several workers split the events through $share/central/gates/+/events (Mosquitto, EMQX)
    shared_subscription: bool = False
    worker_id: str = "1"
    data_dir: Path = Field(default_factory=default_data_dir)
    api_host: str = "127.0.0.1"
    api_port: int = 8000  # 0: pick a free loopback port at start (the demo, the tests)
    max_clock_skew_s: float = 30.0  # a gate whose status clock is further off is flagged
    # a worker run without the API (--no-api) serves /metrics, /health and /ready here; 0: not at all
    metrics_port: int = 0

    @model_validator(mode="after")
    def _database_in_data_dir(self) -> CentralSettings:
        self.data_dir = self.data_dir.expanduser().absolute()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / DATABASE_FILE}"
        return self

    def where(self) -> str:
        """The line every command prints: which data directory and which database it uses."""
        from sqlalchemy.engine import make_url

        database = make_url(self.database_url).render_as_string(hide_password=True)
        return f"data directory {self.data_dir} (CAMPUSGATE_DATA_DIR); database {database}"

    @property
    def keys_dir(self) -> Path:
        """Where the Ed25519 private keys live (kid-N.pem)."""
        return self.data_dir / "keys"
