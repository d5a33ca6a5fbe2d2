"""Gate provisioning: register a gate in central's database, give it broker credentials (a
Mosquitto password-file entry made by the real ``mosquitto_passwd``) and write the files its
systemd unit reads; revoke them again.

The central functions used here (engine, registry, journal) are imported in this one module, so a
reorganised ``central`` package changes one import block.

Errors: :class:`ProvisionError`, with a reason a person can act on.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gatecore.topics import valid_gate_id

# broker users that are not gates: a gate with one of these ids would share their ACL block
SERVICE_USER = re.compile(r"^(central(-.*)?|office)$")
ENV_NAME = "gate.env"
PASSWORD_NAME = "mqtt-password"
CA_NAME = "ca.crt"


class ProvisionError(Exception):
    """Provisioning could not be done as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class BrokerTarget:
    """Where the gate will find the broker, written into its env file."""

    host: str
    port: int = 8883
    tls: bool = True
    ca_file: Path | None = None  # the campus CA certificate to copy beside the env file


def check_gate_id(gate_id: str) -> None:
    """Refuse ids that are not topic-safe slugs or that name a service's broker user."""
    if not valid_gate_id(gate_id):
        raise ProvisionError(f"gate id {gate_id!r} is not a lower-case slug [a-z0-9][a-z0-9_-]*")
    if SERVICE_USER.match(gate_id):
        raise ProvisionError(f"gate id {gate_id!r} is reserved for a central or office broker user")


def new_password() -> str:
    """A random broker password (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def _mosquitto_passwd() -> str:
    found = shutil.which("mosquitto_passwd")
    if found is None:
        raise ProvisionError("mosquitto_passwd not found: install the mosquitto package (deploy/system-deps.sh)")
    return found


def hashed_entry(user: str, password: str) -> str:
    """A password-file line ``user:$7$…`` hashed by mosquitto_passwd (the password never on a command line)."""
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "entry"
        plain.touch(mode=0o600)
        plain.write_text(f"{user}:{password}\n", encoding="utf-8")
        done = subprocess.run(
            [_mosquitto_passwd(), "-U", str(plain)], capture_output=True, text=True, timeout=30, check=False
        )
        if done.returncode != 0:
            raise ProvisionError(f"mosquitto_passwd failed: {done.stderr.strip() or done.stdout.strip()}")
        line = plain.read_text(encoding="utf-8").strip()
    if not line.startswith(f"{user}:$"):
        raise ProvisionError("mosquitto_passwd did not hash the entry")
    return line


def _entries(passwd_file: Path) -> list[str]:
    if not passwd_file.exists():
        return []
    return [line for line in passwd_file.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_keeping_owner(path: Path, text: str) -> None:
    # replace atomically; a new file is owner-only, an existing one keeps its mode and owner
    # (the broker's group must still read it)
    mode, owner = 0o600, None
    if path.exists():
        st = path.stat()
        mode, owner = st.st_mode & 0o777, (st.st_uid, st.st_gid)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        if owner is not None and os.geteuid() == 0:
            os.chown(tmp, *owner)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_broker_password(passwd_file: Path, user: str, password: str) -> None:
    """Add or replace ``user``'s entry in a Mosquitto password file."""
    entry = hashed_entry(user, password)
    kept = [line for line in _entries(passwd_file) if line.split(":", 1)[0] != user]
    _write_keeping_owner(passwd_file, "\n".join([*kept, entry]) + "\n")


def remove_broker_password(passwd_file: Path, user: str) -> bool:
    """Delete ``user``'s entry; False when there was none."""
    entries = _entries(passwd_file)
    kept = [line for line in entries if line.split(":", 1)[0] != user]
    if len(kept) == len(entries):
        return False
    _write_keeping_owner(passwd_file, "".join(f"{line}\n" for line in kept))
    return True


def broker_users(passwd_file: Path) -> list[str]:
    """The user names in a Mosquitto password file."""
    return [line.split(":", 1)[0] for line in _entries(passwd_file)]
