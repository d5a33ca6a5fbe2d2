"""Gate provisioning: register a gate in central's database, give it broker credentials (a
Mosquitto password-file entry made by the real ``mosquitto_passwd``) and write the files its
systemd unit reads; revoke them again.

The central functions used here (engine, registry, journal) are imported in this one module, so a
reorganised ``central`` package changes one import block.

Errors: :class:`ProvisionError`, with a reason a person can act on.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

# central's functions, imported in this one place: a reorganised central package changes this block
from central.models.db import make_engine, session_scope
from central.models.registry import Campus, Gate
from central.models.users import User
from central.office import registry
from central.office.errors import OfficeError
from central.office.schemas import GateCreate
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


_HOST = re.compile(r"[A-Za-z0-9._:\[\]-]+")  # a DNS name (a compose service's too), an IPv4 or IPv6 address


def check_broker(broker: BrokerTarget) -> None:
    """Refuse a broker address the gate could not use and a CA file that cannot be read, before
    anything is registered or written (the gate would find out only once installed)."""
    if not _HOST.fullmatch(broker.host):
        raise ProvisionError(f"--broker-host {broker.host!r} is not a host name or address")
    if not 0 < broker.port < 65536:
        raise ProvisionError(f"--broker-port {broker.port} is not a port (1 to 65535)")
    if broker.ca_file is not None:
        try:
            broker.ca_file.read_bytes()
        except OSError as exc:
            raise ProvisionError(f"--ca-file {broker.ca_file}: {exc.strerror or exc}") from None


def new_password() -> str:
    """A random broker password (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def _mosquitto_passwd() -> str:
    found = shutil.which("mosquitto_passwd")
    if found is None:
        raise ProvisionError(
            "mosquitto_passwd not found: install the mosquitto package (deploy/system-deps.sh)"
        )
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


@contextmanager
def _locked(passwd_file: Path) -> Iterator[None]:
    # two provisioning commands at once must not each write back the file without the other's entry
    passwd_file.parent.mkdir(parents=True, exist_ok=True)
    with open(passwd_file.with_name(passwd_file.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def set_broker_password(passwd_file: Path, user: str, password: str) -> None:
    """Add or replace ``user``'s entry in a Mosquitto password file."""
    entry = hashed_entry(user, password)
    with _locked(passwd_file):
        kept = [line for line in _entries(passwd_file) if line.split(":", 1)[0] != user]
        _write_keeping_owner(passwd_file, "\n".join([*kept, entry]) + "\n")


def remove_broker_password(passwd_file: Path, user: str) -> bool:
    """Delete ``user``'s entry; False when there was none."""
    with _locked(passwd_file):
        entries = _entries(passwd_file)
        kept = [line for line in entries if line.split(":", 1)[0] != user]
        if len(kept) == len(entries):
            return False
        _write_keeping_owner(passwd_file, "".join(f"{line}\n" for line in kept))
    return True


def broker_users(passwd_file: Path) -> list[str]:
    """The user names in a Mosquitto password file."""
    return [line.split(":", 1)[0] for line in _entries(passwd_file)]


def gate_env(gate_id: str, broker: BrokerTarget, install_dir: Path) -> str:
    """The gate's env file (CAMPUSGATE_GATE_*) for deploy/systemd/campusgate-gate.service."""
    lines = [
        f"CAMPUSGATE_GATE_GATE_ID={gate_id}",
        f"CAMPUSGATE_GATE_MQTT_HOST={broker.host}",
        f"CAMPUSGATE_GATE_MQTT_PORT={broker.port}",
        f"CAMPUSGATE_GATE_MQTT_TLS={'true' if broker.tls else 'false'}",
        f"CAMPUSGATE_GATE_MQTT_USERNAME={gate_id}",
    ]
    if broker.ca_file is not None:
        lines.append(f"CAMPUSGATE_GATE_MQTT_CA_FILE={install_dir / CA_NAME}")
    lines += ["CAMPUSGATE_GATE_CAMERA=0", "CAMPUSGATE_GATE_SERIAL_PORT=/dev/ttyUSB0"]
    return (
        "# written by campusgate gate provision; the password is in mqtt-password\n" + "\n".join(lines) + "\n"
    )


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an env file (comments and blank lines skipped)."""
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def write_bundle(out: Path, gate_id: str, password: str, broker: BrokerTarget, install_dir: Path) -> None:
    """The files a gate needs in its install folder: gate.env, mqtt-password (owner-only), ca.crt."""
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)
    secret = out / PASSWORD_NAME
    secret.unlink(missing_ok=True)
    secret.touch(mode=0o600)
    secret.write_text(password + "\n", encoding="utf-8")
    (out / ENV_NAME).write_text(gate_env(gate_id, broker, install_dir), encoding="utf-8")
    if broker.ca_file is not None:
        shutil.copyfile(broker.ca_file, out / CA_NAME)


def register_gate(
    database_url: str, gate_id: str, *, campus: str | None, name_zh: str | None, name_en: str, actor: str
) -> str:
    """Register the gate, or check it is registered; a line saying which."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            gate = session.get(Gate, gate_id)
            if gate is not None:
                return f"gate {gate_id} is registered (campus id {gate.campus_id})"
            if not campus or not name_zh:
                raise ProvisionError(
                    f"gate {gate_id} is not registered: give --campus and --name-zh to register it"
                )
            row = session.exec(select(Campus).where(Campus.code == campus)).first()
            if row is None or row.id is None:
                raise ProvisionError(f"no campus with code {campus!r}")
            who = User(username=actor, password_hash="")  # who ran the command, for the journal
            body = GateCreate(gate_id=gate_id, campus_id=row.id, name_zh=name_zh, name_en=name_en)
            registry.create_gate(session, actor=who, body=body)
            return f"gate {gate_id} registered on campus {campus}"
    except (ValidationError, OfficeError) as exc:
        raise ProvisionError(f"gate {gate_id} not registered: {exc}") from exc
    except SQLAlchemyError as exc:  # no database, or one central never started on: say so
        raise ProvisionError(f"central's database is unusable: {type(exc).__name__}: {exc}") from exc
    finally:
        engine.dispose()


@dataclass(frozen=True, slots=True)
class GateRequest:
    """What ``campusgate gate provision`` was asked to do."""

    gate_id: str
    database_url: str
    passwd_file: Path
    out: Path
    broker: BrokerTarget
    install_dir: Path = Path("/etc/campusgate")
    campus: str | None = None
    name_zh: str | None = None
    name_en: str = ""
    password: str | None = None  # None: a new random one
    actor: str = "cli"


def provision_gate(request: GateRequest) -> list[str]:
    """Register the gate (or check it), set its broker password, write its files; lines to print."""
    check_gate_id(request.gate_id)
    check_broker(request.broker)
    said = [
        register_gate(
            request.database_url,
            request.gate_id,
            campus=request.campus,
            name_zh=request.name_zh,
            name_en=request.name_en,
            actor=request.actor,
        )
    ]
    password = request.password or new_password()
    set_broker_password(request.passwd_file, request.gate_id, password)
    write_bundle(request.out, request.gate_id, password, request.broker, request.install_dir)
    said += [
        f"broker password for {request.gate_id} set in {request.passwd_file}: reload the broker "
        "(systemctl reload mosquitto, or docker compose kill -s HUP mosquitto)",
        f"gate files in {request.out}: copy them to {request.install_dir} on the gate "
        f"({ENV_NAME}, {PASSWORD_NAME} owner-only{', ' + CA_NAME if request.broker.ca_file else ''})",
    ]
    return said


def revoke_gate(gate_id: str, passwd_file: Path, out: Path | None = None) -> list[str]:
    """Remove the gate's broker password (and its copy in ``out``); raise if it had none."""
    check_gate_id(gate_id)
    if not remove_broker_password(passwd_file, gate_id):
        raise ProvisionError(f"no broker credentials for gate {gate_id} in {passwd_file}: nothing revoked")
    said = [
        f"broker password for {gate_id} removed from {passwd_file}: reload the broker "
        "(systemctl reload mosquitto, or docker compose kill -s HUP mosquitto) to refuse its next login"
    ]
    if out is not None and (out / PASSWORD_NAME).exists():
        (out / PASSWORD_NAME).unlink()
        said.append(f"removed {out / PASSWORD_NAME}")
    return said
