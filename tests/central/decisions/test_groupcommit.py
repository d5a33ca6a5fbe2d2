"""Group commit waits for company only when there is company to wait for."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from central.decisions.groupcommit import GroupCommit

AT = datetime(2026, 11, 23, tzinfo=UTC)


def test_a_lone_event_is_taken_at_once_and_a_busy_queue_fills_its_batch() -> None:
    # a wait far beyond the test's timeout: taking a lone event must not wait at all
    commits: GroupCommit[tuple[str, bytes, datetime], None] = GroupCommit(
        lambda batch: None, lambda _: None, max_events=2, max_wait_s=600
    )
    commits.put(("a", b"1", AT))
    assert [t for t, _, _ in commits.take(1)] == ["a"]  # quiet gates: decided at once

    commits.put(("b", b"2", AT))
    commits.put(("c", b"3", AT))
    assert [t for t, _, _ in commits.take(1)] == ["b", "c"]  # load: the batch fills

    # after a full batch the next one waits for company: "e", arriving later, joins "d"
    commits.put(("d", b"4", AT))
    later = threading.Timer(0.2, commits.put, [("e", b"5", AT)])
    later.start()
    assert [t for t, _, _ in commits.take(1)] == ["d", "e"]
    later.join()


def test_events_that_queued_behind_a_batch_are_its_company_and_do_not_wait() -> None:
    commits: GroupCommit[tuple[str, bytes, datetime], None] = GroupCommit(
        lambda batch: None, lambda _: None, max_events=4, max_wait_s=600
    )
    for name in "abcd":  # a full batch: the gates are busy
        commits.put((name, b"1", AT))
    assert len(commits.take(1)) == 4
    commits.put(("e", b"2", AT))  # two arrived while it was decided: taken now, not 600 s later
    commits.put(("f", b"3", AT))
    assert [t for t, _, _ in commits.take(1)] == ["e", "f"]


def test_a_lingering_queue_gathers_what_arrives_within_its_wait() -> None:
    # statuses: nobody waits on them, so every batch takes what arrives in max_wait_s, not one each
    commits: GroupCommit[tuple[str, bytes, datetime], None] = GroupCommit(
        lambda batch: None, lambda _: None, max_events=10, max_wait_s=0.3, linger=True
    )
    commits.put(("a", b"1", AT))
    later = threading.Timer(0.1, commits.put, [("b", b"2", AT)])
    later.start()
    assert [t for t, _, _ in commits.take(1)] == ["a", "b"]  # a lone first status waited for company
    later.join()


def test_the_thread_outlives_a_publish_that_fails() -> None:
    decided: list[str] = []
    seen = threading.Event()

    def decide(batch: Sequence[str]) -> list[str]:
        decided.extend(batch)
        if "after" in batch:
            seen.set()
        return list(batch)

    def publish(answers: list[str]) -> None:
        if answers == ["boom"]:  # the status thread's publish reads the database (a gate's config)
            raise RuntimeError("the database went away while publishing")

    commits: GroupCommit[str, list[str]] = GroupCommit(decide, publish, max_events=1, max_wait_s=0)
    commits.start()
    try:
        commits.put("boom")
        time.sleep(0.5)
        commits.put("after")
        assert seen.wait(5), f"nothing decided after the failed publish: {decided}"
    finally:
        commits.stop()
