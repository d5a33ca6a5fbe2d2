"""`campusgate gate provision` and `gate revoke-credentials`, run as commands against a real central
database, the real mosquitto_passwd and Mosquitto started with the deploy config."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from sqlmodel import Session, select

from campusgate.provision import broker_users, set_broker_password
from central.models.changes import RegistryChange
from central.models.db import create_all, make_engine
from central.models.registry import Gate
from central.office.registry import add_campus
from gate_agent.bootstrap import link_options
from gate_agent.link import GateLink
from tests.deploy.conftest import needs_mosquitto
from tests.deploy.deployed import DeployedMosquitto, provision_cli, settings_from_bundle
from tests.gate_agent.conftest import wait_until


@pytest.fixture
def central_db(tmp_path: Path) -> str:
    """Central's database with its tables and one campus (code ``north``)."""
    url = f"sqlite:///{tmp_path}/central.db"
    engine = make_engine(url)
    create_all(engine)
    with Session(engine) as session:
        add_campus(session, code="north", name_zh="北校区", name_en="North campus")
        session.commit()
    engine.dispose()
    return url


def _provision(db: str, broker: DeployedMosquitto, gate: str, out: Path, *extra: str):
    return provision_cli(
        "provision", gate, "--database-url", db, "--passwd-file", str(broker.passwd_file),
        "--broker-host", "127.0.0.1", "--broker-port", str(broker.port), "--ca-file", str(broker.ca_file),
        "--out", str(out), "--install-dir", str(out), *extra,
    )  # fmt: skip


def _logs_in(bundle: Path, tmp_path: Path, timeout: float) -> bool:
    link = GateLink(bundle.name, link_options(settings_from_bundle(bundle, data_dir=tmp_path)))
    link.start()
    try:
        return wait_until(lambda: link.up, timeout)
    finally:
        link.stop()


@needs_mosquitto
def test_a_provisioned_gate_logs_in_over_tls_until_revoked(tmp_path: Path, central_db: str) -> None:
    broker = DeployedMosquitto(tmp_path / "mosquitto")
    out = tmp_path / "gate-north-1"
    done = _provision(central_db, broker, "gate-north-1", out, "--campus", "north", "--name-zh", "北门")
    assert done.returncode == 0, done.stderr
    assert "registered on campus north" in done.stdout
    engine = make_engine(central_db)
    with Session(engine) as session:
        gate = session.get(Gate, "gate-north-1")
        assert gate is not None and gate.name_zh == "北门"
        journal = session.exec(select(RegistryChange).where(RegistryChange.entity_id == "gate-north-1")).one()
        assert (journal.action, journal.entity) == ("create", "gate")
        assert journal.username.startswith("cli:")
    engine.dispose()
    assert stat.S_IMODE((out / "mqtt-password").stat().st_mode) == 0o600
    assert stat.S_IMODE(broker.passwd_file.stat().st_mode) == 0o600  # kept as the test broker made it
    settings = settings_from_bundle(out, data_dir=tmp_path)
    assert (settings.gate_id, settings.mqtt_username, settings.mqtt_tls) == ("gate-north-1",) * 2 + (True,)
    assert settings.mqtt_ca_file == out / "ca.crt"

    broker.start()
    try:
        assert _logs_in(out, tmp_path, 10), broker.log_tail()
        kept_aside = (out / "mqtt-password").read_text()  # a copy the thief of the gate keeps
        revoked = provision_cli(
            "revoke-credentials", "gate-north-1", "--passwd-file", str(broker.passwd_file), "--out", str(out)
        )
        assert revoked.returncode == 0, revoked.stderr
        assert "gate-north-1" not in broker_users(broker.passwd_file)
        assert not (out / "mqtt-password").exists()
        broker.reload()
        (out / "mqtt-password").write_text(kept_aside)
        assert not _logs_in(out, tmp_path, 3)
    finally:
        broker.stop()


@needs_mosquitto
def test_provisioning_again_replaces_the_password(tmp_path: Path, central_db: str) -> None:
    broker = DeployedMosquitto(tmp_path / "mosquitto")
    out = tmp_path / "gate-a"
    assert (
        _provision(central_db, broker, "gate-a", out, "--campus", "north", "--name-zh", "甲").returncode == 0
    )
    old = (out / "mqtt-password").read_text()
    again = _provision(central_db, broker, "gate-a", out)  # registered already: no campus needed
    assert again.returncode == 0, again.stderr
    assert "gate gate-a is registered" in again.stdout
    assert (out / "mqtt-password").read_text() != old
    assert broker_users(broker.passwd_file).count("gate-a") == 1
    broker.start()
    try:
        assert _logs_in(out, tmp_path, 10)
        (out / "mqtt-password").write_text(old)
        assert not _logs_in(out, tmp_path, 3)
    finally:
        broker.stop()


@pytest.mark.parametrize(
    ("gate", "extra", "reason"),
    [
        ("gate-z", (), "gate gate-z is not registered: give --campus and --name-zh"),
        ("gate-z", ("--campus", "south", "--name-zh", "南门"), "no campus with code 'south'"),
        (
            "central-1",
            ("--campus", "north", "--name-zh", "x"),
            "reserved for a central or office broker user",
        ),
        ("office", ("--campus", "north", "--name-zh", "x"), "reserved"),
        ("Gate/A", ("--campus", "north", "--name-zh", "x"), "is not a lower-case slug"),
    ],
)
def test_refusals_say_why_and_change_nothing(
    tmp_path: Path, central_db: str, gate: str, extra: tuple[str, ...], reason: str
) -> None:
    passwd = tmp_path / "campusgate.passwd"
    done = provision_cli(
        "provision", gate, "--database-url", central_db, "--passwd-file", str(passwd),
        "--broker-host", "broker", "--out", str(tmp_path / "out"), *extra,
    )  # fmt: skip
    assert done.returncode == 2
    assert reason in done.stderr and "Traceback" not in done.stderr
    assert not passwd.exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--broker-host", ""), "--broker-host '' is not a host name"),
        (("--broker-host", "broker host"), "--broker-host 'broker host' is not a host name"),
        (("--broker-host", "broker", "--broker-port", "0"), "--broker-port 0 is not a port (1 to 65535)"),
        (("--broker-host", "broker", "--broker-port", "99999"), "--broker-port 99999 is not a port"),
        (("--broker-host", "broker", "--ca-file", "{tmp}/no-ca.crt"), "--ca-file {tmp}/no-ca.crt: "),
        (("--broker-host", "broker", "--password-file", "{tmp}/no-pw"), "--password-file {tmp}/no-pw: "),
        (
            ("--broker-host", "broker", "--password-file", "{tmp}/empty-pw"),
            "holds no password on its first line",
        ),
    ],
)
def test_what_the_gate_could_not_use_is_refused_before_anything_is_written(
    tmp_path: Path, central_db: str, args: tuple[str, ...], reason: str
) -> None:
    """A broker the gate cannot reach as written, or a file that is not there, was found out only on
    the gate (a host with a space, port 0), or by a traceback once the gate was registered and its
    password set (a missing CA file); an empty password file quietly gave the gate a random password."""
    (tmp_path / "empty-pw").write_text("\n")
    passwd = tmp_path / "campusgate.passwd"
    done = provision_cli(
        "provision", "gate-b", "--database-url", central_db, "--passwd-file", str(passwd),
        "--out", str(tmp_path / "out"), "--campus", "north", "--name-zh", "乙",
        *(a.replace("{tmp}", str(tmp_path)) for a in args),
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert reason.replace("{tmp}", str(tmp_path)) in done.stderr and "Traceback" not in done.stderr
    assert not passwd.exists() and not (tmp_path / "out").exists()
    engine = make_engine(central_db)
    with Session(engine) as session:
        assert session.get(Gate, "gate-b") is None
    engine.dispose()


def test_a_database_central_never_started_on_is_refused_plainly(tmp_path: Path) -> None:
    done = provision_cli(
        "provision", "gate-a", "--database-url", f"sqlite:///{tmp_path}/empty.db", "--campus", "north",
        "--name-zh", "甲", "--passwd-file", str(tmp_path / "p"), "--broker-host", "broker",
    )  # fmt: skip
    assert done.returncode == 2
    assert "central's database is unusable" in done.stderr and "Traceback" not in done.stderr


def test_revoking_a_gate_without_credentials_says_so(tmp_path: Path) -> None:
    passwd = tmp_path / "campusgate.passwd"
    passwd.write_text("")
    done = provision_cli("revoke-credentials", "gate-q", "--passwd-file", str(passwd))
    assert done.returncode == 2  # refused, as a refused provision is (1 is a broken log's)
    assert "no broker credentials for gate gate-q" in done.stderr


@needs_mosquitto
def test_concurrent_provisioning_keeps_every_entry(tmp_path: Path) -> None:
    passwd = tmp_path / "campusgate.passwd"
    users = [f"gate-{i}" for i in range(8)]
    threads = [threading.Thread(target=set_broker_password, args=(passwd, u, "pw")) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(broker_users(passwd)) == users
