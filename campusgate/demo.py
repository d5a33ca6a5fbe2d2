"""The demo: central (SQLite + embedded amqtt broker) seeded with the three campuses, one
simulated gate per gate (virtual camera + virtual thermometer + real gate agent), and residents
arriving. Prints each decision as the gate shows it. Ctrl-C stops everything cleanly."""

from __future__ import annotations

import logging
import shutil
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from sqlmodel import Session

from central.app import build_central
from central.demo.passes import demo_passes
from central.demo.seed import local_today, seed_demo
from central.office.catalogue import WORDS, both
from central.office.users import seed_demo_users
from central.settings import CentralSettings
from firmware_sim.scenario import Card, GateRig, household_day, start_rig
from gate_agent.devices.display import headline, render_line, wants_colour
from gate_agent.views import DisplayView
from transport.broker import EmbeddedBroker

logger = logging.getLogger(__name__)


def describe(gate_id: str, note: str, view: DisplayView, *, colour: bool = False) -> str:
    """One line per decision, as the guard would read it off the gate's screen, next step included."""
    return f"[{gate_id:<18}] ({note}) {headline(view.verdict, colour=colour)}  {render_line(view)}"


DEMO_MARK = "campusgate-demo"  # a data directory the demo made (and may wipe again)


def run_demo(
    *, visits: int = 0, interval: float = 1.0, keep_running: bool = True, workdir: Path = Path("var/demo")
) -> int:
    """Run the whole product on one machine; return the process exit code.

    The demo starts afresh in ``workdir`` (the command line passes the data directory, so that
    ``campusgate audit verify`` and ``campusgate central`` find its database afterwards); it wipes
    only an empty directory or one it made before, never a campus's data.
    """
    logging.getLogger().setLevel(logging.WARNING)  # the decisions are the demo's output
    if workdir.exists() and any(workdir.iterdir()) and not (workdir / DEMO_MARK).exists():
        print(
            f"refused: {workdir} holds data the demo did not make; run the demo in another data "
            "directory, e.g. CAMPUSGATE_DATA_DIR=/tmp/campusgate-demo campusgate demo",
            file=sys.stderr,
        )
        return 2
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    (workdir / DEMO_MARK).write_text("made by `campusgate demo`; the next demo run wipes this directory\n")
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)

    broker = EmbeddedBroker().start()
    settings = CentralSettings(
        database_url=f"sqlite:///{workdir}/campusgate.db", mqtt_port=broker.port, data_dir=workdir, api_port=0
    )
    central = build_central(settings)
    rigs: dict[str, GateRig] = {}
    try:
        with Session(central.engine) as session:
            summary = seed_demo(session, central.keyring, local_today(datetime.now(UTC)))
            logins = seed_demo_users(session)
            session.commit()
            passes = demo_passes(session, central.keyring)
        central.start()
        print(
            f"campusgate demo: {summary.households} households, {summary.people} people, "
            f"{summary.passes} passes on {len(summary.campuses)} campuses; broker amqtt on 127.0.0.1:{broker.port}"
        )
        gates_by_campus: dict[str, list[str]] = {}
        for p in passes:
            gates_by_campus.setdefault(p.campus_code, p.gate_ids)
        for gate_ids in gates_by_campus.values():
            for gate_id in gate_ids:
                rigs[gate_id] = start_rig(gate_id, mqtt_port=broker.port, data_dir=workdir / "gates")
        print(f"REST API: {central.api_url}/api/v1/   (docs: {central.api_url}/docs)")
        print(f"Console: {central.api_url}/console/   Dashboard: {central.api_url}/dashboard")
        print("  demo logins: " + ", ".join(f"{user}/{password}" for user, password in logins.items()))
        print(f"{len(rigs)} simulated gates: {', '.join(rigs)}   — Ctrl-C stops\n")
        cards = [
            Card(p.token, p.household_id, p.person_id, p.campus_code)
            for p in passes
            if p.role in ("resident", "tenant") and p.household_id
        ]
        done, colour = 0, wants_colour(sys.stdout)
        for arrival in household_day(cards, gates_by_campus):
            if stop.is_set() or (visits and done >= visits):
                break
            try:
                view = rigs[arrival.gate_id].visit(arrival)
            except TimeoutError:
                print(f"[{arrival.gate_id:<18}] ({arrival.note}) {both(WORDS['no_decision'], ' / ')}")
                continue
            print(describe(arrival.gate_id, arrival.note, view, colour=colour), flush=True)
            done += 1
            stop.wait(interval)
        if keep_running and not stop.is_set():
            print("\nvisits done; the API stays up until Ctrl-C")
            stop.wait()
        return 0
    finally:
        print("\nstopping…", flush=True)
        for rig in rigs.values():  # each gate says it stopped on purpose: central logs no outage alarm
            rig.stop()
        central.stop()
        broker.stop()
        print(f"stopped {len(rigs)} gates, central and the broker", flush=True)
