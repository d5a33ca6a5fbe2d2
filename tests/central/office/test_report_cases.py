"""A case the guard opened for symptoms at a normal reading prints as a symptom case with its symptom,
never as a fever (in the report's content, its lines, the CSV and the PDF)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

from central.models.db import session_scope
from central.office import reports
from central.office.catalogue import CODES, printed
from central.office.reports_render import lines, to_csv, to_pdf
from tests.central.conftest import NOW, World
from tests.central.office.pdf_checks import pdf_text
from tests.central.office.test_reports import DAY


def _cases(world: World) -> reports.DailyReport:
    """A cough at 36.5 °C, a fever with a cough, and a fever alone."""
    s = world.service
    assert s.handle(*world.scan("zhang", celsius=36.5, symptoms=("cough",), at=NOW), NOW)
    at = NOW + timedelta(minutes=1)
    assert s.handle(*world.scan("staff", celsius=38.6, symptoms=("cough",), at=at), at)
    at = NOW + timedelta(minutes=2)
    assert s.handle(*world.scan("li", celsius=38.2, at=at), at)
    with session_scope(world.engine) as session:
        return reports.make_report(session, world.campus_id, DAY, reports.OFFICE, NOW + timedelta(hours=5))


def test_a_cough_at_a_normal_reading_is_a_symptom_case(world: World) -> None:
    report = _cases(world)
    cases = report.content["cases"]
    assert [(c["kind"], c["readings"], c["symptoms"]) for c in cases] == [
        ("symptoms", "36.5", ["cough"]),
        ("fever", "38.6", ["cough"]),
        ("fever", "38.2", []),
    ]
    assert report.content["fevers"] == 2  # the counts and the cases say the same
    rows = [(k, v) for k, v in lines(report, "坞城校区") if k.endswith(tuple(f"#{c['id']}" for c in cases))]
    cough, fever_and_cough, fever = rows
    assert cough[0] == f"症状 Symptoms #{cases[0]['id']}"
    assert "36.5 °C · 咳嗽 cough · 待处置 open" in cough[1] and "发热" not in cough[1]
    assert fever_and_cough[0] == f"发热 Fever #{cases[1]['id']}"
    assert "38.6 °C · 咳嗽 cough · 待处置 open" in fever_and_cough[1]
    assert fever[0] == f"发热 Fever #{cases[2]['id']}" and "咳嗽" not in fever[1]
    gate = cases[0]["gate_id"]
    assert all(f" {cases[0]['gate_name']} {gate} " in v for _, v in rows) and cases[0]["gate_name"]


def test_the_csv_and_the_pdf_print_the_symptom_case(world: World, tmp_path: Path) -> None:
    report = _cases(world)
    symptom_id = report.content["cases"][0]["id"]
    table = dict(csv.reader(io.StringIO(to_csv(report, "坞城校区").decode("utf-8-sig"))))
    assert "咳嗽 cough" in table[f"症状 Symptoms #{symptom_id}"]
    assert f"发热 Fever #{symptom_id}" not in table
    # the incidents' count holds the symptom cases too, and says so
    assert table["发热及症状事件 Fever and symptom incidents"].startswith(str(report.content["incidents"]))
    text = " ".join(pdf_text(to_pdf(report, "坞城校区"), tmp_path).split())
    assert f"症状 Symptoms #{symptom_id}" in text and f"发热 Fever #{symptom_id}" not in text
    assert "咳嗽 cough" in text


def test_a_report_made_before_cases_had_a_kind_still_prints_a_fever(world: World) -> None:
    report = _cases(world)
    content = report.content
    content["cases"] = [
        {k: v for k, v in c.items() if k != "symptoms"} | {"kind": "fever"} for c in content["cases"]
    ]
    report.content_json = json.dumps(content, ensure_ascii=False)
    labels = [k for k, _ in lines(report, "坞城校区")]
    assert sum(k.startswith("发热 Fever #") for k in labels) == 3


def test_the_symptom_words_have_both_languages() -> None:
    for group in (CODES["symptom"], {"symptom_case": printed.REPORT["symptom_case"]}):
        for key, (zh, en) in group.items():
            assert zh and en and zh != en and en.isascii(), key
    from gatecore.messages import SYMPTOMS

    assert set(CODES["symptom"]) == set(SYMPTOMS)


def test_a_reading_stored_before_readings_were_checked_prints_as_a_dash(world: World) -> None:
    """Re-measurements are checked now; an incident holding "nan" or "inf" from before prints "—"
    there, never "nan °C" in the report the director signs."""
    from sqlmodel import select

    from central.models.incidents import FeverIncident

    s = world.service
    assert s.handle(*world.scan("li", celsius=38.2, at=NOW), NOW)
    with session_scope(world.engine) as session:
        incident = session.exec(select(FeverIncident)).one()
        incident.readings = "38.2,nan,inf,37.1"
        session.add(incident)
    with session_scope(world.engine) as session:
        report = reports.make_report(session, world.campus_id, DAY, reports.OFFICE, NOW + timedelta(hours=5))
    [case] = report.content["cases"]
    assert case["readings"] == "38.2,—,—,37.1"
    printed_case = [v for k, v in lines(report, "坞城校区") if k.endswith(f"#{case['id']}")]
    assert printed_case and " 38.2,—,—,37.1 °C · " in printed_case[0]


def test_a_character_the_font_lacks_prints_as_a_box_not_a_blank(world: World, tmp_path: Path) -> None:
    """A fever case of 𠮷野家 (a rare ideograph the embedded font has no outline for): the PDF prints
    "□野家", as the pass card does (``pdffont.drawable``), never "野家" with a blank where a character
    was; the CSV, which the reader's own fonts show, keeps the name as registered."""
    from central.models.registry import Person

    with session_scope(world.engine) as session:
        person = session.get(Person, world.people["li"])
        assert person is not None
        person.name = "𠮷野家"
    at = NOW + timedelta(minutes=2)
    assert world.service.handle(*world.scan("li", celsius=38.2, at=at), at)
    with session_scope(world.engine) as session:
        report = reports.make_report(session, world.campus_id, DAY, reports.OFFICE, NOW + timedelta(hours=5))
    text = " ".join(pdf_text(to_pdf(report, "坞城校区"), tmp_path).split())
    assert " □野家 " in text, text
    table = dict(csv.reader(io.StringIO(to_csv(report, "坞城校区").decode("utf-8-sig"))))
    assert any(" 𠮷野家 " in value for value in table.values())
