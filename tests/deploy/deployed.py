"""Mosquitto run with the deploy configuration (deploy/mosquitto/) in a temporary folder:
certificates made by deploy/make-certs.sh, passwords hashed by the real mosquitto_passwd."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from campusgate.provision import ENV_NAME, PASSWORD_NAME, new_password, read_env_file, set_broker_password
from gate_agent.settings import GateSettings
from transport.broker import MosquittoBroker

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
MOSQUITTO_DIR = DEPLOY / "mosquitto"
CENTRAL_USERS = ("central-1", "central-2")
# what the test broker sets itself (persistence in its folder, its log kept, its user)
_OWN = ("user ", "persistence ", "persistence_location ", "autosave_interval ", "log_dest ", "log_type ")


def make_certs(directory: Path) -> Path:
    """The campus CA and a server certificate for 127.0.0.1 and localhost; the CA certificate's path."""
    subprocess.run(
        [str(DEPLOY / "make-certs.sh"), "server", str(directory), "localhost", "127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return directory / "ca.crt"


class DeployedMosquitto(MosquittoBroker):
    """The deploy config with its paths rewritten into ``workdir``; users added with :meth:`add_user`."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        super().__init__(port=port, workdir=workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        self.certs = workdir / "certs"
        self.ca_file = make_certs(self.certs)
        self.passwd_file = workdir / "campusgate.passwd"
        self.acl_file = workdir / "campusgate.acl"
        self.acl_file.write_text((MOSQUITTO_DIR / "campusgate.acl").read_text())
        self.passwords: dict[str, str] = {}
        for user in CENTRAL_USERS:
            self.add_user(user)

    def add_user(self, user: str, password: str | None = None) -> str:
        """Give ``user`` a password in the broker's password file (reload to apply while running)."""
        password = password or new_password()
        set_broker_password(self.passwd_file, user, password)
        self.passwords[user] = password
        return password

    def config(self) -> str:
        """deploy/mosquitto/mosquitto.conf with every file path moved into the work folder."""
        paths = {
            "/etc/mosquitto/auth/campusgate.passwd": str(self.passwd_file),
            "/etc/mosquitto/campusgate.acl": str(self.acl_file),
            "/etc/mosquitto/certs/": f"{self.certs}/",
        }
        lines = []
        for line in (MOSQUITTO_DIR / "mosquitto.conf").read_text().splitlines():
            if line.startswith(_OWN):
                continue
            if line.startswith("listener "):
                line = f"listener {self.port} 127.0.0.1"
            for old, new in paths.items():
                line = line.replace(old, new)
            lines.append(line)
        text = "\n".join(lines) + "\n"
        # a path the rewrite does not know would make the broker read the host's files
        assert "/etc/" not in text and "/var/" not in text, text
        return self.common_config() + text

    def reload(self) -> None:
        """SIGHUP: the broker reads its password and ACL files again."""
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGHUP)


def provision_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``campusgate gate …`` as a separate process, the way an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "campusgate.cli", "gate", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def settings_from_bundle(bundle: Path, **overrides: object) -> GateSettings:
    """The gate's settings exactly as its systemd unit would build them from the provisioned files."""
    values: dict[str, object] = {
        key.removeprefix("CAMPUSGATE_GATE_").lower(): value
        for key, value in read_env_file(bundle / ENV_NAME).items()
    }
    values["mqtt_password"] = (bundle / PASSWORD_NAME).read_text().strip()
    return GateSettings(**{**values, **overrides})  # type: ignore[arg-type]
