"""A report as PDF (reportlab, an embedded CJK subset: ``office.pdffont``) and as CSV; its words come from
``office.printed``, its times in the zone it was counted in."""

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
from central.models.reports import DailyReport
from central.office.catalogue import CODES, both
from central.office.catalogue.printed import REPORT as W
from central.office.pdffont import drawable, pdf_font
from gatecore.campus import DEFAULT_TZ, usable_zone
from gatecore.reasons import REASONS, Reason

SIGNATURES = ("reported_by", "reviewed_by", "date")  # the paper form's signature lines


def zone_of(report: DailyReport, campus_tz: str = DEFAULT_TZ) -> ZoneInfo:
    """The zone the report prints its times in: the one it was counted in (reports made before that
    was recorded: the campus's); a name the zone database lacks falls back to ``DEFAULT_TZ``."""
    name = report.content.get("timezone") or campus_tz
    return usable_zone(name)


def _refusal(code: str) -> str:
    """A refusal's row label: '拒绝：<reason> Refused: <reason>' (an unknown code as itself)."""
    info = REASONS[Reason(code)] if code in Reason._value2member_map_ else None
    zh, en = (info.zh, info.en) if info else (code, code)
    return f"{W['refused'][0]}：{zh} {W['refused'][1]}: {en}"


def _gates_offline(gates: list[Any]) -> list[tuple[str, str]]:
    """One row per gate offline in the window (reports made before outages were kept hold bare ids)."""
    if not gates:
        return [(both(W["gates_offline"]), both(W["none"]))]
    out = []
    for g in gates:
        if isinstance(g, str):
            out.append((both(W["gate_offline"]), g))
            continue
        words = W["offline_at_least"] if g.get("at_least") else W["offline_for"]
        value = f"{_gate(g['name'], g['gate_id'])}：" + both(
            words, " / ", minutes=g["minutes"], outages=g["outages"]
        )
        if g["offline_decisions"]:
            value += "；" + both(W["offline_decided"], " / ", n=g["offline_decisions"])
        out.append((both(W["gate_offline"]), value))
    return out


def _sequence_gaps(gaps: list[Any]) -> list[tuple[str, str]]:
    """One row per unexplained gap or regression in a gate's event numbers (none: one row saying so)."""
    if not gaps:
        return [(both(W["sequence_gaps"]), both(W["none"]))]
    out = []
    for g in gaps:
        if g["kind"] == "regression":
            what = both(W["numbered_back"], " / ", first=g["first_seq"], last=g["last_seq"])
        else:
            what = both(W["never_received"], " / ", span=f"{g['first_seq']}–{g['last_seq']}")
        out.append((both(W["sequence_gap"]), f"{_gate(g.get('name'), g['gate_id'])}：{what}"))
    return out


def _local(at: datetime | str, tz: ZoneInfo) -> str:
    """An instant as the report's local time to the minute (the paper form's clock)."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _case_label(case: dict[str, Any]) -> str:
    """'发热 Fever #3', or '症状 Symptoms #3' for symptoms at a normal reading (reports made before
    cases had a kind of their own say fever)."""
    return f"{both(W['symptom_case' if case.get('kind') == 'symptoms' else 'case'])} #{case['id']}"


def _case(case: dict[str, Any], tz: ZoneInfo) -> str:
    """One case: time, gate, person, household, readings, symptoms marked, incident state, report time."""
    state = CODES["incident"].get(case["state"], (case["state"], case["state"]))
    if case.get("reported_at"):
        reported = f"{both(W['reported'])} {_local(case['reported_at'], tz)[11:]}"
    else:
        reported = both(W["unreported"])
    who = " ".join(x for x in (case["person"], case["household"]) if x) or both(W["unregistered"])
    at = _local(case["at"], tz)[11:]
    # °C, not ℃: the embedded font maps ℃ to an empty glyph, which would print nothing
    parts = [f"{case['readings']} °C"] if case["readings"] else []
    parts += [both(CODES["symptom"].get(x, (x, x))) for x in case.get("symptoms", [])]
    parts += [both(state), reported]
    return f"{at} {_gate(case.get('gate_name'), case['gate_id'])} {who} " + " · ".join(parts)


def _gate(name: str | None, gate_id: str) -> str:
    """A gate as the report prints it: its name and id (reports made before names were kept: the id)."""
    return f"{name} {gate_id}" if name else gate_id


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Split ``text`` into pieces no wider than ``width`` points: Chinese anywhere (it has no spaces to
    break at), an English word at the space before it."""
    pieces, current = [], ""
    for char in text:
        if current and pdfmetrics.stringWidth(current + char, pdf_font(), size) > width:
            head, _, tail = current.rpartition(" ")
            mid_word = head.strip() and tail and (tail + char).isascii() and not char.isspace()
            if mid_word and pdfmetrics.stringWidth(tail + char, pdf_font(), size) <= width:
                pieces.append(head)
                current = tail + char
            else:
                pieces.append(current)
                current = char.lstrip()
        else:
            current += char
    return pieces + [current]


def lines(report: DailyReport, campus_name: str, campus_tz: str = DEFAULT_TZ) -> list[tuple[str, str]]:
    """The report as (label, value) pairs in the order printed, every word Chinese first with English beside."""
    c: dict[str, Any] = report.content
    tz = zone_of(report, campus_tz)
    title = both(W["zero" if report.zero else "daily"])
    kind = both(CODES["report_kind"].get(report.kind, (report.kind, report.kind)))
    version = both(W["version_n"], n=report.version)
    if report.supersedes_id:
        version += "，" + both(W["corrects"], id=report.supersedes_id)
    period = f"{_local(report.period_start, tz)} {both(W['to'])} {_local(report.period_end, tz)}"
    made = _local(report.made_at, tz) + (f"（{both(W['late'])}）" if report.late else "")
    if report.made_at < report.period_end:  # made by hand while its period ran: it counts only so far
        made += f"（{both(W['so_far'], ' / ', at=_local(report.made_at, tz))}）"
    detail = both(W["incidents_detail"], " / ", open=c["incidents_open"], overdue=c["incidents_overdue"])
    counts = {
        "entries": c["entries"],
        "exits": c["exits"],
        "fevers": c["fevers"],
        "incidents": f"{c['incidents']}（{detail}）",
        "overrides": c["overrides"],
        "identity_refusals": c.get("identity_refusals", 0),
        "exits_lapsed": c.get("exits_lapsed", 0),
        "symptom_referrals": c.get("symptom_referrals", 0),
        "closed_management_refusals": c.get("closed_management_refusals", 0),
        "offline_decisions": c["offline_decisions"],
        "conflicts": c["conflicts"],
    }
    out: list[tuple[str, str]] = [
        (both(W["report"]), f"{campus_name} {report.day.isoformat()} {title}（{kind}）"),
        (both(W["version"]), version),
        (both(W["period"]), f"{period}（{both(W['zone'], zone=tz.key)}）"),
        (both(W["made_at"]), made),
        # the user who made it by hand or filed the correction (the scheduler's own reports name none)
        *([(both(W["made_by"]), report.made_by)] if report.made_by else []),
        *((both(W[key]), str(value)) for key, value in counts.items()),
    ]
    out.extend(_gates_offline(c["gates_offline"]))
    out.extend(_sequence_gaps(c.get("sequence_gaps", [])))
    for g in c.get("per_gate", []):  # reports made before the per-gate table was kept have none
        tally = (("in", "entries"), ("out", "exits"), ("refusals", "refusals"), ("scans", "scans"))
        out.append((f"{both(W['gate'])} {g['name']}", " · ".join(f"{both(W[w])} {g[k]}" for w, k in tally)))
    for case in c.get("cases", []):
        out.append((_case_label(case), _case(case, tz)))
    if "cases" in c and not c["cases"]:
        out.append((both(W["cases"]), both(W["none"])))
    for code, n in sorted(c["refusals"].items()):
        out.append((_refusal(code), str(n)))
    if not c["refusals"]:
        out.append((both(W["refused"]), "0"))
    if report.note:
        out.append((both(W["note"]), report.note))
    signed = f"{report.signed_by} {_local(report.signed_at, tz)}" if report.signed_at else both(W["unsigned"])
    out.append((both(W["signed"]), signed))
    return out


def to_csv(report: DailyReport, campus_name: str, campus_tz: str = DEFAULT_TZ) -> bytes:
    """UTF-8 with a BOM so that Excel shows the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([both(W["item"]), both(W["value"])])
    writer.writerows(safe_row(line) for line in lines(report, campus_name, campus_tz))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


LABEL_X, VALUE_X, MARGIN, SIZE, LEADING = 50, 215, 50, 10.5, 16
BOTTOM = 60  # no line below this baseline


def to_pdf(report: DailyReport, campus_name: str, campus_tz: str = DEFAULT_TZ) -> bytes:
    """One A4 page (more if many reasons); a long label or value continues on the lines below."""
    font = pdf_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True, initialFontName=font)
    pdf.setTitle(f"{campus_name} {report.day.isoformat()}")
    width, height = A4
    # as the font prints them: a character it has no outline for is "□", never a blank (the CSV keeps it)
    (_, title), *rows = [(drawable(k), drawable(v)) for k, v in lines(report, campus_name, campus_tz)]
    y = height - 60
    pdf.setFont(font, 15)
    for piece in _wrap(title, width - LABEL_X - MARGIN, 15):
        pdf.drawString(LABEL_X, y, piece)
        y -= 20
    y -= 10
    pdf.setFont(font, SIZE)
    for label, value in rows:
        labels = _wrap(label, VALUE_X - LABEL_X - 10, SIZE)
        values = _wrap(value, width - VALUE_X - MARGIN, SIZE)
        last = (max(len(labels), len(values)) - 1) * LEADING  # from the row's first line to its last
        if y - last < BOTTOM <= height - 60 - last:  # a row that fits on a page is never cut in two
            pdf.showPage()
            pdf.setFont(font, SIZE)
            y = height - 60
        for n in range(max(len(labels), len(values))):
            if y < BOTTOM:
                pdf.showPage()
                pdf.setFont(font, SIZE)
                y = height - 60
            if n < len(labels):
                pdf.drawString(LABEL_X, y, labels[n])
            if n < len(values):
                pdf.drawString(VALUE_X, y, values[n])
            y -= LEADING
        y -= 2  # rows apart from their continuation lines
    if y < 120:
        pdf.showPage()
        y = height - 60
    y -= 30
    pdf.setFont(font, 10)
    for n, key in enumerate(SIGNATURES):  # the paper form's signature lines
        x = LABEL_X + n * 170
        pdf.drawString(x, y, both(W[key]))
        pdf.line(x, y - 22, x + 150, y - 22)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
