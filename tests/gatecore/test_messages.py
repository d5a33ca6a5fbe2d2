"""Wire messages: golden JSON per message version, and precise refusals of bad payloads."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from gatecore import topics
from gatecore.gatefacts import GateRegistry
from gatecore.ids import uuid7
from gatecore.messages import (
    MAX_PAYLOAD,
    DecisionMessage,
    FeverAlert,
    GateConfig,
    GateStatus,
    MessageError,
    OfflineDecision,
    ScanEvent,
    Temperature,
)
from gatecore.policy import Window
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from gatecore.wire import MAX_QR, fit_qr

GOLDEN = Path(__file__).parent / "golden"
AT = datetime.fromisoformat("2026-11-23T10:00:00.123000+08:00")
EVENT_ID = "019ab0c4-1e7b-7c3d-8a1f-2b3c4d5e6f70"

SCAN = ScanEvent(
    event_id=EVENT_ID,
    gate_id="wucheng-north",
    seq=42,
    gate_time=AT,
    qr="CG1:V50W50000V50000.D5000$*0000",
    temperature=Temperature(36.6, SensorStatus.OK),
    direction="in",
)
SCAN_OFFLINE = ScanEvent(
    event_id=EVENT_ID,
    gate_id="wucheng-north",
    seq=43,
    gate_time=AT,
    qr="CG1:ABC",
    temperature=Temperature(None, SensorStatus.MISSING),
    direction="out",
    offline=OfflineDecision(Verdict.REMEASURE, Reason.TEMP_MISSING, 3),
)
SCAN_SYMPTOMS = ScanEvent(
    event_id=EVENT_ID,
    gate_id="wucheng-north",
    seq=44,
    gate_time=AT,
    qr="CG1:V50W50000V50000.D5000$*0000",
    temperature=Temperature(36.8, SensorStatus.OK),
    direction="in",
    symptoms=("cough",),
)
DECISION = DecisionMessage(
    event_id=EVENT_ID,
    gate_id="wucheng-north",
    verdict=Verdict.DENY,
    reason=Reason.HOUSEHOLD_DAY_USED,
    reasons=["household_day_used"],
    text_zh=Reason.HOUSEHOLD_DAY_USED.info.zh,
    text_en=Reason.HOUSEHOLD_DAY_USED.info.en,
    action_zh=Reason.HOUSEHOLD_DAY_USED.info.action_zh,
    action_en=Reason.HOUSEHOLD_DAY_USED.info.action_en,
    holder="王*华",
    household="坞城校区 3-2-501",
    celsius=36.6,
    open=False,
    policy_version=3,
    decided_at=AT,
    detail={"day_holder": "张*明"},
)
STATUS = GateStatus(
    gate_id="wucheng-north", state="online", camera="ok", thermometer="ok", outbox=0, at=AT, policy_version=3
)
CONFIG = GateConfig(
    gate_id="wucheng-north",
    campus_id=1,
    gate_open=True,
    policy={"campus_id": 1, "version": 3},
    public_keys={"1": "MCowBQYDK2VwAyEA"},
    revoked=[17, 23],
    issued_at=AT,
)
CONFIG_V2 = GateConfig(
    gate_id="wucheng-north",
    campus_id=1,
    gate_open=True,
    policy={"campus_id": 1, "version": 3},
    public_keys={"1": "MCowBQYDK2VwAyEA"},
    revoked=[17, 23],
    issued_at=AT,
    registry=GateRegistry(
        as_of=date(2026, 11, 23),
        key_persons={31: date(2026, 11, 30)},
        inactive=frozenset({12}),
        commuters=frozenset({7}),
        staff_approvals={40: (Window(date(2026, 11, 1), date(2026, 12, 31)),)},
        contractor_approvals={41: (Window(date(2026, 11, 23), date(2026, 11, 23)),)},
        return_batches={50: (Window(date(2026, 11, 25), date(2026, 11, 27)),)},
        vehicles={3: (date(2027, 1, 31), 40)},
        commuter_until={7: date(2026, 12, 31)},
        groups={60: "logistics"},
        exit_approvals={60: (Window(date(2026, 11, 23), date(2026, 11, 23)),)},
        last_negative={61: datetime.fromisoformat("2026-11-22T08:30:00+00:00")},
    ).to_dict(),
)
FEVER = FeverAlert(
    event_id=EVENT_ID,
    gate_id="wucheng-north",
    campus_id=1,
    celsius=38.2,
    holder="王*华",
    household="坞城校区 3-2-501",
    at=AT,
)

GOLDENS = [
    ("scan_v1.json", SCAN, ScanEvent),
    ("scan_offline_v1.json", SCAN_OFFLINE, ScanEvent),
    ("scan_symptoms_v1.json", SCAN_SYMPTOMS, ScanEvent),
    ("decision_v1.json", DECISION, DecisionMessage),
    ("status_v1.json", STATUS, GateStatus),
    ("config_v1.json", CONFIG, GateConfig),
    ("config_v2.json", CONFIG_V2, GateConfig),
    ("fever_v1.json", FEVER, None),
]


@pytest.mark.parametrize("name,message,cls", GOLDENS, ids=[g[0] for g in GOLDENS])
def test_golden(name: str, message, cls) -> None:
    golden = (GOLDEN / name).read_bytes().strip()
    assert json.loads(message.to_json()) == json.loads(golden)
    if cls is not None:
        assert cls.from_json(golden) == message


def test_decision_from_central_before_offline_recorded_still_parses() -> None:
    data = json.loads((GOLDEN / "decision_v1.json").read_bytes())
    del data["offline_recorded"]
    assert DecisionMessage.from_json(json.dumps(data).encode()) == DECISION


def test_decision_acknowledging_an_offline_verdict_round_trips() -> None:
    recorded = dataclasses.replace(DECISION, offline=True, offline_recorded=True)
    assert DecisionMessage.from_json(recorded.to_json()).offline_recorded is True


def test_status_from_a_gate_before_frames_skipped_still_parses() -> None:
    data = json.loads((GOLDEN / "status_v1.json").read_bytes())
    del data["frames_skipped"]
    assert GateStatus.from_json(json.dumps(data).encode()) == STATUS
    data["frames_skipped"] = "many"
    with pytest.raises(MessageError, match="frames_skipped"):
        GateStatus.from_json(json.dumps(data).encode())


def test_status_stopped_on_purpose_round_trips_and_a_gate_before_it_says_not_stopped() -> None:
    stopped = GateStatus(gate_id="wucheng-north", state="offline", stopped=True)
    assert GateStatus.from_json(stopped.to_json()).stopped is True
    data = json.loads((GOLDEN / "status_v1.json").read_bytes())
    del data["stopped"]
    assert GateStatus.from_json(json.dumps(data).encode()).stopped is False
    data["stopped"] = "yes"
    with pytest.raises(MessageError, match="stopped"):
        GateStatus.from_json(json.dumps(data).encode())


def _scan(**changes) -> bytes:
    data = json.loads((GOLDEN / "scan_v1.json").read_bytes())
    data.update(changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    "payload,why",
    [
        (b"\xff\xfe garbage", "not JSON"),
        (b"[1,2]", "not a JSON object"),
        (_scan(v=2), "unsupported message version 2"),
        # equal to 1 in Python, but no version a gate writes
        (_scan(v=True), "unsupported message version True"),
        (_scan(v=1.0), "unsupported message version 1.0"),
        (_scan(v="1"), "unsupported message version '1'"),
        (_scan(type="decision"), "expected type 'scan'"),
        (_scan(event_id="nope"), "is not a UUID"),
        (_scan(gate_id="Gate/+/#"), "invalid gate id"),
        (_scan(seq=-1), "'seq' must be between 0 and"),
        (_scan(seq="7"), "field 'seq' has type str"),
        (_scan(direction="sideways"), "direction must be"),
        (_scan(gate_time="yesterday"), "not an ISO 8601 time"),
        (_scan(gate_time="2026-11-23T10:00:00"), "no UTC offset"),
        (_scan(temperature={"celsius": 36.6, "status": "toasty"}), "unknown value 'toasty'"),
        (_scan(qr="A" * 2000), "exceeds"),
        (b"{" + b" " * MAX_PAYLOAD + b"}", "exceeds"),
        (
            _scan(override={"of_event": EVENT_ID, "guard": "g", "verdict": "allow", "reason": " "}),
            "needs a reason",
        ),
        (
            _scan(override={"of_event": EVENT_ID, "guard": "g", "verdict": "refer", "reason": "r"}),
            "an override's verdict must be allow or deny, not 'refer'",
        ),
        (
            _scan(override={"of_event": EVENT_ID, "guard": "g", "verdict": "remeasure", "reason": "r"}),
            "an override's verdict must be allow or deny, not 'remeasure'",
        ),
        (
            # the refusal names what an override can say, not every verdict central can give
            _scan(override={"of_event": EVENT_ID, "guard": "g", "verdict": "maybe", "reason": "r"}),
            "an override's verdict must be allow or deny, not 'maybe'",
        ),
        (
            _scan(override={"of_event": "the last one", "guard": "g", "verdict": "allow", "reason": "r"}),
            "of_event 'the last one' is not a UUID",
        ),
        (_scan(symptoms=["sneezing"]), "symptoms has unknown value(s) ['sneezing']"),
        (_scan(symptoms=["cough", "cough"]), "symptoms lists a value twice"),
        (_scan(symptoms="cough"), "field 'symptoms' has type str"),
    ],
)
def test_bad_scan_payloads_are_named(payload: bytes, why: str) -> None:
    with pytest.raises(MessageError, match=__import__("re").escape(why)):
        ScanEvent.from_json(payload)


def test_a_scan_without_symptoms_keeps_the_bytes_older_gates_send() -> None:
    assert "symptoms" not in json.loads(SCAN.to_json())
    assert ScanEvent.from_json((GOLDEN / "scan_v1.json").read_bytes()).symptoms == ()


def test_missing_field_is_named() -> None:
    data = json.loads(_scan())
    del data["qr"]
    with pytest.raises(MessageError, match="missing field 'qr'"):
        ScanEvent.from_json(json.dumps(data).encode())


def test_null_required_field_is_named_null_not_missing() -> None:
    data = json.loads(_scan()) | {"gate_id": None}
    with pytest.raises(MessageError, match="^field 'gate_id' is null$"):
        ScanEvent.from_json(json.dumps(data).encode())


def test_chinese_text_travels_as_utf8_not_escapes() -> None:
    assert "坞城校区".encode() in DECISION.to_json()


def test_uuid7_is_time_ordered_and_versioned() -> None:
    a = uuid7(1_700_000_000_000, bytes(10))
    b = uuid7(1_700_000_000_001, bytes(10))
    assert a < b and a[14] == "7" and a[19] in "89ab"


def test_topics() -> None:
    assert topics.gate_events("wucheng-north") == "gates/wucheng-north/events"
    assert topics.shared(topics.ALL_EVENTS) == "$share/central/gates/+/events"
    assert topics.gate_of("gates/wucheng-north/events") == "wucheng-north"
    assert topics.gate_of("gates/x/y/z") is None
    with pytest.raises(ValueError):
        topics.gate_status("a/#")


def test_config_v2_round_trips_its_registry_and_v1_still_reads() -> None:
    v2 = GateConfig.from_json((GOLDEN / "config_v2.json").read_bytes())
    assert v2.registry is not None and GateRegistry.from_dict(v2.registry).to_dict() == v2.registry
    v1 = GateConfig.from_json((GOLDEN / "config_v1.json").read_bytes())
    assert v1.registry is None and json.loads(v1.to_json())["v"] == 1
    with pytest.raises(MessageError, match="registry"):
        GateConfig.from_json(json.dumps({**json.loads(CONFIG_V2.to_json()), "registry": None}).encode())
    # true equals 1 in Python: such a config was read as version 1, its registry dropped unseen
    for odd in (True, 2.0):
        with pytest.raises(MessageError, match="not a version 1 or 2 config"):
            GateConfig.from_json(json.dumps({**json.loads(CONFIG_V2.to_json()), "v": odd}).encode())


@pytest.mark.parametrize(
    "decoded",
    [
        "https://example.com/?q=" + "x" * 3000,
        "CG1:" + "A" * 4000,
        "CG1:ab\x00cd",
        "lone \udc80 surrogate",
        "中" * 2000,
    ],
)
def test_any_decoded_qr_text_fits_a_scan_event_that_central_reads(decoded: str) -> None:
    # a camera can read any QR code; each must make an event central accepts, or the gate shows nothing
    event = dataclasses.replace(SCAN, qr=fit_qr(decoded))
    assert ScanEvent.from_json(event.to_json()) == event
    assert len(event.qr) <= MAX_QR and "\x00" not in event.qr
