"""DisplayView: what the gate screen shows for one decision, online or offline. The words always
come from ``Reason.info``, so the screen, the docs and the reports share one vocabulary; only the
next step may be the gate's own where the reason's would mislead (``words.gate_next_step``, handed
in by the agent): a fever or symptoms decided at the gate, as no office has been told yet, and a
re-measure of a reading that looks like °F, where aiming at the forehead again would not help."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from gatecore.messages import DecisionMessage, ScanEvent
from gatecore.policy import Decision
from gatecore.reasons import Reason, Verdict


@dataclass(frozen=True, slots=True)
class DisplayView:
    """One decision as the guard and the person see it."""

    verdict: Verdict
    reason: Reason
    text_zh: str
    text_en: str
    action_zh: str
    action_en: str
    celsius: float | None
    holder: str  # masked name; empty when unknown (offline)
    household: str  # label; offline only the household number is known
    offline: bool
    event_id: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    decided_at: datetime | None = None  # central's decision time, or the gate's scan time offline
    zone: tzinfo | None = None  # the campus's, for the times shown (None: the device's own)

    @property
    def opens(self) -> bool:
        """Whether the turnstile opens."""
        return self.verdict is Verdict.ALLOW


def _view(
    reason: Reason, verdict: Verdict, *, next_step: tuple[str, str] | None = None, **kw: Any
) -> DisplayView:
    info = reason.info
    action_zh, action_en = next_step or (info.action_zh, info.action_en)
    return DisplayView(
        verdict=verdict,
        reason=reason,
        text_zh=info.zh,
        text_en=info.en,
        action_zh=action_zh,
        action_en=action_en,
        **kw,
    )


def from_decision_message(
    msg: DecisionMessage, zone: tzinfo | None = None, *, next_step: tuple[str, str] | None = None
) -> DisplayView:
    """The view of central's decision (``zone``: the campus's, for the times shown; ``next_step``:
    the gate's own, where the reason's would mislead: ``words.gate_next_step``)."""
    return _view(
        msg.reason,
        msg.verdict,
        next_step=next_step,
        celsius=msg.celsius,
        holder=msg.holder,
        household=msg.household,
        offline=msg.offline,
        event_id=msg.event_id,
        detail=dict(msg.detail),
        decided_at=msg.decided_at,
        zone=zone,
    )


def from_offline(
    decision: Decision,
    event: ScanEvent,
    zone: tzinfo | None = None,
    *,
    next_step: tuple[str, str] | None = None,
) -> DisplayView:
    """The view of the gate's own decision; the gate knows no names, only the household number.
    ``next_step``: the gate's own, where the reason's would say what is not yet so offline
    (``words.OFFLINE_ACTION``: no office is notified before the link returns)."""
    household = ""
    if decision.claims is not None and decision.claims.household_id:
        household = f"#{decision.claims.household_id}"
    return _view(
        decision.reason,
        decision.verdict,
        next_step=next_step,
        celsius=event.temperature.celsius,
        holder="",
        household=household,
        offline=True,
        event_id=event.event_id,
        detail=dict(decision.detail),
        decided_at=event.gate_time,
        zone=zone,
    )


def undecided(event: ScanEvent, zone: tzinfo | None = None) -> DisplayView:
    """A scan the gate could not decide (a fault in its own code): refer to the guard, never silence."""
    return _view(
        Reason.DECISION_ERROR,
        Verdict.REFER,
        celsius=event.temperature.celsius,
        holder="",
        household="",
        offline=False,
        event_id=event.event_id,
        decided_at=event.gate_time,
        zone=zone,
    )
