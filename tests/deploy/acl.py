"""The broker ACL matrix: every gate against every gate's four topics, as publisher and as reader,
checked by what arrives (Mosquitto's acl_file filters reads at delivery, not at SUBSCRIBE)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.mqtt_probe import Probe

LEAVES = ("events", "status", "decisions", "config")
CENTRAL_WRITES = ("decisions", "config")
GATE_WRITES = ("events", "status")


@dataclass
class MatrixResult:
    """What each client received, against what the deploy ACL allows it to receive."""

    expected: dict[str, set[bytes]] = field(default_factory=dict)
    received: dict[str, set[bytes]] = field(default_factory=dict)

    def violations(self) -> list[str]:
        """One line per message that arrived where it should not, or did not arrive where it should."""
        lines = []
        for who in sorted(self.expected):
            for extra in sorted(self.received[who] - self.expected[who]):
                lines.append(f"{who} received {extra.decode()} (the ACL should deny it)")
            for missing in sorted(self.expected[who] - self.received[who]):
                lines.append(f"{who} did not receive {missing.decode()} (the ACL should allow it)")
        return lines


_MARK = re.compile(rb"[a-z0-9-]+>[a-z0-9-]+/[a-z]+")  # "sender>target/leaf": the matrix's own messages


def _collect(probe: Probe, sentinel_topic: str, sentinel: bytes) -> set[bytes]:
    # retained replays (a gate's last status) are earlier state, and a running central's own traffic
    # (a config it publishes when a worker restarts) is no message of the matrix: only marked ones count
    seen = probe.until(sentinel_topic, sentinel, timeout=10)
    return {m.payload for m in seen if not m.retain and _MARK.fullmatch(m.payload)}


def acl_matrix(central: Probe, gates: dict[str, Probe]) -> MatrixResult:
    """Every gate publishes on every gate's topics and reads everything; central publishes what it
    may. Probes are connected; ``central`` logged in as a central user, each gate as itself."""
    central.subscribe("gates/#")
    for probe in gates.values():
        probe.subscribe("gates/#")  # granted, but each message is checked against the ACL on delivery
    for target in gates:
        for leaf in LEAVES:
            central.publish(f"gates/{target}/{leaf}", f"central>{target}/{leaf}".encode())
    for sender, probe in gates.items():
        for target in gates:
            for leaf in LEAVES:
                probe.publish(f"gates/{target}/{leaf}", f"{sender}>{target}/{leaf}".encode())
    # every publish above was acknowledged, so routed, before these last messages are sent
    for gate, probe in gates.items():
        probe.publish(f"gates/{gate}/status", f"end:{gate}".encode())
        central.publish(f"gates/{gate}/decisions", f"end:{gate}".encode())
    result = MatrixResult()
    central_got: set[bytes] = set()
    for gate in gates:
        central_got |= _collect(central, f"gates/{gate}/status", f"end:{gate}".encode())
    result.received["central"] = central_got
    result.expected["central"] = {f"{g}>{g}/{leaf}".encode() for g in gates for leaf in GATE_WRITES}
    for gate, probe in gates.items():
        result.received[gate] = _collect(probe, f"gates/{gate}/decisions", f"end:{gate}".encode())
        result.expected[gate] = {f"central>{gate}/{leaf}".encode() for leaf in CENTRAL_WRITES}
    return result
