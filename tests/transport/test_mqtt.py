"""The link's own topic matching agrees with paho's on every filter and topic."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from hypothesis import given
from hypothesis import strategies as st

from transport.mqtt import _filter_levels, _matches

LEVEL = st.sampled_from(["gates", "g1", "g-2", "events", "status", "", "$SYS", "a"])
TOPIC = st.lists(LEVEL, min_size=1, max_size=5).map("/".join)
FILTER = (
    st.lists(st.one_of(LEVEL, st.just("+")), min_size=0, max_size=4)
    .flatmap(
        lambda head: st.sampled_from(["", "/#", "#"] if not head else ["", "/#"]).map(
            lambda tail: "/".join(head) + tail
        )
    )
    .filter(bool)
)


@given(FILTER, TOPIC)
def test_matching_agrees_with_paho(pattern: str, topic: str) -> None:
    assert _matches(_filter_levels(pattern), topic.split("/")) == mqtt.topic_matches_sub(pattern, topic)


def test_shared_subscription_matches_the_plain_topic() -> None:
    shared = _filter_levels("$share/central/gates/+/events")
    assert _matches(shared, "gates/g1/events".split("/"))
    assert not _matches(shared, "gates/g1/status".split("/"))
    assert not _matches(shared, "gates/g1/events/x".split("/"))
