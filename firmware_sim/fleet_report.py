"""What the fleet's gates saw: latency percentiles, verdicts and reasons, timeouts, surprises."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from firmware_sim.fleet_mix import EXPECTED
from gatecore.reasons import Reason


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile by nearest rank (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))]


@dataclass
class FleetReport:
    """Counts and latencies of one fleet run, as the gates saw them."""

    gates: int
    timeout_s: float = 0.0
    connected: int = 0
    sent: int = 0
    answered: int = 0  # answers within the timeout
    timeouts: int = 0  # no answer within the timeout
    late: int = 0  # of the timeouts, those answered later all the same
    unmatched: int = 0  # answers to no scan of ours (e.g. a second copy)
    refused_publish: int = 0  # scans the client library would not queue
    statuses: int = 0  # status heartbeats sent
    disconnects: int = 0
    scan_seconds: float = 0.0  # the time scans were sent in
    max_threads: int = 0
    max_send_lag_ms: float = 0.0  # how far behind its schedule the fleet ever sent a scan
    interrupted: bool = False
    first_sent: float | None = None  # perf_counter of the first scan sent
    last_answer: float | None = None  # perf_counter of the last answer, in time or late
    cpu_seconds: float = 0.0  # CPU time of this process over the run: is the fleet itself the limit?
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    verdicts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    kinds: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (kind, verdict, reason)

    def record(self, kind: str, verdict: str, reason: str, latency_ms: float, at: float) -> None:
        """One answer within the timeout, received at perf_counter ``at``."""
        self.answered += 1
        self.last_answer = at
        self.latencies_ms.append(latency_ms)
        self.verdicts[verdict] += 1
        self.reasons[reason] += 1
        self.kinds[(kind, verdict, reason)] += 1

    def unexpected(self) -> Counter[tuple[str, str, str]]:
        """Answers that differ from what the mix expects of their kind of scan."""
        out: Counter[tuple[str, str, str]] = Counter()
        for (kind, verdict, reason), n in self.kinds.items():
            want = EXPECTED.get(kind)
            if want is None or (want[0].value, want[1].value) != (verdict, reason):
                out[(kind, verdict, reason)] += n
        return out

    def ok(self) -> bool:
        """Every gate connected, every scan answered in time, every answer as the mix expects."""
        return (
            self.connected == self.gates
            and self.timeouts == 0
            and self.sent == self.answered
            and not self.unexpected()
            and not self.interrupted
        )

    def latency(self) -> dict[str, float]:
        """p50, p90, p99 and max scan-to-decision latency in milliseconds."""
        return {
            "p50": percentile(self.latencies_ms, 50),
            "p90": percentile(self.latencies_ms, 90),
            "p99": percentile(self.latencies_ms, 99),
            "max": max(self.latencies_ms, default=0.0),
        }

    def decisions_per_s(self) -> float:
        """Answers (in time or late) per second, from the first scan sent to the last answer."""
        if self.first_sent is None or self.last_answer is None or self.last_answer <= self.first_sent:
            return 0.0
        return (self.answered + self.late) / (self.last_answer - self.first_sent)

    def lines(self) -> list[str]:
        """The report as printed by ``campusgate sim fleet``."""
        lat = self.latency()
        out = [
            f"gates {self.gates} (connected {self.connected}), {self.scan_seconds:.1f} s of scans"
            + ("  [interrupted]" if self.interrupted else ""),
            f"scans sent {self.sent}, answered in time {self.answered}; {self.decisions_per_s():.1f} "
            f"decisions/s; no answer within {self.timeout_s:g} s: {self.timeouts} (answered later: "
            f"{self.late}); answers to no scan of ours: {self.unmatched}",
            f"scan -> decision latency: p50 {lat['p50']:.1f} ms  p90 {lat['p90']:.1f} ms  "
            f"p99 {lat['p99']:.1f} ms  max {lat['max']:.1f} ms"
            if self.latencies_ms
            else "scan -> decision latency: none measured (no answer in time)",
            f"this process: at most {self.max_threads} threads, {self.cpu_seconds:.1f} s CPU; send lag at "
            f"most {self.max_send_lag_ms:.0f} ms; link losses {self.disconnects}; refused publishes "
            f"{self.refused_publish}; status heartbeats {self.statuses}",
            "verdicts: " + (", ".join(f"{v} {n}" for v, n in self.verdicts.most_common()) or "none"),
            "reasons:",
        ]
        for code, n in self.reasons.most_common():
            info = Reason(code).info if code in Reason._value2member_map_ else None
            words = f"{info.zh} / {info.en}" if info else ""
            out.append(f"  {code:<24} {n:>8}  {words}")
        out.append("by kind of scan (kind: verdict/reason count):")
        for kind in sorted({k for k, _, _ in self.kinds}):
            parts = [f"{v}/{r} {n}" for (k, v, r), n in sorted(self.kinds.items()) if k == kind]
            out.append(f"  {kind:<15} " + ", ".join(parts))
        surprises = self.unexpected()
        out.append(
            "no answers to check against the mix"
            if not self.answered
            else f"answers as the mix expects: all {self.answered}"
            if not surprises
            else "UNEXPECTED answers: " + ", ".join(f"{k}: {v}/{r} {n}" for (k, v, r), n in surprises.items())
        )
        return out
