"""A whole campus for integration tests: real broker, central on SQLite, simulated gates."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from central.app import CentralHandle, build_central
from central.demo.passes import DemoPass, demo_passes
from central.demo.seed import local_today, seed_demo
from central.settings import CentralSettings
from firmware_sim.scenario import GateRig, start_rig


def central_settings(mqtt_port: int, data_dir: Path) -> CentralSettings:
    """Central (worker + API on a free port) on a SQLite file in ``data_dir``, with an MQTT session of
    its own: the broker is shared by a test process's tests, and a persistent session under a common
    client id handed one test's unanswered events to the next test's central."""
    return CentralSettings(
        database_url=f"sqlite:///{data_dir}/central.models.db",
        mqtt_port=mqtt_port,
        data_dir=data_dir,
        api_port=0,
        worker_id=uuid.uuid4().hex[:8],
    )


def seeded_central(mqtt_port: int, data_dir: Path) -> CentralHandle:
    """Central (worker + API) on a SQLite file in ``data_dir``, seeded with the demo campuses; not started
    (``build_central(handle.settings)`` makes it again after a crash)."""
    handle = build_central(central_settings(mqtt_port, data_dir))
    with Session(handle.engine) as session:
        seed_demo(session, handle.keyring, local_today(datetime.now(UTC)))
        session.commit()
    return handle


@pytest.fixture
def central(broker, tmp_path: Path) -> Iterator[CentralHandle]:
    """Central (worker + API) on a temporary SQLite file, seeded with the demo campuses."""
    handle = seeded_central(broker.port, tmp_path)
    handle.start()
    yield handle
    handle.stop()


@pytest.fixture
def passes(central: CentralHandle) -> list[DemoPass]:
    """Every seeded pass with its QR text."""
    with Session(central.engine) as session:
        return demo_passes(session, central.keyring)


@pytest.fixture
def rig(broker, tmp_path: Path) -> Iterator[Callable[..., GateRig]]:
    """Start simulated gates (virtual camera + pty thermometer + real agent); stopped afterwards."""
    started: list[GateRig] = []

    def make(gate_id: str, direction: str = "in") -> GateRig:
        r = start_rig(
            gate_id, mqtt_port=broker.port, data_dir=tmp_path / f"gates-{direction}", direction=direction
        )
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()
