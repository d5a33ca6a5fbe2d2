"""Verdicts and reason codes: the stable vocabulary that displays, logs and reports share (the words
for each code are in reasons.py). Never rename a code: reports count them."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Verdict(enum.StrEnum):
    """What the gate does with the person in front of it."""

    ALLOW = "allow"
    DENY = "deny"
    REMEASURE = "remeasure"  # the reading is unusable: measure again, no verdict on the person
    REFER = "refer"  # a guard must decide (e.g. offline and unable to check)


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    """Display text and guard instruction for one reason code."""

    verdict: Verdict
    priority: int  # lower is shown first when several rules refuse
    zh: str
    en: str
    action_zh: str
    action_en: str


class Reason(enum.StrEnum):
    """Every reason a decision can carry. Values are the wire codes."""

    OK = "ok"
    OK_COMMUTER = "ok_commuter"
    OK_OVERRIDE = "ok_override"
    OK_EXIT_LAPSED = "ok_exit_lapsed"  # let out although an entry permission lapsed: flagged to the office
    # temperature
    FEVER = "fever"
    SYMPTOMS = "symptoms"
    TEMP_MISSING = "temp_missing"
    TEMP_IMPLAUSIBLE = "temp_implausible"
    # identity: the QR text itself
    QR_FOREIGN = "qr_foreign"
    TOKEN_BAD_VERSION = "token_bad_version"
    TOKEN_TRUNCATED = "token_truncated"
    TOKEN_UNKNOWN_KEY = "token_unknown_key"
    TOKEN_BAD_SIGNATURE = "token_bad_signature"
    PASS_EXPIRED = "pass_expired"
    PASS_NOT_YET_VALID = "pass_not_yet_valid"
    # identity: the registry
    PASS_REVOKED = "pass_revoked"
    PASS_UNKNOWN = "pass_unknown"
    PERSON_INACTIVE = "person_inactive"
    WRONG_CAMPUS = "wrong_campus"
    KEY_PERSON = "key_person"
    # gate and campus
    GATE_CLOSED = "gate_closed"
    OUTSIDE_HOURS = "outside_hours"
    CATEGORY_NOT_ALLOWED = "category_not_allowed"
    # categories
    STAFF_NOT_APPROVED = "staff_not_approved"
    STUDENT_NOT_IN_BATCH = "student_not_in_batch"
    VISITOR_OUTSIDE_WINDOW = "visitor_outside_window"
    VISITOR_PASS_USED = "visitor_pass_used"
    CONTRACTOR_NOT_APPROVED = "contractor_not_approved"
    VEHICLE_NOT_REGISTERED = "vehicle_not_registered"
    # closed management and testing
    CLOSED_MANAGEMENT = "closed_management"
    NAT_OVERDUE = "nat_overdue"
    # household
    HOUSEHOLD_DAY_USED = "household_day_used"
    # guard and system
    OVERRIDE_DENY = "override_deny"
    UNKNOWN_GATE = "unknown_gate"
    EVENT_REFUSED = "event_refused"  # central could not read or accept the scan message (a dead letter)
    OFFLINE_NO_CONFIG = "offline_no_config"
    OFFLINE_UNVERIFIED = "offline_unverified"
    DECISION_ERROR = "decision_error"  # central failed to decide (a bad stored setting, a bug)
    GATE_RESTARTED = "gate_restarted"  # the gate stopped before it acted on the scan: nothing shown or opened

    @property
    def info(self) -> ReasonInfo:
        """The display text and guard instruction for this code."""
        from gatecore.reasons import REASONS  # the words live beside their table

        return REASONS[self]

    @property
    def verdict(self) -> Verdict:
        """The verdict this reason implies on its own."""
        return self.info.verdict
