"""A central worker logs in to the deploy broker as its own user over TLS, with its password read
from a file, and shares the events in the group its settings name."""

from __future__ import annotations

from pathlib import Path

from central.app import build_central
from central.settings import CentralSettings
from tests.deploy.conftest import needs_mosquitto
from tests.deploy.deployed import DeployedMosquitto
from tests.mqtt_probe import Probe

pytestmark = needs_mosquitto


def test_worker_joins_the_named_share_group_as_its_own_user(
    tmp_path: Path, deployed: DeployedMosquitto
) -> None:
    secret = tmp_path / "mqtt-central-2"
    secret.write_text(deployed.passwords["central-2"] + "\n")
    settings = CentralSettings(
        database_url=f"sqlite:///{tmp_path}/central.db",
        data_dir=tmp_path,
        mqtt_host="127.0.0.1",
        mqtt_port=deployed.port,
        mqtt_tls=True,
        mqtt_ca_file=str(deployed.ca_file),
        mqtt_username="central-2",
        mqtt_password_file=secret,
        worker_id="2",
        shared_subscription=True,
        shared_group="q7share",
    )
    central = build_central(settings, api=False)
    central.start()
    ca = str(deployed.ca_file)
    peer = Probe(
        deployed.port, "x", username="central-1", password=deployed.passwords["central-1"], ca_file=ca
    )
    gate = Probe(deployed.port, "y", username="gate-a", password=deployed.passwords["gate-a"], ca_file=ca)
    try:
        # c1: a worker sharing the events connects with a clean session
        assert "as central-2 (p2, c1, k10, u'central-2')" in deployed.log_file.read_text()
        assert peer.connect() == 0 and gate.connect() == 0
        peer.subscribe("$share/q7share/gates/+/events")  # a second member of the worker's group
        for i in range(10):
            gate.publish("gates/gate-a/events", f"not json {i}".encode())
        got = []
        while (m := peer.next_message(1.0)) is not None:
            got.append(m.payload)
        # the broker alternates between the two members: the worker took its share
        assert 0 < len(got) < 10, got
    finally:
        peer.close()
        gate.close()
        central.stop()
