"""Who may call what: every route of the app against a table of the roles allowed on it.

The table is the access policy written down; the test calls every route as every role and as
nobody, and fails on any difference, and on a route the table does not list (a new route needs a
decision here). ``*`` is public, ``-`` is the admin alone; an admin may call everything except what
is the approver's alone (approving staff: 书记或院长, never the system admin).
Allowed means not refused (the call may still be 404 or 422 for the made-up id or body);
refused means 403, and anonymous means 401 or the console's login redirect.
"""

from __future__ import annotations

import re
from pathlib import Path

from central.models.users import Role
from tests.central.conftest import World
from tests.central.console.test_console_routes import walk
from tests.central.console_helpers import Client

ROLES = [r.value for r in Role if r is not Role.ADMIN]
STREAMS = {"/api/v1/dashboard/stream"}  # an allowed caller would stay connected: checked for refusals only
TABLE = """
GET    /api/v1/approvals                              security approver auditor director
POST   /api/v1/approvals                              security
POST   /api/v1/approvals/{approval_id}/approve        approver
POST   /api/v1/approvals/{approval_id}/reject         approver
POST   /api/v1/approvals/{approval_id}/withdraw       approver
GET    /api/v1/audit/verify                           security auditor
GET    /api/v1/auth/me                                security approver guard auditor director
POST   /api/v1/auth/refresh                           security approver guard auditor director
POST   /api/v1/auth/token                             *
GET    /api/v1/campuses                               security approver guard auditor director
POST   /api/v1/campuses                               security
GET    /api/v1/campuses/{campus_id}/policy            security approver auditor director
PUT    /api/v1/campuses/{campus_id}/policy            security
GET    /api/v1/campuses/{campus_id}/nucleic-due       security approver auditor director
GET    /api/v1/conflicts                              security auditor director
GET    /api/v1/entries                                security auditor director
GET    /api/v1/entries.csv                            security auditor director
GET    /api/v1/dashboard/stream                       security auditor director
GET    /api/v1/fever-alerts                           security auditor director
POST   /api/v1/fever-alerts/{alert_id}/ack            security director
GET    /api/v1/gates                                  security approver guard auditor director
POST   /api/v1/gates                                  security
PATCH  /api/v1/gates/{gate_id}                        security
GET    /api/v1/health                                 *
GET    /api/v1/households                             security approver auditor director
POST   /api/v1/households                             security
GET    /api/v1/households/{household_id}              security approver auditor director
POST   /api/v1/imports/nucleic-tests                  security
POST   /api/v1/imports/people                         security
GET    /api/v1/incidents                              security auditor director
GET    /api/v1/incidents/{incident_id}                security auditor director
POST   /api/v1/incidents/{incident_id}/report         security
POST   /api/v1/incidents/{incident_id}/steps          security
POST   /api/v1/passes                                 security
GET    /api/v1/passes                                 security approver auditor director
GET    /api/v1/passes/sheet.pdf                       security
GET    /api/v1/passes/{pass_id}/card.pdf              security
GET    /api/v1/passes/{pass_id}/card.png              security
GET    /api/v1/passes/{pass_id}/qr                    security
POST   /api/v1/passes/{pass_id}/reissue               security
POST   /api/v1/passes/{pass_id}/revoke                security
GET    /api/v1/people                                 security approver auditor director
POST   /api/v1/people                                 security
GET    /api/v1/people/{person_id}                     security approver auditor director
PATCH  /api/v1/people/{person_id}                     security
PUT    /api/v1/people/{person_id}/commuter            security
POST   /api/v1/people/{person_id}/phone-link          security
GET    /api/v1/registry-changes                       security auditor director
GET    /api/v1/rejected                               security auditor
GET    /api/v1/reports                                security auditor director
GET    /api/v1/reports/{report_id:int}                security auditor director
GET    /api/v1/reports/{report_id}.{fmt}              security auditor director
POST   /api/v1/reports/{report_id}/corrections        security director
POST   /api/v1/reports/{report_id}/sign               director
GET    /api/v1/return-batches                         security approver auditor director
POST   /api/v1/return-batches                         security
GET    /api/v1/users                                  -
POST   /api/v1/users                                  -
PATCH  /api/v1/users/{user_id}                        -
POST   /api/v1/users/{user_id}/unlock                 -
GET    /api/v1/vehicles                               security approver guard auditor director
POST   /api/v1/vehicles                               security
POST   /api/v1/visitors                               security
GET    /console/                                      security approver guard auditor director
GET    /console/approvals                             security approver auditor director
POST   /console/approvals                             security
POST   /console/approvals/{approval_id}/{verdict}     approver
GET    /console/batches                               security approver auditor director
POST   /console/batches                               security
GET    /console/changes                               security auditor director
GET    /console/entries                               security auditor director
GET    /console/fevers                                security auditor director
GET    /console/fever-alerts                          security guard auditor director
GET    /console/gates                                 security approver guard auditor director
POST   /console/gates/{gate_id}/{action}              security
GET    /console/households                            security approver auditor director
POST   /console/households                            security
GET    /console/import                                security
POST   /console/import                                security
GET    /console/nucleic                               security approver auditor director
POST   /console/nucleic                               security
GET    /console/lang                                  *
GET    /console/login                                 *
POST   /console/login                                 *
POST   /console/logout                                security approver guard auditor director
GET    /console/passes                                security approver auditor director
POST   /console/passes                                security
POST   /console/passes/{pass_id}/phone-link           security
POST   /console/passes/{pass_id}/revoke               security
GET    /console/people                                security approver auditor director
POST   /console/people                                security
GET    /console/policy                                security approver auditor director
POST   /console/policy/{campus_id}                    security
GET    /console/reports                               security auditor director
POST   /console/reports                               security director
POST   /console/reports/{report_id}/{action}          security director
GET    /console/users                                 -
POST   /console/users                                 -
POST   /console/users/{username}/{change}             -
GET    /console/vehicles                              security approver guard auditor director
POST   /console/vehicles                              security
GET    /console/visitors                              security approver auditor director
POST   /console/visitors                              security
GET    /dashboard                                     security auditor director
GET    /docs                                          *
GET    /docs/oauth2-redirect                          *
GET    /health                                        *
GET    /metrics                                       *
GET    /openapi.json                                  *
GET    /p/{secret}                                    *
GET    /p/{secret}/code                               *
GET    /static                                        *
GET    /ready                                         *
GET    /redoc                                         *
"""


def policy() -> dict[tuple[str, str], set[str]]:
    """(method, path) -> roles allowed ({"*"} public, set() admin only)."""
    out: dict[tuple[str, str], set[str]] = {}
    for line in TABLE.strip().splitlines():
        method, path, *roles = line.split()
        out[(method, path)] = {"*"} if roles == ["*"] else set() if roles == ["-"] else set(roles)
    return out


def test_approving_is_the_approvers_alone() -> None:
    approver_only = {k for k, roles in policy().items() if roles == {"approver"}}
    assert approver_only == {
        ("POST", "/api/v1/approvals/{approval_id}/approve"),
        ("POST", "/api/v1/approvals/{approval_id}/reject"),
        ("POST", "/api/v1/approvals/{approval_id}/withdraw"),  # the approver takes back what they granted
        ("POST", "/console/approvals/{approval_id}/{verdict}"),
    }


def test_every_route_is_in_the_table(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    routes = {(m, p) for p, methods in walk(list(c.app.routes)) for m in methods - {"HEAD"}}
    assert routes - policy().keys() == set(), "routes without an access decision in TABLE"
    assert policy().keys() - routes == set(), "TABLE lists routes the app no longer has"


def test_each_role_is_allowed_exactly_where_the_table_says(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    wrong: list[str] = []
    for (method, path), allowed in sorted(policy().items()):
        url = re.sub(r"\{[^}]+\}", "1", path)
        for role in [None, *ROLES, Role.ADMIN.value]:
            admin_may = not allowed or bool(allowed - {"approver"})
            may = "*" in allowed or (role == Role.ADMIN.value and admin_may) or role in allowed
            if path in STREAMS and may:
                continue
            r = c.call(method, url, role=role, follow_redirects=False)
            status = r.status_code
            if role is None and not may:
                # the console sends anonymous visitors to log in
                refused = status == 401 or (
                    status == 303 and "/console/login" in r.headers.get("location", "")
                )
            else:
                # a public form's own CSRF check (the login form) is not a refusal by role
                refused = status == 403 and "did not come from this console" not in r.text
            if may == refused:
                expected = "allowed" if may else "refused"
                wrong.append(f"{method} {path} as {role or 'anonymous'}: {status}, expected {expected}")
    assert wrong == []
