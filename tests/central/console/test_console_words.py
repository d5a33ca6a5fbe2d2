"""Every console page as every role, in Chinese: no bare code (RESIDENT, approved, allow, no_signal…)
and no English-only message outside the English that stands beside its Chinese; refusals are pages."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.api.auth import SESSION_COOKIE, issue_session
from central.console.i18n import CODES, MESSAGES, PYDANTIC
from central.models.journal import GateState
from central.models.registry import Approval
from central.models.users import Role, User
from central.office import imports, nucleic
from tests.central.api.test_route_roles import policy
from tests.central.conftest import World
from tests.central.console_helpers import Client

ROOT = Path(__file__).parents[3]
# every code of the catalogue, as a whole word (case-sensitive: "RESIDENT", "approved", "no_signal")
CODE_WORDS = {c for group in CODES.values() for c in group} - {"ok"}
ENGLISH_LEAKS = ("Field required", "not found", "Value error", "Forbidden", "forbidden:", "Input should")
BESIDE = re.compile(
    # the English beside the Chinese, and the plain-text places that carry both (options, the title)
    r'<span class="(?:en|username)"[^>]*>.*?</span>|<(script|style|code|title)\b.*?</\1>|<option\b.*?</option>',
    re.S,
)
TAG = re.compile(r"<[^>]+>")
NOW_DAY = date(2026, 11, 23)


def visible_chinese_text(html: str) -> str:
    """What a reader of the Chinese page reads, less the English shown beside the Chinese."""
    text = TAG.sub(" ", BESIDE.sub(" ", html))
    return re.sub(r"\s+", " ", text)


def leaks(text: str) -> list[str]:
    """Bare codes and English-only messages in the text."""
    found = [w for w in re.findall(r"[A-Za-z_]+", text) if w in CODE_WORDS]
    return found + [w for w in ENGLISH_LEAKS if w in text]


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    with Session(world.engine) as s:
        s.add(
            Approval(
                person_id=world.people["staff"],
                valid_from=NOW_DAY,
                valid_until=NOW_DAY,
                status="approved",
                approved_by="approver",
            )
        )
        s.add(
            Approval(
                person_id=world.people["staff"],
                valid_from=NOW_DAY,
                valid_until=NOW_DAY,
                status="requested",
                approved_by="",
            )
        )
        s.commit()
    return Client(world, tmp_path)


def test_every_page_as_every_role_has_no_bare_code_and_refusals_are_pages(c: Client) -> None:
    pages = sorted(
        p for (m, p), _ in policy().items() if m == "GET" and p.startswith(("/console", "/dashboard"))
    )
    pages = [
        p for p in pages if "{" not in p and p not in ("/console/lang", "/console/fever-alerts")
    ]  # the banner's JSON
    problems: list[str] = []
    walked = 0
    for role in [r.value for r in Role]:
        with Session(c.engine) as s:
            user = s.exec(select(User).where(User.username == role)).one()
        c.http.cookies.clear()
        c.http.cookies.set(SESSION_COOKIE, issue_session(c.app, user))
        for path in pages:
            r = c.http.get(path)
            walked += 1
            assert r.headers["content-type"].startswith("text/html"), (
                f"{path} as {role}: {r.headers['content-type']}"
            )
            if r.status_code == 403:
                assert "无权限" in r.text, f"{path} as {role}: a 403 without its Chinese words"
            bad = leaks(visible_chinese_text(r.text))
            if bad:
                problems.append(f"{path} as {role} ({r.status_code}): {sorted(set(bad))}")
    assert walked >= 6 * 15
    assert problems == [], "\n".join(problems)


def test_a_refused_form_reads_in_chinese_with_english_beside(c: Client, world: World) -> None:
    c.log_in("security", page="/console/people")
    r = c.form("/console/people", {"category": "resident"})  # no name
    assert r.status_code == 200
    assert re.search(r'id="err-name"><span class="zh">必填</span> <span class="en">required</span>', r.text)
    r = c.form(
        "/console/passes", {"person_id": "99999", "valid_from": "2026-12-01", "valid_until": "2026-12-31"}
    )
    assert "人员99999不存在" in r.text and "person 99999 not found" in r.text


def _messages_in(path: Path) -> list[str]:
    """Every message literal an office error, a row error or a ValueError is raised with in ``path``
    (an f-string's values become '1')."""
    out = []
    calls = (
        "NotFound",
        "Conflict",
        "Invalid",
        "Forbidden",
        "UserError",
        "IncidentError",
        "RowError",
        "ImportFileError",
        "ReportError",
        "ValueError",
    )
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in calls and node.args:
            arg = node.args[-1]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                out.append("".join(v.value if isinstance(v, ast.Constant) else "1" for v in arg.values))
    return out


def test_every_office_and_form_message_is_in_the_catalogue() -> None:
    files = [
        *sorted((ROOT / "central" / "office").glob("*.py")),
        *sorted((ROOT / "central" / "console").glob("*.py")),
    ]
    messages = [m for f in files for m in _messages_in(f) if m != "1"]
    assert len(messages) >= 40
    # matched by a row: a message with a Chinese word inside it is not Chinese (it was shown as is)
    missing = [m for m in messages if not any(p.match(m) for p, _ in MESSAGES)]
    assert missing == []
    assert {"missing", "int_parsing", "date_from_datetime_parsing"} <= PYDANTIC.keys()


def test_dashboard_names_device_states_and_flags_a_gate_without_config(c: Client, world: World) -> None:
    with Session(world.engine) as s:
        s.add(
            GateState(
                gate_id=world.gate_id,
                state="online",
                camera="no_signal",
                thermometer="unplugged",
                policy_version=0,
                last_seen=datetime.now(UTC),
            )
        )
        s.commit()
    c.log_in("security", page="/console/households")
    page = c.http.get("/dashboard").text
    assert "无信号" in page and "未连接" in page and "在线" in page
    assert 'class="policy bad"' in page and "无配置" in page


def test_a_refused_results_row_reads_in_chinese(c: Client, world: World) -> None:
    # these two named the file's headers inside the English and were shown as they were, English only
    c.log_in("security", page="/console/nucleic")
    sheet = "姓名,学号,采样时间,检测结果\n,,2026-11-22,阴性\n张三,,2026-11-22,弱阳".encode()
    r = c.form("/console/nucleic", data={"campus_id": str(world.campus_id)}, files={"file": ("r.csv", sheet)})
    assert r.status_code == 422
    assert '<span class="zh">请填写学号，或姓名和身份证后四位</span>' in r.text
    assert '<span class="zh">未知的检测结果 弱阳（应为阴性或阳性）</span>' in r.text


def test_the_import_pages_name_the_columns_by_the_importer_s_headers(c: Client, world: World) -> None:
    c.log_in("security", page="/console/import")
    page = c.http.get("/console/import").text
    assert (
        f'<p>{", ".join(imports.HEADERS.values())} <span class="en">({", ".join(imports.HEADERS)})</span></p>'
        in page
    )
    assert list(imports.HEADERS.values())[:2] == ["校区", "楼号"]
    page = c.http.get(f"/console/nucleic?campus_id={world.campus_id}").text
    h = nucleic.HEADERS
    said = f"{h['student_no']} 或 {h['name']} + {h['id_last4']}, {h['sampled']}, {h['result']}"
    assert f"<p>{said} (student_no, or name + id_last4; sampled; result)</p>" in page
