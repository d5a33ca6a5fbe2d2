"""deploy/mosquitto/ run for real: identities are bound to users, gates reach only their own
topics, in the directions the ACL grants, and cannot rewrite their retained config."""

from __future__ import annotations

from collections.abc import Callable

from tests.deploy.acl import acl_matrix
from tests.deploy.conftest import needs_mosquitto
from tests.mqtt_probe import Probe

pytestmark = needs_mosquitto


def test_a_gate_using_centrals_client_id_does_not_disconnect_central(login: Callable[..., Probe]) -> None:
    central = login("central-1")
    assert central.connect() == 0
    central.subscribe("gates/+/status")
    intruder = login("gate-a", client_id="central-1")
    assert intruder.connect() == 0  # its own password: it connects, but under its own name
    intruder.publish("gates/gate-a/status", b"after")
    # central is still the one connected as central-1: it receives, and was never dropped
    assert [m.payload for m in central.until("gates/gate-a/status", b"after")] == [b"after"]
    assert not central.disconnected.is_set()


def test_a_gate_password_does_not_log_in_as_central(login: Callable[..., Probe], deployed) -> None:
    central = login("central-1")
    assert central.connect() == 0
    impostor = login("central-1", client_id="central-1", password=deployed.passwords["gate-a"])
    assert impostor.connect() != 0
    assert not central.disconnected.is_set()


def test_a_gate_cannot_knock_another_gate_off(login: Callable[..., Probe]) -> None:
    gate_b = login("gate-b", client_id="gate-gate-b")
    assert gate_b.connect() == 0
    intruder = login("gate-a", client_id="gate-gate-b")
    assert intruder.connect() == 0
    gate_b.publish("gates/gate-b/status", b"still here")
    assert not gate_b.disconnected.is_set()


def test_acl_matrix_gates_reach_only_their_own_topics(login: Callable[..., Probe]) -> None:
    central = login("central-1")
    gates = {g: login(g) for g in ("gate-a", "gate-b", "gate-c")}
    for probe in (central, *gates.values()):
        assert probe.connect() == 0
    result = acl_matrix(central, gates)
    assert result.violations() == []


def test_a_gate_cannot_overwrite_its_retained_config(login: Callable[..., Probe]) -> None:
    central = login("central-1")
    gate = login("gate-a")
    assert central.connect() == 0 and gate.connect() == 0
    central.publish("gates/gate-a/config", b"keys-from-central", retain=True)
    gate.publish("gates/gate-a/config", b"keys-of-the-attacker", retain=True)
    gate.publish("gates/gate-a/config", b"", retain=True)  # nor delete it
    gate.close()
    reader = login("gate-a")
    assert reader.connect() == 0
    reader.subscribe("gates/gate-a/config")
    kept = reader.next_message(5)
    assert kept is not None and (kept.payload, kept.retain) == (b"keys-from-central", True)


def test_anonymous_and_wrong_passwords_are_refused(login: Callable[..., Probe], deployed) -> None:
    anonymous = Probe(deployed.port, "anon", ca_file=str(deployed.ca_file))
    try:
        assert anonymous.connect() != 0
    finally:
        anonymous.close()
    assert login("gate-a", password="not-its-password").connect() != 0


def test_revoked_credentials_are_refused_after_a_reload(login: Callable[..., Probe], deployed) -> None:
    from campusgate.provision import remove_broker_password

    assert login("gate-c").connect() == 0
    assert remove_broker_password(deployed.passwd_file, "gate-c")
    deployed.reload()
    for _ in range(50):  # the reload is asynchronous: retry until the broker has read the file
        if login("gate-c").connect() != 0:
            break
    else:
        raise AssertionError(f"gate-c still logs in after revocation:\n{deployed.log_tail()}")


def test_a_gate_outside_centrals_share_group_takes_no_events(login: Callable[..., Probe]) -> None:
    # Mosquitto 2.0 grants every SUBSCRIBE; a gate in central's share group would be handed events it
    # may not read, and they would be dropped. The deployment's group name is secret, so a gate
    # joining the default or a guessed group takes nothing from central (docs/security.md).
    central = login("central-1")
    rogue = login("gate-a")
    sender = login("gate-b")
    for probe in (central, rogue, sender):
        assert probe.connect() == 0
    central.subscribe("$share/k3v9q2x7/gates/+/events")
    for guess in ("central", "workers", "campusgate"):
        rogue.subscribe(f"$share/{guess}/gates/+/events")
    for i in range(10):
        sender.publish("gates/gate-b/events", f"scan-{i}".encode())
    sender.publish("gates/gate-b/events", b"last")
    got = [m.payload for m in central.until("gates/gate-b/events", b"last")]
    assert got == [f"scan-{i}".encode() for i in range(10)] + [b"last"]
    assert rogue.next_message(0.2) is None
