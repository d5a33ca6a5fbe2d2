"""Every MQTT topic name, in one place. A gate's traffic sits under ``gates/{gate_id}/`` so that
the broker ACL pattern ``gates/%u/#`` confines each gate to its own topics."""

from __future__ import annotations

import re

_GATE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")  # whole: fullmatch (a "$" would let "id\n" in)
ALL_EVENTS = "gates/+/events"
ALL_STATUS = "gates/+/status"
ALL_DECISIONS = "gates/+/decisions"  # every gate's answers (monitoring, benchmarks)
FEVER_ALERTS = "central/alerts/fever"
SHARED_GROUP = "central"


def valid_gate_id(gate_id: str) -> bool:
    """Gate ids are lower-case slugs, so they cannot smuggle '+', '#' or '/' into a topic."""
    return bool(_GATE_ID.fullmatch(gate_id))


def _gate(gate_id: str, leaf: str) -> str:
    if not valid_gate_id(gate_id):
        raise ValueError(f"invalid gate id {gate_id!r}")
    return f"gates/{gate_id}/{leaf}"


def gate_events(gate_id: str) -> str:
    """Gate to central: scan events (QoS 1)."""
    return _gate(gate_id, "events")


def gate_decisions(gate_id: str) -> str:
    """Central to gate: decisions, which also acknowledge the event (QoS 1)."""
    return _gate(gate_id, "decisions")


def gate_status(gate_id: str) -> str:
    """Gate's availability and device health (retained; Last Will says offline)."""
    return _gate(gate_id, "status")


def gate_config(gate_id: str) -> str:
    """Central to gate: policy, public keys, revocations (retained)."""
    return _gate(gate_id, "config")


def shared(topic: str, group: str = SHARED_GROUP) -> str:
    """A shared subscription, so several central workers split the load."""
    return f"$share/{group}/{topic}"


def gate_of(topic: str) -> str | None:
    """The gate id in a ``gates/{id}/…`` topic, or None."""
    parts = topic.split("/")
    if len(parts) == 3 and parts[0] == "gates" and valid_gate_id(parts[1]):
        return parts[1]
    return None


def events_of(topic: str) -> str | None:
    """The gate id of a ``gates/{id}/events`` topic (a gate's scan events), or None."""
    gate_id = gate_of(topic)
    return gate_id if gate_id is not None and topic == gate_events(gate_id) else None
