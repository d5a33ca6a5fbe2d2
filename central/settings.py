"""Central's one settings class, read from ``CAMPUSGATE_*`` environment variables.

One data directory holds what central keeps outside the database (signing keys, the console's
secret, audit checkpoints) and, unless CAMPUSGATE_DATABASE_URL says otherwise, the SQLite database
itself: CAMPUSGATE_DATA_DIR, or the user's data directory. Every command prints where it is.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

DATABASE_FILE = "campusgate.db"


def default_data_dir() -> Path:
    """$XDG_DATA_HOME/campusgate, else ~/.local/share/campusgate: the same wherever a command runs."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "campusgate"


class CentralSettings(BaseSettings):
    """Everything central needs to start; per-campus rules live in the database, not here."""

    model_config = SettingsConfigDict(env_prefix="CAMPUSGATE_", extra="forbid", allow_inf_nan=False)
    # every number is bounded both ways (NaN fails both): an infinite wait overflows the clock

    database_url: str = ""  # empty: SQLite in the data directory
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(1883, ge=1, le=65535)
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
    data_dir: Path = Field(default_factory=default_data_dir)
    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=0, le=65535)  # 0: pick a free loopback port at start (the demo, the tests)
    # group commit: a batch of decisions is up to this many events, or what arrived this long after its first
    batch_max_events: int = Field(64, ge=1, le=10_000)
    batch_max_wait_ms: float = Field(2.0, ge=0, le=1000)
    max_clock_skew_s: float = Field(
        30.0, gt=0, le=86_400
    )  # a gate whose status clock is further off is flagged
    # gates' retained configs (registry facts for offline decisions) are re-published this often
    config_refresh_s: float = Field(300.0, ge=1, le=86_400)
    # console cookies carry Secure: True always, False never, None when the request came over HTTPS
    # (directly, or through a proxy that says X-Forwarded-Proto: https)
    cookie_secure: bool | None = None
    # a worker run without the API (--no-api) serves /metrics, /health and /ready here; 0: not at all
    metrics_port: int = Field(0, ge=0, le=65535)

    @field_validator("shared_group")
    @classmethod
    def _group_name(cls, value: str) -> str:
        if not value or any(c in value for c in "/+#"):
            raise ValueError("shared_group must be non-empty, without '/', '+' or '#'")
        return value

    @model_validator(mode="after")
    def _complete(self) -> CentralSettings:
        # the database defaults into the data directory; then the secrets files fill in passwords
        self.data_dir = self.data_dir.expanduser().absolute()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / DATABASE_FILE}"
        if self.mqtt_password_file is not None:
            self.mqtt_password = SecretStr(read_secret(self.mqtt_password_file))
        if self.database_password_file is not None:
            url = make_url(self.database_url).set(password=read_secret(self.database_password_file))
            self.database_url = url.render_as_string(hide_password=False)
        return self

    def where(self) -> str:
        """The line every command prints: which data directory and which database it uses."""
        database = make_url(self.database_url).render_as_string(hide_password=True)
        return f"data directory {self.data_dir} (CAMPUSGATE_DATA_DIR); database {database}"

    @property
    def keys_dir(self) -> Path:
        """Where the Ed25519 private keys live (kid-N.pem)."""
        return self.data_dir / "keys"


def read_secret(path: str | Path, what: str = "secret file") -> str:
    """The password on a file's first line, blanks stripped: the one reader of every password file
    (central's MQTT and database passwords, a gate's, a console user's, a provisioned gate's), so a
    file reads alike wherever it is named. ValueError naming ``what``, the file and why it gives none:
    missing or unreadable, not UTF-8 text, nothing on its first line (an empty password would have
    been sent as one, and refused by the broker without a word at the gate)."""
    try:
        with open(path, encoding="utf-8") as f:
            value = f.readline().strip()
    except OSError as exc:
        raise ValueError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"cannot read {what} {path}: not UTF-8 text") from None
    if not value:
        raise ValueError(f"{what} {path} holds no password on its first line")
    return value
