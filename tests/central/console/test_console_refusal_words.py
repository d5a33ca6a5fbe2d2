"""Console forms refused with the catalogue's words beside the field, under 422: the entry-log
filters, and a report day that is no date."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("verdict=bogus", "verdict"),
        ("reason=bogus", "reason"),
        ("campus_id=abc", "campus_id"),
        ("fever=maybe", "fever"),
    ],
)
def test_a_refused_entry_filter_says_why_beside_it(c: Client, query: str, field: str) -> None:
    c.log_in("auditor", page="/console/entries")
    r = c.http.get(f"/console/entries?{query}")
    assert r.status_code == 422
    # the error sits inside the field's own label, right after its select
    label = r.text.split(f'id="f-{field}"', 1)[1].split("</label>", 1)[0]
    assert f'<span class="field-error" id="err-{field}">' in label, label
    assert r.text.count('class="field-error"') == 1


@pytest.mark.parametrize("day", ["abc", "2026-02-30"])
def test_a_report_day_that_is_no_date_is_refused_in_the_catalogue_s_words(
    c: Client, world: World, day: str
) -> None:
    c.log_in("security", page="/console/reports")
    r = c.form("/console/reports", {"campus_id": str(world.campus_id), "day": day})
    assert r.status_code == 422
    assert f"日期 {day} 无效（请用 年-月-日）" in r.text and "isoformat" not in r.text


@pytest.mark.parametrize(
    "query",
    [
        "since=0001-01-01T00:00&gate_id=test-north",
        "verdict=bogus&fever=true",
        "since=2026-11-23T10:00&until=2026-11-23T09:00",
    ],
)
def test_a_refused_entry_search_offers_no_count_and_no_csv_of_the_whole_log(
    c: Client, world: World, query: str
) -> None:
    """A refused search is not run: the page said "共 Total 0" (no entries, it read) beside a CSV link
    without any filter, the whole entry log, for an auditor who asked for one gate's fevers."""
    assert world.service.handle(*world.scan("zhang"), NOW)  # the log is not empty
    c.log_in("auditor", page="/console/entries")
    r = c.http.get(f"/console/entries?{query}")
    assert r.status_code == 422
    assert 'id="csv"' not in r.text and "/api/v1/entries.csv" not in r.text
    assert 'id="count"' not in r.text
