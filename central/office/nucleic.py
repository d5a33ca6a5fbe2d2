"""Nucleic-acid testing of people kept in (seed 002: 对封闭学生要…定期开展核酸检测): importing the
testing site's results, and who is due or overdue.

The import reuses the people import's reader (CSV in UTF-8 or GBK, XLSX, header mapping) and its
all-or-nothing rule: every row is checked first, and a file with any bad row writes nothing. A row
names its person by student number (学号), or by name and the last four characters of the ID-card
number (the testing site's list never carries the whole number). A result already recorded is
counted as known, not written again, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from central.models.base import code_form, utc
from central.models.health import NEGATIVE, POSITIVE, NucleicTest
from central.models.registry import Pass, Person
from central.office.people import Named, student_numbers, who
from central.office.registry import latest_policy
from central.office.tables import RowError, first_headers, read_table
from central.office.windows import day_start
from gatecore.campus import DEFAULT_TZ

logger = logging.getLogger(__name__)

COLUMNS = {  # header as a testing site writes it -> field (each field's first header is the one it is shown by)
    "姓名": "name",
    "name": "name",
    "学号": "student_no",
    "student_no": "student_no",
    "身份证后四位": "id_last4",
    "证件号后四位": "id_last4",
    "身份证号后四位": "id_last4",
    "id_last4": "id_last4",
    "采样时间": "sampled",
    "采样日期": "sampled",
    "检测日期": "sampled",
    "日期": "sampled",
    "sampled": "sampled",
    "date": "sampled",
    "检测结果": "result",
    "结果": "result",
    "result": "result",
}
HEADERS = first_headers(COLUMNS)
REQUIRED = {f: HEADERS[f] for f in ("sampled", "result")}
RESULTS = {
    "阴性": NEGATIVE,
    "negative": NEGATIVE,
    "-": NEGATIVE,
    "阳性": POSITIVE,
    "positive": POSITIVE,
    "+": POSITIVE,
}
RESULT_WORDS = {
    r: next(w for w, v in RESULTS.items() if v == r) for r in (NEGATIVE, POSITIVE)
}  # as a file writes them
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
TIME_FORMATS = tuple(f"{d} {t}" for d in DATE_FORMATS[:3] for t in ("%H:%M", "%H:%M:%S"))
# the due list's states, in the order the office works through them
OVERDUE, NEVER, DUE, CURRENT = "overdue", "never", "due", "current"
DUE_WITHIN = timedelta(hours=24)  # "due" a day before the interval runs out


@dataclass
class TestImportReport:
    """What a test-result import found or did."""

    rows: int = 0
    results_new: int = 0
    already_known: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    applied: bool = False


def sampled_at(text: str, tz: str) -> datetime:
    """The sampling instant of a cell (local time); a bare date is the start of that local day."""
    for fmt in TIME_FORMATS:
        try:
            return utc(datetime.strptime(text, fmt).replace(tzinfo=ZoneInfo(tz)))
        except ValueError:
            continue
    for fmt in DATE_FORMATS:
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        # the oldest the sample can be: a rule on its age never trusts it for longer than the truth
        return day_start(day, ZoneInfo(tz))
    raise ValueError(text)


def _people(session: Session) -> tuple[dict[str, list[Named]], dict[tuple[str, str], list[Named]]]:
    # the active people by student number, and by name and ID-number last four
    by_name: dict[tuple[str, str], list[Named]] = {}
    named = select(Person.id, Person.name, Person.id_last4).where(
        col(Person.active), col(Person.id_last4).is_not(None)
    )
    for person_id, name, last4 in session.exec(named):
        if person_id is not None:
            by_name.setdefault((name.strip(), code_form(last4 or "")), []).append((person_id, name))
    return student_numbers(session, active_only=True), by_name


def _person(
    cells: dict[str, str], by_number: dict[str, list[Named]], by_name: dict[tuple[str, str], list[Named]]
) -> int | str:
    """The id of the one person a row names, or why not."""
    number = code_form(cells.get("student_no", ""))
    name, last4 = cells.get("name", ""), code_form(cells.get("id_last4", ""))  # as idnumber.id_last4 keeps it
    if number:
        found = by_number.get(number, [])
        what = f"student number {cells['student_no']!r}"
    elif name and last4:
        if len(last4) != 4:
            return f"ID-number last four must be 4 characters, not {cells['id_last4']!r}"
        found = by_name.get((name, last4), [])
        what = f"{name} with ID number ending {last4}"
    else:
        return (
            f"give the student number ({HEADERS['student_no']}), or the name and the ID-number last four"
            f" ({HEADERS['id_last4']})"
        )
    if not found:
        return f"no registered person: {what}"
    if len(found) > 1 and number:
        # registered before duplicates were refused: the registry, not the results file, must change
        return (
            f"{len(found)} registered people have student number {number!r}: {who(found)}; "
            "give each their own student number in the registry"
        )
    if len(found) > 1:
        return f"{len(found)} registered people match {what}: use the student number"
    return found[0][0]


def import_results(
    session: Session,
    filename: str,
    data: bytes,
    *,
    dry_run: bool,
    by: str,
    now: datetime,
    tz: str = DEFAULT_TZ,
) -> TestImportReport:
    """Check every row; unless ``dry_run`` or a row is bad, record the new results (caller commits).

    Raises ImportFileError when the file as a whole cannot be read.
    """
    report = TestImportReport()
    rows = read_table(filename, data, report.warnings, columns=COLUMNS, required=REQUIRED)
    report.rows = len(rows)
    by_number, by_name = _people(session)
    seen: dict[tuple[int, datetime], tuple[int, str]] = {}
    new: list[NucleicTest] = []
    for row in rows:
        cells, n0 = row.cells, len(report.errors)
        if row.problems:
            report.errors.extend(RowError(row.line, problem) for problem in row.problems)
            continue
        person_id = _person(cells, by_number, by_name)
        if isinstance(person_id, str):
            report.errors.append(RowError(row.line, person_id))
        result = RESULTS.get(cells.get("result", "").strip().lower())
        if result is None:
            report.errors.append(
                RowError(
                    row.line,
                    f"unknown result {cells.get('result', '')!r}"
                    f" ({RESULT_WORDS[NEGATIVE]}/negative or {RESULT_WORDS[POSITIVE]}/positive)",
                )
            )
        at = None
        try:
            at = sampled_at(cells.get("sampled", ""), tz)
        except ValueError:
            report.errors.append(
                RowError(row.line, f"bad sampling time {cells.get('sampled', '')!r} (use YYYY-MM-DD [HH:MM])")
            )
        if at is not None and at > now + timedelta(hours=1):
            report.errors.append(RowError(row.line, f"sampling time {cells['sampled']} is in the future"))
        if len(report.errors) > n0 or isinstance(person_id, str) or at is None or result is None:
            continue
        key = (person_id, at)
        if key in seen:
            line, earlier = seen[key]
            if earlier != result:
                report.errors.append(RowError(row.line, f"contradicts line {line} (same person, same time)"))
            else:
                report.already_known += 1
            continue
        seen[key] = (row.line, result)
        stored = session.exec(
            select(NucleicTest).where(NucleicTest.person_id == person_id, NucleicTest.sampled_at == at)
        ).first()
        if stored is not None:
            if stored.result != result:
                report.errors.append(
                    RowError(row.line, f"contradicts the {stored.result} result recorded for the same sample")
                )
            else:
                report.already_known += 1
            continue
        new.append(
            NucleicTest(
                person_id=person_id,
                sampled_at=at,
                result=result,
                source=filename,
                imported_by=by,
                imported_at=now,
            )
        )
    report.results_new = len(new)
    if report.errors or dry_run:
        logger.info(
            "test results checked: %d rows, %d bad, dry run %s", report.rows, len(report.errors), dry_run
        )
        return report
    session.add_all(new)
    session.flush()
    report.applied = True
    logger.info("imported %d test results (%d already known)", report.results_new, report.already_known)
    return report


def last_negative_at(session: Session, person_id: int) -> datetime | None:
    """The sampling time of the person's latest test if it was negative (a later positive cancels it)."""
    latest = session.exec(
        select(NucleicTest)
        .where(NucleicTest.person_id == person_id)
        .order_by(col(NucleicTest.sampled_at).desc())
    ).first()
    return latest.sampled_at if latest is not None and latest.result == NEGATIVE else None


@dataclass(frozen=True, slots=True)
class DueRow:
    """One kept-in person and where they stand in the testing programme."""

    person_id: int
    name: str
    category: str
    group: str | None
    last_sampled_at: datetime | None
    last_result: str | None
    due_at: datetime | None  # when the next test is due (None: never tested)
    state: str  # overdue | never | due | current


def due_list(session: Session, *, campus_id: int, now: datetime) -> list[DueRow]:
    """Everyone the campus keeps in (a valid pass there, in a closed group), worst first.

    Empty when the campus keeps no group in or runs no testing programme (interval 0).
    """
    policy = latest_policy(session, campus_id)
    interval = timedelta(hours=policy.nat_interval_hours)
    if not policy.closed_groups or not policy.nat_interval_hours:
        return []
    holders = session.exec(
        select(Person)
        .join(Pass, col(Pass.person_id) == Person.id)
        .where(
            Pass.campus_id == campus_id,
            col(Pass.revoked_at).is_(None),
            col(Pass.valid_until) > now,
            col(Pass.kind).not_in(["VEHICLE", "VISITOR"]),
            col(Person.active),
        )
        .distinct()
    )
    kept = [
        p for p in holders if p.category.lower() in policy.closed_groups or p.group in policy.closed_groups
    ]
    latest: dict[int, NucleicTest] = {}
    ids = [p.id for p in kept if p.id is not None]
    for t in session.exec(
        select(NucleicTest).where(col(NucleicTest.person_id).in_(ids)).order_by(col(NucleicTest.sampled_at))
    ):
        latest[t.person_id] = t  # ordered by time: the last one wins
    rows = []
    for p in kept:
        assert p.id is not None
        last = latest.get(p.id)
        due_at = utc(last.sampled_at) + interval if last is not None else None
        if last is None:
            state = NEVER
        elif last.result != NEGATIVE or due_at is None or due_at <= now:
            state = OVERDUE  # a positive is followed up at once, like a missed test
        elif due_at - now <= DUE_WITHIN:
            state = DUE
        else:
            state = CURRENT
        rows.append(
            DueRow(
                p.id,
                p.name,
                p.category,
                p.group,
                last.sampled_at if last else None,
                last.result if last else None,
                due_at,
                state,
            )
        )
    order = {OVERDUE: 0, NEVER: 1, DUE: 2, CURRENT: 3}
    return sorted(rows, key=lambda r: (order[r.state], r.due_at or now, r.person_id))
