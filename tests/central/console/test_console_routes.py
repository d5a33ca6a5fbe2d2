"""Walk every route of the app: anonymous calls are refused, except the few that are public by design."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from central.api.routes import approvals, imports, passes, phonepass, registry
from tests.central.conftest import World
from tests.central.console_helpers import Client

PUBLIC = {
    "/api/v1/health",
    "/health",  # liveness, readiness and metrics for the campus's monitoring (counts, no names)
    "/ready",
    "/metrics",
    "/api/v1/auth/token",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/console/login",
    "/console/lang",
}
PUBLIC_PREFIXES = ("/p/", "/static")


def walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, through the included routers and their prefixes."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + route.path, set(getattr(route, "methods", None) or {"GET"})


def test_every_route_refuses_anonymous_calls(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    checked = 0
    for path, methods in walk(list(c.app.routes)):
        if path in PUBLIC or path.startswith(PUBLIC_PREFIXES):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in sorted(methods):
            if method == "HEAD":
                continue
            r = c.call(method, url, role=None, follow_redirects=False)
            refused = r.status_code == 401 or (
                r.status_code in (302, 303) and "/console/login" in r.headers.get("location", "")
            )
            assert refused, f"{method} {path} answered {r.status_code} to an anonymous caller"
            checked += 1
    assert checked >= 30


def test_guard_is_refused_on_every_registry_write(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    registry_routes = [r for m in (registry, approvals, passes, imports, phonepass) for r in m.router.routes]
    for path, all_methods in walk(registry_routes):
        methods = all_methods - {"GET", "HEAD"}
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/auth") or not methods:
            continue
        for method in methods:
            r = c.call(method, re.sub(r"\{[^}]+\}", "1", path), role="guard")
            assert r.status_code == 403, f"guard may {method} {path}: {r.status_code}"
