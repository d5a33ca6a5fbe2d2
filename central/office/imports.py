"""Bulk import of households and people from CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX.

One row is one person; the household (campus, building, unit, room) is found or created. Every
row is checked first; a file with any bad row writes nothing (the report lists each bad row with
its line number), so an import is all-or-nothing. ID-card numbers are hashed; only the last four
characters are stored, and none is ever logged.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from central.models.base import code_form, filled
from central.models.registry import STUDENT_NO_LENGTH, Campus, Household, Person
from central.models.users import User
from central.office.changes import record_change
from central.office.errors import day_problem
from central.office.idnumber import id_hash, id_last4, id_number_problem
from central.office.import_limits import ImportFileError
from central.office.people import student_numbers, who
from central.office.schemas import TEXT_LENGTH
from central.office.tables import RowError, first_headers, read_table
from gatecore.campus import GROUP_CODE
from gatecore.policy import HOUSEHOLD_KINDS

logger = logging.getLogger(__name__)

COLUMNS = {  # header as an office writes it -> field (each field's first header is the one it is shown by)
    "校区": "campus",
    "campus": "campus",
    "楼号": "building",
    "楼栋": "building",
    "楼": "building",
    "building": "building",
    "单元": "unit",
    "unit": "unit",
    "房号": "room",
    "房间": "room",
    "门牌": "room",
    "room": "room",
    "姓名": "name",
    "name": "name",
    "身份证号": "id_number",
    "身份证": "id_number",
    "证件号": "id_number",
    "身份证号码": "id_number",
    "证件号码": "id_number",
    "id_number": "id_number",
    "类别": "category",
    "人员类别": "category",
    "category": "category",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
    "phone": "phone",
    "重点人员至": "key_person_until",
    "key_person_until": "key_person_until",
    "学号": "student_no",
    "student_no": "student_no",
    "封闭管理分组": "group",
    "分组": "group",
    "group": "group",
}
HEADERS = first_headers(COLUMNS)  # field -> the header the import page names it by
CATEGORIES = {
    "住户": "RESIDENT",
    "居民": "RESIDENT",
    "租户": "TENANT",
    "教职工": "STAFF",
    "职工": "STAFF",
    "学生": "STUDENT",
    "外籍教师": "FOREIGN_TEACHER",
    "外教": "FOREIGN_TEACHER",
    "留学生": "INTL_STUDENT",
    "施工人员": "CONTRACTOR",
    "访客": "VISITOR",
    **{
        k.lower(): k
        for k in (
            "RESIDENT",
            "TENANT",
            "STAFF",
            "STUDENT",
            "FOREIGN_TEACHER",
            "INTL_STUDENT",
            "CONTRACTOR",
            "VISITOR",
        )
    },
}
HOUSEHOLD_KIND_NAMES = frozenset(k.name for k in HOUSEHOLD_KINDS)  # as stored in Person.category
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
# a longer cell: PostgreSQL refuses the row, or the API refuses to store it and so to list it
LENGTHS = {
    "student_no": STUDENT_NO_LENGTH,
    **dict.fromkeys(("name", "phone", "building", "unit", "room"), TEXT_LENGTH),
}


@dataclass
class ImportReport:
    """What an import found or did."""

    rows: int = 0
    households_new: int = 0
    people_new: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    applied: bool = False


def _date(text: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _visible(text: str) -> str:
    """``text``, or "" when nothing of it shows (zero-width spaces, direction marks): a missing cell."""
    try:
        return filled(text)
    except ValueError:
        return ""


def import_people(session: Session, filename: str, data: bytes, *, dry_run: bool) -> ImportReport:
    """Check every row; unless ``dry_run`` or a row is bad, write households and people (caller commits)."""
    report = ImportReport()
    rows = read_table(
        filename,
        data,
        report.warnings,
        columns=COLUMNS,
        required={f: HEADERS[f] for f in ("campus", "name")},
        lengths=LENGTHS,
    )
    report.rows = len(rows)
    campuses: dict[str, Campus] = {}
    for known in session.exec(select(Campus)):
        for alias in (known.code, known.name_zh, known.name_en):
            if alias:
                campuses[alias.lower()] = known
    households = {(h.campus_id, h.building, h.unit, h.room): h for h in session.exec(select(Household))}
    known_ids = set(session.exec(select(Person.id_hash).where(Person.id_hash != None)))  # noqa: E711
    seen_ids: dict[str, int] = {}
    known_numbers, seen_numbers = student_numbers(session), dict[str, int]()
    new_households: dict[tuple[int, str, str, str], Household] = {}
    people: list[tuple[Person, tuple[int, str, str, str] | None]] = []
    for row in rows:
        cells, bad = row.cells, report.errors
        n0 = len(bad)
        if row.problems:
            bad.extend(RowError(row.line, problem) for problem in row.problems)
            continue
        campus = campuses.get(cells.get("campus", "").lower())
        if not cells.get("campus"):
            bad.append(RowError(row.line, "missing campus"))
        elif campus is None:
            bad.append(RowError(row.line, f"unknown campus {cells['campus']!r}"))
        if not _visible(cells.get("name", "")):
            bad.append(RowError(row.line, "missing name"))
        raw_category = cells.get("category") or "resident"
        category = CATEGORIES.get(raw_category) or CATEGORIES.get(raw_category.lower())
        if category is None:
            bad.append(RowError(row.line, f"unknown category {cells.get('category')!r}"))
        building, room = (_visible(code_form(cells.get(f, ""))) for f in ("building", "room"))
        unit = _visible(code_form(cells.get("unit", ""))) or "1"
        needs_home = category in HOUSEHOLD_KIND_NAMES or bool(building)
        if needs_home and not room:
            bad.append(RowError(row.line, "missing room"))
        if needs_home and not building:
            bad.append(RowError(row.line, "missing building"))
        until = None
        if cells.get("key_person_until"):
            try:
                until = _date(cells["key_person_until"])
            except ValueError:
                bad.append(RowError(row.line, f"bad date {cells['key_person_until']!r} (use YYYY-MM-DD)"))
            else:
                problem = day_problem("key_person_until", until)
                if problem:
                    bad.append(RowError(row.line, problem))
        group = cells.get("group", "").lower() or None
        if group is not None and not GROUP_CODE.fullmatch(group):
            bad.append(RowError(row.line, f"bad group {cells['group']!r} (lower-case letters, digits, _)"))
        digest = id_hash(cells["id_number"]) if cells.get("id_number") else None
        if digest is not None:
            problem = id_number_problem(code_form(cells["id_number"]))
            if problem:
                bad.append(RowError(row.line, problem))
            elif digest in known_ids:
                bad.append(RowError(row.line, "duplicate ID number: already registered"))
            elif digest in seen_ids:
                bad.append(RowError(row.line, f"duplicate ID number: same as line {seen_ids[digest]}"))
            else:
                seen_ids[digest] = row.line
        number = code_form(cells.get("student_no", "")) or None
        if number is not None:  # one student, one number: the results import finds students by it
            if number in known_numbers:
                holders = who(known_numbers[number])
                bad.append(
                    RowError(
                        row.line, f"duplicate student number {number!r}: already registered to {holders}"
                    )
                )
            elif number in seen_numbers:
                first = seen_numbers[number]
                bad.append(RowError(row.line, f"duplicate student number {number!r}: same as line {first}"))
            else:
                seen_numbers[number] = row.line
        if len(bad) > n0 or campus is None or campus.id is None or category is None:
            continue
        key = (campus.id, building, unit, room) if needs_home else None
        if key is not None and key not in households and key not in new_households:
            new_households[key] = Household(
                campus_id=campus.id,
                building=building,
                unit=unit,
                room=room,
                label=f"{campus.name_zh} {building}-{unit}-{room}",
            )
        people.append(
            (
                Person(
                    name=cells["name"],
                    category=category,
                    phone=cells.get("phone") or None,
                    key_person_until=until,
                    id_hash=digest,
                    id_last4=id_last4(cells["id_number"]) if digest else None,
                    link_secret=secrets.token_urlsafe(24),
                    student_no=number,
                    group=group,
                ),
                key,
            )
        )
    report.households_new, report.people_new = len(new_households), len(people)
    if report.errors or dry_run:
        logger.info("import checked: %d rows, %d bad, dry run %s", report.rows, len(report.errors), dry_run)
        return report
    session.add_all(new_households.values())
    session.flush()
    households.update(new_households)
    for person, key in people:
        person.household_id = households[key].id if key else None
    session.add_all(p for p, _ in people)
    session.flush()
    report.applied = True
    logger.info("imported %d households and %d people", report.households_new, report.people_new)
    return report


def run_import(session: Session, *, actor: User, filename: str, data: bytes, dry_run: bool) -> dict[str, Any]:
    """The import's report; ``refused`` when the file or a row was refused. The caller commits if applied."""
    try:
        report = import_people(session, filename, data, dry_run=dry_run)
    except ImportFileError as exc:
        return {"detail": str(exc), "errors": [], "applied": False, "refused": True}
    if report.applied:
        record_change(
            session,
            actor,
            "import",
            "person",
            "-",
            households=report.households_new,
            people=report.people_new,
            file=filename,
        )
    return {**asdict(report), "refused": bool(report.errors) and not dry_run}
