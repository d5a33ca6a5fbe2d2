"""A report as PDF (reportlab, an embedded CJK subset: ``office.pdffont``) and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from central.audit.spreadsheet import safe_row
from central.models.reports import OFFICE, DailyReport
from central.office.incidents import STATE_WORDS
from central.office.pdffont import pdf_font
from gatecore.reasons import REASONS, Reason

BEIJING = ZoneInfo("Asia/Shanghai")  # the report's clock, as on the paper form it replaces
SIGNATURES = ("填报人 Reported by", "审核人 Reviewed by", "日期 Date")
_KIND_ZH = {OFFICE: "保卫处", "unit": "各单位"}


def _reason_zh(code: str) -> str:
    return REASONS[Reason(code)].zh if code in Reason._value2member_map_ else code


def _gates_offline(gates: list[Any]) -> list[tuple[str, str]]:
    """One row per gate offline in the window (reports made before outages were kept hold bare ids)."""
    if not gates:
        return [("离线门岗 Gates offline", "无 none")]
    out = []
    for g in gates:
        if isinstance(g, str):
            out.append(("离线门岗 Gate offline", g))
            continue
        zh, en = ("至少", "at least ") if g.get("at_least") else ("", "")
        value = f"{g['name']} {g['gate_id']}：离线{zh} {g['minutes']} 分钟，{g['outages']} 次"
        value += f" / offline {en}{g['minutes']} min, {g['outages']} outage(s)"
        if g["offline_decisions"]:
            value += f"；离线判定 {g['offline_decisions']} 条 / {g['offline_decisions']} offline decision(s)"
        out.append(("离线门岗 Gate offline", value))
    return out


def _sequence_gaps(gaps: list[Any]) -> list[tuple[str, str]]:
    """One row per unexplained gap or regression in a gate's event numbers (none: one row saying so)."""
    if not gaps:
        return [("序号缺口 Sequence gaps", "无 none")]
    out = []
    for g in gaps:
        span = f"{g['first_seq']}–{g['last_seq']}"
        if g["kind"] == "regression":
            value = f"{g['gate_id']}：序号倒退至 {g['first_seq']}（曾到 {g['last_seq']}）"
            value += f" / numbered back to {g['first_seq']} after {g['last_seq']}"
        else:
            value = f"{g['gate_id']}：序号 {span} 未收到 / seqs {span} never received"
        out.append(("序号缺口 Sequence gap", value))
    return out


def _local(at: datetime | str) -> str:
    """An instant as Beijing time to the minute (the paper form's clock)."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _case(case: dict[str, Any]) -> str:
    """One fever case: time, gate, person, household, readings, incident state, report time."""
    state = STATE_WORDS.get(case["state"], (case["state"], ""))[0]
    reported = f"已上报 {_local(case['reported_at'])[11:]}" if case.get("reported_at") else "未上报"
    who = " ".join(x for x in (case["person"], case["household"]) if x) or "未登记"
    return f"{_local(case['at'])[11:]} {case['gate_id']} {who} {case['readings']}℃ · {state} · {reported}"


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Split ``text`` into pieces no wider than ``width`` points (Chinese has no spaces to break at)."""
    pieces, current = [], ""
    for char in text:
        if current and pdfmetrics.stringWidth(current + char, pdf_font(), size) > width:
            pieces.append(current)
            current = char.lstrip()
        else:
            current += char
    return pieces + [current]


def lines(report: DailyReport, campus_name: str) -> list[tuple[str, str]]:
    """The report as (label, value) pairs, Chinese labels, in the order printed."""
    c: dict[str, Any] = report.content
    title = "零报告" if report.zero else "日报告"
    out: list[tuple[str, str]] = [
        (
            "报告",
            f"{campus_name} {report.day.isoformat()} {title}（{_KIND_ZH.get(report.kind, report.kind)}）",
        ),
        (
            "版本",
            f"第{report.version}版"
            + (f"，更正第{report.supersedes_id}号报告" if report.supersedes_id else ""),
        ),
        ("统计时段", f"{_local(report.period_start)} 至 {_local(report.period_end)}（北京时间）"),
        ("生成时间", _local(report.made_at) + ("（迟报：系统停机后补报）" if report.late else "")),
        ("进校人次", str(c["entries"])),
        ("出校人次", str(c["exits"])),
        ("发热人数", str(c["fevers"])),
        (
            "发热事件",
            f"{c['incidents']}（未结 {c['incidents_open']}，超一小时未报 {c['incidents_overdue']}）",
        ),
        ("人工放行/禁行", str(c["overrides"])),
        ("身份核验拒绝", str(c.get("identity_refusals", 0))),
        ("许可失效放行离校", str(c.get("exits_lapsed", 0))),
        ("咳嗽等症状转医务室", str(c.get("symptom_referrals", 0))),
        ("封闭管理拒绝离校", str(c.get("closed_management_refusals", 0))),
        ("离线判定", str(c["offline_decisions"])),
        ("离线冲突", str(c["conflicts"])),
    ]
    out.extend(_gates_offline(c["gates_offline"]))
    out.extend(_sequence_gaps(c.get("sequence_gaps", [])))
    for g in c.get("per_gate", []):  # reports made before the per-gate table was kept have none
        out.append(
            (
                f"门岗 {g['name']}",
                f"进校 {g['entries']} · 出校 {g['exits']} · 拒绝 {g['refusals']} · 扫码 {g['scans']}",
            )
        )
    for case in c.get("cases", []):
        out.append((f"发热 #{case['id']}", _case(case)))
    if "cases" in c and not c["cases"]:
        out.append(("发热/症状病例", "无 none"))
    for code, n in sorted(c["refusals"].items()):
        out.append((f"拒绝：{_reason_zh(code)}", str(n)))
    if not c["refusals"]:
        out.append(("拒绝", "0"))
    if report.note:
        out.append(("更正说明", report.note))
    out.append(("审签", f"{report.signed_by} {_local(report.signed_at)}" if report.signed_at else "未审签"))
    return out


def to_csv(report: DailyReport, campus_name: str) -> bytes:
    """UTF-8 with a BOM so that Excel shows the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["项目", "数值"])
    writer.writerows(safe_row(line) for line in lines(report, campus_name))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_pdf(report: DailyReport, campus_name: str) -> bytes:
    """One A4 page (more if many reasons)."""
    font = pdf_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True, initialFontName=font)
    pdf.setTitle(f"{campus_name} {report.day.isoformat()}")
    width, height = A4
    y = height - 60
    pdf.setFont(font, 16)
    pdf.drawString(50, y, lines(report, campus_name)[0][1])
    y -= 30
    pdf.setFont(font, 11)
    for label, value in lines(report, campus_name)[1:]:
        for n, piece in enumerate(_wrap(value, width - 250, 11)):  # a long value continues below
            if y < 60:
                pdf.showPage()
                pdf.setFont(font, 11)
                y = height - 60
            if n == 0:
                pdf.drawString(50, y, label)
            pdf.drawString(200, y, piece)
            y -= 18
    if y < 120:
        pdf.showPage()
        y = height - 60
    y -= 30
    for n, label in enumerate(SIGNATURES):  # the paper form's signature lines
        x = 50 + n * 170
        pdf.setFont(font, 10)
        pdf.drawString(x, y, label)
        pdf.line(x, y - 22, x + 150, y - 22)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
