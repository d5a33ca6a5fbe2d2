"""Hostile scan events against the decision service on a real database: nothing escapes, nothing vanishes.

Every payload ends as exactly one of: a decided entry-log row, a duplicate answered from the log, or a
dead letter with its reason (answered ``refer`` when the gate and the event id can be read).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import func, select

from central.audit.chain import verify
from central.decisions.answer import REFUSED_SHOWN
from central.decisions.service import DecisionService
from central.models.db import session_scope
from central.models.journal import EntryEvent, RejectedMessage
from central.office.keys import KeyRing
from gatecore import topics
from gatecore.messages import DecisionMessage, OfflineDecision, ScanEvent
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World, build_world, event_id

RECEIVED = NOW + timedelta(milliseconds=40)


def _counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as s:
        entries = s.exec(select(func.count()).select_from(EntryEvent)).one()
        rejected = s.exec(select(func.count()).select_from(RejectedMessage)).one()
    return entries, rejected


def _last_rejection(engine: Engine) -> str:
    with session_scope(engine) as s:
        row = s.exec(select(RejectedMessage).order_by(RejectedMessage.id.desc())).first()  # type: ignore[union-attr]
    assert row is not None
    return row.reason


def _valid(world: World) -> dict[str, Any]:
    return json.loads(world.scan("zhang")[1])


_NESTED = "<3000 nested arrays>"  # json.dumps cannot write it, so it is spliced in as text


def _with(world: World, path: tuple[str, ...], value: Any) -> bytes:
    data = _valid(world)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    text = json.dumps(data, allow_nan=True)
    return text.replace(json.dumps(_NESTED), "[" * 3000 + "]" * 3000).encode()


def _refer_answer(out: list, world: World, eid: str) -> DecisionMessage:
    assert [o.topic for o in out] == [topics.gate_decisions(world.gate_id)]
    msg = DecisionMessage.from_json(out[0].payload)
    assert (msg.event_id, msg.verdict, msg.reason, msg.open) == (
        eid,
        Verdict.REFER,
        Reason.EVENT_REFUSED,
        False,
    )
    return msg


@pytest.mark.parametrize(
    "path,value,why",
    [
        (("temperature",), _NESTED, "nests JSON too deeply"),
        (("temperature", "celsius"), int("9" * 400), "celsius out of the range"),
        (("temperature", "celsius"), float("nan"), "not a finite number"),
        (("temperature", "celsius"), float("inf"), "not a finite number"),
        (("temperature", "celsius"), 1e30, "celsius out of the range"),
        (("gate_time",), "9999-12-31T23:59:59+00:00", "outside the years"),
        (("gate_time",), "0001-01-01T00:00:00+05:00", "outside the years"),
        (("seq",), 10**30, "'seq' must be between"),
        (("seq",), 2**31, "'seq' must be between"),
        (("qr",), "HC1:\x00", "NUL character"),
        (("qr",), "\ud800", "not valid Unicode"),
        (("offline",), {"verdict": "allow", "reason": "ok", "policy_version": 10**30}, "'policy_version'"),
        (("v",), True, "unsupported message version True"),  # true == 1 in Python only
        # a guard lets the person through or turns them away: a "refer" override was logged as a denial
        (
            ("override",),
            {"of_event": event_id(), "guard": "g", "verdict": "refer", "reason": "r"},
            "an override's verdict must be allow or deny, not 'refer'",
        ),
        (
            ("override",),
            {"of_event": "the one before", "guard": "g", "verdict": "allow", "reason": "r"},
            "of_event 'the one before' is not a UUID",
        ),
    ],
    ids=[
        "nested",
        "400-digit",
        "nan",
        "inf",
        "1e30",
        "year-9999",
        "year-1",
        "seq-1e30",
        "seq-2^31",
        "nul",
        "surrogate",
        "policy-1e30",
        "version-true",
        "override-refer",
        "override-of-no-event",
    ],
)
def test_undecidable_event_is_a_dead_letter_answered_refer(
    world: World, path: tuple[str, ...], value: Any, why: str
) -> None:
    payload = _with(world, path, value)
    out = world.service.handle(topics.gate_events(world.gate_id), payload, RECEIVED)
    msg = _refer_answer(out, world, payload.split(b'"event_id": "')[1][:36].decode())
    assert why in msg.detail["refused"]
    assert why in _last_rejection(world.engine)
    assert _counts(world.engine) == (0, 1)


def test_a_refused_copy_resent_again_and_again_is_one_dead_letter(world: World) -> None:
    """A gate resends what central refused (an offline copy it cannot read) until it is logged, with
    back-off, for as long as it runs: every copy is answered refer, the payload is kept once an hour
    (a recent copy is what tells the sequence check the number arrived)."""
    payload = _with(world, ("temperature", "celsius"), float("nan"))
    topic = topics.gate_events(world.gate_id)
    for minute in range(5):
        out = world.service.handle(topic, payload, RECEIVED + timedelta(minutes=minute))
        assert _refer_answer(out, world, payload.split(b'"event_id": "')[1][:36].decode())
    assert _counts(world.engine) == (0, 1)
    world.service.handle(topic, payload, RECEIVED + timedelta(minutes=61))  # an hour on: kept again
    assert _counts(world.engine) == (0, 2)
    other = _with(world, ("temperature", "celsius"), float("inf"))  # another payload: kept too
    world.service.handle(topic, other, RECEIVED)
    assert _counts(world.engine) == (0, 3)


def test_dead_letter_without_a_readable_event_id_is_not_answered(world: World) -> None:
    payload = json.dumps({**_valid(world), "event_id": "nope", "seq": 10**30}).encode()
    assert world.service.handle(topics.gate_events(world.gate_id), payload, RECEIVED) == []
    assert _counts(world.engine) == (0, 1)


# ---- property-based: odd values in every field, and odd bytes, never escape ------------------------

_ODD_NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=10**18, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -0.0, 2**31 - 1, 2**31, 2**63, -(2**63) - 1, 1e308, 5e-324]),
)
_ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "\x00",
            "\ud800",
            "9999-12-31T23:59:59+00:00",
            "0001-01-01T00:00:00-23:59",
            "2026-11-23T02:00:00",
            "2026-11-23T02:00:00+00:00",
            "allow",
            "refer",
            "ok",
            "fever",
        ]
    ),
)
_ODD = st.recursive(
    st.one_of(st.none(), st.booleans(), _ODD_NUMBERS, _ODD_TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_FIELDS = [
    ("event_id",),
    ("gate_id",),
    ("seq",),
    ("gate_time",),
    ("qr",),
    ("direction",),
    ("temperature",),
    ("temperature", "celsius"),
    ("temperature", "status"),
    ("offline",),
    ("override",),
    ("v",),
    ("type",),
]


def _service_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from central.models.db import create_all, make_engine
    from central.office.keys import KeyRing

    path = tmp_path_factory.mktemp("hostile")
    engine = make_engine(f"sqlite:///{path}/central.db")
    create_all(engine)
    return build_world(engine, KeyRing.open(path / "keys"))


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return _service_world(tmp_path_factory)


def _handle_and_account(world: World, service: DecisionService, payload: bytes) -> None:
    before = _counts(world.engine)
    out = service.handle(topics.gate_events(world.gate_id), payload, RECEIVED)  # must not raise
    after = _counts(world.engine)
    grew = (after[0] - before[0], after[1] - before[1])
    for o in out:
        if o.topic == topics.gate_decisions(world.gate_id):
            DecisionMessage.from_json(o.payload)  # every answer is a valid decision message
    if grew == (0, 0):  # only a duplicate of a logged event may leave no new row, and it is answered
        ScanEvent.from_json(payload)
        assert len(out) == 1
    else:
        assert grew in ((1, 0), (0, 1)), grew


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_exception_escapes_and_nothing_vanishes(fuzz_world: World, data: st.DataObject) -> None:
    world = fuzz_world
    fields = data.draw(st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=3, unique=True))
    base = _valid(world)
    base["event_id"] = event_id()
    payload_data: Any = base
    for path in fields:
        target = payload_data
        for key in path[:-1]:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            target = target[key]
        target[path[-1]] = data.draw(_ODD)
    _handle_and_account(world, world.service, json.dumps(payload_data, allow_nan=True).encode())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.one_of(
        st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))
    )
)
def test_odd_bytes_are_dead_letters(fuzz_world: World, payload: bytes) -> None:
    _handle_and_account(fuzz_world, fuzz_world.service, payload)


def test_the_audit_chain_verifies_after_the_fuzz(fuzz_world: World) -> None:
    # runs after the two properties above (same module world): whatever was logged still verifies
    with session_scope(fuzz_world.engine) as s:
        assert verify(s).ok


def test_undecidable_events_on_postgresql(
    pg_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # PostgreSQL refuses NUL in text and numbers above its INTEGER: both must be refused before it
    from central.office.keys import KeyRing

    world = build_world(pg_engine, KeyRing.open(tmp_path_factory.mktemp("pgkeys")))
    cases = [
        (("qr",), "HC1:\x00"),
        (("seq",), 2**31),
        (("temperature", "celsius"), float("nan")),
        (("override",), {"of_event": "x\x00", "guard": "g", "verdict": "allow", "reason": "r"}),
    ]
    for path, value in cases:
        payload = _with(world, path, value)
        _refer_answer(
            world.service.handle(topics.gate_events(world.gate_id), payload, RECEIVED),
            world,
            json.loads(payload)["event_id"],
        )
    assert _counts(world.engine) == (0, len(cases))
    _handle_and_account(world, world.service, world.scan("zhang")[1])
    with session_scope(world.engine) as s:
        assert verify(s).ok


def test_event_id_reused_by_another_gate_is_refused_not_answered_with_the_first(world: World) -> None:
    from central.models.registry import Gate

    with session_scope(world.engine) as s:
        s.add(Gate(gate_id="test-south", campus_id=world.campus_id, name_zh="南门", name_en="South gate"))
    eid = event_id()
    first = world.service.handle(*world.scan("zhang", eid=eid), RECEIVED)
    assert DecisionMessage.from_json(first[0].payload).holder == "张*明"
    topic, payload = world.scan("li", eid=eid, gate_id="test-south")
    out = world.service.handle(topic, payload, RECEIVED + timedelta(seconds=1))
    assert [o.topic for o in out] == [topics.gate_decisions("test-south")]
    msg = DecisionMessage.from_json(out[0].payload)
    assert (msg.event_id, msg.verdict, msg.reason, msg.holder, msg.household) == (
        eid,
        Verdict.REFER,
        Reason.EVENT_REFUSED,
        "",
        "",
    )
    assert "already used by gate 'test-north'" in _last_rejection(world.engine)
    assert _counts(world.engine) == (1, 1)
    # the first gate's own resend is still a duplicate, answered byte for byte
    assert world.service.handle(*world.scan("zhang", eid=eid), RECEIVED) == first[:1]


def test_a_resend_that_differs_is_answered_as_first_decided_and_kept_as_a_dead_letter(world: World) -> None:
    """A copy of a logged event with another reading (39.2 °C where 36.6 was logged) gets the stored
    answer byte for byte, as every duplicate does; the copy is kept, so the fever it carries is seen.
    A true copy leaves nothing."""
    eid = event_id()
    topic, payload = world.scan("zhang", eid=eid, seq=70)
    first = world.service.handle(topic, payload, RECEIVED)
    assert world.service.handle(topic, payload, RECEIVED + timedelta(seconds=2)) == first[:1]
    assert _counts(world.engine)[1] == 0
    hotter = json.loads(payload)
    hotter["temperature"]["celsius"] = 39.2
    again = world.service.handle(topic, json.dumps(hotter).encode(), RECEIVED + timedelta(seconds=3))
    assert again == first[:1]
    assert _counts(world.engine) == (1, 1)
    assert _last_rejection(world.engine) == (
        "event id resent with another celsius: answered with its first decision"
    )
    with session_scope(world.engine) as s:
        [kept] = s.exec(select(RejectedMessage)).all()
    assert json.loads(kept.payload)["temperature"]["celsius"] == 39.2


@pytest.mark.parametrize(
    "change, named",
    [
        (lambda d, w: d.update(direction="out"), "direction"),
        (lambda d, w: d["temperature"].update(status="manual"), "sensor status"),
        (lambda d, w: d.update(symptoms=["cough"]), "symptoms"),
        (
            lambda d, w: d.update(
                override={"of_event": event_id(), "guard": "guard-07", "verdict": "allow", "reason": "known"}
            ),
            "override",
        ),
        # another person's pass under the same event id: the gate was answered as for the first
        (lambda d, w: d.update(qr=w.tokens["li"]), "pass"),
        (lambda d, w: d.update(qr="https://weixin.qq.com/x"), "pass"),
    ],
    ids=["direction", "sensor-status", "symptoms", "override", "other-pass", "foreign-code"],
)
def test_a_resend_with_another_person_direction_or_override_is_kept_as_a_dead_letter(
    any_engine: Engine, keyring: KeyRing, change: Any, named: str
) -> None:
    """What a copy says beyond its number, time and reading is as much the event: a copy naming
    another pass, going the other way, with symptoms or a guard's override is answered as first
    decided (byte for byte) and kept, so what it carried is seen; nothing is logged twice."""
    world = build_world(any_engine, keyring)  # the copy is compared with the row as each database returns it
    eid = event_id()
    topic, payload = world.scan("zhang", eid=eid, seq=71)
    first = world.service.handle(topic, payload, RECEIVED)
    other = json.loads(payload)
    change(other, world)
    again = world.service.handle(topic, json.dumps(other).encode(), RECEIVED + timedelta(seconds=3))
    assert again == first[:1]
    assert _counts(world.engine) == (1, 1)
    assert _last_rejection(world.engine) == (
        f"event id resent with another {named}: answered with its first decision"
    )


def test_a_second_late_copy_with_another_offline_decision_is_kept_as_a_dead_letter(
    any_engine: Engine, keyring: KeyRing
) -> None:
    """Central decided; the gate, not hearing in time, decided offline and its late copy was logged
    beside (a reconciliation row). A further copy saying the gate decided otherwise is answered as the
    first late copy was and kept, not dropped; one saying the same is a plain duplicate."""
    world = build_world(any_engine, keyring)
    eid = event_id()
    world.service.handle(*world.scan("zhang", eid=eid, seq=81), RECEIVED)
    allowed = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    late = world.service.handle(*world.scan("zhang", eid=eid, seq=81, offline=allowed), RECEIVED)
    assert _counts(world.engine) == (2, 0)  # the decision and its reconciliation
    again = world.service.handle(*world.scan("zhang", eid=eid, seq=81, offline=allowed), RECEIVED)
    assert again == late and _counts(world.engine) == (2, 0)
    denied = OfflineDecision(Verdict.DENY, Reason.FEVER, 1)
    other = world.service.handle(*world.scan("zhang", eid=eid, seq=81, offline=denied), RECEIVED)
    assert other == late and _counts(world.engine) == (2, 1)
    assert _last_rejection(world.engine) == (
        "event id resent with another offline decision: answered with its first decision"
    )
    # an event first logged as the gate's offline decision is compared with its own
    eid = event_id()
    world.service.handle(*world.scan("zhang", eid=eid, seq=82, offline=denied), RECEIVED)
    world.service.handle(*world.scan("zhang", eid=eid, seq=82, offline=allowed), RECEIVED)
    assert _counts(world.engine) == (3, 2)
    with session_scope(world.engine) as s:
        assert verify(s).ok


def test_a_long_refusal_reason_reaches_the_gate_marked_as_cut_and_stays_whole_in_the_dead_letter(
    world: World,
) -> None:
    # an unknown offline reason is refused naming every known code: longer than an answer carries
    payload = _with(world, ("offline",), {"verdict": "deny", "reason": "no_such_reason", "policy_version": 1})
    out = world.service.handle(topics.gate_events(world.gate_id), payload, RECEIVED)
    msg = _refer_answer(out, world, payload.split(b'"event_id": "')[1][:36].decode())
    whole = _last_rejection(world.engine)
    assert len(whole) > REFUSED_SHOWN
    assert msg.detail["refused"] == whole[: REFUSED_SHOWN - 1] + "…"
