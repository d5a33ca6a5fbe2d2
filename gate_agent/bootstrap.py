"""build_agent: the one place that wires concrete adapters into a GateAgent."""

from __future__ import annotations

from gate_agent.agent import Clock, GateAgent, local_now
from gate_agent.devices.camera import OpenCvCamera
from gate_agent.devices.decoder import make_decoder
from gate_agent.devices.display import TerminalDisplay
from gate_agent.devices.relay import NullRelay, SerialRelay
from gate_agent.devices.screen import ScreenDisplay, TeeDisplay
from gate_agent.devices.thermometer import SerialThermometer
from gate_agent.ledger import ConfigStore, LocalLedger
from gate_agent.link import GateLink
from gate_agent.metrics import instrument
from gate_agent.offline import OfflineDecider
from gate_agent.outbox import SqliteOutbox
from gate_agent.ports import Camera, Display, Link, Relay, Thermometer
from gate_agent.settings import GateSettings
from gate_agent.store import Store
from transport.mqtt import LinkOptions


def link_options(settings: GateSettings) -> LinkOptions:
    """How this gate reaches the broker."""
    password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
    return LinkOptions(
        host=settings.mqtt_host,
        port=settings.mqtt_port,
        username=settings.mqtt_username,
        password=password,
        tls=settings.mqtt_tls,
        ca_file=str(settings.mqtt_ca_file) if settings.mqtt_ca_file else None,
    )


def build_agent(
    settings: GateSettings,
    *,
    display: Display | None = None,
    relay: Relay | None = None,
    camera: Camera | None = None,
    thermometer: Thermometer | None = None,
    link: Link | None = None,
    clock: Clock = local_now,
) -> GateAgent:
    """A GateAgent with the real camera, decoder, serial thermometer, SQLite store and MQTT link;
    the simulator passes its own display and relay (and may pass a camera, thermometer or link)."""
    store = Store(settings.database_path)
    display = display or TerminalDisplay()
    screen = None
    if settings.screen_port:
        screen = ScreenDisplay(settings.screen_port, verdict_s=settings.screen_verdict_s).start()
    if screen is not None:
        display = TeeDisplay(display, screen)
    agent = GateAgent(
        settings,
        camera=camera or OpenCvCamera(settings.camera),
        decoder=make_decoder(settings.decoder),
        thermometer=thermometer or SerialThermometer(str(settings.serial_port), settings.baud),
        display=display,
        relay=relay or (SerialRelay(str(settings.relay_port)) if settings.relay_port else NullRelay()),
        outbox=SqliteOutbox(store, warn_depth=settings.outbox_warn_depth, owns_store=True),
        link=link or GateLink(settings.gate_id, link_options(settings)),
        offline=OfflineDecider(ConfigStore(store), LocalLedger(store)),
        clock=clock,
    )
    if screen is not None:
        screen.marks = agent.symptoms  # the screen shows, sets and withdraws the agent's own mark
    instrument(agent)  # frames, decode time, faults, outbox depth on /metrics
    return agent
