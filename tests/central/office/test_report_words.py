"""Every word the daily report prints is Chinese with English beside it (lines, CSV and PDF), and its
times are its campus's own clock, the zone named."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from reportlab.lib.pagesizes import A4
from sqlmodel import select

from central.api.auth import issue_api_token
from central.app import create_app
from central.decisions.sequence import catch_up
from central.models.db import session_scope
from central.models.incidents import FeverIncident
from central.models.reports import DailyReport
from central.models.users import Role
from central.office import incidents, pdffont, reports
from central.office.catalogue import CODES, printed
from central.office.reports_render import (
    LABEL_X,
    MARGIN,
    SIGNATURES,
    SIZE,
    VALUE_X,
    _wrap,
    lines,
    to_csv,
    to_pdf,
)
from central.office.users import create_user
from central.settings import CentralSettings
from tests.central.conftest import NOW, World
from tests.central.office.pdf_checks import assert_fonts_embedded, pdf_text
from tests.central.office.test_reports import DAY, _scenario

CJK = re.compile(r"[\u3400-\u9fff]")
WORD = re.compile(r"[A-Za-z]{2,}")
MADE = NOW + timedelta(hours=5, minutes=40)  # 15:40 Beijing time, after the office window closed


def _every_row(world: World) -> tuple[DailyReport, DailyReport]:
    """A busy day's late report and its signed correction: refusals, a reported fever case, a gate
    offline, a sequence gap; every kind of row the report prints."""
    _scenario(world)
    far = world.scan("zhang", at=NOW + timedelta(minutes=9), seq=10**6)  # numbers never received before it
    assert world.service.handle(*far, NOW + timedelta(minutes=9))
    with session_scope(world.engine) as s:
        catch_up(s)
        incident = s.exec(select(FeverIncident)).one()
        incidents.mark_reported(s, incident.id or 0, by="security", at=NOW + timedelta(minutes=30))
        first = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, MADE, late=True)
        reports.sign(s, first.id or 0, by="director", at=MADE)
        fixed = reports.correct(s, first.id or 0, by="security", at=MADE, note="补录离线数据")
        return first, reports.sign(s, fixed.id or 0, by="director", at=MADE + timedelta(minutes=5))


def test_the_catalogue_has_both_languages() -> None:
    for group in (
        printed.REPORT,
        printed.CARD,
        CODES["report_kind"],
        CODES["incident"],
        CODES["kind"],
        printed.PHONE_RULES,
    ):
        for key, (zh, en) in group.items():
            assert CJK.search(zh) and WORD.search(en) and not CJK.search(en), key


def test_every_printed_label_and_word_carries_its_english(world: World) -> None:
    first, report = _every_row(world)
    rows = lines(report, "坞城校区")
    labels = [label for label, _ in rows]
    # the rows this test is about are all there
    for start in (
        "版本",
        "统计时段",
        "生成时间",
        "离线门岗",
        "序号缺口",
        "门岗 Gate",
        "发热 Fever #",
        "拒绝：",
        "更正说明",
    ):
        assert any(label.startswith(start) for label in labels), start
    for label, value in rows:
        assert CJK.search(label) and WORD.search(label), label
        if label.startswith("更正说明"):
            continue  # the office's own note, printed as typed
        assert not CJK.search(value) or WORD.search(value), (label, value)
    values = dict(rows)
    assert (
        values["版本 Version"]
        == f"第2版 version 2，更正第{report.supersedes_id}号报告 corrects report #{report.supersedes_id}"
    )
    late = "2026-11-23 15:40（迟报：系统停机后补报 late: made after central was down）"
    assert dict(lines(first, "坞城校区"))["生成时间 Made at"] == late
    assert values["审签 Signed off"] == "director 2026-11-23 15:45"
    [case] = [v for k, v in rows if k.startswith("发热 Fever #")]
    assert "38.5 °C · 待处置 open · 已上报 reported 10:30" in case


def test_every_printed_character_has_a_glyph(world: World) -> None:
    """The embedded font draws every character the report prints (its ℃ is an empty outline)."""
    from PIL import Image, ImageDraw, ImageFont

    path, index = next((p, i) for p, i in pdffont.CANDIDATES if Path(p).exists())
    font = ImageFont.truetype(path, 24, index=index)
    _, report = _every_row(world)
    text = "".join(f"{label}{value}" for label, value in lines(report, "坞城校区"))
    text += "".join(printed.both(printed.REPORT[key]) for key in SIGNATURES)
    blank = []
    for char in sorted(set(text) - set(" ")):
        canvas = Image.new("L", (48, 48))
        ImageDraw.Draw(canvas).text((4, 4), char, font=font, fill=255)
        if canvas.getbbox() is None:
            blank.append(char)
    assert blank == []


def test_csv_and_pdf_read_back_both_languages(world: World, tmp_path: Path) -> None:
    _, report = _every_row(world)
    table = list(csv.reader(io.StringIO(to_csv(report, "坞城校区").decode("utf-8-sig"))))
    assert table[0] == ["项目 Item", "数值 Value"]
    for label, _ in table[1:]:
        assert CJK.search(label) and WORD.search(label), label
    pdf = to_pdf(report, "坞城校区")
    assert_fonts_embedded(pdf, tmp_path)
    text = " ".join(pdf_text(pdf, tmp_path).split())  # a wrapped label continues on the next line
    for key in ("version", "period", "entries", "symptom_referrals", "sequence_gap", "signed", "reported_by"):
        zh, en = printed.REPORT[key]
        # a long label wraps in its column, so its English may read back around the value beside it
        assert zh in text and all(word in text for word in en.split()), key
    assert "（Asia/Shanghai 时间 time）" in text and "Household's daily pass already used today" in text


def test_a_campus_in_another_zone_prints_its_own_clock(world: World, tmp_path: Path) -> None:
    world.set_zone("Europe/London")
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, MADE)
    assert report.period_end == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 15:00 in London, winter
    period = "2026-11-22 15:00 至 to 2026-11-23 15:00（Europe/London 时间 time）"
    assert dict(lines(report, "坞城校区"))["统计时段 Period"] == period
    # made at 07:40 London time, before its period ended: the paper says it counts only so far
    assert dict(lines(report, "坞城校区"))["生成时间 Made at"].startswith("2026-11-23 07:40（时段未结束")
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    with session_scope(world.engine) as s:
        token = issue_api_token(app, create_user(s, "aud", "pw-123456", [Role.AUDITOR]))
    client, auth = TestClient(app), {"Authorization": f"Bearer {token}"}
    assert period in client.get(f"/api/v1/reports/{report.id}.csv", headers=auth).content.decode("utf-8-sig")
    pdf = client.get(f"/api/v1/reports/{report.id}.pdf", headers=auth).content
    assert "Europe/London" in pdf_text(pdf, tmp_path) and "23:00" not in pdf_text(pdf, tmp_path)
    # the campus moves to another zone: the report still prints the clock it was counted in
    world.set_zone("Asia/Urumqi")
    csv_text = client.get(f"/api/v1/reports/{report.id}.csv", headers=auth).content.decode("utf-8-sig")
    assert period in csv_text
    # a report made before reports recorded their zone prints the campus's
    report.content_json = report.content_json.replace('"timezone": "Europe/London"', '"timezone": null')
    assert "（Asia/Urumqi 时间 time）" in dict(lines(report, "坞城校区", "Asia/Urumqi"))["统计时段 Period"]
    assert "（Asia/Shanghai 时间 time）" in dict(lines(report, "坞城校区"))["统计时段 Period"]
    assert "（Asia/Shanghai 时间 time）" in dict(lines(report, "坞城校区", "Asia/Shangai"))["统计时段 Period"]


def _pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """Each page's text, white space removed."""
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return ["".join(page.split()) for page in text.split("\f")]


def test_no_row_of_the_report_is_cut_across_two_pages(world: World, tmp_path: Path) -> None:
    # "拒绝：本户今日已有人出入" and its count ended page 1, its English "Refused: Household's daily
    # pass already used today" began page 2, alone: each row now starts a page when it would not fit
    _, report = _every_row(world)
    content = report.content
    for extra in range(3, 27, 3):  # more fever cases move every later row down the page
        more = {**content, "cases": content["cases"] * (1 + extra)}
        version = DailyReport.model_validate({**report.model_dump(), "content_json": json.dumps(more)})
        pages = _pages(to_pdf(version, "坞城校区"), tmp_path)
        assert len([page for page in pages if page]) >= 2
        for label, value in lines(version, "坞城校区")[1:]:
            pieces = [
                *_wrap(label, VALUE_X - LABEL_X - 10, SIZE),
                *_wrap(value, A4[0] - VALUE_X - MARGIN, SIZE),
            ]
            holding = [n for n, page in enumerate(pages) if all("".join(p.split()) in page for p in pieces)]
            assert holding, (extra, label, value)
