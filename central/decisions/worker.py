"""The MQTT worker: events in, decisions out; gate status kept; retained gate configs published.

Events are handed from paho's network thread to one decision thread that decides them in batches
(central.decisions.groupcommit): one transaction per batch, answers published after it commits.
Several workers share the events through a shared subscription (``$share/central/…``).
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from central.decisions.groupcommit import GroupCommit
from central.decisions.sequence import catch_up
from central.decisions.service import DecisionService, Outgoing
from central.decisions.status import Received, record_statuses
from central.models.db import read_only, session_scope, unavailable, unpinged
from central.models.registry import Gate
from central.office.keys import KeyRing, open_keyring
from central.office.registry import gate_config, gate_configs
from central.office.scheduler import Scheduler
from central.ops.metrics import BROKER_UP
from central.settings import CentralSettings
from gatecore import topics
from gatecore.messages import GateConfig, GateStatus
from transport.mqtt import LinkOptions, MqttLink

logger = logging.getLogger(__name__)

SEQUENCE_EVERY_S = 1.0
SEQUENCE_SETTLE_S = 2.0  # rows this recent wait a pass: another worker may still log their neighbours
SWITCH_INTERVAL_S = 0.0005
RETAINED_REPLAY_S = 5.0  # shared workers: how long after connecting a worker reads the retained statuses


def link_options(settings: CentralSettings) -> LinkOptions:
    """How central reaches the broker. A lone worker keeps a persistent session, so QoS 1 events queue
    while it is down. Workers sharing the events do not: the broker keeps dealing a disconnected
    persistent session its share (queued for a worker that may never return), while with clean
    sessions it deals only to the workers connected; an event in flight to a worker that dies is
    resent by its gate's outbox."""
    return LinkOptions(
        host=settings.mqtt_host,
        port=settings.mqtt_port,
        username=settings.mqtt_username,
        password=settings.mqtt_password.get_secret_value() if settings.mqtt_password else None,
        tls=settings.mqtt_tls,
        ca_file=settings.mqtt_ca_file,
        clean_session=settings.shared_subscription,
        max_inflight=1000,
    )


class Worker:
    """Subscribes to every gate's events and status, answers through :class:`DecisionService`."""

    def __init__(self, settings: CentralSettings, engine: Engine, keyring: KeyRing | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.keyring = keyring or open_keyring(settings, engine)
        self.service = DecisionService(unpinged(engine), self.keyring, max_skew_s=settings.max_clock_skew_s)
        self.commits = GroupCommit(
            self.service.handle_batch,
            self._publish,
            max_events=settings.batch_max_events,
            max_wait_s=settings.batch_max_wait_ms / 1000,
        )
        # statuses are stored off paho's network thread too, many to a transaction: a quarter of a
        # second's (at 1,000 gates, small batches cost two workers 6 % of a core each, and fsyncs)
        self.statuses = GroupCommit(
            self._record_statuses,
            self._after_statuses,
            max_events=500,
            max_wait_s=0.25,
            linger=True,
            name="central-status",
        )
        self.link = MqttLink(f"central-{settings.worker_id}", link_options(settings))
        self.configs_published = threading.Event()
        self._sent_content: dict[str, GateConfig] = {}  # gate id -> its config as last sent
        self._keys_published = self.keyring.version  # the keys the gates' configs last carried
        self._watching = threading.Event()  # set: stop the sequence and config threads
        self._configs_wanted = threading.Event()  # set on connect: publish every gate's config
        shared = topics.shared(topics.ALL_EVENTS, settings.shared_group)
        events = shared if settings.shared_subscription else topics.ALL_EVENTS
        self.link.subscribe(events, self._on_event, qos=1)
        if settings.shared_subscription:
            # workers sharing the events share the statuses too: a thousand gates' heartbeats, each
            # stored by every worker, cost them all the CPU and fought over the same rows. The retained
            # statuses (a Last Will published while no worker ran) are read on connecting, below
            statuses = topics.shared(topics.ALL_STATUS, settings.shared_group)
            self.link.subscribe_with_retain(statuses, self._on_status, qos=1)
        else:
            self.link.subscribe_with_retain(topics.ALL_STATUS, self._on_status, qos=1)
        self._replay: threading.Timer | None = None
        self.link.on_connection_change(self._on_connection)
        # daily reports, audit checkpoints, and the gates' registry facts kept fresh
        self.scheduler = Scheduler(
            engine, settings.data_dir, refresh=self._refresh_configs, refresh_every=settings.config_refresh_s
        )

    def start(self, *, wait: float = 10.0) -> None:
        """Connect; return once the gate configs are published (raises MqttError if no broker)."""
        # the decision thread keeps the interpreter busy; paho's network thread, which reads the events
        # and writes the answers, must not wait the default 5 ms for its turn each time it wakes
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.commits.start()
        self.statuses.start()
        self._watching.clear()
        threading.Thread(target=self._watch_sequences, name="central-sequences", daemon=True).start()
        threading.Thread(target=self._publish_configs, name="central-configs", daemon=True).start()
        self.link.start(wait=wait)
        self.scheduler.start()
        if not self.configs_published.wait(wait):
            logger.warning("gate configs not yet published after %.0f s", wait)

    def stop(self) -> None:
        """Disconnect; the broker keeps our session and queues events until we return."""
        self.scheduler.stop()
        self._watching.set()
        if self._replay is not None:
            self._replay.cancel()
        self.link.stop()
        self.commits.stop()  # what was received is decided; an answer lost now, the gate asks for again
        self.statuses.stop()
        if self.service.engine is not self.engine:
            self.service.engine.dispose()

    def publish_config(self, gate_id: str) -> bool:
        """Publish a gate's retained config again (after a policy, gate or revocation change)."""
        now = datetime.now(UTC)
        with session_scope(read_only(self.engine)) as session:
            config = gate_config(session, gate_id, self.keyring.public_keys_b64(), now)
        if config is None:
            logger.warning("no config for unknown gate %s", gate_id)
            return False
        return self._send_config(config)

    def publish_all_configs(self, *, changed_only: bool = False) -> int:
        """Publish every registered gate's config (``changed_only``: those whose content changed since
        this worker last published it); the number published."""
        now = datetime.now(UTC)
        with session_scope(read_only(self.engine)) as session:
            self.keyring.learn(session)  # a rotation since: the gates get the new public key too
            self._keys_published = self.keyring.version
            gate_ids = list(session.exec(select(Gate.gate_id).order_by(Gate.gate_id)))
            configs = gate_configs(session, gate_ids, self.keyring.public_keys_b64(), now)
        if changed_only:
            configs = [c for c in configs if self._sent_content.get(c.gate_id) != _content(c)]
        return sum(self._send_config(c) for c in configs)

    def _send_config(self, config: GateConfig) -> bool:
        sent = self.link.publish(topics.gate_config(config.gate_id), config.to_json(), qos=1, retain=True)
        if sent:
            self._sent_content[config.gate_id] = _content(config)
        return sent

    def _refresh_configs(self) -> None:
        # only while connected: on (re)connect every config is published anyway. A thousand gates'
        # configs, sent again unchanged, held the decisions up for 0.3 s; a config whose content is as
        # sent (only its issue time would differ) is left as the broker retains it
        if self.configs_published.is_set():
            logger.info("refreshed %d gate configs", self.publish_all_configs(changed_only=True))

    def _watch_sequences(self) -> None:
        # gaps and regressions in the gates' numbers, read from the committed log once a second
        while not self._watching.wait(SEQUENCE_EVERY_S):
            try:
                with session_scope(self.engine) as session:
                    catch_up(session, settle_s=SEQUENCE_SETTLE_S)
            except SQLAlchemyError as exc:
                logger.warning("sequence check postponed: %s", unavailable(exc))

    def _on_connection(self, up: bool) -> None:
        BROKER_UP.set(1 if up else 0)
        if up:
            # again on every connect: a broker restarted without persistence has lost the retained
            # configs. Not on paho's network thread: a thousand gates' configs take longer than the
            # keepalive, and the link would be dropped while publishing them
            self._configs_wanted.set()
            if self.settings.shared_subscription:
                self._read_retained_statuses()

    def _read_retained_statuses(self) -> None:
        # MQTT 5 sends no retained messages to a shared subscription (EMQX keeps to that; Mosquitto
        # sends them anyway): a plain one for a few seconds gets them, then it is dropped. Live
        # statuses in that window arrive twice; storing one again changes nothing
        if self._replay is not None:
            self._replay.cancel()
        self.link.subscribe_with_retain(topics.ALL_STATUS, self._on_status, qos=1)
        self._replay = threading.Timer(RETAINED_REPLAY_S, self.link.unsubscribe, [topics.ALL_STATUS])
        self._replay.daemon = True
        self._replay.start()

    def _publish_configs(self) -> None:
        while not self._watching.is_set():
            if self.keyring.version != self._keys_published and self.configs_published.is_set():
                # a rotation learnt by the decision thread: the gates need the new public key now
                self._configs_wanted.set()
            if not self._configs_wanted.wait(0.5):
                continue
            self._configs_wanted.clear()
            try:
                count = self.publish_all_configs()
            except SQLAlchemyError as exc:
                logger.error("gate configs not published, database unavailable: %s", unavailable(exc))
                continue
            logger.info("published %d gate configs", count)
            self.configs_published.set()

    def _on_event(self, topic: str, payload: bytes) -> None:
        self.commits.put((topic, payload, datetime.now(UTC)))

    def _on_status(self, topic: str, payload: bytes, retained: bool) -> None:
        self.statuses.put(Received(topic, payload, datetime.now(UTC), retained))

    def _record_statuses(self, batch: Sequence[Received]) -> list[GateStatus]:
        # a retained replay on (re)subscribing carries the status's old time: no fresh clock skew
        return record_statuses(self.engine, batch, max_skew_s=self.settings.max_clock_skew_s)

    def _after_statuses(self, statuses: list[GateStatus]) -> None:
        for status in statuses:
            if status.policy_version == 0 and status.state == "online":
                # a gate that reports config version 0 has none: it would refer every scan once offline
                logger.info("gate %s reports no config: publishing it", status.gate_id)
                try:  # one that cannot be read now leaves the others of the batch their configs
                    self.publish_config(status.gate_id)
                except SQLAlchemyError as exc:
                    logger.error("gate %s: config not published: %s", status.gate_id, unavailable(exc))

    def _publish(self, messages: list[Outgoing]) -> None:
        for message in messages:
            if not self.link.publish(message.topic, message.payload, qos=1, retain=message.retain):
                logger.error("could not queue a message for %s", message.topic)


def _content(config: GateConfig) -> GateConfig:
    # what a gate decides with: the config but for the time it was made (a field added later counts)
    return dataclasses.replace(config, issued_at=_UNISSUED)


_UNISSUED = datetime.min.replace(tzinfo=UTC)
