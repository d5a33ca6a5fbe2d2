"""The production topology, every part a real process on loopback: Mosquitto with the deploy
configuration (TLS, password file, ACL), PostgreSQL, the API (`central --no-worker`), two workers
(`central --no-api`) sharing the events as broker users central-1 and central-2, three gates
provisioned by `campusgate gate provision` connecting over TLS. A worker is killed with SIGKILL
mid-stream: every event is still decided exactly once; then the ACL matrix holds for the
provisioned gates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.demo.passes import demo_passes
from central.demo.seed import local_today, seed_demo
from central.models.db import make_engine
from central.models.journal import EntryEvent
from central.office.keys import open_keyring
from central.settings import CentralSettings
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gatecore.messages import Temperature
from gatecore.thermoline import SensorStatus
from tests.deploy.acl import acl_matrix
from tests.deploy.conftest import needs_mosquitto
from tests.deploy.deployed import DeployedMosquitto, provision_cli, settings_from_bundle
from tests.mqtt_probe import Probe
from transport.broker import free_port

# about 25 s of CPU in all; a machine shared with other work can stretch the wall time well past 60 s
pytestmark = [needs_mosquitto, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
GATES = ("topo-a", "topo-b", "topo-c")
SCANS_PER_GATE = 24
IN_FLIGHT = 4


class Proc:
    """A `campusgate` command in its own process, its output kept in a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.args, self.env = name, args, env
        self.log = logs / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "campusgate.cli", *self.args],
                env={**os.environ, "PYTHONPATH": str(ROOT), **self.env},
                cwd=self.log.parent,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill9(self) -> None:
        assert self.popen is not None and self.popen.poll() is None, self.tail()
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name}:\n" + "\n".join(text.splitlines()[-lines:])


T0 = time.monotonic()


def _wait(what: str, predicate, timeout: float, *explain: object) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            print(f"{time.monotonic() - T0:6.1f} s  {what}")
            return
        time.sleep(0.1)
    details = "\n".join(p.tail() if isinstance(p, Proc) else str(p) for p in explain)
    raise AssertionError(f"{what}: not within {timeout:.0f} s\n{details}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as response:
            return b'"ok"' in response.read()
    except OSError:
        return False


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.stop()


def test_production_topology_decides_every_event_once_through_a_worker_crash(
    tmp_path: Path, pg_url: str, procs: list[Proc]
) -> None:
    broker = DeployedMosquitto(tmp_path / "mosquitto")
    broker.add_user("central-3")  # the test's own eyes for the ACL matrix; workers use 1 and 2
    broker.start()
    data_dir = tmp_path / "central-data"
    group = f"g{uuid.uuid4().hex[:12]}"  # the deployment's secret share group
    api_port = free_port()
    central_env = {
        "CAMPUSGATE_DATABASE_URL": pg_url,
        "CAMPUSGATE_DATA_DIR": str(data_dir),
        "CAMPUSGATE_MQTT_HOST": "127.0.0.1",
        "CAMPUSGATE_MQTT_PORT": str(broker.port),
        "CAMPUSGATE_MQTT_TLS": "true",
        "CAMPUSGATE_MQTT_CA_FILE": str(broker.ca_file),
        "CAMPUSGATE_SHARED_SUBSCRIPTION": "true",
        "CAMPUSGATE_SHARED_GROUP": group,
        "CAMPUSGATE_API_PORT": str(api_port),
    }
    api = Proc("central-api", ["central", "--no-worker"], central_env, tmp_path)
    procs.append(api.start())
    api_url = f"http://127.0.0.1:{api_port}"
    _wait("the API answers /health", lambda: _healthy(api_url), 30, api)

    # the registry: the demo campuses, seeded with the keys the API made in the shared data folder
    settings = CentralSettings(database_url=pg_url, data_dir=data_dir)
    engine = make_engine(pg_url)
    with Session(engine) as session:
        seed_demo(session, open_keyring(settings, engine), local_today(datetime.now(UTC)))
        session.commit()
        tokens = [
            p.token for p in demo_passes(session, open_keyring(settings, engine), campus_code="wucheng")
        ]

    bundles = {gate: tmp_path / "provisioned" / gate for gate in GATES}

    def provision(gate: str) -> subprocess.CompletedProcess[str]:
        return provision_cli(
            "provision", gate, "--campus", "wucheng", "--name-zh", f"测试{gate}", "--database-url", pg_url,
            "--passwd-file", str(broker.passwd_file), "--broker-host", "127.0.0.1",
            "--broker-port", str(broker.port), "--ca-file", str(broker.ca_file),
            "--out", str(bundles[gate]), "--install-dir", str(bundles[gate]),
        )  # fmt: skip

    with ThreadPoolExecutor(len(GATES)) as pool:  # three operators at once: the password file is locked
        for done in pool.map(provision, GATES):
            assert done.returncode == 0, done.stderr
    print(f"{time.monotonic() - T0:6.1f} s  three gates provisioned")
    broker.reload()  # as the operator does after provisioning

    workers = {}
    for n in (1, 2):
        secret = tmp_path / f"mqtt-central-{n}"
        secret.write_text(broker.passwords[f"central-{n}"])
        env = {
            **central_env,
            "CAMPUSGATE_WORKER_ID": str(n),
            "CAMPUSGATE_MQTT_USERNAME": f"central-{n}",
            "CAMPUSGATE_MQTT_PASSWORD_FILE": str(secret),
        }
        workers[n] = Proc(f"central-worker-{n}", ["central", "--no-api"], env, tmp_path)
        procs.append(workers[n].start())
    for n, worker in workers.items():
        _wait(
            f"worker {n} connects over TLS as central-{n}",
            lambda n=n: f"as central-{n} (p2, c1, k10, u'central-{n}')" in broker.log_file.read_text(),
            30,
            worker,
            broker.log_tail(),
        )

    agents: list[tuple[GateAgent, RecordingDisplay]] = []
    for gate in GATES:
        gate_settings = settings_from_bundle(
            bundles[gate],
            data_dir=tmp_path / "gates" / gate,
            camera=str(tmp_path / "no-camera.avi"),
            serial_port=tmp_path / "no-thermometer",
            decision_timeout_s=0.6,
            resend_after_s=0.3,
            status_interval_s=1.0,
        )
        gate_settings.data_dir.mkdir(parents=True)
        display = RecordingDisplay()
        agents.append((build_agent(gate_settings, display=display, relay=RecordingRelay()), display))

    made: dict[str, list[str]] = {gate: [] for gate in GATES}
    progress: Counter[str] = Counter()

    def drive(agent: GateAgent, display: RecordingDisplay) -> None:
        gate = agent.settings.gate_id
        for i in range(SCANS_PER_GATE):
            while len(display.views) < i - IN_FLIGHT:
                time.sleep(0.005)
            made[gate].append(agent.submit_scan(tokens[i % len(tokens)], Temperature(36.5, SensorStatus.OK)))
            progress[gate] += 1
            time.sleep(0.02)

    total = SCANS_PER_GATE * len(GATES)
    drivers = [threading.Thread(target=drive, args=pair, daemon=True) for pair in agents]
    try:
        for agent, _ in agents:
            agent.start()
        _wait("every gate connected", lambda: all(a.link.up for a, _ in agents), 20, broker.log_tail())
        for t in drivers:
            t.start()
        _wait("a third of the scans made", lambda: sum(progress.values()) >= total / 3, 30)
        workers[2].kill9()  # mid-stream: events in its hands are resent by the gates
        _wait("two thirds of the scans made", lambda: sum(progress.values()) >= 2 * total / 3, 30)
        workers[2].start()  # back, with a clean session: it takes its share of the events again
        for t in drivers:
            t.join(60)
        assert not any(t.is_alive() for t in drivers), "the gates stopped answering scans"

        expected = {e for ids in made.values() for e in ids}
        assert len(expected) == total

        def logged() -> list[str]:
            with Session(engine) as s:
                query = select(EntryEvent.event_id).where(
                    EntryEvent.gate_id.in_(GATES),  # type: ignore[attr-defined]
                    EntryEvent.kind == "decision",
                )
                return list(s.exec(query))

        def settled() -> bool:
            return set(logged()) >= expected and all(a.outbox.depth() == 0 for a, _ in agents)

        try:
            # an event that was in the dead worker's hands waits for its gate's
            # resend (backing off 0.3, 0.6, 1.2 … s): allow for it
            _wait("every event decided and every outbox empty", settled, 60)
        except AssertionError:
            missing = expected - set(logged())
            depths = {a.settings.gate_id: a.outbox.depth() for a, _ in agents}
            tails = "\n".join(w.tail(15) for w in workers.values())
            raise AssertionError(f"{len(missing)} events undecided, outboxes {depths}\n{tails}") from None
        rows = logged()
        doubled = sorted(e for e, n in Counter(rows).items() if n > 1)
        assert not doubled, f"{len(doubled)} events decided twice"
        assert set(rows) == expected
        assert all(len(d.views) == SCANS_PER_GATE for _, d in agents)
    finally:
        for agent, _ in agents:
            agent.stop()

    # the provisioned gates against each other's topics, over the same TLS broker
    central = Probe(
        broker.port,
        "central-3",
        username="central-3",
        password=broker.passwords["central-3"],
        ca_file=str(broker.ca_file),
    )
    gates = {
        g: Probe(
            broker.port,
            g,
            username=g,
            password=(bundles[g] / "mqtt-password").read_text().strip(),
            ca_file=str(broker.ca_file),
        )
        for g in GATES
    }
    try:
        for probe in (central, *gates.values()):
            assert probe.connect() == 0
        assert acl_matrix(central, gates).violations() == []
    finally:
        for probe in (central, *gates.values()):
            probe.close()
        engine.dispose()
        broker.stop()
