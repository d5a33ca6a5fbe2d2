"""Key rotation: new passes carry the new key id, passes printed before keep working until they
expire, and gates are given both public keys until then."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest

from campusgate.cli import main
from central.decisions.service import DecisionService
from central.models.db import create_all, make_engine, read_only, session_scope
from central.models.registry import Pass
from central.office.keys import open_keyring, rotate_keys
from central.office.registry import gate_config
from central.settings import CentralSettings
from gatecore.messages import DecisionMessage
from gatecore.policy import read_pass
from gatecore.reasons import Reason
from gatecore.tokens import PassClaims, public_key_from_bytes
from tests.central.conftest import NOW, build_world

GATE = "rotate-north"


def _gate_keys(engine, keyring, now) -> dict[int, object]:  # noqa: ANN001
    """The public keys as the gate receives them on its config topic."""
    with session_scope(read_only(engine)) as session:
        config = gate_config(session, GATE, keyring.public_keys_b64(now), now)
    assert config is not None
    return {int(kid): public_key_from_bytes(base64.b64decode(b64)) for kid, b64 in config.public_keys.items()}


def test_rotation_keeps_old_passes_until_they_expire(tmp_path: Path) -> None:
    settings = CentralSettings(database_url=f"sqlite:///{tmp_path}/c.db", data_dir=tmp_path / "data")
    engine = make_engine(settings.database_url)
    create_all(engine)
    world = build_world(engine, open_keyring(settings, engine), gate_id=GATE)
    old_token = world.tokens["zhang"]
    kid, until = rotate_keys(settings, engine, now=NOW)
    assert kid == 2
    with session_scope(engine) as session:
        assert until == max(p.valid_until for p in session.query(Pass))  # the last pass then on file

    keyring = open_keyring(settings, engine)  # a central process restarted after the rotation
    assert keyring.signing_kid == 2
    with session_scope(engine) as session:
        new_token = keyring.issue(session.get(Pass, world.passes["li"]))
    new_claims = read_pass(new_token, keyring.public_keys(NOW), NOW)
    assert isinstance(new_claims, PassClaims) and new_claims.key_id == 2

    gate_keys = _gate_keys(engine, keyring, NOW)
    assert sorted(gate_keys) == [1, 2]  # the gate verifies old cards and new ones offline
    old_claims = read_pass(old_token, gate_keys, NOW)
    assert isinstance(old_claims, PassClaims) and old_claims.key_id == 1
    topic, payload = world.scan(old_token)
    [answer, *_] = DecisionService(engine, keyring).handle(topic, payload, NOW)
    assert DecisionMessage.from_json(answer.payload).reason is Reason.OK  # central too

    after = until + timedelta(seconds=1)  # every pass the old key signed has expired
    assert sorted(_gate_keys(engine, keyring, after)) == [2]
    assert sorted(keyring.public_keys(after)) == [2]
    engine.dispose()


def test_keys_rotate_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("CAMPUSGATE_DATA_DIR", str(tmp_path))
    settings = CentralSettings()
    engine = make_engine(settings.database_url)
    create_all(engine)
    build_world(engine, open_keyring(settings, engine), gate_id=GATE)
    engine.dispose()
    assert main(["keys", "rotate"]) == 0
    said = capsys.readouterr().out
    assert "key 2 signs new passes" in said
    # what operations.md says and the running central does (the test below): no restart needed
    assert "No restart" in said and "restart every central process" not in said
    assert (tmp_path / "keys" / "kid-2.pem").exists()
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].startswith("key 1:") and "retired" in listing[0] and "on disk" in listing[0]
    assert listing[1].startswith("key 2:") and "signing" in listing[1]


def test_a_running_central_learns_a_rotation_without_a_restart(tmp_path: Path) -> None:
    settings = CentralSettings(database_url=f"sqlite:///{tmp_path}/c.db", data_dir=tmp_path / "data")
    engine = make_engine(settings.database_url)
    create_all(engine)
    running = open_keyring(settings, engine)  # the key ring of a central process left running
    world = build_world(engine, running, gate_id=GATE)
    service = DecisionService(engine, running)
    topic, payload = world.scan(world.tokens["zhang"])
    [answer, *_] = service.handle(topic, payload, NOW)  # the worker has read the registry once
    assert DecisionMessage.from_json(answer.payload).reason is Reason.OK

    _, until = rotate_keys(settings, engine, now=NOW)  # `campusgate keys rotate`, another process
    with session_scope(engine) as session:  # a pass the API signs with the new key
        new_token = open_keyring(settings, engine).issue(session.get(Pass, world.passes["staff"]))
    topic, payload = world.scan(new_token)
    [answer, *_] = service.handle(topic, payload, NOW)
    assert DecisionMessage.from_json(answer.payload).reason is Reason.OK  # not token_unknown_key

    # the running process now signs with the new key (its file is in the shared keys directory),
    # gives gates both keys, and drops the old one once every pass it signed has expired
    assert running.signing_kid == 2
    with session_scope(engine) as session:
        claims = read_pass(
            running.issue(session.get(Pass, world.passes["li"])), running.public_keys(NOW), NOW
        )
    assert isinstance(claims, PassClaims) and claims.key_id == 2
    assert sorted(_gate_keys(engine, running, NOW)) == [1, 2]
    assert sorted(running.public_keys(until + timedelta(seconds=1))) == [2]
    engine.dispose()


def test_a_damaged_new_key_file_does_not_stop_the_decisions(tmp_path: Path) -> None:
    """The rotated key's file arrives damaged on this host: the running process keeps deciding and
    signing with the old key, and still verifies the new key's passes from its public half."""
    settings = CentralSettings(database_url=f"sqlite:///{tmp_path}/c.db", data_dir=tmp_path / "data")
    engine = make_engine(settings.database_url)
    create_all(engine)
    running = open_keyring(settings, engine)
    world = build_world(engine, running, gate_id=GATE)
    service = DecisionService(engine, running)
    topic, payload = world.scan(world.tokens["zhang"])
    service.handle(topic, payload, NOW)
    rotate_keys(settings, engine, now=NOW)
    with session_scope(engine) as session:
        new_token = open_keyring(settings, engine).issue(session.get(Pass, world.passes["staff"]))
    (settings.keys_dir / "kid-2.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\ndamaged\n")
    for token in (new_token, world.tokens["li"]):
        topic, payload = world.scan(token)
        [answer, *_] = service.handle(topic, payload, NOW)
        assert DecisionMessage.from_json(answer.payload).reason in (Reason.OK, Reason.HOUSEHOLD_DAY_USED)
    assert running.signing_kid == 1
    engine.dispose()
