"""Fixtures for the deployment tests: Mosquitto run with the deploy configuration."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.deploy.deployed import DeployedMosquitto
from tests.mqtt_probe import Probe
from transport.broker import MosquittoBroker

needs_mosquitto = pytest.mark.skipif(
    not MosquittoBroker.available(), reason="mosquitto is not installed (deploy/system-deps.sh installs it)"
)


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[DeployedMosquitto]:
    """The deploy broker (TLS, password file, ACL, identities bound) with users central-1, central-2,
    gate-a, gate-b and gate-c."""
    broker = DeployedMosquitto(tmp_path / "mosquitto")
    for gate in ("gate-a", "gate-b", "gate-c"):
        broker.add_user(gate)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def login(deployed: DeployedMosquitto) -> Iterator[Callable[..., Probe]]:
    """Connect a probe over TLS as ``user`` with its password (or ``password``); closed afterwards."""
    probes: list[Probe] = []

    def make(user: str, client_id: str | None = None, password: str | None = None, **kw: object) -> Probe:
        probe = Probe(
            deployed.port,
            client_id or user,
            username=user,
            password=password or deployed.passwords[user],
            ca_file=str(deployed.ca_file),
            **kw,  # type: ignore[arg-type]
        )
        probes.append(probe)
        return probe

    yield make
    for probe in probes:
        probe.close()
