"""Whose clock judges a scan (docs/rules.md, rule 15): central's online, the gate's only for its own offline
decisions, corrected by the skew measured from its status messages (central/decisions/status.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from central.models.journal import GateState
from gatecore.messages import ScanEvent


def judged_at(
    session: Session, event: ScanEvent, received_at: datetime, *, max_skew_s: float
) -> tuple[datetime, str | None]:
    """The instant the rules judge a scan at, and a flag when the gate's clock cannot be trusted.

    Online, central's receive time: a gate claiming an old time must not make a day-old phone
    code valid, nor one claiming tomorrow use tomorrow's household day. An offline decision
    being reconciled happened earlier, at the gate's time corrected by its measured skew; a
    clock measured off, or a time after receipt, is flagged and bounded by the receipt.
    """
    if event.offline is None:
        return received_at, None
    state = session.get(GateState, event.gate_id)
    skew = state.clock_skew_s if state is not None and state.clock_skew_s is not None else 0.0
    at = event.gate_time - timedelta(seconds=skew)  # central's clock at the scan
    if at > received_at + timedelta(seconds=max_skew_s):
        return received_at, (
            f"gate clock: offline scan time {event.gate_time.isoformat()} is after its receipt; judged at receipt"
        )
    if state is not None and state.clock_off:
        return min(at, received_at), f"gate clock: off by {skew:.0f} s (measured from its status)"
    return min(at, received_at), None
