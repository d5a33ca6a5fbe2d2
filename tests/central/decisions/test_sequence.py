"""Per-gate sequence gaps and regressions, found by the decision service and shown to the office."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from central.audit.gaps import count_gaps
from central.decisions.sequence import catch_up
from central.models.db import session_scope
from central.models.journal import RejectedMessage, SequenceGap
from central.models.registry import Gate
from central.office import dashboard
from central.office.report_counts import build_content
from central.office.reports_render import _sequence_gaps
from gatecore.messages import DecisionMessage
from gatecore.reasons import Reason
from tests.central.conftest import NOW, World

RECEIVED = NOW + timedelta(milliseconds=40)


def send(world: World, *seqs: int) -> None:
    """Decide one scan per seq, then let the sequence check read the log (as the worker does)."""
    for seq in seqs:
        assert world.service.handle(*world.scan("staff", seq=seq), RECEIVED)
    with session_scope(world.engine) as s:
        catch_up(s)


def refuse(world: World, seq: int, *, at: datetime = RECEIVED) -> None:
    """Seq ``seq`` reaches central damaged: a dead letter, answered ``refer``."""
    topic, payload = world.scan("staff", seq=seq)
    damaged = json.loads(payload)
    damaged["temperature"]["celsius"] = float("nan")  # the schema refuses it
    [answer] = world.service.handle(topic, json.dumps(damaged).encode(), at)
    assert DecisionMessage.from_json(answer.payload).reason == Reason.EVENT_REFUSED


def gaps(world: World) -> list[tuple[str, int, int]]:
    with session_scope(world.engine) as s:
        rows = s.exec(select(SequenceGap).order_by(SequenceGap.first_seq, SequenceGap.kind)).all()
        return [(r.kind, r.first_seq, r.last_seq) for r in rows]


def test_a_jump_opens_a_gap_and_late_copies_close_it(world: World) -> None:
    send(world, 1, 2, 6)
    assert gaps(world) == [("gap", 3, 5)]
    send(world, 4)  # a late copy in the middle splits the gap
    assert gaps(world) == [("gap", 3, 3), ("gap", 5, 5)]
    send(world, 3, 5, 7)
    assert gaps(world) == []


def test_a_duplicate_is_not_a_regression(world: World) -> None:
    send(world, 1)
    topic, payload = world.scan("staff", seq=2)
    world.service.handle(topic, payload, RECEIVED)
    world.service.handle(topic, payload, RECEIVED + timedelta(seconds=3))
    assert gaps(world) == []


def test_numbering_again_from_an_old_value_is_one_regression(world: World) -> None:
    send(world, 1, 2, 3, 4)
    send(world, 2, 3, 4, 5)  # a gate restored from a backup taken after seq 1
    assert gaps(world) == [("regression", 2, 4)]
    send(world, 1)  # a replaced SD card starts again from 1
    assert gaps(world) == [("regression", 1, 5), ("regression", 2, 4)]


def test_office_sees_the_gaps_on_the_dashboard_and_in_the_report(world: World) -> None:
    send(world, 1, 5, 3, 1)
    with session_scope(world.engine) as s:
        assert count_gaps(s) == {"missing": 2, "regressions": 1}
        panel = dashboard.conflicts(s, NOW)
        assert (panel["gaps"], panel["regressions"]) == (2, 1)
        content = build_content(s, world.campus_id, NOW - timedelta(days=1), NOW + timedelta(hours=1), NOW)
    listed = {(g["kind"], g["first_seq"], g["last_seq"]) for g in content["sequence_gaps"]}
    assert listed == {("gap", 2, 2), ("gap", 4, 4), ("regression", 1, 5)}
    rendered = _sequence_gaps(content["sequence_gaps"])
    assert len(rendered) == 3 and all(label.startswith("序号缺口") for label, _ in rendered)
    assert sum("never received" in value for _, value in rendered) == 2
    with session_scope(world.engine) as s:
        name = s.get(Gate, world.gate_id).name_zh  # type: ignore[union-attr]
    assert all(value.startswith(f"{name} {world.gate_id}：") for _, value in rendered)  # named, as gates are
    assert _sequence_gaps([]) == [("序号缺口 Sequence gaps", "无 none")]
    old = [{k: v for k, v in g.items() if k != "name"} for g in content["sequence_gaps"]]  # reports before
    assert all(value.startswith(f"{world.gate_id}：") for _, value in _sequence_gaps(old))


def test_a_gates_neighbours_logged_out_of_order_open_no_gap(world: World, caplog) -> None:
    # two workers commit a gate's seq 3 before its seq 2: read in one pass, in the gate's own order,
    # nothing is missing and nothing is said to be
    with caplog.at_level("WARNING"):
        send(world, 1, 3, 2)
    assert gaps(world) == []
    assert not [r for r in caplog.records if "never arrived" in r.getMessage()]
    send(world, 4)
    assert gaps(world) == []


def test_rows_received_a_moment_ago_wait_for_the_next_pass(world: World) -> None:
    now = datetime.now(UTC)
    assert world.service.handle(*world.scan("staff", seq=1), now)
    with session_scope(world.engine) as s:
        assert catch_up(s, settle_s=60) == 0  # another worker may still log its neighbours
    with session_scope(world.engine) as s:
        assert catch_up(s) == 1


def test_an_event_received_and_refused_arrived_and_is_no_gap(world: World) -> None:
    """Seqs 3 and 5 reach central damaged: each is a dead letter answered ``refer``, not a number that
    never arrived. Seq 7 never comes: that one is the gap."""
    send(world, 1, 2)
    for seq in (3, 5):
        refuse(world, seq)
    send(world, 4, 6, 8)
    assert gaps(world) == [("gap", 7, 7)]


def test_a_number_refused_after_its_gap_opened_narrows_the_gap(world: World) -> None:
    """Seq 3 comes late and damaged, after seq 5 opened the gap 2..4: it arrived, refused. The gap
    keeps only the numbers that never came; a refused number never logged opens no regression."""
    send(world, 1, 5)
    assert gaps(world) == [("gap", 2, 4)]
    refuse(world, 3)
    send(world)  # the next pass reads the dead letter
    assert gaps(world) == [("gap", 2, 2), ("gap", 4, 4)]
    refuse(world, 2)
    refuse(world, 5)  # refused again after it was logged (an altered resend): nothing to narrow
    send(world, 6)
    assert gaps(world) == [("gap", 4, 4)]


def test_a_dead_letter_is_read_once_and_a_moment_ago_waits(world: World) -> None:
    send(world, 1, 4)
    refuse(world, 2, at=datetime.now(UTC))
    with session_scope(world.engine) as s:
        catch_up(s, settle_s=60)  # stored a moment ago: a lower id may still commit
    assert gaps(world) == [("gap", 2, 3)]
    with session_scope(world.engine) as s:
        catch_up(s)
    assert gaps(world) == [("gap", 3, 3)]
    send(world, 2)  # a good copy after the refused one is a number seen twice: the office is told
    assert ("regression", 2, 4) in gaps(world)


def test_a_gap_reads_only_the_gates_refused_numbers_in_it(world: World) -> None:
    """A gate flooding its topic with garbage does not make each gap read every payload: the numbers
    are kept with the dead letters and found by their index."""
    send(world, 1)
    topic, _ = world.scan("staff", seq=2)
    for n in range(200):
        world.service.handle(topic, b'{"seq": %d, "garbage": true}' % (1000 + n), RECEIVED)
    world.service.handle(topic, b"not json at all", RECEIVED)
    refuse(world, 3)
    with session_scope(world.engine) as s:
        stored = s.exec(select(RejectedMessage.gate_seq).order_by(RejectedMessage.id)).all()
    assert stored[:2] == [1000, 1001] and stored[-2:] == [None, 3]
    send(world, 5)
    assert gaps(world) == [("gap", 2, 2), ("gap", 4, 4)]
